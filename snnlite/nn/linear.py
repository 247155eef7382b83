"""Fully connected layer."""

from __future__ import annotations

import numpy as np

from .._validate import as_rng, check_int
from .init import kaiming_uniform
from .module import Module, Parameter

__all__ = ["Linear"]


class Linear(Module):
    """``y = x @ W.T + b``.

    Parameters
    ----------
    in_features, out_features : int
        Input and output widths (>= 1).
    bias : bool
        Whether to add a learned bias.
    rng : Generator, int or None
        Random source for the initial weights (PyTorch's default uniform initialisation).
    dtype : dtype
        Parameter dtype (float32 by default).

    Notes
    -----
    Shapes: ``x`` ``(B, in_features)`` -> ``y`` ``(B, out_features)``; ``weight`` is
    ``(out_features, in_features)``, ``bias`` ``(out_features,)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng=None,
                 dtype=np.float32):
        in_features = check_int("in_features", in_features)
        out_features = check_int("out_features", out_features)
        rng = as_rng(rng)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(kaiming_uniform((out_features, in_features), in_features, rng,
                                                dtype))
        self.bias = (Parameter(kaiming_uniform((out_features,), in_features, rng, dtype))
                     if bias else None)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Linear expects (B, {self.in_features}), got shape {x.shape}")
        if train:
            self._x = x
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        self.weight.grad += (self._x.T @ grad).T  # BLAS is faster with the long axis inner
        if self.bias is not None:
            self.bias.grad += grad.sum(axis=0)
        return grad @ self.weight.data if self.input_grad else None

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"
