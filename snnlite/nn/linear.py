"""Fully connected layer, with a dense (BLAS) and an event-driven path for spike input."""

from __future__ import annotations

import numpy as np

from .._validate import as_rng, check_int
from .crossover import check_path, crossover
from .event_linear import event_linear
from .event_weight_grad import event_weight_grad
from .init import kaiming_uniform
from .module import Module, Parameter
from .spike_density import spike_density

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
    path : {"auto", "dense", "event"}
        How ``x @ W.T`` and the weight gradient ``grad.T @ x`` are computed: one BLAS product
        each (``"dense"``), or by visiting the non-zero inputs only
        (:func:`~snnlite.nn.event_linear.event_linear` and
        :func:`~snnlite.nn.event_weight_grad.event_weight_grad`, ``"event"``). ``"auto"``
        takes the event path only when all of these hold: the layer's input gradient is not
        needed (:attr:`input_grad` set to False: the layer reads data, as ``learn.to_agd``
        sets for the layer after its spike encoder; ``Sequential.backward`` switching it off
        for the duration of a backward pass does not count), ``x`` is a spike array (int8, or
        values all in {-1, 0, 1}) and its density (non-zero fraction) is below
        :func:`~snnlite.nn.crossover.crossover`. So hidden layers keep BLAS and their seeded
        training stays bit for bit what it was. The choice is made by each forward pass; its
        backward pass follows it. Both paths compute the same sums (in another order: equal up
        to rounding, exactly equal for integer data).

    Notes
    -----
    Shapes: ``x`` ``(B, in_features)`` -> ``y`` ``(B, out_features)``; ``weight`` is
    ``(out_features, in_features)``, ``bias`` ``(out_features,)``. :attr:`last_path` is the
    path the last forward pass took.
    """

    path: str = "auto"
    last_path: str | None = None

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng=None,
                 dtype=np.float32, path: str = "auto"):
        in_features = check_int("in_features", in_features)
        out_features = check_int("out_features", out_features)
        rng = as_rng(rng)
        self.in_features, self.out_features = in_features, out_features
        self.path = check_path(path)
        self.weight = Parameter(kaiming_uniform((out_features, in_features), in_features, rng,
                                                dtype))
        self.bias = (Parameter(kaiming_uniform((out_features,), in_features, rng, dtype))
                     if bias else None)

    def _choose(self, x: np.ndarray) -> str:
        """``"dense"`` or ``"event"`` for input ``x`` (the rule of ``path``)."""
        path = check_path(self.path)
        if path != "auto":
            return path
        if self.input_grad:
            return "dense"
        density = spike_density(x)
        return "event" if density is not None and density < crossover() else "dense"

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Linear expects (B, {self.in_features}), got shape {x.shape}")
        self.last_path = self._choose(x)
        if train:
            self._x, self._path = x, self.last_path
        if self.last_path == "event":  # W.T input-major, in the dtype x @ W.T would have
            WT = np.ascontiguousarray(self.weight.data.T,
                                      dtype=np.result_type(x.dtype, self.weight.data.dtype))
            y = event_linear(x, WT)
        else:
            y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._path == "event":
            self.weight.grad += event_weight_grad(self._x, grad).T
        else:
            self.weight.grad += (self._x.T @ grad).T  # BLAS is faster with the long axis inner
        if self.bias is not None:
            self.bias.grad += grad.sum(axis=0)
        return grad @ self.weight.data if self.input_grad else None

    def extra_repr(self) -> str:
        path = "" if self.path == "auto" else f", path={self.path!r}"
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}{path}"
