"""``snnlite reproduce qffs-mnist``: float ANN -> 2-bit QANN (3-bit output) -> QFFS SNN.

Training (spec §3.8; the paper's Table 2 values are unknown, so this is our recipe): the float
LeNet of :func:`~snnlite.experiments.qffs_models.qffs_lenet` is trained with Adam (lr 1e-3,
cosine decay), then a copy whose ReLUs are LSQ quantizers is fine-tuned with Adam (lr 3e-4,
cosine decay). Both on the 60 000 MNIST training images scaled to [0, 1].
"""

from __future__ import annotations

import time
from importlib import resources

from .. import nn
from ..datasets import load_mnist, to_float
from .qffs_models import qffs_lenet, quantize

__all__ = ["QANN_WEIGHTS", "train_qann", "load_qann"]

#: File name of the shipped QANN weights inside the ``snnlite.data`` package.
QANN_WEIGHTS = "qffs_lenet_mnist.npz"


def train_qann(epochs: int = 4, qat_epochs: int = 4, bits: int = 2, out_bits: int | None = 3,
               seed: int = 0, progress: bool = True):
    """Train the float LeNet, then fine-tune its LSQ-quantized copy on full MNIST.

    Returns
    -------
    float_model, qann : nn.Sequential
    metadata : dict
        Seeds, epochs, wall time and both test accuracies.
    """
    x_train, y_train = load_mnist("train")
    x_test, y_test = load_mnist("test")
    x_train, x_test = to_float(x_train), to_float(x_test)
    start = time.perf_counter()
    model = qffs_lenet(rng=seed)
    opt = nn.Adam(model.parameters(), lr=1e-3)
    nn.fit(model, (x_train, y_train), epochs, 128, opt, scheduler=nn.CosineLR(opt, epochs),
           rng=seed, progress=progress)
    float_acc = nn.evaluate(model, x_test, y_test)["accuracy"]
    qann = quantize(model, bits, out_bits)
    opt = nn.Adam(qann.parameters(), lr=3e-4)
    nn.fit(qann, (x_train, y_train), qat_epochs, 128, opt,
           scheduler=nn.CosineLR(opt, qat_epochs), rng=seed + 1, progress=progress)
    meta = {"made_by": "snnlite reproduce qffs-mnist", "seed": seed, "float_epochs": epochs,
            "qat_epochs": qat_epochs, "bits": bits, "out_bits": out_bits or 0,
            "optimizer": "Adam, lr 1e-3 (float) / 3e-4 (QAT), cosine decay, batch 128",
            "train_seconds": round(time.perf_counter() - start),
            "float_test_accuracy": float(float_acc),
            "qann_test_accuracy": float(nn.evaluate(qann, x_test, y_test)["accuracy"])}
    return model, qann, meta


def load_qann(bits: int = 2, out_bits: int | None = 3) -> nn.Sequential:
    """The shipped QANN (``snnlite/data/qffs_lenet_mnist.npz``)."""
    qann = quantize(qffs_lenet(rng=0), bits, out_bits)
    with resources.as_file(resources.files("snnlite.data").joinpath(QANN_WEIGHTS)) as path:
        nn.load(qann, path)
    return qann
