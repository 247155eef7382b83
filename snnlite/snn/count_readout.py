"""A spiking output layer read out by its net spike counts (QFFS output layer, spec §3.6).

The prediction of a QFFS network is the argmax of the output neurons' net counts ``Z``
(INFERRED). With a 3-bit output layer (``Z <= 7``) equal counts are frequent, so snnlite
breaks ties by the membrane potential, then by the lowest index (spec §7, a snnlite choice).
:class:`CountReadout` makes a plain ``argmax`` do all three by returning, at every step::

    r(t) = Z(t) + tb(V(t)),     tb(V) = 0.5 * sigmoid(V / th) = (1 + tanh(V / (2 th))) / 4

``tb`` lies strictly inside ``(0, 0.5)`` and increases with ``V``, so a larger count always
wins, equal counts are ordered by the membrane, and exact ties of both fall to the lowest
index (``argmax``). ``floor(r)`` recovers the count. (In floating point ``tb`` saturates at
0 or 0.5 for ``|V| >> th``; that never reverses the order of two different counts.)
"""

from __future__ import annotations

import numpy as np

from ..neurons.base import Neuron
from ..nn.module import Module
from .layers import SpikingLayer

__all__ = ["CountReadout"]


class CountReadout(SpikingLayer):
    """Spiking final layer whose per-step output is its net spike count plus a tie-breaker.

    Parameters
    ----------
    synapse, neuron, bias, bias_steps, amplitude, name
        As for :class:`~snnlite.snn.layers.SpikingLayer`. The neuron must have a scalar
        ``threshold`` (``th`` of the tie-break term) and a membrane ``"v"`` in its state
        (QFFS, IF, LIF).

    Raises
    ------
    TypeError
        If the neuron has no scalar ``threshold``.

    Notes
    -----
    Output of ``forward_seq``: ``(T, B, ...)`` in the run's dtype,
    ``r(t) = Z(t) + (1 + tanh(V(t) / (2 th))) / 4`` with ``Z(t)`` the net count after step
    ``t`` (positive minus negative spikes since the start of the run) and ``V(t)`` the
    membrane after step ``t`` (module docstring). As a final layer (``is_readout = True``)
    this is what :meth:`SpikingNetwork.run <snnlite.snn.network.SpikingNetwork.run>`
    returns as ``outputs``; its spikes are counted and recorded like any layer's.

    Examples
    --------
    >>> import numpy as np
    >>> from snnlite import nn
    >>> from snnlite.neurons import QFFS
    >>> from snnlite.snn import SpikingNetwork
    >>> lin = nn.Linear(2, 2, bias=False, dtype=np.float64)
    >>> lin.weight.data[...] = np.eye(2)
    >>> net = SpikingNetwork([CountReadout(lin, QFFS(0.75, z_max=3))])
    >>> out = net.run(np.array([[0.3, 0.35]]), T=6, t_in=3, dtype=np.float64).outputs
    >>> np.floor(out[-1, 0]).tolist(), int(out[-1, 0].argmax())   # equal counts, V decides
    ([1.0, 1.0], 1)
    """

    is_readout = True

    def __init__(self, synapse: Module, neuron: Neuron, *, bias: np.ndarray | None = None,
                 bias_steps: int | None = None, amplitude: float = 1.0,
                 name: str | None = None):
        threshold = getattr(neuron, "threshold", None)
        if threshold is None or np.ndim(threshold) != 0:
            raise TypeError(f"CountReadout needs a neuron with a scalar threshold, got "
                            f"{neuron!r}")
        super().__init__(synapse, neuron, bias=bias, bias_steps=bias_steps,
                         amplitude=amplitude, name=name)

    def _readout(self, spikes: np.ndarray, v: np.ndarray, ctx) -> np.ndarray:
        """``Z(t) + tb(V(t))`` for a chunk of ``spikes`` / membrane ``v`` ``(steps, B, ...)``."""
        count = ctx.cache(self, "count", lambda: np.zeros(spikes.shape[1:], np.int64))
        z = count + np.cumsum(spikes, axis=0, dtype=np.int64)
        count[...] = z[-1]
        half = v.dtype.type(0.5 / self.neuron.threshold)
        return z.astype(v.dtype) + (1 + np.tanh(v * half)) / 4

    def _scan(self, current: np.ndarray, state: dict, ctx, t: int | None = None):
        """Neuron scan that always keeps the membrane (needed by the readout); it counts and
        records through ``ctx`` and returns the spikes and the membrane after the reset."""
        T = current.shape[0]
        kept, trace_pre = ctx.trace_buffers(self, current.shape)
        trace = np.empty(current.shape, ctx.dtype)
        spikes = self.neuron.scan(current.reshape(T, -1), state, trace.reshape(T, -1),
                                  None if trace_pre is None else trace_pre.reshape(T, -1))
        spikes = spikes.reshape(current.shape)
        ctx.observe(self, spikes, None if kept is None else trace, t, trace_pre)
        return spikes, trace

    def forward_seq(self, x, ctx) -> np.ndarray:
        current = self.current_seq(x, ctx)
        B, shape = current.shape[1], current.shape[2:]
        state = ctx.state(self, lambda: self.neuron.init_state(B, shape, ctx.dtype))
        spikes, trace = self._scan(current, state, ctx)
        return self._readout(spikes, trace, ctx)

    def forward_step(self, x, t: int, ctx) -> np.ndarray:
        current = self.current_step(x, t, ctx)[None]
        B, shape = current.shape[1], current.shape[2:]
        state = ctx.state(self, lambda: self.neuron.init_state(B, shape, ctx.dtype))
        spikes, trace = self._scan(current, state, ctx, t)
        return self._readout(spikes, trace, ctx)[0]

    def __repr__(self) -> str:
        return f"CountReadout({self.name}: {self.synapse!r} -> {self.neuron!r})"
