"""What :meth:`SpikingNetwork.run <snnlite.snn.network.SpikingNetwork.run>` returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .context import SpikeCounts

__all__ = ["SimulationResult"]


@dataclass
class SimulationResult:
    """Outputs at every step, spike counts per layer, and the recorded spikes/potentials.

    Attributes
    ----------
    outputs : ndarray, shape (T, B, K)
        The readout at every step: accumulated output potential (non-spiking readout) or
        accumulated output spike counts (spiking last layer).
    counts : dict of str -> SpikeCounts
        Per layer (and ``"input"`` for spike inputs): positive and negative events per neuron
        position and per step, summed over the ``B`` samples.
    spikes : dict of str -> ndarray of int8, shape (T, B, ...)
        Recorded spikes (only the layers asked for; ``(T, B, k)`` when neurons were selected).
    v : dict of str -> ndarray, shape (T, B, ...)
        Recorded membrane potentials after each step (after reset), likewise.
    shapes : dict of str -> tuple
        Per-sample output shape of every layer.
    v_pre : dict of str -> ndarray, shape (T, B, ...)
        Recorded membrane potentials before the reset of each step (they reach the threshold
        where a spike is emitted), likewise (``record={layer: "v_pre"}``).
    """

    outputs: np.ndarray
    counts: dict[str, SpikeCounts] = field(default_factory=dict)
    spikes: dict[str, np.ndarray] = field(default_factory=dict)
    v: dict[str, np.ndarray] = field(default_factory=dict)
    shapes: dict[str, tuple] = field(default_factory=dict)
    v_pre: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def T(self) -> int:
        return self.outputs.shape[0]

    @property
    def n_samples(self) -> int:
        return self.outputs.shape[1]

    def predictions(self) -> np.ndarray:
        """Predicted class at every step, ``(T, B)`` (argmax; the lowest index wins ties)."""
        return self.outputs.argmax(axis=-1)

    def accuracy_per_step(self, labels: np.ndarray) -> np.ndarray:
        """Fraction of correct predictions at each step, ``(T,)``.

        Raises
        ------
        ValueError
            If ``labels`` does not have one entry per sample.
        """
        labels = np.asarray(labels)
        if labels.shape != (self.n_samples,):
            raise ValueError(f"labels must have shape ({self.n_samples},), got {labels.shape}")
        return (self.predictions() == labels[None, :]).mean(axis=1)

    def spikes_per_layer(self) -> dict[str, tuple[int, int]]:
        """``{layer: (positive events, negative events)}`` summed over steps and samples."""
        return {k: (int(c.step_pos.sum()), int(c.step_neg.sum())) for k, c in self.counts.items()}

    @classmethod
    def concatenate(cls, parts: list[SimulationResult]) -> SimulationResult:
        """Join results of consecutive batches (outputs/recordings along B, counts summed)."""
        first = parts[0]
        counts = {k: SpikeCounts(*(getattr(c, f).copy() for f in
                                   ("pos", "neg", "step_pos", "step_neg")))
                  for k, c in first.counts.items()}
        for part in parts[1:]:
            for k, c in part.counts.items():
                counts[k] += c
        join = {name: {k: np.concatenate([getattr(p, name)[k] for p in parts], axis=1)
                       for k in getattr(first, name)} for name in ("spikes", "v", "v_pre")}
        return cls(np.concatenate([p.outputs for p in parts], axis=1), counts,
                   join["spikes"], join["v"], dict(first.shapes), join["v_pre"])
