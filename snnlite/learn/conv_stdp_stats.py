"""Activity totals of a spiking convolutional STDP network and its energy efficiency (C8-C11).

:meth:`snnlite.learn.conv_stdp_net.SpikingConvNet.features` fills an :class:`ActivityStats`
(spikes, neurons, synaptic operations and ANN MACs per LIF population);
:func:`energy_efficiency` turns it into the paper's E_ANN / E_SNN ratios.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from snnlite.nn.counting import EnergyModel

__all__ = ["ActivityStats", "energy_efficiency"]


@dataclass
class ActivityStats:
    """Spike and synaptic-operation totals of a :meth:`SpikingConvNet.features` run.

    Attributes
    ----------
    n_samples : int
        Images simulated.
    spikes : dict
        Total spikes of every LIF population (``"conv2.1"``: layer 2, unrolling 1).
    neurons : dict
        Neurons of every population.
    sops : dict
        Synaptic operations into every population (input events x fan-out, all steps).
    macs : dict
        MACs of one ANN forward pass through the same synapse (C8 with SA = 1).
    """

    n_samples: int = 0
    spikes: dict = field(default_factory=dict)
    neurons: dict = field(default_factory=dict)
    sops: dict = field(default_factory=dict)
    macs: dict = field(default_factory=dict)

    def add(self, key: str, value: float, table: str) -> None:
        d = getattr(self, table)
        d[key] = d.get(key, 0.0) + float(value)

    def per_sample(self, table: str) -> dict:
        """``table`` (``"spikes"`` or ``"sops"``) divided by the number of samples."""
        return {k: v / max(self.n_samples, 1) for k, v in getattr(self, table).items()}


def energy_efficiency(stats: ActivityStats, classifier_macs: int = 0,
                      energy: EnergyModel | None = None) -> dict:
    """EE = E_ANN / E_SNN of the spiking layers and of the whole net (C8-C11).

    The ANN of the same topology spends ``MACs * E_MAC`` per image in every conv application
    (C8, C10; an unrolled layer counts once per unrolling); the SNN spends ``SOPs * E_AC``
    (C9, C11, SOPs summed over the ``T`` steps). The classifier (dense ReLU layers, not spiking)
    is charged ``classifier_macs * E_MAC`` in both, so ``ee_whole < ee_spiking``.

    Returns
    -------
    dict
        ``e_ann_spiking, e_snn_spiking, ee_spiking, e_ann_whole, e_snn_whole, ee_whole`` (J).
    """
    energy = EnergyModel() if energy is None else energy
    ann = sum(stats.macs.values()) * energy.e_mac
    snn = sum(stats.per_sample("sops").values()) * energy.e_ac
    clf = classifier_macs * energy.e_mac
    return {"e_ann_spiking": ann, "e_snn_spiking": snn, "ee_spiking": ann / max(snn, 1e-30),
            "e_ann_whole": ann + clf, "e_snn_whole": snn + clf,
            "ee_whole": (ann + clf) / max(snn + clf, 1e-30)}
