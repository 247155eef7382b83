"""Folding BatchNorm into the preceding convolution or linear layer."""

from __future__ import annotations

import copy

import numpy as np

from ..nn.conv import Conv2d
from ..nn.linear import Linear
from ..nn.module import Parameter, Sequential
from ..nn.norm import BatchNorm

__all__ = ["fold_batchnorm"]


def _fold(op: Conv2d | Linear, bn: BatchNorm) -> Conv2d | Linear:
    """Return a copy of ``op`` computing ``bn(op(x))`` in eval mode.

    With ``k = gamma / sqrt(running_var + eps)`` per output channel:
    ``W' = k * W`` and ``b' = k * (b - running_mean) + beta``.
    """
    k = bn.weight.data / np.sqrt(bn.running_var + bn.eps)
    out = copy.copy(op)
    shape = (-1,) + (1,) * (op.weight.data.ndim - 1)
    out.weight = Parameter((op.weight.data * k.reshape(shape)).astype(op.weight.data.dtype))
    bias = op.bias.data if op.bias is not None else np.zeros_like(k)
    out.bias = Parameter(((bias - bn.running_mean) * k + bn.bias.data).astype(
        op.weight.data.dtype))
    return out


def fold_batchnorm(model: Sequential) -> Sequential:
    """A copy of ``model`` in which every BatchNorm is merged into the layer before it.

    Parameters
    ----------
    model : nn.Sequential
        A trained network. Each ``BatchNorm`` must directly follow a ``Conv2d`` or
        ``Linear``.

    Returns
    -------
    nn.Sequential
        The folded network: same eval-mode outputs (up to rounding), no BatchNorm layers.
        The original model is not modified.

    Raises
    ------
    ValueError
        If a BatchNorm does not follow a convolution or linear layer.
    """
    layers = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, BatchNorm):
            if not layers or not isinstance(layers[-1], (Conv2d, Linear)):
                raise ValueError(f"layer {i}: BatchNorm must follow Conv2d or Linear to be "
                                 f"folded, it follows {layers[-1] if layers else 'nothing'!r}")
            layers[-1] = _fold(layers[-1], layer)
        else:
            layers.append(layer)
    return Sequential(*layers)
