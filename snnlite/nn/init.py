"""Weight initialisation and the ``rng`` convention."""

from __future__ import annotations

import numpy as np

__all__ = ["as_rng", "kaiming_uniform"]


def as_rng(rng=None) -> np.random.Generator:
    """Turn ``rng`` (a Generator, an int seed or None) into an ``np.random.Generator``.

    Raises
    ------
    TypeError
        If ``rng`` is of another type.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng)}")


def kaiming_uniform(shape, fan_in: int, rng=None, dtype=np.float32) -> np.ndarray:
    """Uniform ``U(-b, b)`` with ``b = 1/sqrt(fan_in)`` (PyTorch's default for weights and biases).

    Parameters
    ----------
    shape : tuple of int
        Shape of the array.
    fan_in : int
        Number of inputs feeding one output unit.
    rng : Generator, int or None
        Random source.
    dtype : dtype
        Output dtype (float32 by default).
    """
    bound = 1.0 / np.sqrt(fan_in)
    return as_rng(rng).uniform(-bound, bound, size=shape).astype(dtype)
