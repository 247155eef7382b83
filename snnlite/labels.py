"""The reader's map: every equation and algorithm label used in snnlite's code.

Docstrings and comments cite the labels of the project's specification of the three papers
(``A9``, ``B15``, ``C4`` ...). This table says, in our own words, what each label states,
where it comes from in its paper, and which function or class implements it, so a reader can
hold the code next to the paper. Print it with ``python -m snnlite.labels`` (or
``snnlite.labels.table()``); ``tests/test_labels.py`` checks that every label used in the code
is here, that every label here is used, and that every ``implemented_by`` path exists.

Papers
------
A  Zou, Xu, Li et al. 2024, "An all-integer SNN with dynamic threshold adaptation"
   (median-quantized ANN with ternary weights -> integer SNN).
B  Li, Ma & Furber 2022, "Quantization Framework for Fast Spiking Neural Networks" (QFFS).
C  Panda, Aketi & Roy 2020, "Toward scalable, efficient and accurate deep spiking neural
   networks with backward residual connections, stochastic softmax and hybridization".

Where a paper's own equation number is known it is given; "code" means the authors' released
code is the source (the paper's text does not print the equation).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["LABELS", "PAPERS", "Label", "table"]

PAPERS = {
    "A": "Zou et al. 2024, all-integer SNN with dynamic threshold adaptation",
    "B": "Li, Ma & Furber 2022, QFFS",
    "C": "Panda, Aketi & Roy 2020, BackRes / stochmax / hybrid",
}


class Label(NamedTuple):
    """One row of the map: where a label comes from, what it says, what implements it."""

    source: str
    statement: str
    implemented_by: str


LABELS: dict[str, Label] = {
    # --- A: Zou et al. 2024 -------------------------------------------------------------
    "A1": Label("code, Quant_Layer (§2.2)",
                "Hidden activations are ReLU'd and rounded half-to-even onto a grid of step "
                "2^-k, after adding 1e-5 so ties round up; no upper clip.",
                "snnlite.nn.quant.MedianQuant"),
    "A2": Label("code, Quant_Layer1 (§2.2)",
                "The first layer clips its ReLU output to [0, 4] and rounds to integers "
                "(k0 = 0), whatever the network's k.",
                "snnlite.nn.quant.MedianQuant"),
    "A3": Label("code, TWN rule (§2.2)",
                "Ternary weights: +1 above 0.7 mean|W|, -1 below its negative, else 0; no "
                "scale factor (BatchNorm absorbs it).",
                "snnlite.nn.quant.ternarize"),
    "A4": Label("code, convert_assign_params (§2.3)",
                "A hidden neuron's threshold step is d = sigma'/gamma of its BatchNorm.",
                "snnlite.convert.zou.ZouConverter"),
    "A5": Label("code, convert_assign_params (§2.3)",
                "Its threshold base b0 = d (1/2 - 2^K beta) + 2^K mu - d folds BatchNorm's "
                "shift and the rounding offset into one bound.",
                "snnlite.convert.zou.ZouConverter"),
    "A6": Label("code, convert_assign_params (§2.3)",
                "The encoding layer's step d1 and base b01, the same mapping at the first "
                "layer's own level k0 = 0.",
                "snnlite.convert.zou.ZouConverter"),
    "A7": Label("code, use_int (§2.3)",
                "Integer mode: thresholds are scaled by S = 10 000 and rounded, so membranes and "
                "thresholds are integers.",
                "snnlite.neurons.dynamic_threshold.DynamicThreshold"),
    "A8": Label("code, Conv2d.forward first_layer (§2.4)",
                "The encoder's membrane m = 2^K W1 x is set once at the first step; it then "
                "bursts one spike per step while m exceeds its next threshold, for T_enc steps.",
                "snnlite.neurons.burst_encoder.BurstEncoder"),
    "A9": Label("code (§2.5)",
                "A hidden neuron adds its weighted input spikes to its membrane m.",
                "snnlite.neurons.dynamic_threshold.DynamicThreshold"),
    "A10": Label("code (§2.5)",
                 "The membrane seen by the comparison is clamped from below at b0.",
                 "snnlite.neurons.dynamic_threshold.DynamicThreshold"),
    "A11": Label("code (§2.5)",
                 "It emits +1 above the upper threshold, -1 below the lower one (minus 1e-5), "
                 "else nothing.",
                 "snnlite.neurons.dynamic_threshold.DynamicThreshold"),
    "A12": Label("code (§2.5)",
                 "Each spike moves the count c and both thresholds by one step d in its "
                 "direction, so the net count tracks the quantized ANN level.",
                 "snnlite.neurons.dynamic_threshold.DynamicThreshold"),
    # --- B: QFFS ------------------------------------------------------------------------
    "B3": Label("eq. 3 (§3.7)",
                "Exact target of max pooling on spikes: the max over the window of the final "
                "spike counts.",
                "snnlite.snn.maxpool.EventMaxPool"),
    "B4": Label("eq. 4 (§3.7)",
                "At every step, the max over the window of the running net counts.",
                "snnlite.snn.maxpool.EventMaxPool"),
    "B5": Label("eq. 5 (§3.7)",
                "The pooled output spike is the change of that running max since the last step.",
                "snnlite.snn.maxpool.EventMaxPool"),
    "B6": Label("eq. 6 (§3.7)",
                "Summed over time, the output spikes telescope ...",
                "snnlite.snn.maxpool.EventMaxPool"),
    "B7": Label("eq. 7 (§3.7)",
                "... to the exact target B3, so event pooling is lossless.",
                "snnlite.snn.maxpool.EventMaxPool"),
    "B8": Label("eq. 8 (§3.3)",
                "The ANN layer being converted: y = ReLU(W y_prev + B).",
                "snnlite.neurons.if_neuron.IF"),
    "B9": Label("eq. 9 (§3.3)",
                "The IF neuron: add the weighted input spikes and the bias, subtract the "
                "threshold after each spike.",
                "snnlite.neurons.if_neuron.IF"),
    "B10": Label("eq. 10 (§3.3)",
                 "Data-based normalisation rescales weights by lambda_prev / lambda, lambda "
                 "being a high percentile of the layer's activations.",
                 "snnlite.convert.normalize.DataNormalization"),
    "B11": Label("eq. 11 (§3.3)",
                 "... and biases by 1 / lambda.",
                 "snnlite.convert.normalize.DataNormalization"),
    "B12": Label("eq. 12 (§3.3)",
                 "... so every threshold can be 1.",
                 "snnlite.convert.normalize.DataNormalization"),
    "B13": Label("eq. 13 (§3.2)",
                 "LSQ: activations are clipped and rounded to 2^b levels of one learned step "
                 "size s per layer.",
                 "snnlite.nn.lsq.LSQ"),
    "B14": Label("eq. 14, Algorithm 1 (§3.5)",
                 "QFFS membrane: add the input current, subtract the threshold times the signed "
                 "spike.",
                 "snnlite.neurons.qffs.QFFS"),
    "B15": Label("eq. 15, Algorithm 1 (§3.5)",
                 "Spike +1 at or above the threshold while the count is below its cap; -1 below "
                 "zero while the count is positive (negative spikes undo excess ones).",
                 "snnlite.neurons.qffs.QFFS"),
    "B16": Label("eq. 16, Algorithm 1 (§3.5)",
                 "The net count Z accumulates the signed spikes; the membrane starts pre-charged "
                 "at half the threshold, so IF's floor becomes the ANN's round.",
                 "snnlite.neurons.qffs.QFFS"),
    "B17": Label("eq. 17 (§3.6)",
                 "QFFS conversion copies the weights unchanged (after BatchNorm folding).",
                 "snnlite.convert.qffs.QFFSConverter"),
    "B18": Label("eq. 18 (§3.6)",
                 "Biases (and the analog input) are injected only during the first 2^b - 1 "
                 "steps.",
                 "snnlite.convert.qffs.QFFSConverter"),
    "B19": Label("eq. 19 (§3.6)",
                 "A population's threshold is (2^b - 1) times its LSQ step size.",
                 "snnlite.convert.qffs.QFFSConverter"),
    "B20": Label("eq. 20 (§3.6)",
                 "The spike cap is the number of quantization levels: 2^b - 1 hidden, "
                 "2^b_out - 1 at the output.",
                 "snnlite.convert.qffs.QFFSConverter"),
    "B21": Label("eq. 21 (§3.6)",
                 "The QFFS mapping divided by (2^b - 1) s: unit spikes, threshold 1 ...",
                 "snnlite.convert.qffs.QFFSConverter"),
    "B22": Label("eq. 22 (§3.6)",
                 "... which is data-based normalisation (B10-B12) with lambda = (2^b - 1) s.",
                 "snnlite.convert.qffs.QFFSConverter"),
    # --- C: Panda, Aketi & Roy 2020 -----------------------------------------------------
    "C2": Label("§4.2 (discrete LIF)",
                "LIF membrane: decay by alpha = exp(-dt / tau_m), then add the input current.",
                "snnlite.neurons.lif.LIF"),
    "C3": Label("§4.2",
                "The input current is the weighted sum of input spikes; a spike is emitted when "
                "the membrane reaches the threshold.",
                "snnlite.neurons.lif.LIF"),
    "C4": Label("§4.3 (Bellec et al. 2018)",
                "Surrogate gradient: the spike's derivative is replaced by a triangle "
                "gamma max(0, 1 - |V - v_th| / v_th), gamma = 0.3.",
                "snnlite.neurons.surrogate.Triangle"),
    "C5": Label("§4.4",
                "STDP: a post spike strengthens a synapse by eta (exp(-dt / tau) - offset), "
                "dt being the time since the last pre spike.",
                "snnlite.learn.stdp.panda_dw"),
    "C6": Label("§4.7",
                "Softmax over the classifier outputs o = W h + b.",
                "snnlite.nn.stochmax.stochmax_probs"),
    "C7": Label("§4.7",
                "Stochmax: each class's exp(o) is weighted by (z + eps), z a learned random "
                "keep mask, so the net learns with classes dropped.",
                "snnlite.nn.stochmax.StochMax"),
    "C8": Label("§4.9",
                "ANN FLOPs of a layer: output positions times fan-in times output channels.",
                "snnlite.nn.counting.macs"),
    "C9": Label("§4.9",
                "SNN operations per step: the ANN FLOPs times the spiking activity SA.",
                "snnlite.analysis.agd_energy.agd_energy"),
    "C10": Label("§4.9",
                 "ANN energy: total FLOPs times the energy of a multiply-accumulate.",
                 "snnlite.analysis.agd_energy.agd_energy"),
    "C11": Label("§4.9",
                 "SNN energy: total operations over T steps times the energy of an add.",
                 "snnlite.nn.counting.EnergyModel"),
}


def table() -> str:
    """The map as a plain-text table, one label per line, grouped by paper."""
    lines = []
    for paper, title in PAPERS.items():
        lines.append(f"{paper}: {title}")
        for name, row in LABELS.items():
            if name.startswith(paper):
                lines.append(f"  {name:<4} {row.source:<34} {row.implemented_by}")
                lines.append(f"       {row.statement}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
