"""Per-run bookkeeping: neuron state, spike counts and recordings of one simulated batch.

Layers are stateless objects; everything that changes while a batch is simulated lives in a
:class:`RunContext`, keyed by the layer. This keeps a network re-runnable and lets both
engines share one implementation of counting and recording.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._jit import njit

__all__ = ["RunContext", "SpikeCounts", "count_spikes"]


@njit
def _count_kernel(spikes, by_sign, pos, neg, step_pos, step_neg):  # pragma: no cover
    """One pass over ``spikes (T, B, N)``: per-neuron and per-step +1/-1 totals.

    Integer spikes count with their value (a multi-spike ``2`` is two events); with
    ``by_sign`` (float input such as spikes times an amplitude) each entry counts as its sign.

    Branch-free (``max(s, 0)``, ``max(-s, 0)``), so the inner loop vectorises: 1.4x faster
    than testing the sign of each entry (W1's hidden layer). Splitting it over the cores was
    slower (it is bound by reading the spikes).
    """
    T, B, N = spikes.shape
    for t in range(T):
        sp, sn = 0, 0
        for b in range(B):
            row = spikes[t, b]
            for i in range(N):
                s = np.int64(np.sign(row[i])) if by_sign else np.int64(row[i])  # no overflow
                p, n = max(s, 0), max(-s, 0)
                pos[i] += p
                neg[i] += n
                sp += p
                sn += n
        step_pos[t] += sp
        step_neg[t] += sn


def count_spikes(spikes: np.ndarray, counts: SpikeCounts, t0: int = 0) -> None:
    """Add the positive and negative events of ``spikes`` ``(T, B, ...)`` to ``counts``.

    Integer spikes count with their value, floats with their sign (no cast of the whole
    tensor). ``t0`` is the step index of ``spikes[0]`` (the step engine passes one step at a
    time).
    """
    T, B = spikes.shape[:2]
    by_sign = not np.issubdtype(spikes.dtype, np.integer)
    _count_kernel(np.ascontiguousarray(spikes).reshape(T, B, -1), by_sign, counts.pos.reshape(-1),
                  counts.neg.reshape(-1), counts.step_pos[t0:t0 + T],
                  counts.step_neg[t0:t0 + T])


@dataclass
class SpikeCounts:
    """Spike events of one layer, summed over the samples of a run.

    Attributes
    ----------
    pos, neg : ndarray of int64, shape (*neuron_shape)
        Number of +1 / -1 events of each neuron position, summed over steps and samples.
    step_pos, step_neg : ndarray of int64, shape (T,)
        Number of +1 / -1 events at each step, summed over neurons and samples.
    """

    pos: np.ndarray
    neg: np.ndarray
    step_pos: np.ndarray
    step_neg: np.ndarray

    @classmethod
    def zeros(cls, shape: tuple[int, ...], T: int) -> SpikeCounts:
        return cls(np.zeros(shape, np.int64), np.zeros(shape, np.int64),
                   np.zeros(T, np.int64), np.zeros(T, np.int64))

    def __iadd__(self, other: SpikeCounts) -> SpikeCounts:
        for name in ("pos", "neg", "step_pos", "step_neg"):
            getattr(self, name)[...] += getattr(other, name)
        return self

    @property
    def total(self) -> int:
        """All events, positive plus negative."""
        return int(self.step_pos.sum() + self.step_neg.sum())


def _memo(store: dict, layer, name: str, compute):
    """``store[(layer, name)]``, made by ``compute()`` on first use."""
    key = (id(layer), name)
    if key not in store:
        store[key] = compute()
    return store[key]


@dataclass
class RunContext:
    """What one simulation of one batch accumulates (see the module docstring).

    Parameters
    ----------
    T : int
        Number of steps.
    dtype : dtype
        Membrane/current dtype of the run.
    record : dict
        Layer name -> set of quantities to keep: ``"spikes"``, ``"v"`` (membrane after the
        reset) and ``"v_pre"`` (membrane before the reset).
    neurons : dict
        Layer name -> flat per-sample neuron indices to keep (all when absent).
    count : bool
        Whether :meth:`observe` counts the spikes into :attr:`counts` (one extra pass over
        each layer's spikes; ``SpikingNetwork.run(count=False)`` skips it).

    weights : dict
        Weight-derived arrays of :meth:`weight_view`, shared between the contexts of one run.

    Attributes
    ----------
    t0 : int
        Step index of the first step of the chunk being simulated: the layer-major engine
        runs long simulations in chunks of steps, and the state carries over between chunks.
    """

    T: int
    dtype: np.dtype
    record: dict = field(default_factory=dict)
    neurons: dict = field(default_factory=dict)
    count: bool = True
    counts: dict = field(default_factory=dict)
    spikes: dict = field(default_factory=dict)
    v: dict = field(default_factory=dict)
    v_pre: dict = field(default_factory=dict)
    t0: int = 0
    weights: dict = field(default_factory=dict)
    _state: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict)

    def state(self, layer, init):
        """The state of ``layer``, created by ``init()`` on first use."""
        key = id(layer)
        if key not in self._state:
            self._state[key] = init()
        return self._state[key]

    def state_of(self, layer) -> dict | None:
        """The state of ``layer`` if it has one yet, else None (nothing is created)."""
        return self._state.get(id(layer))

    def cache(self, layer, name: str, compute):
        """A value computed once per run (for example a constant input current)."""
        return _memo(self._cache, layer, name, compute)

    def weight_view(self, layer, name: str, compute):
        """An array derived from ``layer``'s weights only (such as the input-major copy of
        the event path), computed once per :meth:`SpikingNetwork.run` call: :attr:`weights`
        is shared by the run's shape probe and all its batches (weights do not change
        during a run)."""
        return _memo(self.weights, layer, name, compute)

    def trace_buffers(self, layer, shape: tuple[int, ...]
                      ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Membrane buffers ``(trace, trace_pre)`` for the neuron scan of ``layer``.

        Each is an empty array of ``shape`` if ``layer``'s potential after (``"v"``) or
        before (``"v_pre"``) the reset is recorded, else None.
        """
        wanted = self.record.get(layer.name, ())
        return tuple(np.empty(shape, self.dtype) if key in wanted else None
                     for key in ("v", "v_pre"))

    def _select(self, layer, array: np.ndarray) -> np.ndarray:
        idx = self.neurons.get(layer.name)
        if idx is None:
            return array
        return array.reshape(array.shape[:2] + (-1,))[:, :, np.asarray(idx)]

    def _store(self, store: dict, layer, data: np.ndarray, t0: int) -> None:
        data = self._select(layer, data)
        if layer.name not in store:
            store[layer.name] = np.zeros((self.T,) + data.shape[1:], data.dtype)
        store[layer.name][t0:t0 + len(data)] = data

    def observe(self, layer, spikes: np.ndarray, trace: np.ndarray | None,
                t: int | None = None, trace_pre: np.ndarray | None = None) -> None:
        """Count ``spikes`` ``(steps, B, ...)`` of ``layer`` and keep what is recorded.

        ``trace`` and ``trace_pre`` (same shape as ``spikes``, or None) are the membrane
        after and before the reset. ``t`` is the step index when the step engine passes one
        step; None means the steps of the current chunk, starting at :attr:`t0`.
        """
        t = self.t0 if t is None else t
        if self.count:
            if layer.name not in self.counts:
                self.counts[layer.name] = SpikeCounts.zeros(spikes.shape[2:], self.T)
            count_spikes(spikes, self.counts[layer.name], t)
        wanted = self.record.get(layer.name, ())
        if "spikes" in wanted:
            self._store(self.spikes, layer, spikes, t)
        if trace is not None:
            self._store(self.v, layer, trace, t)
        if trace_pre is not None:
            self._store(self.v_pre, layer, trace_pre, t)
