"""Counting spikes, synaptic operations, MACs and energy (spec §2.8, §4.9).

Definitions used throughout (stated once, here):

* **spikes** of a layer: its +1 and -1 events, counted separately, summed over steps.
* **synaptic operations (SOPs)** into a layer: every incoming event times its *fan-out*,
  the number of post-synaptic neurons it reaches through the synapse op (Sinabs' definition;
  border-aware for convolutions: an input pixel near the border reaches fewer outputs). An
  input pixel behind an average pool reaches everything its pooled pixel reaches. With
  ``amplitude_sops=True`` an event of integer amplitude ``a`` counts ``a`` SOPs (Zou's code,
  spec §2.8); otherwise the amplitude is folded into the weights and costs nothing.
* **MACs** of the ANN with the same architecture: one per weight use of every
  convolution / linear op (C8 with SA = 1); pooling adds are not counted. FLOPs = 2 MACs.
* **Event max-pooling** has no synapses: it costs no SOPs here (its comparisons are not
  counted) and its output events are the input events of the next layer.
* A layer fed by **analog input** computes its current once per sample with
  multiply-accumulates: it is charged its MACs, not SOPs.
* **Energy** (C10, C11): ``E_ANN = MACs * E_MAC``; ``E_SNN = SOPs * E_AC`` (+ the analog
  layer's MACs * E_MAC). Memory access, leak updates and data movement are ignored, as in
  the papers; default constants are 45 nm 32-bit integer operations (Horowitz 2014 via
  Han et al. 2015): ``E_MAC = 3.2 pJ``, ``E_AC = 0.1 pJ``.

:func:`fan_out`, :func:`macs` and :class:`EnergyModel` are properties of the ``nn`` ops and
live in :mod:`snnlite.nn.counting` (so the learning code below ``analysis`` can use them);
they are re-exported here.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..nn.counting import EnergyModel, fan_out, macs
from ..snn.context import SpikeCounts
from ..snn.layers import Reshape, SpikingLayer
from ..snn.maxpool import EventMaxPool
from ..snn.residual import Residual

__all__ = ["EnergyModel", "OpsReport", "count_ops", "fan_out", "macs"]

_DEFAULT_ENERGY = EnergyModel()  # frozen: safe as a default argument


@dataclass
class OpsReport:
    """Per-layer and total counts of one simulation, per sample.

    Attributes
    ----------
    rows : list of dict
        One dict per synapse: ``layer``, ``neurons``, ``spikes_pos``, ``spikes_neg``
        (of the layer's own neurons), ``events_in`` (incoming events), ``sops``, ``macs``
        (ANN), ``analog_macs`` (charged to the SNN for an analog-input layer),
        ``energy_ann``, ``energy_snn`` (J); all per sample.
    energy : EnergyModel
    """

    rows: list[dict] = field(default_factory=list)
    energy: EnergyModel = EnergyModel()

    def total(self, key: str) -> float:
        """Sum of column ``key`` over layers."""
        return float(sum(r[key] for r in self.rows))

    @property
    def efficiency(self) -> float:
        """``E_ANN / E_SNN`` for the whole network (inf if the SNN spends nothing)."""
        snn = self.total("energy_snn")
        return float("inf") if snn == 0 else self.total("energy_ann") / snn

    def table(self, energy: bool = True) -> str:
        """The report as aligned text (with the energy line unless ``energy`` is False)."""
        cols = ["layer", "neurons", "spikes_pos", "spikes_neg", "events_in", "sops", "macs"]
        lines = ["  ".join(f"{c:>12}" for c in cols)]
        for r in self.rows + [{"layer": "total", **{c: self.total(c) for c in cols[1:]}}]:
            lines.append("  ".join(f"{r[c]:>12}" if isinstance(r[c], str) else f"{r[c]:>12.4g}"
                                   for c in cols))
        if energy:
            lines.append(f"energy per sample: ANN {self.total('energy_ann') * 1e6:.4g} uJ, "
                         f"SNN {self.total('energy_snn') * 1e6:.4g} uJ, "
                         f"efficiency {self.efficiency:.3g}x")
        return "\n".join(lines)


def count_ops(net, result, energy: EnergyModel = _DEFAULT_ENERGY,
              amplitude_sops: bool = False) -> OpsReport:
    """Count spikes, SOPs, MACs and energy of ``result`` (a run of ``net``), per sample.

    Parameters
    ----------
    net : SpikingNetwork
        The simulated network.
    result : SimulationResult
        Its run; ``result.counts`` holds the events of every layer (and of spike inputs).
    energy : EnergyModel
        Energy per MAC and per accumulate.
    amplitude_sops : bool
        Count an event of integer amplitude ``a`` as ``a`` SOPs (Zou's convention).

    Notes
    -----
    A residual shortcut is counted as extra synapses of the post-addition layer (identity
    shortcut: fan-out 1, no MACs).
    """
    report = OpsReport(energy=energy)
    _walk(net.layers, _Source(result.counts.get("input"), result.shapes["input"], 1.0),
          result, report, amplitude_sops)
    for row in report.rows:
        row["energy_ann"] = row["macs"] * energy.e_mac
        row["energy_snn"] = row["sops"] * energy.e_ac + row["analog_macs"] * energy.e_mac
    return report


@dataclass
class _Source:
    """The events (None for analog input) feeding the next layer, their shape and amplitude."""

    counts: object
    shape: tuple
    amplitude: float


def _walk(layers, src: _Source, result, report: OpsReport, amplitude_sops: bool) -> _Source:
    for layer in layers:
        if isinstance(layer, Residual):
            out = _walk(layer.branch, src, result, report, amplitude_sops)
            _add_synapse(report.rows[-1], layer.shortcut, src, result, amplitude_sops)
            src = out
        elif isinstance(layer, SpikingLayer):  # spiking layers and readouts
            row = {"layer": layer.name, "macs": 0.0, "analog_macs": 0.0, "events_in": 0.0,
                   "sops": 0.0}
            _add_synapse(row, layer.synapse, src, result, amplitude_sops)
            own = result.counts.get(layer.name)
            n = result.n_samples
            row["neurons"] = float(own.pos.size) if own is not None else 0.0
            row["spikes_pos"] = float(own.pos.sum()) / n if own is not None else 0.0
            row["spikes_neg"] = float(own.neg.sum()) / n if own is not None else 0.0
            report.rows.append(row)
            src = _Source(own, result.shapes.get(layer.name), layer.amplitude)
        elif isinstance(layer, EventMaxPool):  # no synapses: its output events feed on
            src = _Source(result.counts[layer.name], result.shapes[layer.name], src.amplitude)
        elif isinstance(layer, Reshape):  # follow the events through it
            src = _Source(None if src.counts is None else _reshaped(src.counts, layer.op),
                          layer.op.forward(np.zeros((1,) + tuple(src.shape)))[0].shape,
                          src.amplitude)
        else:
            raise TypeError(f"cannot count operations of {layer!r}")
    return src


def _add_synapse(row: dict, synapse, src: _Source, result, amplitude_sops: bool) -> None:
    """Add the MACs / SOPs of ``synapse`` fed by ``src`` to ``row`` (per sample)."""
    n = result.n_samples
    layer_macs = 0 if synapse is None else macs(synapse, src.shape)
    row["macs"] += layer_macs
    if src.counts is None:
        row["analog_macs"] += layer_macs
        return
    events = (src.counts.pos + src.counts.neg).astype(np.float64)
    fan = 1 if synapse is None else fan_out(synapse, src.shape)
    weight = src.amplitude if amplitude_sops else 1.0
    row["events_in"] += events.sum() / n
    row["sops"] += float((events * fan).sum()) * weight / n


def _reshaped(counts, op):
    """Counts of a reshape layer's output (for example a flatten)."""
    return SpikeCounts(op.forward(counts.pos[None])[0], op.forward(counts.neg[None])[0],
                       counts.step_pos, counts.step_neg)
