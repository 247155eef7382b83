"""``snnlite reproduce zou-mnist``: the all-integer LeNet of Zou et al. for k = 0, 1, 2.

For each quantization level ``k``: train the ternary-weight LeNet of
:func:`~snnlite.experiments.zou_models.zou_lenet` on full MNIST (Adam, lr 1e-3 with cosine
decay, batch 128; the paper trains 200 epochs, we train far fewer and say so), convert it with
:class:`~snnlite.convert.ZouConverter` in integer mode (S = 10 000), simulate 30 steps
(spec §2.5) and report, like the paper's Table 1: quantized-ANN accuracy, SNN accuracy per
step, the final stable step, spikes per neuron, the negative/positive spike ratio and the
ANN/SNN operation ratio with 1 MAC = 4 SOPs (spec §2.8), next to the paper's numbers.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

import numpy as np

from .. import nn
from ..analysis import count_ops
from ..convert import ZouConverter
from ..datasets import load_mnist, to_float
from ..nn.io import META_KEY
from ..nn.quant import TernaryConv2d, TernaryLinear, ternarize
from .report import cached, quick_subset, write_report
from .zou_models import count_spiking_neurons, zou_lenet

__all__ = ["PAPER", "PRETRAINED", "QUICK_TRAIN", "evaluate", "load_pretrained", "main",
           "save_compact", "stable_step", "train_lenet"]

#: Shipped compact weights (inside ``snnlite.data``) by quantization level ``k``.
PRETRAINED = {0: "zou_lenet_mnist_k0.npz"}

#: Training images (the first ones) of a ``quick`` run, which trains 1 epoch per level.
QUICK_TRAIN = 5000

#: The paper's LeNet/MNIST numbers (spec §5.1) for the comparison table.
PAPER = {"accuracy_k0": 0.9945, "stable_step_k0": 4, "op_ratio": {0: 7.2, 1: 3.7, 2: 1.9},
         "neg_pos_ratio": "0.15-0.20"}


def train_lenet(k: int, data, epochs: int = 5, seed: int = 0, progress: bool = True):
    """Train the ternary LeNet at level ``k``; return it with its training seconds."""
    model = zou_lenet(k=k, rng=seed)
    opt = nn.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    nn.fit(model, data[:2], epochs, 128, opt, scheduler=nn.CosineLR(opt, epochs), rng=seed,
           progress=progress)
    return model, time.perf_counter() - start


def _ternary_names(module: nn.Module, prefix: str = "") -> list[str]:
    """State names of the weights of every ternary layer (``ternary=True``) in ``module``."""
    names = []
    for name, child in module.children():
        if isinstance(child, (TernaryConv2d, TernaryLinear)) and child.ternary:
            names.append(f"{prefix}{name}.weight")
        names += _ternary_names(child, f"{prefix}{name}.")
    return names


def save_compact(model: nn.Module, path, metadata: dict | None = None) -> None:
    """Save ``model`` for inference only, small: ternary weights as ``int8`` (A3).

    Every ternary layer's float latent weights are replaced by ``ternarize(latent)`` in
    {-1, 0, +1} (``int8``); everything else (the float encoding conv and classifier,
    BatchNorm parameters and running statistics) stays ``float32``. Written with
    ``np.savez_compressed``, with ``metadata`` readable by :func:`snnlite.nn.load_metadata`.

    Notes
    -----
    :func:`snnlite.nn.load` reads the file into a fresh model of the same architecture: the
    ``int8`` values become float latent weights ``t`` in {-1, 0, +1}, and ``ternarize(t) = t``
    (``Delta = 0.7 mean|t| < 1``), so the forward pass and the conversion are unchanged
    exactly. Training the loaded model further does not continue the original run (the
    latent magnitudes are gone).
    """
    arrays = dict(model.state_dict())
    for name in _ternary_names(model):
        arrays[name] = ternarize(arrays[name])
    if metadata is not None:
        arrays[META_KEY] = np.array(json.dumps(metadata))
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def load_pretrained(k: int = 0) -> nn.Sequential:
    """The shipped ternary LeNet for level ``k`` (``snnlite/data/zou_lenet_mnist_k0.npz``).

    Raises
    ------
    ValueError
        If no weights are shipped for ``k`` (see :data:`PRETRAINED`).
    """
    if k not in PRETRAINED:
        raise ValueError(f"weights are shipped for k in {sorted(PRETRAINED)}, got k={k!r}")
    with resources.as_file(resources.files("snnlite.data").joinpath(PRETRAINED[k])) as path:
        return nn.load(zou_lenet(k=k, rng=0), path)


def stable_step(accuracy: np.ndarray) -> int:
    """First step (1-based) after which the accuracy never changes again."""
    changed = np.flatnonzero(accuracy != accuracy[-1])
    return int(changed[-1] + 2) if changed.size else 1


def evaluate(model, x, y, T: int = 30, integer: bool = True, batch_size: int = 500,
             progress: bool = False) -> dict:
    """Convert ``model`` and simulate; return accuracies, counts and the op ratio."""
    conv = ZouConverter(integer=integer).fit(model)
    net = conv.transform()
    res = net.run(x, T, t_in=1, batch_size=batch_size, progress=progress)
    acc = res.accuracy_per_step(y)
    ops = count_ops(net, res, amplitude_sops=True)  # an encoder spike of amplitude 2^K = 2^K SOPs
    # spec §2.8: the encoding layer's own input MACs are excluded, the final dense included
    driven, hidden = ops.rows[1:], ops.rows[1:-1]
    pos = sum(r["spikes_pos"] for r in hidden)
    neg = sum(r["spikes_neg"] for r in hidden)
    neurons = count_spiking_neurons(model, x.shape[1:])
    ann_macs = sum(r["macs"] for r in driven)
    sops = sum(r["sops"] for r in driven)
    return {"accuracy": acc, "stable_step": stable_step(acc), "pos_per_neuron": pos / neurons,
            "neg_per_neuron": neg / neurons, "spikes_per_neuron": (pos + neg) / neurons,
            "neg_pos_ratio": neg / max(pos, 1e-12),
            "op_ratio": 4 * ann_macs / max(sops, 1e-12), "predictions": res.predictions()[-1],
            "ops": ops}


def _write_table(out: Path, rows: dict, seed: int, n_test: int) -> str:
    """Write ``zou_mnist.md`` and ``.json`` for the levels done so far; return the text."""
    lines = ["| k | QANN | SNN (final) | stable step | SNN at steps 1..8 | spikes/neuron | "
             "neg/pos | ANN/SNN ops | int = float |", "|---" * 9 + "|"]
    for k, r in rows.items():
        lines.append(f"| {k} | {100 * r['ann']:.2f} | {100 * r['accuracy'][-1]:.2f} | "
                     f"{r['stable_step']} | " + " ".join(f"{100 * a:.1f}" for a in
                                                         r["accuracy"][:8]) +
                     f" | {r['spikes_per_neuron']:.3f} | {r['neg_pos_ratio']:.3f} | "
                     f"{r['op_ratio']:.2f} | {r['integer_equals_float']} |")
    lines.append(f"\nPaper (spec §5.1): k = 0 SNN {100 * PAPER['accuracy_k0']:.2f} % stable after "
                 f"{PAPER['stable_step_k0']} steps; op ratios {PAPER['op_ratio']}; "
                 f"neg/pos {PAPER['neg_pos_ratio']}.")
    lines.append(f"seed {seed}; {n_test} test images; " + ", ".join(
        f"k={k}: train {'cached' if r['train_seconds'] is None else round(r['train_seconds'])}"
        f" s, simulate {r['sim_seconds']:.0f} s"
        for k, r in rows.items()))
    return write_report(out, "zou_mnist", "\n".join(lines), {str(k): {
        "ann": r["ann"], "accuracy": r["accuracy"].tolist(), "stable_step": r["stable_step"],
        "spikes_per_neuron": r["spikes_per_neuron"], "neg_pos_ratio": r["neg_pos_ratio"],
        "op_ratio": r["op_ratio"]} for k, r in rows.items()})


def _model(k: int, data, out: Path, epochs: int | None, seed: int, retrain: bool,
           quick: bool) -> tuple[nn.Sequential, float | None]:
    """The LeNet of level ``k`` and its training seconds (None if not trained now).

    Order: the model cached in ``out``; the shipped one (full runs without ``retrain`` or
    ``epochs``); else trained (``epochs``, default 5, or 1 when ``quick``) and cached.
    """
    path = out / (f"zou_lenet_k{k}_quick_seed{seed}.npz" if quick else f"zou_lenet_k{k}.npz")
    if not (path.exists() or retrain or quick or epochs is not None) and k in PRETRAINED:
        return load_pretrained(k), None
    n_epochs = epochs or (1 if quick else 5)
    timing = {}

    def make():
        model, timing["seconds"] = train_lenet(k, data, n_epochs, seed)
        return model

    model = cached(path, make, lambda p: nn.load(zou_lenet(k=k, rng=seed), p),
                   lambda m, p: nn.save(m, p, metadata={
                       "k": k, "seed": seed, "epochs": n_epochs, "n_train": len(data[1]),
                       "train_seconds": round(timing["seconds"])}), retrain)
    return model, timing.get("seconds")


def main(out: Path, epochs: int | None = None, seed: int = 0, retrain: bool = False,
         T: int = 30, levels=None, quick: bool = False) -> dict:
    """Train (or load), convert and simulate each ``k``; write the table and figures to ``out``.

    ``levels`` defaults to ``(0, 1, 2)``, or ``(0,)`` when ``quick``. A model cached in
    ``out`` (``zou_lenet_k<k>.npz``) is used unless ``retrain``; else, without ``retrain``
    or ``epochs``, the shipped weights of :data:`PRETRAINED` (k = 0); else the model is
    trained (``epochs`` or 5 epochs) and cached. ``quick`` is a cheap run whose numbers
    depend on ``seed``: each level is trained (``epochs`` or 1 epoch) on the first
    :data:`QUICK_TRAIN` training images (cached as ``zou_lenet_k<k>_quick_seed<seed>.npz``)
    and evaluated on the first 1 000 test images.
    """
    from .. import plot

    out.mkdir(parents=True, exist_ok=True)
    levels = ((0,) if quick else (0, 1, 2)) if levels is None else levels
    x_train, y_train = load_mnist("train")
    x_test, y_test = load_mnist("test")
    data = (to_float(x_train), y_train)
    if quick:
        data = (data[0][:QUICK_TRAIN], data[1][:QUICK_TRAIN])
    x_test, y_test = quick_subset(to_float(x_test), y_test, quick)
    rows = {}
    for k in levels:
        model, seconds = _model(k, data, out, epochs, seed, retrain, quick)
        ann = nn.evaluate(model, x_test, y_test)["accuracy"]
        start = time.perf_counter()
        run = evaluate(model, x_test, y_test, T)
        float_run = evaluate(model, x_test, y_test, T, integer=False)
        run["integer_equals_float"] = bool(np.array_equal(run["predictions"],
                                                          float_run["predictions"]))
        run.update(ann=ann, train_seconds=seconds, sim_seconds=time.perf_counter() - start)
        rows[k] = run
        text = _write_table(out, rows, seed, len(y_test))  # after every k: partial results
    ax = plot.accuracy_vs_time({f"k = {k}": r["accuracy"] for k, r in rows.items()},
                               reference={f"QANN k = {k}": r["ann"] for k, r in rows.items()},
                               n_classes=10)
    plot.savefig(ax, out / "accuracy_vs_T.png")
    ax = plot.bars({"positive": [rows[k]["pos_per_neuron"] for k in rows],
                    "negative": [rows[k]["neg_per_neuron"] for k in rows]},
                   layers=[f"k={k}" for k in rows], ylabel="spikes per neuron per image",
                   title="spike activity by k (Figure 3 analogue)")
    ax.set_xlabel("quantization level")
    plot.savefig(ax, out / "spikes_by_k.png")
    ax = plot.bars({"ANN/SNN operation ratio": [rows[k]["op_ratio"] for k in rows]},
                   layers=[f"k={k}" for k in rows], title="operations (Figure 4 analogue)")
    ax.set_xlabel("quantization level")
    plot.savefig(ax, out / "ops_by_k.png")
    print(text)
    return rows
