"""``snnlite reproduce qffs-mnist``: float ANN -> 2-bit QANN (3-bit output) -> QFFS SNN.

Two networks (spec §3.8; the paper's Table 2 values are unknown, so this is our recipe):

- the max-pool LeNet of :func:`~snnlite.experiments.qffs_models.qffs_lenet` on MNIST, with
  the conversion ablations (Table 4 of the paper, in our words);
- the small ResNet of :func:`~snnlite.experiments.qffs_models.qffs_resnet` on Fashion-MNIST
  (issue 4: the paper's headline results are on ResNets; residual blocks convert in the
  current domain, spec §3.6).

Each is trained as a float ReLU network with Adam (lr 1e-3, cosine decay), then a copy whose
ReLUs are LSQ quantizers is fine-tuned with Adam (lr 3e-4, cosine decay), on the 60 000
training images scaled to [0, 1].
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import nn
from ..analysis import count_ops
from ..convert import QFFSConverter, qann_levels
from ..datasets import load_fashion_mnist, load_mnist, to_float
from .qffs_models import qffs_lenet, qffs_resnet, quantize
from .report import cached, quick_subset, write_report

__all__ = ["ABLATIONS", "ARCHS", "QANN_WEIGHTS", "Arch", "evaluate_snn", "load_qann", "main",
           "qann_predictions", "resnet_section", "train_qann"]


class Arch(NamedTuple):
    """A network of the reproduction: float builder ``build(rng)``, dataset loader, shipped
    QANN file in ``snnlite.data`` and default epochs (float and LSQ stages each)."""

    build: Callable
    load: Callable
    weights: str
    epochs: int


ARCHS = {
    "lenet": Arch(lambda rng: qffs_lenet(rng=rng), load_mnist, "qffs_lenet_mnist.npz", 4),
    "resnet": Arch(lambda rng: qffs_resnet(rng=rng), load_fashion_mnist,
                   "qffs_resnet_fashion.npz", 2),
}

#: File name of the shipped LeNet QANN weights inside the ``snnlite.data`` package.
QANN_WEIGHTS = ARCHS["lenet"].weights


def _arch(arch: str) -> Arch:
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {sorted(ARCHS)}, got {arch!r}")
    return ARCHS[arch]


def _data(arch: str = "lenet", train: bool = True):
    """``(x_train, y_train, x_test, y_test)`` of the architecture's dataset, in [0, 1]
    (only ``x_test, y_test`` with ``train=False``)."""
    load = _arch(arch).load
    x_test, y_test = load("test")
    if not train:
        return to_float(x_test), y_test
    x_train, y_train = load("train")
    return to_float(x_train), y_train, to_float(x_test), y_test


def train_float(data, epochs: int = 4, pool: str = "max", seed: int = 0,
                progress: bool = True, model: nn.Sequential | None = None) -> nn.Sequential:
    """Train ``model`` (default: the float LeNet with ``pool``, initialised with ``seed``)
    with Adam (lr 1e-3, cosine decay, batch 128) on ``data[:2]``; return it."""
    if model is None:
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
               seed: int = 0, progress: bool = True, arch: str = "lenet", data=None):
    """Train the float network ``arch``, then fine-tune its LSQ-quantized copy.

    ``arch`` is a key of :data:`ARCHS` (``"lenet"``: MNIST, ``"resnet"``: Fashion-MNIST);
    ``data`` (``x_train, y_train, x_test, y_test``) defaults to that full dataset.

    Returns
    -------
    float_model, qann : nn.Sequential
    metadata : dict
        Architecture, dataset, seeds, epochs, wall time and both test accuracies.
    """
    build, load, _, _ = _arch(arch)
    data = _data(arch) if data is None else data
    start = time.perf_counter()
    model = train_float(data, epochs, seed=seed, progress=progress, model=build(seed))
    qann = fine_tune(model, data, qat_epochs, bits, out_bits, seed, progress)
    meta = {"made_by": "snnlite reproduce qffs-mnist", "arch": arch, "dataset": load.__name__,
            "seed": seed, "float_epochs": epochs,
            "qat_epochs": qat_epochs, "bits": bits, "out_bits": out_bits or 0,
            "optimizer": "Adam, lr 1e-3 (float) / 3e-4 (QAT), cosine decay, batch 128",
            "train_seconds": round(time.perf_counter() - start),
            "float_test_accuracy": float(nn.evaluate(model, *data[2:])["accuracy"]),
            "qann_test_accuracy": float(nn.evaluate(qann, *data[2:])["accuracy"])}
    return model, qann, meta


def load_qann(bits: int = 2, out_bits: int | None = 3, arch: str = "lenet") -> nn.Sequential:
    """The shipped QANN of ``arch`` (``snnlite/data/qffs_lenet_mnist.npz`` or
    ``qffs_resnet_fashion.npz``)."""
    build, _, file, _ = _arch(arch)
    qann = quantize(build(0), bits, out_bits)
    with resources.as_file(resources.files("snnlite.data").joinpath(file)) as path:
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
    return cached(path, make, lambda p: nn.load(template, p), nn.save)


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


def _qann(arch: str, out: Path, epochs: int | None, seed: int, retrain: bool) -> tuple:
    """The QANN of ``arch`` and its metadata: trained (and saved to ``out``) when ``retrain``
    or ``epochs`` is given, else the shipped one."""
    if retrain or epochs is not None:
        n = epochs or ARCHS[arch].epochs
        _, qann, meta = train_qann(n, n, seed=seed, arch=arch)
        nn.save(qann, out / ARCHS[arch].weights, metadata=meta)
        return qann, meta
    with resources.as_file(resources.files("snnlite.data").joinpath(
            ARCHS[arch].weights)) as path:
        return load_qann(arch=arch), nn.load_metadata(path)


def resnet_section(qann, meta: dict, x, y, T: int = 16) -> tuple[list[str], dict]:
    """Full QFFS conversion of the ResNet QANN on ``x, y``: markdown lines and a JSON dict.

    The QANN accuracy is given both with a plain argmax of its output and with the SNN's
    tie-break (:func:`qann_predictions`), against which the agreement is measured.
    """
    start = time.perf_counter()
    plain = nn.evaluate(qann, x, y)["accuracy"]
    tie_break = float((qann_predictions(qann, x) == y).mean())
    run = evaluate_snn(qann, x, y, T=T)
    seconds = time.perf_counter() - start
    steps = range(1, T + 1)
    lines = ["", "## Small ResNet on Fashion-MNIST (full QFFS)", "",
             f"`qffs_resnet()` (16C3-BN-MP2, residual blocks 16/32 with 2-bit LSQ, "
             f"global average pool, 3-bit output); seed {meta.get('seed', '?')}, "
             f"{meta.get('float_epochs', '?')} float + {meta.get('qat_epochs', '?')} LSQ "
             f"epochs ({meta.get('train_seconds', '?')} s). Float ResNet "
             f"{100 * meta.get('float_test_accuracy', float('nan')):.2f} % on the full test "
             f"set; QANN {100 * plain:.2f} % (plain argmax), {100 * tie_break:.2f} % (SNN "
             f"tie-break) on {len(y)} test images.", "",
             "| | " + " | ".join(f"T={t}" for t in steps) + " |", "|---" * (T + 1) + "|",
             "| SNN accuracy | " + " | ".join(f"{100 * a:.2f}" for a in run["accuracy"]) + " |",
             "| agreement with QANN | " + " | ".join(f"{100 * a:.2f}" for a in run["agreement"])
             + " |", "", "Spikes and synaptic operations per image (ResNet, full QFFS):", "",
             "```", run["ops"].table(), "```",
             f"\nResNet conversion and simulation took {seconds:.0f} s"]
    return lines, {"float": meta.get("float_test_accuracy"), "qann": plain,
                   "qann_tie_break": tie_break, "accuracy": run["accuracy"].tolist(),
                   "agreement": run["agreement"].tolist()}


def main(out: Path, epochs: int | None = None, seed: int = 0, retrain: bool = False,
         T: int = 16, quick: bool = False, archs: tuple[str, ...] = ("lenet", "resnet")) -> dict:
    """Run the reproduction; write ``qffs_mnist.md`` and ``.json`` to ``out``.

    ``archs`` selects the LeNet part (MNIST, with the ablations) and/or the ResNet part
    (Fashion-MNIST, full QFFS only). ``quick`` uses 1 000 test images (tutorials, smoke
    tests); otherwise all 10 000. Returns the LeNet rows (name -> run) and, under
    ``"resnet"``, the ResNet's JSON dict.
    """
    out.mkdir(parents=True, exist_ok=True)
    for arch in archs:
        _arch(arch)
    lines, summary, rows = [], {}, {}
    if "lenet" in archs:
        rows, lines, summary = _lenet_part(out, epochs, seed, retrain, T, quick)
    if "resnet" in archs:
        qann, meta = _qann("resnet", out, epochs, seed, retrain)
        x_test, y_test = _data("resnet", train=False)
        more, summary["resnet"] = resnet_section(qann, meta,
                                                 *quick_subset(x_test, y_test, quick), T)
        lines += more
        rows["resnet"] = summary["resnet"]
    text = write_report(out, "qffs_mnist", "\n".join(lines), summary)
    print(text)
    return rows


def _lenet_part(out: Path, epochs: int | None, seed: int, retrain: bool, T: int,
                quick: bool) -> tuple[dict, list[str], dict]:
    """The LeNet/MNIST part: full QFFS, the ablations and the variants."""
    qann, _ = _qann("lenet", out, epochs, seed, retrain)
    data = _data()
    x_test, y_test = data[2:]
    x_test, y_test = quick_subset(x_test, y_test, quick)
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
    summary = {"qann": qann_acc, "steps": steps, "accuracy": {k: v["accuracy"].tolist()
                                                             for k, v in rows.items()},
               "agreement": agree.tolist()}
    return rows, lines, summary
