"""The MNIST sample bundled with snnlite: 2 000 training and 1 000 test digits (no download)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np

from .._npz import read_npz
from .idx import load_mnist

__all__ = ["load_mnist_sample", "make_mnist_sample"]

_SAMPLE = "mnist_sample.npz"


def make_mnist_sample(path: str | os.PathLike, n_train: int = 2000, n_test: int = 1000,
                      root: str | os.PathLike | None = None) -> Path:
    """Write the first ``n_train`` training and ``n_test`` test MNIST images to an ``.npz``.

    This is how ``snnlite/data/mnist_sample.npz`` is built (see the README beside it).

    Parameters
    ----------
    path : str or PathLike
        Output file, written with ``np.savez_compressed`` under the keys ``x_train, y_train,
        x_test, y_test`` (uint8; images (n, 28, 28), labels (n,)).
    n_train, n_test : int
        How many images to keep from the start of each file (file order, no shuffling).
    root : str or PathLike, optional
        Passed to :func:`load_mnist`.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If ``n_train`` is not in 1..60000 or ``n_test`` not in 1..10000.
    """
    for arg, n, most in (("n_train", n_train, 60000), ("n_test", n_test, 10000)):
        if not isinstance(n, (int, np.integer)) or not 1 <= n <= most:
            raise ValueError(f"{arg} must be an int in 1..{most}, got {n!r}")
    x_train, y_train = load_mnist("train", root=root)
    x_test, y_test = load_mnist("test", root=root)
    path = Path(path)
    np.savez_compressed(path, x_train=x_train[:n_train], y_train=y_train[:n_train],
                        x_test=x_test[:n_test], y_test=y_test[:n_test])
    return path


def load_mnist_sample(path: str | os.PathLike | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The MNIST sample bundled with the package (no dataset download needed).

    Parameters
    ----------
    path : str or PathLike, optional
        A file written by :func:`make_mnist_sample`; the bundled sample when None. Read
        without pickle.

    Returns
    -------
    x_train : ndarray of uint8, shape (2000, 28, 28)
        The first 2000 MNIST training images, in file order.
    y_train : ndarray of uint8, shape (2000,)
    x_test : ndarray of uint8, shape (1000, 28, 28)
        The first 1000 MNIST test images.
    y_test : ndarray of uint8, shape (1000,)

    Raises
    ------
    ValueError
        If ``path`` is not a readable ``.npz`` archive of those four uint8 arrays (the
        message names the file).

    Examples
    --------
    >>> x_train, y_train, x_test, y_test = load_mnist_sample()
    >>> x_train.shape, x_test.dtype
    ((2000, 28, 28), dtype('uint8'))
    """
    keys = ("x_train", "y_train", "x_test", "y_test")
    what = "an MNIST sample written by make_mnist_sample"
    if path is None:
        with resources.files("snnlite.data").joinpath(_SAMPLE).open("rb") as f:
            z = read_npz(f, required=keys, what=what)
    else:
        z = read_npz(path, required=keys, what=what)
    for x, y in ((z["x_train"], z["y_train"]), (z["x_test"], z["y_test"])):
        if x.dtype != np.uint8 or y.dtype != np.uint8 or x.ndim != 3 or y.shape != x.shape[:1]:
            raise ValueError(f"{path or _SAMPLE}: expected uint8 images (n, H, W) and labels "
                             f"(n,), got {x.dtype} {x.shape} and {y.dtype} {y.shape}")
    return tuple(z[key] for key in keys)
