"""Inverted dropout."""

from __future__ import annotations

import numpy as np

from .._validate import as_rng, check_real
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability ``p`` in train mode, scaling survivors by ``1/(1-p)``.

    Parameters
    ----------
    p : float
        Drop probability, in ``[0, 1)``.
    rng : Generator, int or None
        Random source of the masks (kept as the public attribute ``rng``).

    Notes
    -----
    Any shape. In train mode ``y = x * mask`` with ``mask = keep / (1 - p)``, ``keep`` a fresh
    Bernoulli(``1 - p``) draw per element and per call, so the expected output equals the
    input ("inverted" dropout) and eval mode is the identity (``x`` itself is returned).
    The backward pass multiplies by the same mask.
    """

    def __init__(self, p: float = 0.5, rng=None):
        self.p, self.rng = check_real("p", p, 0.0, 1.0), as_rng(rng)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if not train:
            return x
        scale = np.array(1 / (1 - self.p), np.result_type(x.dtype, np.float32))
        self._mask = (self.rng.random(x.shape, np.float32) >= self.p) * scale
        return x * self._mask

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self._mask

    def extra_repr(self) -> str:
        return f"p={self.p}"
