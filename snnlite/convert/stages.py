"""Splitting a ReLU network into the stages that become spiking layers.

A *stage* is a run of linear ops (``Conv2d``, ``Linear``, ``AvgPool2d``, ``Flatten``)
closed by a ReLU-like activation (a spiking population) or by the end of the network (the
readout). ``Dropout`` is the identity at inference and is dropped; ``BatchNorm`` is folded
into the op before it. Anything else cannot be converted by the classic methods and raises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..nn.activation import ClippedReLU, Flatten, ReLU
from ..nn.conv import Conv2d
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.module import Module, Sequential
from ..nn.pool import AvgPool2d
from .bn_fold import fold_batchnorm

__all__ = ["Stage", "split_stages", "stage_activations", "stage_outputs"]

_LINEAR = (Conv2d, Linear, AvgPool2d, Flatten)
_ACTIVATIONS = (ReLU, ClippedReLU)


@dataclass
class Stage:
    """Linear ops followed by an activation (None for the final, readout stage)."""

    ops: list[Module]
    activation: Module | None

    @property
    def synapse(self) -> Module:
        """The ops as one module (a single op, or an ``nn.Sequential``)."""
        return self.ops[0] if len(self.ops) == 1 else Sequential(*self.ops)


def split_stages(model: Sequential) -> list[Stage]:
    """Fold BatchNorm, drop Dropout, and cut ``model`` after every activation.

    Raises
    ------
    ValueError
        For an op that the classic conversion cannot map (for example ``MaxPool2d``: use the
        event-based max-pool of the QFFS converter), an activation with no op before it, or
        a network that does not end in a linear op.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"expected an nn.Sequential, got {type(model).__name__}")
    stages, ops = [], []
    for i, layer in enumerate(fold_batchnorm(model).layers):
        if isinstance(layer, Dropout):
            continue
        if isinstance(layer, _LINEAR):
            ops.append(layer)
        elif isinstance(layer, _ACTIVATIONS):
            if not any(isinstance(op, (Conv2d, Linear, AvgPool2d)) for op in ops):
                raise ValueError(f"layer {i} ({layer!r}) has no weighted op before it")
            stages.append(Stage(ops, layer))
            ops = []
        else:
            raise ValueError(f"layer {i} ({layer!r}) cannot be converted to IF neurons; "
                             f"convertible: {[c.__name__ for c in _LINEAR + _ACTIVATIONS]}, "
                             "Dropout, BatchNorm (folded)")
    if not any(isinstance(op, (Conv2d, Linear)) for op in ops):
        raise ValueError("the network must end with a Conv2d or Linear readout layer")
    stages.append(Stage(ops, None))
    return stages


def stage_activations(stages: list[Stage], x: np.ndarray, batch_size: int = 256):
    """Yield, batch by batch, the list of every stage's output for inputs ``x``.

    The activations of stage ``l`` are ``act(ops(previous))``; the last stage yields its
    logits. Used by the data-based normalisation and by response-curve plots.
    """
    for start in range(0, len(x), batch_size):
        h, outs = x[start:start + batch_size], []
        for stage in stages:
            for op in stage.ops:
                h = op.forward(h)
            if stage.activation is not None:
                h = stage.activation.forward(h)
            outs.append(h)
        yield outs


def stage_outputs(stages: list[Stage], x: np.ndarray, batch_size: int = 256) -> list[np.ndarray]:
    """Every stage's output for all inputs ``x``, one array ``(N, ...)`` per stage."""
    return [np.concatenate(parts) for parts in zip(*stage_activations(stages, x, batch_size),
                                                   strict=True)]
