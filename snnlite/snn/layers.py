"""The spiking layer (synapse + neurons) and the reshape layer of a spiking network.

Both follow the :class:`~snnlite.snn.layer.Layer` contract (``forward_seq`` for the
layer-major engine, ``forward_step`` for the step-major one, state kept in the
:class:`~snnlite.snn.context.RunContext`). The readouts, which reuse the spiking layer's
synaptic current, are in :mod:`snnlite.snn.readouts`.

A spiking layer's input current at step ``t`` is (B14 in its general form)::

    I(t) = a_in * synapse(s_in(t)) + bias * 1[t < bias_steps]

where ``s_in`` are the incoming spikes (or the analog input), ``a_in`` the amplitude of those
spikes (set by the network from the layer below) and ``synapse`` any linear ``nn`` op without
bias (``Linear``, ``Conv2d``, ``AvgPool2d``, ``Flatten``, or an ``nn.Sequential`` of them).

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import copy
from collections import Counter

import numpy as np

from ..neurons.base import Neuron
from ..nn.module import Module, Sequential
from .encoding import ConstantInput
from .fused_scan import fused_event_scan
from .layer import Layer
from .path_choice import check_path, linear_current
from .synapse_paths import synaptic_current

__all__ = ["SpikingLayer", "Reshape", "split_bias"]


def split_bias(op: Module) -> tuple[Module, np.ndarray | None]:
    """Return a copy of ``op`` without its bias, and the bias (or None).

    For an ``nn.Sequential`` only the last op may carry a bias (a synapse is linear).
    """
    if isinstance(op, Sequential):
        *head, last = op.layers
        for i, layer in enumerate(head):
            if getattr(layer, "bias", None) is not None:
                raise ValueError(f"synapse op {i} ({layer!r}) has a bias; only the last may")
        last, bias = split_bias(last)
        return Sequential(*head, last), bias
    bias = getattr(op, "bias", None)
    if bias is None:
        return op, None
    op = copy.copy(op)
    op.bias = None
    return op, bias.data.copy()


def _flat(trace: np.ndarray | None, steps: int) -> np.ndarray | None:
    """A ``(steps, B, ...)`` recording buffer as the ``(steps, N)`` view a neuron scan fills."""
    return None if trace is None else trace.reshape(steps, -1)


def _broadcast_bias(bias: np.ndarray, out_ndim: int) -> np.ndarray:
    """Shape a per-channel bias ``(C,)`` to broadcast over ``(B, C, ...)``."""
    return bias.reshape(bias.shape + (1,) * (out_ndim - 2))


class SpikingLayer(Layer):
    """A synapse (linear ``nn`` op) followed by a population of spiking neurons.

    Its synaptic current is computed in one place, :meth:`current_seq` (layer-major) and
    :meth:`current_step` (step-major); the readouts and the residual block reuse them.

    Parameters
    ----------
    synapse : nn.Module
        Linear op computing the current from the incoming spikes. If it carries a bias, the
        bias is split off and injected according to ``bias_steps``.
    neuron : Neuron
        The neuron model (:mod:`snnlite.neurons`).
    bias : ndarray, optional
        Per-channel bias ``(C_out,)`` (instead of the synapse's own).
    bias_steps : int, optional
        Inject the bias only for the first ``bias_steps`` steps (QFFS B18); every step if None.
    amplitude : float
        Value carried by each output spike; the next layer's current is scaled by it.
    name : str, optional
        Name used in results (the network assigns ``layer<i>`` when omitted).
    path : {"auto", "dense", "event"}
        How an ``nn.Linear`` synapse computes the current from spikes: one dense product, by
        adding the weight rows of the inputs that spiked, or the faster of the two for the
        density of each chunk (:mod:`snnlite.snn.path_choice`). Same spikes either way.

    Attributes
    ----------
    path_log : collections.Counter
        How many chunks (or steps) each path computed in the last run
        (``{"dense": n, "event": m}``).
    """

    records = ("spikes", "v", "v_pre")

    def __init__(self, synapse: Module, neuron: Neuron, *, bias: np.ndarray | None = None,
                 bias_steps: int | None = None, amplitude: float = 1.0,
                 name: str | None = None, path: str = "auto"):
        if not isinstance(synapse, Module):
            raise TypeError(f"synapse must be an nn.Module, got {type(synapse).__name__}")
        if not isinstance(neuron, Neuron):
            raise TypeError(f"neuron must be a snnlite Neuron, got {type(neuron).__name__}")
        if bias_steps is not None and bias_steps < 0:
            raise ValueError(f"bias_steps must be >= 0 or None, got {bias_steps}")
        self.synapse, own_bias = split_bias(synapse)
        self.bias = own_bias if bias is None else np.asarray(bias)
        self.neuron, self.bias_steps = neuron, bias_steps
        self.amplitude, self.in_amplitude = float(amplitude), 1.0
        self.name = name
        self.path, self.path_log = check_path(path), Counter()

    def chain(self, amplitude: float) -> float:
        """Set the amplitude of the incoming spikes; return that of the outgoing ones."""
        self.in_amplitude = float(amplitude)
        return self.amplitude

    # -- current -------------------------------------------------------------------------
    def _synaptic(self, x: np.ndarray, dtype) -> np.ndarray:
        """``a_in * synapse(x)`` for a batch of rows ``x`` ``(R, ...)`` (the fastest path
        for the input, :func:`~snnlite.snn.synapse_paths.synaptic_current`)."""
        return synaptic_current(self.synapse, x, dtype, self.in_amplitude)

    def current_seq(self, x, ctx, shared: bool = False) -> np.ndarray:
        """Input current for the steps of ``x`` (the chunk starting at ``ctx.t0``),
        ``(steps, B, ...)`` in the run's dtype.

        The one place where the layer-major engine turns incoming spikes (or analog input)
        into current, ``a_in * synapse(x) + bias * 1[t < bias_steps]``: this is the hook for
        another way to compute ``synapse(x)`` (such as an event-driven path for spikes),
        which every layer built on :class:`SpikingLayer` (readouts, residual blocks) then
        uses. The result must be a fresh, writable array: callers add into it. Only with
        ``shared`` (the layer's own scan, which only reads it), a constant current without
        bias comes back as a read-only broadcast of one step (no ``steps`` copies).
        """
        if isinstance(x, ConstantInput):  # analog input: one synapse pass per run, not T
            once = ctx.cache(self, "constant_current", lambda: self._synaptic(x.value, ctx.dtype))
            if shared and self.bias is None and x.steps_on == x.T:
                return np.broadcast_to(once, (x.T,) + once.shape)
            current = np.zeros((x.T,) + once.shape, once.dtype)
            current[: x.steps_on] = once
        elif (current := linear_current(self, x, ctx)) is None:
            flat = self._synaptic(x.reshape((-1,) + x.shape[2:]), ctx.dtype)
            current = flat.reshape(x.shape[:2] + flat.shape[1:])
        if self.bias is not None:
            steps = len(current) if self.bias_steps is None else self.bias_steps - ctx.t0
            if steps > 0:
                current[:steps] += _broadcast_bias(self.bias, current.ndim - 1).astype(
                    current.dtype, copy=False)
        return current

    def current_step(self, x, t: int, ctx) -> np.ndarray:
        """Input current at step ``t``, ``(B, ...)``: the step-major counterpart of
        :meth:`current_seq`, giving the same current for that step."""
        if isinstance(x, ConstantInput):
            once = ctx.cache(self, "constant_current", lambda: self._synaptic(x.value, ctx.dtype))
            current = once.copy() if t < x.steps_on else np.zeros_like(once)
        elif (current := linear_current(self, x, ctx)) is None:
            current = self._synaptic(x, ctx.dtype)
        if self.bias is not None and (self.bias_steps is None or t < self.bias_steps):
            current += _broadcast_bias(self.bias, current.ndim).astype(current.dtype, copy=False)
        return current

    # -- neurons -------------------------------------------------------------------------
    def integrate_seq(self, current: np.ndarray, ctx) -> np.ndarray:
        """Run the neuron scan over a whole ``(T, B, ...)`` current; record; return spikes."""
        T, B, shape = current.shape[0], current.shape[1], current.shape[2:]
        state = ctx.state(self, lambda: self.neuron.init_state(B, shape, ctx.dtype))
        trace, trace_pre = ctx.trace_buffers(self, current.shape)
        spikes = self.neuron.scan(current.reshape(T, -1), state, _flat(trace, T),
                                  _flat(trace_pre, T))
        spikes = spikes.reshape(current.shape)
        ctx.observe(self, spikes, trace, trace_pre=trace_pre)
        return spikes

    def integrate_step(self, current: np.ndarray, t: int, ctx) -> np.ndarray:
        """One step of the neuron scan on a ``(B, ...)`` current."""
        B, shape = current.shape[0], current.shape[1:]
        state = ctx.state(self, lambda: self.neuron.init_state(B, shape, ctx.dtype))
        trace, trace_pre = ctx.trace_buffers(self, (1,) + current.shape)
        spikes = self.neuron.scan(current.reshape(1, -1), state, _flat(trace, 1),
                                  _flat(trace_pre, 1))
        spikes = spikes.reshape(current.shape)
        ctx.observe(self, spikes[None], trace, t, trace_pre)
        return spikes

    def forward_seq(self, x, ctx) -> np.ndarray:
        """Spikes of the chunk ``x``: synapse and neurons in one pass where that applies
        (:func:`~snnlite.snn.fused_scan.fused_event_scan`), else current, then scan."""
        spikes = fused_event_scan(self, x, ctx)
        if spikes is None:
            spikes = self.integrate_seq(self.current_seq(x, ctx, shared=True), ctx)
        return spikes

    def forward_step(self, x, t: int, ctx) -> np.ndarray:
        return self.integrate_step(self.current_step(x, t, ctx), t, ctx)

    def __repr__(self) -> str:
        return (f"SpikingLayer({self.name}: {self.synapse!r} -> {self.neuron!r}, "
                f"amplitude={self.amplitude:g})")


class Reshape(Layer):
    """A stateless shape change of the spike tensor (for example ``nn.Flatten``); the spikes
    keep their amplitude.

    Parameters
    ----------
    op : nn.Module
        A shape-only op applied to each step's ``(B, ...)`` spikes.
    name : str, optional
        Layer name.
    """

    def __init__(self, op: Module, name: str | None = None):
        self.op, self.name = op, name

    def forward_step(self, x, t: int, ctx):
        if isinstance(x, ConstantInput):
            return ConstantInput(self.op.forward(x.value), x.T, x.t_in)
        return self.op.forward(x)

    def forward_seq(self, x, ctx):
        if isinstance(x, ConstantInput):
            return self.forward_step(x, 0, ctx)
        out = self.op.forward(x.reshape((-1,) + x.shape[2:]))
        return out.reshape(x.shape[:2] + out.shape[1:])

    def __repr__(self) -> str:
        return f"Reshape({self.op!r})"
