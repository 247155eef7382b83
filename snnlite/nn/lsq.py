"""Learned step-size quantization (LSQ) of activations, the QFFS ANN quantizer (B13).

Forward (spec ``seeds-spec.md`` §3.2, B13), with ``v = x / s`` and ``Q_P = 2**b - 1``::

    y = s * clip(round_half_even(v), 0, Q_P)

Backward (LSQ, Esser et al. 2020; the QFFS author's ``LsqActivationFun``): ``round`` passes
gradients straight through, so ``y`` is differentiated as ``s * R(v)`` with ``R' = 1``::

    dy/dx = 1                 if 0 < v < Q_P,   else 0
    dy/ds = round(v) - v      if 0 < v < Q_P
            0                 if v <= 0
            Q_P               if v >= Q_P

and the gradient of ``s`` is multiplied by ``g = 1 / sqrt(N * Q_P)``.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._validate import check_int
from .module import Module, Parameter

__all__ = ["LSQ"]

_GRAD_SCALES = ("elements", "batch", None)


class LSQ(Module):
    """Fake-quantise activations to ``2**bits`` levels with one learned step size (B13).

    Parameters
    ----------
    bits : int, default 2
        Activation bits ``b >= 1``; the levels are ``0 .. Q_P`` with ``Q_P = 2**b - 1``.
    step : float, optional
        Initial step size ``s > 0``. When None, ``s`` is set on the first ``train=True``
        forward to the LSQ initialisation ``2 * mean(|x|) / sqrt(Q_P)``.
    grad_scale : {"elements", "batch", None}, default "elements"
        ``N`` of the step-size gradient scale ``g = 1 / sqrt(N * Q_P)``: the number of
        elements of ``x`` (the spec's default), its batch length (the QFFS author's code), or
        no scaling (``g = 1``).
    dtype : dtype, default float32
        Dtype of the step size.

    Attributes
    ----------
    step : Parameter, shape ()
        The step size ``s``.
    initialized : ndarray, shape ()
        Buffer (saved by ``state_dict``): whether ``step`` holds a real value yet.
    q_p : int
        ``Q_P = 2**bits - 1``, the highest level.

    Raises
    ------
    ValueError
        If ``bits < 1`` or not an integer, ``step`` is not a finite number > 0, or
        ``grad_scale`` is unknown; from ``forward``/``levels`` if ``s`` is not > 0 (for
        example after an optimizer step), or the initialisation input is all zeros.
    RuntimeError
        From ``forward(train=False)``/``levels`` before ``s`` was initialised.

    Notes
    -----
    Shapes: any ``x``; ``y`` has the shape and the promoted dtype of ``x`` and ``s``. The
    forward and backward passes are those of the module docstring. ``round`` is NumPy's
    half-to-even (as PyTorch's): ``v = 0.5`` gives level 0 and ``v = 1.5`` level 2, whereas
    the converted QFFS neuron rounds half up (spec §1, §6.2); ties have measure zero for real
    data.

    The straight-through gradients are the exact derivatives of the surrogate
    ``s * (clip(v, 0, Q_P) + d)`` with ``d = round(clip(v, 0, Q_P)) - clip(v, 0, Q_P)`` held
    constant, which equals ``y`` at the point of evaluation; the tests check them against
    finite differences of that surrogate.

    ``N`` of ``grad_scale="elements"`` is the size of the whole input, batch included (the
    spec's reading of the LSQ paper); ``"batch"`` uses ``x.shape[0]``.

    Examples
    --------
    >>> import numpy as np
    >>> q = LSQ(bits=2, step=0.5)
    >>> q(np.array([-0.25, 0.375, 0.75, 2.0])).tolist()
    [0.0, 0.5, 1.0, 1.5]
    >>> q.levels(np.array([-0.25, 0.375, 0.75, 2.0])).tolist()
    [0, 1, 2, 3]
    """

    _buffers = ("initialized",)

    def __init__(self, bits: int = 2, step: float | None = None,
                 grad_scale: str | None = "elements", dtype=np.float32):
        if not isinstance(bits, numbers.Integral):  # a bit width is never a float, not even 2.0
            raise ValueError(f"bits must be an integer >= 1, got {bits!r}")
        bits = check_int("bits", bits)
        if grad_scale not in _GRAD_SCALES:
            raise ValueError(f"grad_scale must be one of {_GRAD_SCALES}, got {grad_scale!r}")
        if step is not None:
            _check_step(step)
        self.bits, self.q_p, self.grad_scale = int(bits), 2 ** int(bits) - 1, grad_scale
        self.step = Parameter(np.full(1, 1.0 if step is None else step, dtype))
        # Parameter stores arrays at least 1-D; the step size is a scalar of shape ().
        self.step.data, self.step.grad = self.step.data.reshape(()), self.step.grad.reshape(())
        self.initialized = np.array(step is not None)

    def _s(self) -> np.ndarray:
        """The current step size, checked (initialised, finite, > 0)."""
        if not self.initialized:
            raise RuntimeError("LSQ step size is not initialised: pass step=... or run a "
                               "forward with train=True first")
        _check_step(self.step.data)
        return self.step.data

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if train and not self.initialized:
            self._initialize(x)
        s = self._s()
        v = x / s
        level = np.round(np.clip(v, 0, self.q_p))  # B13 (clip first: no -0.0 from round)
        if train:
            self._v, self._level = v, level
        return level * s

    def _initialize(self, x: np.ndarray) -> None:
        """LSQ initialisation ``s = 2 * mean(|x|) / sqrt(Q_P)``."""
        step = 2.0 * float(np.mean(np.abs(x), dtype=np.float64)) / math.sqrt(self.q_p)
        if not (math.isfinite(step) and step > 0):
            raise ValueError(f"cannot initialise the LSQ step size from an input with "
                             f"mean |x| = {step * math.sqrt(self.q_p) / 2!r}; pass step=...")
        self.step.data[...] = step
        self.initialized[...] = True

    def backward(self, grad: np.ndarray) -> np.ndarray:
        v, level = self._v, self._level
        inside = (v > 0) & (v < self.q_p)
        dy_ds = np.where(inside, level - v, np.where(v >= self.q_p, self.q_p, 0))
        self.step.grad += self._grad_scale(v) * np.sum(grad * dy_ds, dtype=np.float64)
        return grad * inside

    def _grad_scale(self, x: np.ndarray) -> float:
        """``g = 1 / sqrt(N * Q_P)`` for an input like ``x`` (1 when ``grad_scale`` is None)."""
        if self.grad_scale is None:
            return 1.0
        n = x.size if self.grad_scale == "elements" else x.shape[0]
        return 1.0 / math.sqrt(n * self.q_p)

    def levels(self, x: np.ndarray) -> np.ndarray:
        """Integer levels ``clip(round_half_even(x / s), 0, Q_P)`` (int32, shape of ``x``).

        ``forward(x) == s * levels(x)``; these are the net spike counts a lossless QFFS
        conversion reproduces (up to ties, see the class Notes).
        """
        return np.round(np.clip(np.asarray(x) / self._s(), 0, self.q_p)).astype(np.int32)

    def extra_repr(self) -> str:
        step = f"{float(self.step.data):g}" if self.initialized else "None"
        return f"bits={self.bits}, step={step}, grad_scale={self.grad_scale!r}"


def _check_step(step) -> None:
    """Raise ValueError unless the step size is a finite number > 0."""
    value = float(step)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"LSQ step size s must be a finite number > 0, got {value!r}")
