"""``snnlite reproduce classic-mnist``: LeNet on MNIST, converted three classic ways.

1. Train the ANN ``32C5-A2-64C5-A2-128-10`` (average pooling, see
   :func:`~snnlite.experiments.models.lenet`) on the full MNIST training set, or load the
   weights shipped in ``snnlite/data/lenet_mnist.npz`` (made by this very function).
2. Convert it with data-based normalisation (max, and 99.9th percentile; analog input, IF
   neurons with reset by subtraction, B10-B12) and with threshold balancing (Poisson input,
   spec §4.5).
3. Simulate the 10 000 test images for 128 steps and report the accuracy at
   T = 1, 2, 4, ..., 128 next to the ANN's, plus spike and energy counts and the figures.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

from .. import nn
from ..analysis import count_ops
from ..convert import DataNormalization, ThresholdBalancing
from ..datasets import load_mnist, to_float
from .models import lenet
from .report import quick_subset, write_report

__all__ = ["WEIGHTS", "load_pretrained", "train", "convert_all", "main"]

#: File name of the shipped LeNet weights inside the ``snnlite.data`` package.
WEIGHTS = "lenet_mnist.npz"
STEPS = (1, 2, 4, 8, 16, 32, 64, 128)


def load_pretrained() -> nn.Sequential:
    """The shipped LeNet (``snnlite/data/lenet_mnist.npz``), ready for evaluation."""
    model = lenet(rng=0)
    with resources.as_file(resources.files("snnlite.data").joinpath(WEIGHTS)) as path:
        nn.load(model, path)
    return model


def train(epochs: int = 8, seed: int = 0, progress: bool = True):
    """Train the LeNet on full MNIST with Adam and a cosine schedule.

    Returns
    -------
    model : nn.Sequential
    metadata : dict
        Seed, epochs, wall time and test accuracy (stored next to the weights).
    """
    x_train, y_train = load_mnist("train")
    x_test, y_test = load_mnist("test")
    x_train, x_test = to_float(x_train), to_float(x_test)
    model = lenet(rng=seed)
    opt = nn.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    history = nn.fit(model, (x_train, y_train), epochs=epochs, batch_size=128, optimizer=opt,
                     scheduler=nn.CosineLR(opt, t_max=epochs), rng=seed, progress=progress)
    seconds = time.perf_counter() - start
    acc = nn.evaluate(model, x_test, y_test)["accuracy"]
    meta = {"made_by": "snnlite reproduce classic-mnist", "seed": seed, "epochs": epochs,
            "optimizer": "Adam lr 1e-3, cosine to 0, batch 128", "train_seconds": round(seconds),
            "test_accuracy": float(acc), "train_loss_per_epoch": json.dumps(history.loss)}
    return model, meta


def convert_all(model, x_calib, x_test, y_test, T: int = 128, seed: int = 0,
                balance_samples: int = 256, balance_steps: int = 512, progress: bool = True):
    """Accuracy per step of every conversion method, and the networks and results.

    Returns
    -------
    dict
        ``method -> (network, SimulationResult, accuracy per step (T,))``.
    """
    out = {}
    for name, percentile in (("max-norm", 100.0), ("p99.9-norm", 99.9)):
        net = DataNormalization(percentile=percentile).fit(model, x_calib).transform()
        res = net.run(x_test, T, "analog", batch_size=500, progress=progress)
        out[name] = (net, res, res.accuracy_per_step(y_test))
    balancer = ThresholdBalancing(T=balance_steps, rng=seed, progress=progress)
    net = balancer.fit(model, x_calib[:balance_samples]).transform()
    res = net.run(x_test, T, "poisson", batch_size=250, rng=seed, progress=progress)
    out["threshold-balancing"] = (net, res, res.accuracy_per_step(y_test))
    return out


def main(out: Path, epochs: int | None = None, seed: int = 0, retrain: bool = False,
         T: int = 128, quick: bool = False) -> dict:
    """Run the reproduction and write ``classic_mnist.md``, ``.json`` and figures to ``out``.

    ``quick`` evaluates 1 000 test images instead of 10 000."""
    from .. import plot

    out.mkdir(parents=True, exist_ok=True)
    if retrain or epochs is not None:
        model, meta = train(epochs or 8, seed)
        nn.save(model, out / WEIGHTS, metadata=meta)
        print(f"trained in {meta['train_seconds']} s; weights written to {out / WEIGHTS}")
    else:
        model = load_pretrained()
    x_train, _ = load_mnist("train")
    x_test, y_test = load_mnist("test")
    x_calib, x_test = to_float(x_train[:10000]), to_float(x_test)
    x_test, y_test = quick_subset(x_test, y_test, quick)
    ann = nn.evaluate(model, x_test, y_test)["accuracy"]
    start = time.perf_counter()
    results = convert_all(model, x_calib, x_test, y_test, T=T, seed=seed)
    seconds = time.perf_counter() - start
    rows = {name: [float(acc[t - 1]) for t in STEPS if t <= T] for name, (_, _, acc) in
            results.items()}
    lines = ["| method | " + " | ".join(f"T={t}" for t in STEPS if t <= T) + " | ANN |",
             "|---" * (len(rows["max-norm"]) + 2) + "|"]
    for name, accs in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{100 * a:.2f}" for a in accs) +
                     f" | {100 * ann:.2f} |")
    for name, (net, res, _) in results.items():
        report = count_ops(net, res)
        lines.append(f"\n{name}: {report.total('spikes_pos'):.0f} spikes/sample, "
                     f"{report.total('sops'):.3g} SOPs/sample, ANN {report.total('macs'):.3g} "
                     f"MACs, energy efficiency {report.efficiency:.3g}x (45 nm model)")
    lines.append(f"\nseed {seed}; simulation and conversion took {seconds:.0f} s")
    text = write_report(out, "classic_mnist", "\n".join(lines),
                        {"ann": ann, "steps": STEPS, "accuracy": rows})
    ax = plot.accuracy_vs_time({k: v[2] for k, v in results.items()}, reference={"ANN": ann},
                                n_classes=10)
    plot.savefig(ax, out / "accuracy_vs_T.png")
    print(text)
    return rows
