"""Weight initialisation (random sources follow :func:`snnlite._validate.as_rng`)."""

from __future__ import annotations

import numpy as np

from .._validate import as_rng

__all__ = ["kaiming_uniform"]


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
