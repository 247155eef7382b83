"""Zou et al.'s quantized ANN: median activation quantizer (A1, A2) and ternary weights (A3).

Both use straight-through gradients: the rounding (and the ternarization) is replaced by the
identity in the backward pass, so the float "latent" values keep learning.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from .._validate import check_int
from .conv import Conv2d
from .linear import Linear
from .module import Module

__all__ = ["MedianQuant", "ternarize", "TernaryConv2d", "TernaryLinear"]

TIE_SHIFT = 1e-5  # A1: added before the half-even rounding, so ties round up
TERNARY_FACTOR = 0.7  # A3: Delta = 0.7 mean|W|


class MedianQuant(Module):
    """``y = Q_k(ReLU(x))`` with ``Q_k(v) = round_half_even(v 2^k + 1e-5) / 2^k`` (A1).

    Parameters
    ----------
    k : int, default 0
        Quantization level: the output grid has step ``2^-k`` (``k`` in {0, 1, 2} in the paper).
    clip : float, optional
        Upper clip ``B`` applied before rounding: ``y = Q_k(clip(ReLU(x), 0, B))``. The first
        layer uses ``k = 0``, ``clip = 4`` (A2); hidden layers are not clipped.

    Raises
    ------
    ValueError
        If ``k`` is not an integer >= 0, or ``clip`` is not > 0.

    Notes
    -----
    Shapes: any; the output has the input's dtype. Backward (straight-through): the gradient
    passes unchanged where ``0 < x`` (and ``x < B`` when clipped), and is 0 elsewhere. The
    ``+1e-5`` makes exact ties round up (``0.5 -> 1``, ``2.5 -> 3``), like the SNN's encoder
    (``>=``) but unlike its hidden neurons (strict ``>``, spec §1).

    Examples
    --------
    >>> import numpy as np
    >>> q = MedianQuant(k=1)
    >>> q(np.array([-1.0, 0.2, 0.25, 0.6, 1.3])).tolist()
    [0.0, 0.0, 0.5, 0.5, 1.5]
    >>> q.levels(np.array([-1.0, 0.2, 0.25, 0.6, 1.3])).tolist()
    [0, 0, 1, 1, 3]
    """

    def __init__(self, k: int = 0, clip: float | None = None):
        k = check_int("k", k, 0)
        if clip is not None and not clip > 0:
            raise ValueError(f"clip must be > 0 or None, got {clip!r}")
        self.k = int(k)
        self.clip = None if clip is None else float(clip)

    def _clipped(self, x: np.ndarray) -> np.ndarray:
        """``ReLU(x)``, clipped at ``B`` if set."""
        return np.clip(x, 0, self.clip) if self.clip is not None else np.maximum(x, 0)

    def levels(self, x: np.ndarray) -> np.ndarray:
        """Integer levels ``2^k y = round_half_even(2^k v + 1e-5)``, ``v`` the clipped ReLU.

        Returns
        -------
        int32 array of the shape of ``x``.
        """
        x = np.asarray(x)
        v = self._clipped(x) * x.dtype.type(2**self.k)
        return np.rint(v + x.dtype.type(TIE_SHIFT)).astype(np.int32)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if train:
            self._mask = (x > 0) if self.clip is None else (x > 0) & (x < self.clip)
        scale = x.dtype.type(2**self.k)
        return np.rint(self._clipped(x) * scale + x.dtype.type(TIE_SHIFT)) / scale  # A1, A2

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self._mask

    def extra_repr(self) -> str:
        return f"k={self.k}, clip={self.clip}"


def ternarize(w: np.ndarray) -> np.ndarray:
    """Ternary weights of the TWN rule (A3): ``+1`` if ``w >= Delta``, ``-1`` if ``w <= -Delta``.

    ``Delta = 0.7 mean(|w|)`` over the whole tensor; no scaling factor (BatchNorm absorbs it).

    Parameters
    ----------
    w : ndarray of float
        Latent weights of one layer, any shape.

    Returns
    -------
    int8 array of the shape of ``w``, values in {-1, 0, +1}.

    Notes
    -----
    Computed as ``sign(sign(w + Delta) + sign(w - Delta))``, as in the authors' code: the
    same as the rule above, except that an all-zero tensor (``Delta = 0``) gives zeros.

    Examples
    --------
    §6.4 of the spec (``Delta = 0.23625``):

    >>> ternarize(np.array([0.9, -0.05, 0.3, -0.6, 0.1, 0.0, 0.45, -0.3])).tolist()
    [1, 0, 1, -1, 0, 0, 1, -1]
    """
    w = np.asarray(w)
    delta = TERNARY_FACTOR * np.mean(np.abs(w), dtype=np.float64)
    return np.sign(np.sign(w + delta) + np.sign(w - delta)).astype(np.int8)


class _TernaryWeight:
    """Mixin for a layer with a ``weight`` Parameter: ternary forward, straight-through backward.

    The Parameter holds the float latent weights. While ``forward`` and ``backward`` run, the
    layer's ``weight.data`` is the float copy of ``ternarize(latent)``; the parent layer's
    backward then adds ``dL/dW_ternary`` into ``weight.grad``, which is the straight-through
    estimate of ``dL/dW_latent``.
    """

    def __init__(self, *args, ternary: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.ternary = bool(ternary)

    def ternary_weight(self) -> np.ndarray:
        """``ternarize(weight)`` as ``int8`` (for the converter), whatever ``ternary`` is."""
        return ternarize(self.weight.data)

    @contextmanager
    def _weight_set_to(self, weight: np.ndarray):
        latent = self.weight.data
        self.weight.data = weight
        try:
            yield
        finally:
            self.weight.data = latent

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if not self.ternary:
            return super().forward(x, train)
        weight = self.ternary_weight().astype(self.weight.data.dtype)  # A3
        if train:
            self._ternary = weight
        with self._weight_set_to(weight):
            return super().forward(x, train)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if not self.ternary:
            return super().backward(grad)
        with self._weight_set_to(self._ternary):  # straight-through: dL/dW_t -> latent grad
            return super().backward(grad)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, ternary={self.ternary}"


class TernaryConv2d(_TernaryWeight, Conv2d):
    """:class:`~snnlite.nn.Conv2d` whose forward uses ``ternarize(weight)`` (A3).

    Parameters
    ----------
    *args, **kwargs
        As for :class:`~snnlite.nn.Conv2d` (Zou's layers use ``bias=False``).
    ternary : bool, default True
        Use ternary weights; when False the layer is a plain ``Conv2d``.

    Notes
    -----
    ``weight`` holds the float latent weights (saved, optimized); the gradient reaches them
    straight through the ternarization. :meth:`ternary_weight` gives the ``int8`` weights.

    Examples
    --------
    >>> import numpy as np
    >>> conv = TernaryConv2d(1, 2, 3, bias=False, rng=0)
    >>> sorted(set(conv.ternary_weight().ravel().tolist())) <= [-1, 0, 1]
    True
    """


class TernaryLinear(_TernaryWeight, Linear):
    """:class:`~snnlite.nn.Linear` whose forward uses ``ternarize(weight)`` (A3).

    Parameters
    ----------
    *args, **kwargs
        As for :class:`~snnlite.nn.Linear`.
    ternary : bool, default True
        Use ternary weights; when False the layer is a plain ``Linear``.

    Notes
    -----
    As for :class:`TernaryConv2d`.
    """
