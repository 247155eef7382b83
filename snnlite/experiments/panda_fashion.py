"""``snnlite reproduce panda-fashion``: Panda, Aketi & Roy (2020) on Fashion-MNIST.

Five studies (issue text; spec §4, §5.3 for the paper's claims):

0. Best AGD network: our most accurate recipe, a wider VGG (VGG5 at full budget) trained as
   an ANN, then by BPTT.
1. AGD depth vs BackRes: VGG5 vs VGG3x2 (same logical depth) and VGG7 vs VGG3x4, T = 25:
   accuracy, parameters, spikes per layer, energy efficiency vs the same-topology ANN (C8-C11).
2. Stochmax vs softmax heads at T = 5, 10, 25 (mean and spread over 3 seeds).
3. Hybrid: VGG9 (Conv1-2 ReLU) vs VGG8x2, stochmax head, T = 25, each beside its ANN.
4. Conversion with BackRes: VGG7, VGG2x4, VGG3x2 trained as ANNs, converted by threshold
   balancing (Poisson input, §4.5), simulated at several T; thresholds per unrolling.

Every AGD network is ``to_agd(build_vgg(...))``: LIF neurons (alpha 0.99, v_th 1, soft reset,
spec §4.2 defaults), triangle surrogate (C4, gamma 0.3), analog (direct) input — the first
synapse runs once per sample, a documented deviation from the paper's Poisson input that makes
BPTT over 25 steps affordable on two CPU cores — Adam, batch 64. The budget (training images,
epochs, widths) is in :data:`SETTINGS` and written into the report; the defaults are a
*reduced* reproduction sized for a laptop, not the paper's full training.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .. import nn
from ..analysis.agd_energy import agd_energy
from ..convert import ThresholdBalancing
from ..datasets import load_fashion_mnist, to_float
from ..learn.agd import to_agd
from ..neurons import LIF
from .panda_models import build_vgg, describe
from .report import write_json, write_report

__all__ = ["SETTINGS", "main", "train_agd", "train_ann"]

#: Budgets of the full (default) and the quick (smoke test) runs.
SETTINGS = {
    "full": {"n_train": 4000, "n_test": 10000, "epochs": 1, "best_config": "VGG5",
             "best_T": 6, "best_train": 60000, "best_epochs": 1, "best_channels": 32,
             "best_hidden": 256, "best_ann_epochs": 8, "best_lr": 3e-4,
             "channels": 8, "hidden": 128, "n_energy": 500, "stoch_config": "VGG3",
             "stoch_train": 3000, "stoch_epochs": 1, "seeds": (0, 1, 2),
             "conv_T": (25, 50, 100), "balance_T": 128, "balance_n": 100, "conv_test": 1000,
             "ann_epochs": 2, "hybrid_train": 20000},
    "quick": {"n_train": 96, "n_test": 100, "epochs": 1, "best_config": "VGG3",
              "best_T": 4, "best_train": 96, "best_epochs": 1, "best_channels": 4,
              "best_hidden": 16, "best_ann_epochs": 1, "best_lr": 3e-4,
              "channels": 4, "hidden": 16,
              "n_energy": 20, "stoch_config": "VGG3", "stoch_train": 64, "stoch_epochs": 1,
              "seeds": (0, 1), "conv_T": (4, 8), "balance_T": 8, "balance_n": 10,
              "conv_test": 50, "ann_epochs": 1, "hybrid_train": 96},
}


def _data(s: dict) -> tuple:
    x, y = load_fashion_mnist("train")
    xt, yt = load_fashion_mnist("test")
    n = max(s["n_train"], s["best_train"], s["hybrid_train"])
    return to_float(x[:n]), y[:n], to_float(xt[:s["n_test"]]), yt[:s["n_test"]]


def _loss(head: str):
    return nn.stochmax_loss if head == "stochmax" else nn.softmax_cross_entropy


def train_ann(config: str, data: tuple, s: dict, seed: int = 0, head: str = "linear",
              epochs: int | None = None) -> tuple[nn.Sequential, float, float]:
    """Train the ReLU network on ``s["n_train"]`` images; return ``(model, accuracy, seconds)``."""
    x, y, xt, yt = data
    x, y = x[:s["n_train"]], y[:s["n_train"]]
    model = build_vgg(config, channels=s["channels"], hidden=s["hidden"], head=head, rng=seed)
    start = time.perf_counter()
    nn.fit(model, (x, y), epochs or s["ann_epochs"], 64, lr=1e-3, loss=_loss(head), rng=seed)
    acc = nn.evaluate(model, xt, yt, loss=_loss(head))["accuracy"]
    return model, acc, time.perf_counter() - start


def train_agd(config: str, T: int, data: tuple, s: dict, seed: int = 0, head: str = "linear",
              keep_relu: int = 0, n_train: int | None = None, epochs: int | None = None,
              ann_init: int = 0, lr: float = 1e-3) -> dict:
    """Train ``to_agd(build_vgg(config))`` by BPTT; return accuracy, counts, energy, time.

    ``ann_init > 0`` first trains the ReLU network for that many epochs on the same images
    and starts BPTT from its weights (``to_agd`` copies them).
    """
    x, y, xt, yt = data
    n_train = n_train or len(x)
    start = time.perf_counter()
    extra = {"ann_init": ann_init}
    if ann_init:
        ann, ann_accuracy, ann_seconds = train_ann(config, data, dict(s, n_train=n_train),
                                                   seed=seed, head=head, epochs=ann_init)
        extra.update(ann_accuracy=ann_accuracy, ann_seconds=ann_seconds)
    else:
        ann = build_vgg(config, channels=s["channels"], hidden=s["hidden"], head=head, rng=seed)
    info = describe(ann)  # counts only: independent of the weights
    model = to_agd(ann, T, neuron=LIF(alpha=0.99), encoder="analog", keep_relu=keep_relu)
    nn.fit(model, (x[:n_train], y[:n_train]), epochs or s["epochs"], 64, lr=lr,
           loss=_loss(head), rng=seed)
    seconds = time.perf_counter() - start
    acc = nn.evaluate(model, xt, yt, batch_size=100, loss=_loss(head))["accuracy"]
    report = agd_energy(model, xt[:s["n_energy"]], batch_size=100)
    return {"config": config, "T": T, "head": head, "seed": seed, "accuracy": acc,
            "params": info["params"], "real_depth": info["real_depth"],
            "logical_depth": info["logical_depth"], "spikes": report.spikes,
            "rates": [sp / (n * T) for sp, n in zip(report.spikes, report.neurons, strict=True)],
            "ee": report.efficiency, "ee_spiking": report.spiking_efficiency(),
            "seconds": seconds, "n_train": n_train, "epochs": epochs or s["epochs"], **extra}


def _best_study(data, s) -> list[dict]:
    """The most accurate recipe we found: a wider VGG5 trained as an ANN, then by BPTT."""
    best = dict(s, channels=s["best_channels"], hidden=s["best_hidden"])
    return [train_agd(s["best_config"], s["best_T"], data, best, seed=s["seed"],
                      n_train=s["best_train"], epochs=s["best_epochs"],
                      ann_init=s["best_ann_epochs"], lr=s["best_lr"])]


def _depth_study(data, s) -> list[dict]:
    return [train_agd(c, 25, data, s, seed=s["seed"], n_train=s["n_train"])
            for c in ("VGG5", "VGG3x2", "VGG7", "VGG3x4")]


def _stochmax_study(data, s) -> list[dict]:
    rows = []
    for T in (5, 10, 25):
        for head in ("linear", "stochmax"):
            runs = [train_agd(s["stoch_config"], T, data, s, seed=seed, head=head,
                              n_train=s["stoch_train"], epochs=s["stoch_epochs"])
                    for seed in s["seeds"]]
            accs = [r["accuracy"] for r in runs]
            rows.append({"T": T, "head": "softmax" if head == "linear" else head,
                         "mean": float(np.mean(accs)), "std": float(np.std(accs)),
                         "accs": accs, "seconds": sum(r["seconds"] for r in runs)})
    return rows


def _hybrid_study(data, s) -> list[dict]:
    """Each hybrid net starts from its trained ANN (same images) and is fine-tuned by BPTT."""
    rows = []
    keep_relu = 2  # Conv1-2 stay ReLU (hybrid, spec §4.8; = hybrid_split's n_relu)
    for config in ("VGG9", "VGG8x2"):
        rows.append(train_agd(config, 25, data, s, seed=s["seed"], head="stochmax",
                              keep_relu=keep_relu, n_train=s["hybrid_train"],
                              ann_init=s["ann_epochs"]))
    return rows


def _conversion_study(data, s) -> list[dict]:
    x, y, xt, yt = data
    seed = s["seed"]
    rows = []
    for config in ("VGG7", "VGG2x4", "VGG3x2"):
        ann, ann_acc, ann_s = train_ann(config, data, s, seed=seed)
        start = time.perf_counter()
        balancer = ThresholdBalancing(T=s["balance_T"], rng=seed, progress=False)
        net = balancer.fit(ann, x[:s["balance_n"]]).transform()
        n = s["conv_test"]
        res = net.run(xt[:n], max(s["conv_T"]), "poisson", batch_size=250, rng=seed)
        per_step = res.accuracy_per_step(yt[:n])
        rows.append({"config": config, "ann_accuracy": ann_acc, "ann_seconds": ann_s,
                     "thresholds": [float(t) for t in balancer.thresholds_],
                     "labels": list(balancer.labels_),
                     "accuracy": {T: float(per_step[T - 1]) for T in s["conv_T"]},
                     "seconds": time.perf_counter() - start})
    return rows


def _pct(v: float) -> str:
    return f"{100 * v:.2f}"


def _report(results: dict, s: dict, total: float) -> str:
    lines = ["# panda-fashion (Fashion-MNIST, reduced budget)", "",
             f"settings: {json.dumps(s)}; total {total:.0f} s", "",
             "## 0. Best AGD network", "",
             "| net | T | images x (ANN + BPTT) epochs | ANN % | SNN % | EE whole | train s |",
             "|---|---|---|---|---|---|---|"]
    for r in results["best"]:
        ann = _pct(r["ann_accuracy"]) if "ann_accuracy" in r else "-"
        lines.append(f"| {r['config']} | {r['T']} | {r['n_train']} x ({r.get('ann_init', 0)} + "
                     f"{r['epochs']}) | {ann} | {_pct(r['accuracy'])} | {r['ee']:.1f} | "
                     f"{r['seconds']:.0f} |")
    lines += ["", "## 1. AGD depth vs BackRes (T = 25)", "",
             "| net | params | real/logical depth | accuracy % | spike rate per layer | "
             "EE whole | EE spiking | train s |", "|---|---|---|---|---|---|---|---|"]
    for r in results["depth"]:
        rates = ", ".join(f"{100 * v:.1f}%" for v in r["rates"])
        lines.append(f"| {r['config']} | {r['params']} | {r['real_depth']}/{r['logical_depth']}"
                     f" | {_pct(r['accuracy'])} | {rates} | {r['ee']:.1f} | "
                     f"{r['ee_spiking']:.1f} | {r['seconds']:.0f} |")
    lines += ["", f"## 2. Stochmax vs softmax ({s['stoch_config']}, seeds {s['seeds']})", "",
              "| T | head | mean accuracy % | std | train s |", "|---|---|---|---|---|"]
    for r in results["stochmax"]:
        lines.append(f"| {r['T']} | {r['head']} | {_pct(r['mean'])} | {_pct(r['std'])} | "
                     f"{r['seconds']:.0f} |")
    lines += ["", "## 3. Hybrid ReLU/LIF (stochmax head, T = 25)", "",
              "| net | ANN accuracy % | hybrid accuracy % | gap | EE whole | train s |",
              "|---|---|---|---|---|---|"]
    for r in results["hybrid"]:
        lines.append(f"| {r['config']} | {_pct(r['ann_accuracy'])} | {_pct(r['accuracy'])} | "
                     f"{_pct(r['ann_accuracy'] - r['accuracy'])} | {r['ee']:.1f} | "
                     f"{r['seconds']:.0f} |")
    steps = s["conv_T"]
    lines += ["", f"## 4. Conversion with threshold balancing (Poisson input, first "
              f"{s['conv_test']} test images)", "",
              "| net | ANN % | " + " | ".join(f"T={t}" for t in steps) + " | thresholds |",
              "|---|---|" + "---|" * len(steps) + "---|"]
    for r in results["conversion"]:
        th = ", ".join(f"{lab}: {t:.2f}" for lab, t in zip(r["labels"], r["thresholds"],
                                                          strict=True))
        lines.append(f"| {r['config']} | {_pct(r['ann_accuracy'])} | " + " | ".join(
            _pct(r["accuracy"][t]) for t in steps) + f" | {th} |")
    return "\n".join(lines)


def main(out: Path, epochs: int | None = None, seed: int = 0, retrain: bool = False,
         quick: bool = False, studies: tuple[str, ...] = ("best", "depth", "hybrid", "stochmax",
                                                          "conversion")) -> dict:
    """Run the studies; write ``panda_fashion.md`` and ``.json`` into ``out``.

    ``epochs`` overrides ``SETTINGS[...]["epochs"]``, the BPTT epochs of studies 1 and 3
    (studies 0 and 2 have their own ``best_epochs`` / ``stoch_epochs``, the ANNs their
    ``*ann_epochs``); ``seed`` is the seed of studies 0, 1, 3, 4 (study 2 uses
    ``SETTINGS[...]["seeds"]``); ``retrain`` is accepted for the common CLI signature
    (nothing is cached: every study trains); ``quick`` uses the tiny budget.
    """
    s = dict(SETTINGS["quick" if quick else "full"], seed=seed)
    if epochs is not None:
        s["epochs"] = epochs
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = _data(s)
    start = time.perf_counter()
    runners = {"best": _best_study, "depth": _depth_study, "hybrid": _hybrid_study,
               "stochmax": _stochmax_study, "conversion": _conversion_study}
    results = {name: [] for name in runners}
    for name in studies:
        results[name] = runners[name](data, s)
        write_json(out, "panda_fashion", results)
    text = write_report(out, "panda_fashion", _report(results, s, time.perf_counter() - start),
                        results)
    print(text)
    return results
