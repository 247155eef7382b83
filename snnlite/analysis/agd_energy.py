"""FLOPs and energy of an AGD / hybrid network the way Panda et al. count them (C8-C11).

For every weighted layer (convolution or linear) of the network, in the order of the
unrolled graph (a BackRes block counts once per unrolling)::

    FLOPS_ANN = MACs of the layer for one sample                        (C8)
    FLOPS_SNN = FLOPS_ANN * SA  per step,  SA = fraction of the layer's
                input entries that are non-zero (spiking) per step      (C9, SA INFERRED)
    E_ANN = sum FLOPS_ANN * E_MAC                                       (C10)
    E_SNN = sum FLOPS_SNN * E_AC * T  over the spiking part             (C11)
            + FLOPS_ANN * E_MAC once per sample for every layer outside it

"Outside the spiking part" are the ReLU block of a hybrid network (§4.8: computed once), the
first layer after a :class:`~snnlite.learn.time_axis.Repeat` (its input is the same real
value at every step, so its current is computed once with multiply-accumulates) and the
non-spiking classifier after :class:`~snnlite.learn.time_axis.SumOverTime`. ``EE =
E_ANN / E_SNN`` compares with the ANN of the same topology. Memory access, leak updates and
data movement are ignored, as in the paper.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from snnlite.analysis.ops import EnergyModel, macs
from snnlite.learn.bptt import Spiking
from snnlite.learn.time_axis import PoissonEncoder, Repeat, SumOverTime
from snnlite.nn.backres import applied
from snnlite.nn.conv import Conv2d
from snnlite.nn.linear import Linear
from snnlite.nn.module import Sequential

__all__ = ["AGDEnergy", "agd_energy"]


@dataclass
class AGDEnergy:
    """Per-layer counts per sample; see the module docstring for the definitions.

    Attributes
    ----------
    rows : list of dict
        One per weighted layer: ``layer``, ``kind`` ("ann", "analog", "spiking",
        "classifier"), ``macs`` (C8), ``sa`` (C9, None outside the spiking part), ``ops``
        (accumulates over all steps, or MACs), ``energy`` (J).
    spikes : list of float
        Spikes per sample of every spiking population, in order.
    neurons : list of int
        Size of every spiking population (per sample).
    T : int
    energy_ann, energy_snn : float
        C10 and C11 totals (J per sample).
    energy_model : EnergyModel
        The per-operation energies used.
    """

    rows: list = field(default_factory=list)
    spikes: list = field(default_factory=list)
    neurons: list = field(default_factory=list)
    T: int = 1
    energy_ann: float = 0.0
    energy_snn: float = 0.0
    energy_model: EnergyModel = field(default_factory=EnergyModel)

    @property
    def efficiency(self) -> float:
        """``EE = E_ANN / E_SNN``."""
        return self.energy_ann / self.energy_snn if self.energy_snn else float("inf")

    def spiking_efficiency(self) -> float:
        """EE of the spiking layers alone (their ANN MACs vs their accumulates)."""
        rows = [r for r in self.rows if r["kind"] == "spiking"]
        snn = sum(r["energy"] for r in rows)
        return sum(r["macs"] for r in rows) * self.energy_model.e_mac / snn if snn else float("inf")


def agd_energy(model: Sequential, x: np.ndarray, energy: EnergyModel | None = None,
               batch_size: int = 250) -> AGDEnergy:
    """Run ``model`` on ``x`` (evaluation mode) and count FLOPs, spikes and energy per sample.

    Parameters
    ----------
    model : Sequential
        A network built by :func:`snnlite.learn.to_agd` (or by hand from the same modules).
    x : (N, ...) array
        Inputs (for example test images).
    energy : EnergyModel, optional
        ``E_MAC`` and ``E_AC`` (default ``EnergyModel()``: 3.2 pJ and 0.1 pJ, 45 nm).
    batch_size : int
        Samples per forward pass.

    Returns
    -------
    AGDEnergy

    Raises
    ------
    ValueError
        If the network has no time axis (no encoder or ``Repeat``).
    """
    energy = EnergyModel() if energy is None else energy
    modules = [m for m, _, _ in applied(model)]
    starts = [m for m in modules if isinstance(m, PoissonEncoder | Repeat)]
    if not starts:
        raise ValueError("model has no PoissonEncoder or Repeat: not an AGD network")
    T, n = starts[0].T, len(x)
    report = AGDEnergy(T=T, energy_model=energy)
    layers, active, spikes = [], 0.0, 0.0
    for begin in range(0, n, batch_size):
        h, phase, fracs, counts = x[begin:begin + batch_size], "ann", [], []
        for m in modules:
            if isinstance(m, Conv2d | Linear):
                if begin == 0:
                    layers.append((m, phase, h.shape[1:]))
                fracs.append(np.count_nonzero(h) / h.size if phase == "spiking" else 0.0)
            h = m.forward(h)
            if isinstance(m, PoissonEncoder | Spiking):
                phase = "spiking"
                if isinstance(m, Spiking):
                    counts.append(float(np.abs(h).sum()))
                    if begin == 0:
                        report.neurons.append(h[0].size)
            elif isinstance(m, Repeat):
                phase = "analog"
            elif isinstance(m, SumOverTime):
                phase = "classifier"
        rows = len(h)  # samples in this batch
        active = np.array(fracs) * rows + active
        spikes = np.array(counts) + spikes
    report.spikes = (spikes / n).tolist()
    for (layer, kind, shape), frac in zip(layers, active / n, strict=True):
        mac = macs(layer, shape)
        if kind == "spiking":
            sa, ops, e = frac, mac * frac * T, mac * frac * T * energy.e_ac  # C9, C11
        else:
            sa, ops, e = None, mac, mac * energy.e_mac
        report.rows.append({"layer": type(layer).__name__, "kind": kind, "macs": mac, "sa": sa,
                            "ops": ops, "energy": e})
        report.energy_ann += mac * energy.e_mac  # C10
        report.energy_snn += e
    return report
