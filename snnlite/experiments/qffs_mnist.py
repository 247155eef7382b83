"""``snnlite reproduce qffs-mnist``: float ANN -> 2-bit QANN (3-bit output) -> QFFS SNN.

Training (spec §3.8; the paper's Table 2 values are unknown, so this is our recipe): the float
LeNet of :func:`~snnlite.experiments.qffs_models.qffs_lenet` is trained with Adam (lr 1e-3,
cosine decay), then a copy whose ReLUs are LSQ quantizers is fine-tuned with Adam (lr 3e-4,
cosine decay). Both on the 60 000 MNIST training images scaled to [0, 1].
"""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

import numpy as np

from .. import nn
from ..analysis import count_ops
from ..convert import QFFSConverter, qann_levels
from ..datasets import load_mnist, to_float
from .qffs_models import qffs_lenet, quantize

__all__ = ["ABLATIONS", "QANN_WEIGHTS", "evaluate_snn", "load_qann", "main", "qann_predictions",
           "train_qann"]

#: File name of the shipped QANN weights inside the ``snnlite.data`` package.
QANN_WEIGHTS = "qffs_lenet_mnist.npz"


def _data():
    x_train, y_train = load_mnist("train")
    x_test, y_test = load_mnist("test")
    return to_float(x_train), y_train, to_float(x_test), y_test


def train_float(data, epochs: int = 4, pool: str = "max", seed: int = 0,
                progress: bool = True) -> nn.Sequential:
    """The float LeNet, trained with Adam (lr 1e-3, cosine decay, batch 128)."""
    model = qffs_lenet(pool=pool, rng=seed)
    opt = nn.Adam(model.parameters(), lr=1e-3)
    nn.fit(model, data[:2], epochs, 128, opt, scheduler=nn.CosineLR(opt, epochs), rng=seed,
           progress=progress)
    return model


def fine_tune(float_model, data, epochs: int = 4, bits: int = 2, out_bits: int | None = 3,
              seed: int = 0, progress: bool = True) -> nn.Sequential:
    """LSQ fine-tuning of a copy of ``float_model`` (Adam lr 3e-4, cosine decay, batch 128)."""
    qann = quantize(float_model, bits, out_bits)
    opt = nn.Adam(qann.parameters(), lr=3e-4)
    nn.fit(qann, data[:2], epochs, 128, opt, scheduler=nn.CosineLR(opt, epochs),
           rng=seed + 1, progress=progress)
    return qann


def train_qann(epochs: int = 4, qat_epochs: int = 4, bits: int = 2, out_bits: int | None = 3,
               seed: int = 0, progress: bool = True):
    """Train the float LeNet, then fine-tune its LSQ-quantized copy on full MNIST.

    Returns
    -------
    float_model, qann : nn.Sequential
    metadata : dict
        Seeds, epochs, wall time and both test accuracies.
    """
    data = _data()
    start = time.perf_counter()
    model = train_float(data, epochs, seed=seed, progress=progress)
    qann = fine_tune(model, data, qat_epochs, bits, out_bits, seed, progress)
    meta = {"made_by": "snnlite reproduce qffs-mnist", "seed": seed, "float_epochs": epochs,
            "qat_epochs": qat_epochs, "bits": bits, "out_bits": out_bits or 0,
            "optimizer": "Adam, lr 1e-3 (float) / 3e-4 (QAT), cosine decay, batch 128",
            "train_seconds": round(time.perf_counter() - start),
            "float_test_accuracy": float(nn.evaluate(model, *data[2:])["accuracy"]),
            "qann_test_accuracy": float(nn.evaluate(qann, *data[2:])["accuracy"])}
    return model, qann, meta


def load_qann(bits: int = 2, out_bits: int | None = 3) -> nn.Sequential:
    """The shipped QANN (``snnlite/data/qffs_lenet_mnist.npz``)."""
    qann = quantize(qffs_lenet(rng=0), bits, out_bits)
    with resources.as_file(resources.files("snnlite.data").joinpath(QANN_WEIGHTS)) as path:
        nn.load(qann, path)
    return qann


def qann_predictions(qann: nn.Sequential, x: np.ndarray) -> np.ndarray:
    """QANN class predictions with the SNN's tie-break: output level, then the residue of
    the output quantizer's input (what the SNN's final membrane holds), then lowest index."""
    levels, inputs = qann_levels(qann, x, return_inputs=True)
    out = qann.layers[-1]
    if not isinstance(out, nn.LSQ):  # float output layer: plain argmax of the logits
        return nn.predict(qann, x).argmax(1)
    residue = inputs[-1] / float(out.step.data) - levels[-1]
    return (levels[-1] + 0.4 / (1 + np.exp(-residue))).argmax(1)


def evaluate_snn(qann, x, y, T: int = 16, batch_size: int = 250, progress: bool = False,
                 record: dict | None = None, **converter_options) -> dict:
    """Convert ``qann`` with :class:`~snnlite.convert.QFFSConverter` and simulate ``T`` steps.

    ``record`` is passed to :meth:`SpikingNetwork.run`.

    Returns
    -------
    dict
        ``accuracy`` per step ``(T,)``, ``agreement`` with the QANN per step, the network,
        the result and the ops report.
    """
    conv = QFFSConverter(**converter_options).fit(qann)
    net = conv.transform()
    res = conv.run(x, T, net=net, batch_size=batch_size, progress=progress, record=record)
    ref = qann_predictions(qann, x)
    return {"accuracy": res.accuracy_per_step(y), "agreement": res.accuracy_per_step(ref),
            "net": net, "result": res, "ops": count_ops(net, res), "t_in": conv.t_in_}


ABLATIONS = {  # name -> QFFSConverter options (Table 4 of the paper, in our words)
    "plain IF (no pre-charge, no negative spikes, no cap)":
        {"precharge": False, "negative": False, "cap": False},
    "+ pre-charge": {"negative": False, "cap": False},
    "+ negative spikes, longer simulation": {"cap": False},
    "+ spike cap (full QFFS)": {},
    "naive spike max-pool": {"pool": "naive"},
}


def _cached(path: Path, make, template: nn.Sequential) -> nn.Sequential:
    """Load ``path`` into ``template`` if it exists, else ``make()`` and save it there."""
    if path.exists():
        return nn.load(template, path)
    model = make()
    nn.save(model, path)
    return model


def variants(out: Path, data, epochs: int = 2, seed: int = 0) -> dict:
    """QANNs for the output-precision and pooling ablations, trained once and cached in ``out``.

    The float max-pool LeNet (cached as ``float_lenet_mnist.npz``) is fine-tuned with a 2-bit
    and with a float output layer; an average-pooling LeNet is trained from scratch and
    fine-tuned with the main recipe's precisions. ``epochs`` applies to every stage.
    """
    base = _cached(out / "float_lenet_mnist.npz", lambda: train_float(data, epochs, seed=seed),
                   qffs_lenet(rng=0))
    avg = _cached(out / "float_avg_lenet_mnist.npz",
                  lambda: train_float(data, epochs, pool="avg", seed=seed),
                  qffs_lenet(pool="avg", rng=0))
    specs = {"2-bit output": (base, 2), "float output": (base, None),
             "average pooling (trained so)": (avg, 3)}
    result = {}
    for name, (float_model, out_bits) in specs.items():
        file = out / f"qann_{name.split()[0]}.npz"
        result[name] = _cached(file, lambda m=float_model, b=out_bits: fine_tune(
            m, data, epochs, 2, b, seed), quantize(float_model, 2, out_bits))
    return result


def main(out: Path, epochs: int | None = None, seed: int = 0, retrain: bool = False,
         T: int = 16, quick: bool = False) -> dict:
    """Run the reproduction; write ``qffs_mnist.md`` and ``.json`` to ``out``.

    ``quick`` uses 1 000 test images (tutorials, smoke tests); otherwise all 10 000.
    """
    out.mkdir(parents=True, exist_ok=True)
    if retrain or epochs is not None:
        _, qann, meta = train_qann(epochs or 4, epochs or 4, seed=seed)
        nn.save(qann, out / QANN_WEIGHTS, metadata=meta)
    else:
        qann = load_qann()
    data = _data()
    x_test, y_test = data[2:]
    if quick:
        x_test, y_test = x_test[:1000], y_test[:1000]
    start = time.perf_counter()
    qann_acc = float((qann_predictions(qann, x_test) == y_test).mean())
    rows, main_run = {}, None
    for name, options in ABLATIONS.items():
        run = evaluate_snn(qann, x_test, y_test, T=T, **options)
        rows[name] = run
        if not options:
            main_run = run
    for name, model in variants(out, data, seed=seed).items():
        rows[name] = evaluate_snn(model, x_test, y_test, T=T)
    seconds = time.perf_counter() - start
    steps = list(range(1, T + 1))
    lines = [f"QANN (2-bit hidden, 3-bit output) accuracy: {100 * qann_acc:.2f} % "
             f"on {len(y_test)} test images", "",
             "| conversion | " + " | ".join(f"T={t}" for t in steps) + " |",
             "|---" * (T + 1) + "|"]
    for name, run in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{100 * a:.2f}" for a in run["accuracy"]) + " |")
    agree = main_run["agreement"]
    lines += ["", "Full QFFS, agreement with the QANN's predictions per step: " +
              ", ".join(f"T={t}: {100 * a:.2f} %" for t, a in zip(steps, agree, strict=True)),
              "", "Spikes and synaptic operations per image (full QFFS):", "",
              "```", main_run["ops"].table(), "```",
              f"\nseed {seed}; conversions and simulations took {seconds:.0f} s"]
    text = "\n".join(lines)
    (out / "qffs_mnist.md").write_text(text + "\n")
    (out / "qffs_mnist.json").write_text(json.dumps(
        {"qann": qann_acc, "steps": steps, "accuracy": {k: v["accuracy"].tolist()
                                                         for k, v in rows.items()},
         "agreement": agree.tolist()}, indent=1))
    print(text)
    return rows
