"""The contract every layer of a :class:`~snnlite.snn.network.SpikingNetwork` follows.

A layer is a stateless object: everything that changes while a batch is simulated (neuron
state, counts, recordings) lives in the :class:`~snnlite.snn.context.RunContext` ``ctx``, so
one network can be run again and again. The engines use only what :class:`Layer` declares:

``name``
    Name in results and in ``record``; the network assigns ``layer<i>`` (``<block>.<i>``
    inside a block) when it is None.
``chain(amplitude) -> amplitude``
    Told the amplitude of the incoming spikes (the value each spike carries, set by the
    layer below), return that of the outgoing ones. Called once, in order, when the network
    is built.
``forward_seq(x, ctx)``
    Layer-major engine: ``x`` holds the steps ``ctx.t0 ...`` of a chunk, ``(steps, B, ...)``
    (or a :class:`~snnlite.snn.encoding.ConstantInput`); returns ``(steps, B, ...)``.
``forward_step(x, t, ctx)``
    Step-major engine: ``x`` is one step ``(B, ...)`` at 0-based step ``t``; returns
    ``(B, ...)``. Both entry points must give identical outputs step by step.
``children()``
    The inner layers of a block (a :class:`~snnlite.snn.residual.Residual` branch), in
    simulation order; none for a leaf layer. The network names, walks and records them.
``is_readout``
    True if the output already is the per-step readout value (only the last layer may be
    one); otherwise the network's output is the accumulated spike count of the last layer.
``neuron``
    The :class:`~snnlite.neurons.base.Neuron` of a spiking population, None otherwise.
``records``
    What ``SimulationResult`` can record of the layer: ``("spikes", "v", "v_pre")`` for a
    spiking population, ``("spikes",)`` for event max-pooling, ``()`` for the rest.
``state_arrays(ctx)``
    The arrays of the layer's per-run state, which the network checks for overflow (for
    every leaf layer; a block's children report their own).

Adding a layer type: subclass :class:`Layer`, implement the two ``forward_*`` methods and
override what differs from the defaults; ``tests/snn/test_layer_contract.py`` finds it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

__all__ = ["Layer"]


class Layer(ABC):
    """Base class of every layer of a spiking network (see the module docstring).

    Defaults: a leaf (no children), not a readout, no neuron, nothing to record, and spikes
    pass with their amplitude unchanged.

    Attributes
    ----------
    name : str or None
        Layer name (assigned by the network when None).
    amplitude : float
        Value carried by each outgoing spike.
    in_amplitude : float
        Value carried by each incoming spike (set by :meth:`chain`).
    """

    name: str | None = None
    amplitude: float = 1.0
    in_amplitude: float = 1.0
    is_readout: bool = False
    neuron = None
    records: tuple[str, ...] = ()

    def chain(self, amplitude: float) -> float:
        """Set the amplitude of the incoming spikes; return that of the outgoing ones."""
        return amplitude

    @abstractmethod
    def forward_seq(self, x, ctx) -> np.ndarray:
        """Layer-major: all steps of a chunk, ``(steps, B, ...)`` -> ``(steps, B, ...)``."""

    @abstractmethod
    def forward_step(self, x, t: int, ctx) -> np.ndarray:
        """Step-major: one step ``(B, ...)`` at 0-based step ``t`` -> ``(B, ...)``."""

    def children(self) -> list[Layer]:
        """Inner layers in simulation order (none for a leaf layer)."""
        return []

    def state_arrays(self, ctx) -> list[np.ndarray]:
        """The arrays of this layer's per-run state in ``ctx`` (none before it ran)."""
        state = ctx.state_of(self)
        return [] if state is None else [a for a in state.values() if isinstance(a, np.ndarray)]
