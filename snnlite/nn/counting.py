"""What one ``nn`` op costs: MACs of a forward pass, fan-out of each input, energy per op.

The definitions (SOPs = events x fan-out, MACs = one per weight use, C8-C11) are stated in
:mod:`snnlite.analysis.ops`, which builds the per-network counts on these functions; the STDP
networks of :mod:`snnlite.learn` count with them too.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .conv import Conv2d
from .linear import Linear
from .module import Module, Sequential
from .pool import AvgPool2d

__all__ = ["EnergyModel", "fan_out", "macs"]


@dataclass(frozen=True)
class EnergyModel:
    """Energy per operation in joules (defaults: 45 nm, 32-bit integer; spec §4.9)."""

    e_mac: float = 3.2e-12
    e_ac: float = 0.1e-12


def _ops(synapse: Module) -> list[Module]:
    return list(synapse.layers) if isinstance(synapse, Sequential) else [synapse]


def fan_out(synapse: Module, in_shape: tuple[int, ...]) -> np.ndarray:
    """Number of post-synaptic neurons each input position reaches, shape ``in_shape``.

    Computed by a backward pass of ones through a copy of the op whose weights are all one
    (average pools pass the count of windows that contain the position).
    """
    x = np.zeros((1,) + tuple(in_shape), np.float64)
    ops = []
    for op in _ops(synapse):
        op = copy.deepcopy(op).astype(np.float64)
        if isinstance(op, (Conv2d, Linear)):
            op.weight.data[...] = 1.0
            op.bias = None
        x = op.forward(x, train=True)
        ops.append(op)
    grad = np.ones_like(x)
    for op in reversed(ops):
        grad = op.backward(grad)
        if isinstance(op, AvgPool2d):
            kh, kw = op.kernel_size
            grad = grad * (kh * kw)
    return np.rint(grad[0]).astype(np.int64)


def macs(synapse: Module, in_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one ANN forward pass through the weighted ops of ``synapse``."""
    x, total = np.zeros((1,) + tuple(in_shape), np.float32), 0
    for op in _ops(synapse):
        if isinstance(op, Conv2d):
            y = op.forward(x)
            kh, kw = op.kernel_size
            total += y[0].size * (op.in_channels // op.groups) * kh * kw
        elif isinstance(op, Linear):
            y = op.forward(x)
            total += op.in_features * op.out_features
        else:
            y = op.forward(x)
        x = y
    return int(total)
