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
    print(report.table())

    out.mkdir(parents=True, exist_ok=True)
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
