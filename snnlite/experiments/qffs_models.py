"""Quantized ANNs for the QFFS reproduction: a max-pool LeNet, a small ResNet (and their
float twins).

The QFFS recipe (spec §3.1, §3.8): train a float ReLU network, then fine-tune a copy whose
ReLUs are replaced by LSQ activation quantizers (B13) with ``bits`` bits in the hidden layers
and ``out_bits`` at the output (or a float output layer when ``out_bits`` is None). Weights,
biases and the network input stay float.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import copy

from .. import nn
from .._validate import as_rng

__all__ = ["qffs_lenet", "qffs_resnet", "quantize"]


def qffs_lenet(hidden: int = 128, pool: str = "max", rng=0) -> nn.Sequential:
    """Float LeNet with BatchNorm and max pooling, ``32C5-BN-ReLU-MP2-64C5-BN-ReLU-MP2-h-10``.

    Input ``(B, 1, 28, 28)``, logits ``(B, 10)``. :func:`quantize` turns it into the QANN.
    ``pool="avg"`` gives the average-pooling variant of the pooling ablation.
    """
    if pool not in ("max", "avg"):
        raise ValueError(f"pool must be 'max' or 'avg', got {pool!r}")
    rng = as_rng(rng)
    pool_cls = nn.MaxPool2d if pool == "max" else nn.AvgPool2d
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, rng=rng), nn.BatchNorm(32), nn.ReLU(), pool_cls(2),
        nn.Conv2d(32, 64, 5, rng=rng), nn.BatchNorm(64), nn.ReLU(), pool_cls(2),
        nn.Flatten(), nn.Linear(1024, hidden, rng=rng), nn.BatchNorm(hidden), nn.ReLU(),
        nn.Linear(hidden, 10, rng=rng),
    )


def _basic_block(c_in: int, c_out: int, stride: int, rng) -> nn.ResidualBlock:
    """``ReLU(BN(conv3(ReLU(BN(conv3(x))))) + S(x))``; ``S`` a 1x1 conv + BN when the shape
    changes, else the identity (the ResNet basic block, He et al. 2016)."""
    branch = nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, rng=rng), nn.BatchNorm(c_out),
        nn.ReLU(), nn.Conv2d(c_out, c_out, 3, padding=1, rng=rng), nn.BatchNorm(c_out))
    shortcut = None
    if stride != 1 or c_in != c_out:
        shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, rng=rng),
                                 nn.BatchNorm(c_out))
    return nn.ResidualBlock(branch, shortcut, nn.ReLU())


def qffs_resnet(channels: tuple[int, ...] = (16, 32), rng=0) -> nn.Sequential:
    """Small float ResNet for 28x28 images (Fashion-MNIST), with max pooling in the stem.

    ``16C3-BN-ReLU-MP2``, then one basic block per entry of ``channels`` (3x3 convolutions;
    a block that changes the channel count has stride 2 and a 1x1 conv + BN shortcut, the
    others an identity shortcut), then a global 7x7 average pool and ``Linear(c, 10)``.
    With the default ``(16, 32)``: 28x28 -> 14x14 (block 1) -> 7x7 (block 2), 19 850
    parameters (BatchNorm included) and about 1.7 M MACs per image.

    The max pool follows an activation and the average pool is linear, so both convert to
    QFFS (event max-pool, B3-B7; average pool folded into the output synapse, spec §3.6).
    Input ``(B, 1, 28, 28)``, logits ``(B, 10)``; :func:`quantize` turns it into the QANN.
    """
    if not channels or any(int(c) < 1 for c in channels):
        raise ValueError(f"channels must be a non-empty tuple of positive ints, got {channels}")
    rng = as_rng(rng)
    layers = [nn.Conv2d(1, 16, 3, padding=1, rng=rng), nn.BatchNorm(16), nn.ReLU(),
              nn.MaxPool2d(2)]
    c_in, side = 16, 14
    for c in channels:
        stride = 1 if c == c_in else 2
        layers.append(_basic_block(c_in, c, stride, rng))
        c_in, side = c, (side - 1) // stride + 1  # 3x3 conv, padding 1
    layers += [nn.AvgPool2d(side), nn.Flatten(), nn.Linear(c_in, 10, rng=rng)]
    return nn.Sequential(*layers)


def _quantized(module: nn.Module, bits: int) -> nn.Module:
    """Deep copy of ``module`` with every ReLU (inside Sequentials and residual blocks too)
    replaced by ``LSQ(bits)``."""
    if isinstance(module, nn.ReLU):
        return nn.LSQ(bits)
    if isinstance(module, nn.Sequential):
        return nn.Sequential(*(_quantized(layer, bits) for layer in module.layers))
    if isinstance(module, nn.ResidualBlock):
        return nn.ResidualBlock(
            _quantized(module.branch, bits),
            None if module.shortcut is None else _quantized(module.shortcut, bits),
            None if module.activation is None else _quantized(module.activation, bits))
    return copy.deepcopy(module)


def quantize(model: nn.Sequential, bits: int = 2, out_bits: int | None = 3) -> nn.Sequential:
    """A copy of ``model`` with every ReLU (also inside residual blocks) replaced by
    ``LSQ(bits)`` and, if ``out_bits`` is given, an ``LSQ(out_bits)`` after the output layer
    (a spiking output layer).

    The step sizes are initialised from data on the first training batch (LSQ init).
    """
    layers = list(_quantized(model, bits).layers)
    if out_bits is not None:
        layers.append(nn.LSQ(out_bits))
    return nn.Sequential(*layers)
