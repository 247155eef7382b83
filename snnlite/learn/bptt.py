"""Backpropagation through time for any trainable neuron model: the :class:`Spiking` module.

A trainable model (``trainable = True``: IF, LIF, QFFS, AdaptiveLIF; see
:mod:`snnlite.neurons.base`) carries its own surrogate-gradient pair next to its forward
pass: ``surrogate_forward`` runs its step function (the one the simulation scan runs) over
all ``T`` steps and keeps a tape (the potentials before the reset, at least);
``surrogate_backward`` is the reverse-time scan that turns ``dL/ds`` into ``dL/dI`` with the
surrogate pseudo-derivative in place of the spike's derivative (C4). For IF and LIF, per step
``t`` with ``u`` the potential before the reset::

    u[t] = alpha * v[t-1] + I[t]                      (C2; IF: alpha = 1)
    s[t] = Theta(u[t] - v_th)                         (C3; smooth sigmoid for verification)
    v[t] = u[t] - v_th * s[t]      reset="subtract"   (and "zero", "none")

and backwards ``g_u[t] = dL/ds[t] * s' + g_v[t] * dv[t]/du[t]``, ``g_v[t-1] = alpha *
g_u[t]`` (:func:`snnlite.neurons.lif.lif_surrogate_backward`). This module only lays the
time axis out: it is layer-major, its input is the current of all ``T`` steps of a batch as
``(T*B, ...)`` rows (row ``t*B + b``), produced by one matrix product of the synapse over
``T*B`` rows, so the synapse's weight gradient is one matrix product too.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np

from snnlite._validate import check_steps
from snnlite.neurons.base import Neuron
from snnlite.neurons.lif import LIF
from snnlite.neurons.surrogate import Surrogate, Triangle
from snnlite.nn.module import Module

__all__ = ["Spiking"]


class Spiking(Module):
    """A population of trainable spiking neurons (IF, LIF, QFFS, AdaptiveLIF) trained by BPTT.

    Parameters
    ----------
    T : int
        Time steps; the input has ``T * B`` rows, time-major (row ``t*B + b``).
    neuron : Neuron, optional
        A model with ``trainable = True``; its parameters (threshold, reset, leak, ...) define
        the dynamics. Default ``LIF()`` (alpha 0.99, v_th 1, soft reset: spec §4.2 defaults).
        The population's layout ``(B, ...)`` (the input's shape without the time factor) is
        passed to the model, so an :class:`~snnlite.neurons.AdaptiveLIF` shares its threshold
        over the channels (axis 1 of a convolution's output) at each position.
        A LIF's ``refractory`` must be 0.
    surrogate : Surrogate, optional
        Default :class:`~snnlite.neurons.surrogate.Triangle` (C4, gamma 0.3).
    detach_reset : bool, default False
        Treat the reset as a constant in the backward pass.

    Notes
    -----
    Shapes: ``(T*B, ...)`` current -> ``(T*B, ...)`` spikes of the input's float dtype. After
    a forward pass with ``train=True``, :attr:`potentials` holds ``u`` as ``(T, B, ...)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Spiking(8, LIF(alpha=0.75))
    >>> s = layer(np.full((8, 1), 0.5), train=True)   # spec §6.6: T = 8, B = 1, I = 0.5
    >>> s[:, 0].tolist()
    [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    >>> layer.backward(np.ones_like(s)).shape
    (8, 1)
    """

    def __init__(self, T: int, neuron: Neuron | None = None,
                 surrogate: Surrogate | None = None, detach_reset: bool = False):
        neuron = LIF() if neuron is None else neuron
        if not (isinstance(neuron, Neuron) and neuron.trainable):
            raise TypeError(f"neuron must be a trainable neuron model (one with a surrogate "
                            f"backward pass, such as IF or LIF or QFFS), got "
                            f"{type(neuron).__name__}")
        if getattr(neuron, "refractory", 0):
            raise ValueError("BPTT needs refractory=0 (a refractory period has no gradient)")
        surrogate = Triangle() if surrogate is None else surrogate
        if not isinstance(surrogate, Surrogate):
            raise TypeError(f"surrogate must be a Surrogate, got {type(surrogate).__name__}")
        self.T, self.neuron, self.surrogate = check_steps(T), neuron, surrogate
        self.detach_reset = bool(detach_reset)
        self._tape = None

    def _flat(self, x: np.ndarray, name: str) -> np.ndarray:
        if x.ndim < 2 or x.shape[0] % self.T:
            raise ValueError(f"{name} must have T*B rows (T = {self.T}), got shape {x.shape}")
        if x.dtype.kind != "f":
            x = x.astype(np.float32)
        return np.ascontiguousarray(x).reshape(self.T, -1)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        spikes, tape = self.neuron.surrogate_forward(self._flat(x, "input"), self.surrogate,
                                                     x.shape[0] // self.T, x.shape[1:])
        self._shape = x.shape
        self._tape = tape if train else None
        return spikes.reshape(x.shape)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._tape is None:
            raise RuntimeError("backward needs a forward pass with train=True first")
        dtype = self._tape["v_pre"].dtype
        grad_s = self._flat(np.asarray(grad, dtype=dtype), "grad")
        grad_i = self.neuron.surrogate_backward(grad_s, self._tape, self.surrogate,
                                                self.detach_reset)
        return grad_i.reshape(self._shape)

    @property
    def potentials(self) -> np.ndarray | None:
        """Pre-reset potentials ``u`` of the last training forward pass, ``(T, B, ...)``."""
        if self._tape is None:
            return None
        u = self._tape["v_pre"]
        return u.reshape((self.T, self._shape[0] // self.T) + self._shape[1:])

    def extra_repr(self) -> str:
        return f"T={self.T}, {self.neuron!r}, {self.surrogate!r}"
