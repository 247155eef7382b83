"""Backpropagation through time for IF and LIF populations: the :class:`Spiking` module.

Forward, per step ``t`` and neuron (C2, C3; IF is ``alpha = 1``), with ``u`` the potential
before the reset::

    u[t] = alpha * v[t-1] + I[t]                      (C2)
    s[t] = Theta(u[t] - v_th)                         (C3; smooth sigmoid for verification)
    v[t] = u[t] - v_th * s[t]      reset="subtract"
           u[t] * (1 - s[t])       reset="zero"       (= 0 after a 0/1 spike)
           u[t]                    reset="none"

Backward, a reverse-time scan. With ``s'`` the surrogate ``dS/dV`` at ``u[t]`` (C4) and
``g_v[t]`` the gradient reaching ``v[t]`` from step ``t + 1``::

    dv[t]/du[t] = 1 - v_th * s'              reset="subtract"
                  (1 - s[t]) - u[t] * s'     reset="zero"
                  1                          reset="none"
    g_u[t]   = dL/ds[t] * s' + g_v[t] * dv[t]/du[t]
    dL/dI[t] = g_u[t];   g_v[t-1] = alpha * g_u[t]           (through the leak)

``detach_reset=True`` drops the reset's dependence on ``s`` (the ``s'`` terms of
``dv/du``), a common stabiliser. The module is layer-major: its input is the current of all
``T`` steps of a batch as ``(T*B, ...)`` rows (row ``t*B + b``), produced by one matrix
product of the synapse over ``T*B`` rows, so the synapse's weight gradient is one matrix
product too.
"""

from __future__ import annotations

import numpy as np

from snnlite._jit import njit
from snnlite.learn.surrogate import Surrogate, Triangle, pseudo_derivative_row, spike_value
from snnlite.neurons.base import reset_code
from snnlite.neurons.if_neuron import IF
from snnlite.neurons.lif import LIF
from snnlite.nn.module import Module
from snnlite.snn.encoding import check_steps

__all__ = ["Spiking", "bptt_backward", "bptt_forward"]


@njit
def bptt_forward(current, v, alpha, threshold, reset, kind, param, spikes, u):
    """Forward scan over ``T`` steps recording the pre-reset potentials ``u`` (C2, C3).

    Parameters
    ----------
    current : (T, N) float array
    v : (N,) float array
        Membrane potential, updated in place.
    alpha, threshold : float
        Leak factor (1 for IF) and ``v_th``.
    reset : int
        0 subtract, 1 zero, 2 none.
    kind, param : int, float
        Surrogate code and parameter (only the smooth sigmoid changes the forward pass).
    spikes, u : (T, N) float arrays
        Outputs: spikes (0/1, or the smooth value) and the potential before the reset.
    """
    for t in range(current.shape[0]):
        for i in range(current.shape[1]):
            ui = alpha * v[i] + current[t, i]  # C2
            s = spike_value(kind, param, ui, threshold)  # C3
            u[t, i] = ui
            spikes[t, i] = s
            if reset == 0:
                v[i] = ui - threshold * s
            elif reset == 1:
                v[i] = ui * (1.0 - s)
            else:
                v[i] = ui


@njit
def bptt_backward(grad_s, u, spikes, alpha, threshold, reset, kind, param, detach, grad_i):
    """Reverse-time scan: ``dL/dI`` from ``dL/ds`` (see the module docstring).

    Parameters
    ----------
    grad_s : (T, N) float array
        Gradient of the loss with respect to the spikes.
    u, spikes : (T, N) float arrays
        Recorded by :func:`bptt_forward`.
    alpha, threshold, reset, kind, param
        As in :func:`bptt_forward`.
    detach : bool
        Drop the reset's dependence on the spike.
    grad_i : (T, N) float array
        Output: gradient with respect to the input current.
    """
    T, N = u.shape
    g_v = np.zeros(N, u.dtype)  # gradient reaching v[t] from step t + 1
    ds = np.empty(N, u.dtype)
    dv_du = np.ones(N, u.dtype)  # stays 1 for reset="none" or detached subtraction
    for k in range(T):
        t = T - 1 - k  # reverse time (a descending range compiles to a slower loop)
        pseudo_derivative_row(kind, param, u[t], threshold, ds)  # C4
        if reset == 0 and not detach:
            for i in range(N):
                dv_du[i] = 1.0 - threshold * ds[i]
        elif reset == 1:
            for i in range(N):
                dv_du[i] = 1.0 - spikes[t, i] - (0.0 if detach else u[t, i] * ds[i])
        for i in range(N):
            g_u = grad_s[t, i] * ds[i] + g_v[i] * dv_du[i]
            grad_i[t, i] = g_u
            g_v[i] = alpha * g_u  # through the leak


class Spiking(Module):
    """A population of IF or LIF neurons trained by BPTT with a surrogate gradient.

    Parameters
    ----------
    T : int
        Time steps; the input has ``T * B`` rows, time-major (row ``t*B + b``).
    neuron : IF or LIF, optional
        Threshold, reset and leak (``alpha``; IF is ``alpha = 1``) come from it; default
        ``LIF()`` (alpha 0.99, v_th 1, soft reset: spec §4.2 defaults). ``refractory`` must be 0.
    surrogate : Surrogate, optional
        Default :class:`~snnlite.learn.surrogate.Triangle` (C4, gamma 0.3).
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

    def __init__(self, T: int, neuron: IF | LIF | None = None,
                 surrogate: Surrogate | None = None, detach_reset: bool = False):
        neuron = LIF() if neuron is None else neuron
        if not isinstance(neuron, IF | LIF):
            raise TypeError(f"neuron must be IF or LIF, got {type(neuron).__name__}")
        if getattr(neuron, "refractory", 0):
            raise ValueError("BPTT needs refractory=0 (a refractory period has no gradient)")
        surrogate = Triangle() if surrogate is None else surrogate
        if not isinstance(surrogate, Surrogate):
            raise TypeError(f"surrogate must be a Surrogate, got {type(surrogate).__name__}")
        self.T, self.neuron, self.surrogate = check_steps(T), neuron, surrogate
        self.alpha = float(getattr(neuron, "alpha", 1.0))
        self.detach_reset = bool(detach_reset)
        self._u = self._s = None

    def _flat(self, x: np.ndarray, name: str) -> np.ndarray:
        if x.ndim < 2 or x.shape[0] % self.T:
            raise ValueError(f"{name} must have T*B rows (T = {self.T}), got shape {x.shape}")
        if x.dtype.kind != "f":
            x = x.astype(np.float32)
        return np.ascontiguousarray(x).reshape(self.T, -1)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        current = self._flat(x, "input")
        dt = current.dtype.type
        v = np.full(current.shape[1], self.neuron.v_init, dtype=current.dtype)
        spikes, u = np.empty_like(current), np.empty_like(current)
        bptt_forward(current, v, dt(self.alpha), dt(self.neuron.threshold),
                     reset_code(self.neuron.reset), self.surrogate.kind,
                     self.surrogate.param, spikes, u)
        self._shape = x.shape
        self._u, self._s = (u, spikes) if train else (None, None)
        return spikes.reshape(x.shape)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._u is None:
            raise RuntimeError("backward needs a forward pass with train=True first")
        grad_s = self._flat(np.asarray(grad, dtype=self._u.dtype), "grad")
        grad_i = np.empty_like(self._u)
        dt = self._u.dtype.type
        bptt_backward(grad_s, self._u, self._s, dt(self.alpha), dt(self.neuron.threshold),
                      reset_code(self.neuron.reset), self.surrogate.kind,
                      self.surrogate.param, self.detach_reset, grad_i)
        return grad_i.reshape(self._shape)

    @property
    def potentials(self) -> np.ndarray | None:
        """Pre-reset potentials ``u`` of the last training forward pass, ``(T, B, ...)``."""
        if self._u is None:
            return None
        return self._u.reshape((self.T, self._shape[0] // self.T) + self._shape[1:])

    def extra_repr(self) -> str:
        return f"T={self.T}, {self.neuron!r}, {self.surrogate!r}"
