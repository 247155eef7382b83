"""Element-wise activations and shape-only layers: ReLU, ClippedReLU, Flatten."""

from __future__ import annotations

import numpy as np

from .._validate import check_real
from .module import Module

__all__ = ["ReLU", "ClippedReLU", "Flatten"]


class ReLU(Module):
    """``y = max(x, 0)`` (any shape)."""

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        y = np.maximum(x, 0)
        if train:
            self._mask = x > 0
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self._mask


class ClippedReLU(Module):
    """``y = clip(x, 0, ceiling)`` (any shape); the gradient passes where ``0 < x < ceiling``.

    Parameters
    ----------
    ceiling : float
        Upper clip value (> 0).
    """

    def __init__(self, ceiling: float = 1.0):
        self.ceiling = check_real("ceiling", ceiling, 0.0, low_open=True)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if train:
            self._mask = (x > 0) & (x < self.ceiling)
        return np.clip(x, 0, self.ceiling).astype(x.dtype, copy=False)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self._mask

    def extra_repr(self) -> str:
        return f"ceiling={self.ceiling}"


class Flatten(Module):
    """``(B, d1, d2, ...)`` -> ``(B, d1*d2*...)``."""

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.reshape(self._shape)
