"""Modules that add or remove the time axis of a layer-major spiking network.

Inside a network trained by BPTT every tensor carries ``T * B`` rows, time-major (row
``t*B + b``), so ordinary :mod:`snnlite.nn` ops (``Linear``, ``Conv2d``, ``AvgPool2d``) act on
all steps with one call. These modules enter and leave that layout:

* :class:`Encoder` — ``(B, ...)`` images to ``(T*B, ...)`` spikes of any encoder of the
  registry :data:`snnlite.snn.encoding.ENCODERS`; :class:`PoissonEncoder` is its rate-coded
  (§4.1) form;
* :class:`Repeat` — the same real-valued current at every step (analog input, or the output
  of the ReLU block of a hybrid network, §4.8); its backward sums over time, so gradients
  flow into what came before;
* :class:`SumOverTime` — ``(T*B, ...)`` to ``(B, ...)``: activity accumulated over the
  ``T`` steps, fed to the non-spiking classifier (§4.3).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from snnlite._validate import as_rng, check_steps
from snnlite.nn.module import Module
from snnlite.snn.encoding import get_encoder

__all__ = ["Encoder", "PoissonEncoder", "Repeat", "SumOverTime"]


class Encoder(Module):
    """An input encoder as a network's first module: ``(B, ...)`` -> ``(T*B, ...)`` float32.

    Parameters
    ----------
    T : int
        Time steps.
    encoder : str or callable, default "poisson"
        A name in :data:`snnlite.snn.encoding.ENCODERS` or a callable
        ``f(x, T, *, rng=None, ...)`` (looked up with :func:`~snnlite.snn.encoding.get_encoder`).
    rng : Generator, int or None
        Random source, advanced at every call (same seed, same sequence of batches).
    **options
        Passed to the encoder at every call (for example ``signed=False``).

    Notes
    -----
    The encoding has no input gradient (the input is data): :meth:`backward` returns None.
    For an analog input whose gradient matters, use :class:`Repeat`.

    Examples
    --------
    >>> import numpy as np
    >>> Encoder(4, "regular")(np.array([[0.5, 1.0]])).reshape(4, 2).tolist()
    [[0.0, 1.0], [1.0, 1.0], [0.0, 1.0], [1.0, 1.0]]
    """

    grad_sink = True  # backward returns None: the layer after it skips its input gradient

    def __init__(self, T: int, encoder: str | Callable = "poisson", rng=None, **options):
        self.T, self.encode, self.rng = check_steps(T), get_encoder(encoder), as_rng(rng)
        self.encoder, self.options = encoder, options

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        spikes = np.asarray(self.encode(x, self.T, rng=self.rng, **self.options), np.float32)
        return spikes.reshape((-1,) + spikes.shape[2:])

    def backward(self, grad: np.ndarray) -> None:
        return None

    def extra_repr(self) -> str:
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"T={self.T}, encoder={self.encoder!r}{options}"


class PoissonEncoder(Encoder):
    """Rate coding as a network's first module: :class:`Encoder` with ``"poisson"`` (§4.1).

    Parameters
    ----------
    T : int
        Time steps.
    rng : Generator, int or None
        Random source, advanced at every call (same seed, same sequence of batches).
    signed : bool, default True
        Negative inputs give -1 spikes (see :func:`snnlite.snn.encoding.poisson`).
    """

    def __init__(self, T: int, rng=None, signed: bool = True):
        super().__init__(T, "poisson", rng, signed=signed, dtype=np.float32)
        self.signed = signed

    def extra_repr(self) -> str:
        return f"T={self.T}, signed={self.signed}"


class Repeat(Module):
    """The same input at every step: ``(B, ...)`` -> ``(T*B, ...)``; backward sums over ``T``.

    Parameters
    ----------
    T : int
        Time steps.

    Examples
    --------
    >>> import numpy as np
    >>> r = Repeat(3)
    >>> r(np.array([[1.0], [2.0]])).ravel().tolist()
    [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]
    >>> r.backward(np.ones((6, 1))).ravel().tolist()
    [3.0, 3.0]
    """

    def __init__(self, T: int):
        self.T = check_steps(T)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        x = np.asarray(x)
        return np.broadcast_to(x, (self.T,) + x.shape).reshape((-1,) + x.shape[1:])

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.reshape((self.T, -1) + grad.shape[1:]).sum(axis=0)

    def extra_repr(self) -> str:
        return f"T={self.T}"


class SumOverTime(Module):
    """Accumulated activity: ``(T*B, ...)`` -> ``(B, ...)``, the sum (or mean) over steps.

    Parameters
    ----------
    T : int
        Time steps.
    mean : bool, default False
        Divide by ``T`` (spike rates instead of spike counts).
    """

    def __init__(self, T: int, mean: bool = False):
        self.T, self.mean = check_steps(T), bool(mean)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if x.shape[0] % self.T:
            raise ValueError(f"input must have T*B rows (T = {self.T}), got shape {x.shape}")
        total = x.reshape((self.T, -1) + x.shape[1:]).sum(axis=0)
        return total / self.T if self.mean else total

    def backward(self, grad: np.ndarray) -> np.ndarray:
        grad = grad / self.T if self.mean else grad
        return np.broadcast_to(grad, (self.T,) + grad.shape).reshape((-1,) + grad.shape[1:])

    def extra_repr(self) -> str:
        return f"T={self.T}, mean={self.mean}"
