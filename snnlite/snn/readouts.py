"""The readouts: final layers whose per-step output is the network's prediction score.

Every readout is a :class:`~snnlite.snn.layer.Layer` with ``is_readout = True`` built on
:class:`~snnlite.snn.layers.SpikingLayer`, whose synaptic current (``current_seq`` /
``current_step``) is its input current ``I(t)``. The prediction at step ``t`` is the argmax of
its output.

- :class:`Readout`: ``V(t) = V(t-1) + I(t)``, the accumulated current (non-spiking).
- :class:`LeakyReadout`: ``V(t) = alpha V(t-1) + I(t)``, NIR's ``LI`` node, the readout of
  snnTorch and Norse (non-spiking).
- :class:`CountReadout`: spiking neurons read out by their net spike count plus a membrane
  tie-break (QFFS output layer, spec §3.6).
- :class:`StochMaxReadout`: the test-time stochmax score of a converted ``StochMax`` head from
  two accumulators (C7, spec §4.7; non-spiking).

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..neurons.base import Neuron
from ..nn.module import Module
from ..nn.stochmax import EPS, log_keep
from .layers import SpikingLayer, split_bias
from .path_choice import check_path

__all__ = ["CountReadout", "LeakyReadout", "Readout", "StochMaxReadout"]


class Readout(SpikingLayer):
    """Non-spiking output layer: its potential accumulates the input current, never resets.

    ``output(t) = sum_{tau <= t} I(tau)``; the prediction at step ``t`` is its argmax.

    Parameters
    ----------
    synapse, bias, bias_steps, name, path
        As for :class:`~snnlite.snn.layers.SpikingLayer`.
    """

    is_readout = True
    records = ()

    def __init__(self, synapse: Module, *, bias: np.ndarray | None = None,
                 bias_steps: int | None = None, name: str | None = None, path: str = "auto"):
        self.synapse, own_bias = split_bias(synapse)
        self.bias = own_bias if bias is None else np.asarray(bias)
        self.bias_steps, self.name = bias_steps, name
        self.path, self.path_log = check_path(path), Counter()

    def forward_seq(self, x, ctx) -> np.ndarray:
        potential = np.cumsum(self.current_seq(x, ctx), axis=0)
        carry = ctx.state(self, lambda: {"v": 0})
        potential += carry["v"]
        carry["v"] = potential[-1].copy()
        return potential

    def forward_step(self, x, t: int, ctx) -> np.ndarray:
        potential = ctx.state(self, lambda: {"v": 0})
        potential["v"] = potential["v"] + self.current_step(x, t, ctx)
        return potential["v"]

    def __repr__(self) -> str:
        return f"Readout({self.name}: {self.synapse!r})"


class LeakyReadout(Readout):
    """Non-spiking output layer whose potential leaks: the leaky-integrator (LI) readout.

    The readout of many surrogate-gradient networks (snnTorch, Norse) and NIR's ``LI`` node.
    Per step, with ``alpha`` the decay per step and ``I(t)`` the input current::

        V(t) = alpha * V(t-1) + I(t),    V(0) = 0

    ``alpha = 1`` is :class:`Readout`. The prediction at step ``t`` is the argmax of ``V(t)``.

    Parameters
    ----------
    synapse, bias, bias_steps, name
        As for :class:`Readout`.
    alpha : float
        Decay per step, in (0, 1].

    Raises
    ------
    ValueError
        If ``alpha`` is outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from snnlite import nn
    >>> from snnlite.snn import SpikingNetwork
    >>> lin = nn.Linear(1, 1, bias=False, dtype=np.float64)
    >>> lin.weight.data[...] = 1.0
    >>> net = SpikingNetwork([LeakyReadout(lin, alpha=0.5)])
    >>> net.run(np.ones((1, 1)), T=3, dtype=np.float64).outputs[:, 0, 0].tolist()
    [1.0, 1.5, 1.75]
    """

    def __init__(self, synapse: Module, alpha: float, *, bias: np.ndarray | None = None,
                 bias_steps: int | None = None, name: str | None = None):
        super().__init__(synapse, bias=bias, bias_steps=bias_steps, name=name)
        if not 0.0 < float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
        self.alpha = float(alpha)

    def forward_seq(self, x, ctx) -> np.ndarray:
        current = self.current_seq(x, ctx)
        carry = ctx.state(self, lambda: {"v": 0})
        alpha, v = current.dtype.type(self.alpha), carry["v"]
        for t in range(len(current)):  # the same operations, in order, as forward_step
            v = alpha * v + current[t]
            current[t] = v
        carry["v"] = current[-1].copy()
        return current

    def forward_step(self, x, t: int, ctx) -> np.ndarray:
        potential = ctx.state(self, lambda: {"v": 0})
        current = self.current_step(x, t, ctx)
        potential["v"] = current.dtype.type(self.alpha) * potential["v"] + current
        return potential["v"]

    def __repr__(self) -> str:
        return f"LeakyReadout({self.name}: {self.synapse!r}, alpha={self.alpha})"


class CountReadout(SpikingLayer):
    """Spiking final layer whose per-step output is its net spike count plus a tie-breaker.

    The prediction of a QFFS network is the argmax of the output neurons' net counts ``Z``
    (QFFS output layer, spec §3.6, INFERRED). With a 3-bit output layer (``Z <= 7``) equal
    counts are frequent, so snnlite breaks ties by the membrane potential, then by the
    lowest index (spec §7, a snnlite choice). A plain ``argmax`` does all three on the
    output, at every step::

        r(t) = Z(t) + tb(V(t)),     tb(V) = 0.5 * sigmoid(V / th) = (1 + tanh(V / (2 th))) / 4

    ``tb`` lies strictly inside ``(0, 0.5)`` and increases with ``V``, so a larger count
    always wins, equal counts are ordered by the membrane, and exact ties of both fall to the
    lowest index (``argmax``). ``floor(r)`` recovers the count. (In floating point ``tb``
    saturates at 0 or 0.5 for ``|V| >> th``; that never reverses the order of two different
    counts.)

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
    Output of ``forward_seq``: ``(T, B, ...)`` in the run's dtype, ``r(t)`` above with
    ``Z(t)`` the net count after step ``t`` (positive minus negative spikes since the start
    of the run) and ``V(t)`` the membrane after step ``t``. As a final layer
    (``is_readout = True``) this is what
    :meth:`SpikingNetwork.run <snnlite.snn.network.SpikingNetwork.run>` returns as
    ``outputs``; its spikes are counted and recorded like any spiking layer's.

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


class StochMaxReadout(Readout):
    """Non-spiking readout of a StochMax head (C7 test-time scores from accumulated currents;
    spec §4.7: stochmax with conversion).

    Two accumulators integrate the classifier current ``I_o(t)`` and the keep current
    ``I_k(t)`` (both from the last spiking layer, as :class:`Readout` does); at step ``t``
    (1-based) their averages estimate the ANN's ``o`` and ``logit rho``, and the output is
    ``t`` times the ANN's test-time score::

        output(t) = sum_{tau<=t} I_o(tau) + t * log(sigmoid(sum_{tau<=t} I_k(tau) / t) + eps)

    so its argmax is that of ``rho * exp(o)`` for the rate estimates, and with ``rho = 1``
    it equals a plain Readout's output (up to ``t * log(1 + eps)``).

    Parameters
    ----------
    synapse, keep_synapse : nn.Module
        Linear ops giving the classifier and the keep-logit currents.
    bias, keep_bias : ndarray, optional
        Their biases (split off the synapses when omitted).
    eps : float
        ``eps`` of C7.
    name : str, optional
        Layer name.
    """

    def __init__(self, synapse, keep_synapse, *, bias=None, keep_bias=None, eps: float = EPS,
                 name: str | None = None):
        super().__init__(synapse, bias=bias, name=name)
        self.keep = Readout(keep_synapse, bias=keep_bias,
                            name=None if name is None else f"{name}.keep")
        self.eps = float(eps)

    def chain(self, amplitude: float) -> float:
        self.keep.chain(amplitude)
        return super().chain(amplitude)

    def state_arrays(self, ctx) -> list[np.ndarray]:
        """The classifier's and the keep accumulator's potentials."""
        return super().state_arrays(ctx) + self.keep.state_arrays(ctx)

    def _score(self, o_sum: np.ndarray, k_sum: np.ndarray, steps: np.ndarray) -> np.ndarray:
        return (o_sum + steps * log_keep(k_sum / steps, self.eps)).astype(o_sum.dtype, copy=False)

    def forward_seq(self, x, ctx) -> np.ndarray:
        o_sum, k_sum = super().forward_seq(x, ctx), self.keep.forward_seq(x, ctx)
        steps = ctx.t0 + np.arange(1, len(o_sum) + 1).reshape((-1,) + (1,) * (o_sum.ndim - 1))
        return self._score(o_sum, k_sum, steps)

    def forward_step(self, x, t: int, ctx) -> np.ndarray:
        return self._score(super().forward_step(x, t, ctx), self.keep.forward_step(x, t, ctx),
                           np.asarray(t + 1))

    def __repr__(self) -> str:
        return f"StochMaxReadout({self.name}: {self.synapse!r}, keep={self.keep.synapse!r})"
