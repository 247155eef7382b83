"""Datasets: MNIST, Fashion-MNIST (IDX), CIFAR-10 (binary), the bundled MNIST sample.

* :mod:`~snnlite.datasets.idx` — MNIST / Fashion-MNIST readers, search path
  (``root=`` -> ``$SNNLITE_DATA/<name>/`` -> ``~/.cache/snnlite/<name>/``), checksums, download;
* :mod:`~snnlite.datasets.cifar10` — CIFAR-10 from the binary distribution;
* :mod:`~snnlite.datasets.sample` — 2 000 + 1 000 MNIST digits shipped inside the package;
* :mod:`~snnlite.datasets.transforms` — ``to_float`` and ``normalize``.
"""

from .cifar10 import CIFAR10_CLASSES, load_cifar10, read_cifar10_batch
from .idx import (
    FASHION_MNIST_MEAN,
    FASHION_MNIST_STD,
    MNIST_MEAN,
    MNIST_STD,
    data_dirs,
    load_fashion_mnist,
    load_mnist,
    read_idx,
)
from .sample import load_mnist_sample, make_mnist_sample
from .transforms import normalize, to_float

__all__ = [
    "CIFAR10_CLASSES", "FASHION_MNIST_MEAN", "FASHION_MNIST_STD", "MNIST_MEAN", "MNIST_STD",
    "data_dirs", "load_cifar10", "load_fashion_mnist", "load_mnist", "load_mnist_sample",
    "make_mnist_sample", "normalize", "read_cifar10_batch", "read_idx", "to_float",
]
