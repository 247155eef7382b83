"""Mini-batches over arrays, optionally shuffled.

Examples
--------
>>> import numpy as np
>>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
>>> [yb.tolist() for _, yb in batches(x, y, batch_size=2)]
[[0, 1], [2, 3], [4]]
>>> [yb.tolist() for _, yb in batches(x, y, batch_size=2, drop_last=True)]
[[0, 1], [2, 3]]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .._validate import as_rng, check_int

__all__ = ["batches"]


def batches(x: np.ndarray, y: np.ndarray | None = None, batch_size: int = 128,
            shuffle: bool = False, rng=None, drop_last: bool = False) -> Iterator:
    """Split ``x`` (and ``y``) into consecutive mini-batches along the first axis.

    Parameters
    ----------
    x : ndarray, shape (N, ...)
        Samples.
    y : ndarray, shape (N, ...), optional
        Targets, split alongside ``x``.
    batch_size : int
        Samples per batch (> 0). The last batch is smaller when ``N`` is not a multiple.
    shuffle : bool
        Visit the samples in the order of one permutation drawn from ``rng``; otherwise in
        order (batches are then views, not copies).
    rng : Generator, int or None
        Random source for the permutation (used only when ``shuffle`` is true).
    drop_last : bool
        Skip the last batch when it is smaller than ``batch_size``.

    Returns
    -------
    iterator
        Of ``(xb, yb)`` pairs, or of ``xb`` alone when ``y`` is None; ``xb`` has shape
        ``(b, ...)`` with ``b <= batch_size``. Every sample appears in exactly one batch
        (except those dropped by ``drop_last``).

    Raises
    ------
    ValueError
        If ``batch_size`` is not a positive integer, ``x`` is 0-d or empty, or ``x`` and ``y``
        differ in length. The arguments are checked when ``batches`` is called, not on
        first use.
    TypeError
        If ``batch_size`` is not a number.
    """
    batch_size = check_int("batch_size", batch_size)
    x = np.asarray(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"x must hold at least one sample (N, ...), got shape {x.shape}")
    if y is not None:
        y = np.asarray(y)
        if y.ndim == 0 or len(y) != len(x):
            raise ValueError(f"x and y must have the same length, got {len(x)} and "
                             f"{'a 0-d array' if y.ndim == 0 else len(y)}")
    order = as_rng(rng).permutation(len(x)) if shuffle else None
    return _iterate(x, y, batch_size, order, drop_last)


def _iterate(x, y, batch_size, order, drop_last):
    n = len(x)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        end = min(start + batch_size, n)
        idx = slice(start, end) if order is None else order[start:end]
        yield x[idx] if y is None else (x[idx], y[idx])
