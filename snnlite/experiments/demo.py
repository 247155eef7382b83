"""``snnlite demo``: the shipped LeNet, converted and simulated on the bundled MNIST sample."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import nn
from ..analysis import count_ops
from ..convert import DataNormalization
from ..datasets import load_mnist_sample, to_float
from .classic_mnist import load_pretrained

__all__ = ["run_demo"]


def run_demo(out: Path, T: int = 32, progress: bool = True) -> dict:
    """Convert, simulate, print accuracy per step and counts, save three figures to ``out``.

    Returns
    -------
    dict
        ``ann`` accuracy, ``snn`` accuracy per step ``(T,)``, the ``figures`` written.
    """
    from .. import plot

    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)  # before simulating: fail early if we cannot
    x_train, _, x_test, y_test = load_mnist_sample()
    x_train, x_test = to_float(x_train), to_float(x_test)
    model = load_pretrained()
    ann = nn.evaluate(model, x_test, y_test)["accuracy"]
    net = DataNormalization(percentile=99.9).fit(model, x_train[:1000]).transform()
    probe = net.spiking_layers()[-1].name
    res = net.run(x_test, T, "analog", batch_size=250, progress=progress,
                  record={probe: ("spikes", "v", "v_pre")})
    acc = res.accuracy_per_step(y_test)
    print(f"snnlite demo: LeNet (shipped weights), MNIST sample of {len(x_test)} test digits, "
          f"99.9-percentile normalisation, IF neurons with reset by subtraction, analog input")
    print(f"ANN accuracy: {100 * ann:.2f} %")
    steps = [t for t in (1, 2, 4, 8, 16, 32, 64, 128, 256) if t <= T]
    print("SNN accuracy: " + ", ".join(f"T={t}: {100 * acc[t - 1]:.1f} %" for t in steps))
    report = count_ops(net, res)
    print(report.table(energy=False))
    print(_energy_per_correct(report, ann, float(acc[-1]), T, n_classes=10))

    spikes, v, v_pre = (r[probe][:, 0] for r in (res.spikes, res.v, res.v_pre))  # first digit
    active = np.argsort(-np.abs(spikes).sum(axis=0))[:3]
    threshold = net.spiking_layers()[-1].neuron.threshold
    figures = [
        plot.savefig(plot.raster(spikes, title=f"{probe}: spikes for one digit"),
                     out / "raster.png"),
        plot.savefig(plot.membrane(v, spikes, threshold=threshold, trace_pre=v_pre,
                                   neurons=active, title=f"{probe}: three most active neurons"),
                     out / "membrane.png"),
        plot.savefig(plot.accuracy_vs_time({"SNN (99.9 % norm.)": acc},
                                           reference={"ANN": ann}, n_classes=10),
                     out / "accuracy_vs_T.png"),
    ]
    print(f"figures written to {out.resolve()}: " + ", ".join(f.name for f in figures))
    print(f"done in {time.perf_counter() - start:.1f} s")
    return {"ann": ann, "snn": acc, "figures": figures}


def _energy_per_correct(report, ann: float, snn: float, T: int, n_classes: int) -> str:
    """Energy per *correct* classification (45 nm model), ANN vs SNN after ``T`` steps.

    Energy per sample alone would favour an SNN that has not yet produced an answer; dividing
    by the accuracy charges it for its mistakes. Below twice chance level (``2 / n_classes``)
    no comparison is printed.
    """
    e_ann, e_snn = report.total("energy_ann"), report.total("energy_snn")
    line = (f"energy per sample (45 nm model): ANN {e_ann * 1e6:.4g} uJ, SNN {e_snn * 1e6:.4g} "
            f"uJ at T={T}")
    if snn < 2 / n_classes:
        return (line + f"\nno energy comparison: the SNN is at chance level at T={T} "
                f"({100 * snn:.1f} % correct, chance {100 / n_classes:.0f} %)")
    per_ann, per_snn = e_ann / ann, e_snn / snn
    ratio = (f"{per_ann / per_snn:.2g}x less" if per_snn <= per_ann else
             f"{per_snn / per_ann:.2g}x more")
    return (line + f"\nenergy per correct classification: ANN {per_ann * 1e6:.4g} uJ "
            f"({100 * ann:.1f} % correct), SNN {per_snn * 1e6:.4g} uJ ({100 * snn:.1f} % "
            f"correct at T={T}): the SNN needs {ratio}")
