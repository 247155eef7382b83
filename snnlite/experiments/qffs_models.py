"""Quantized ANNs for the QFFS reproduction: a max-pool LeNet (and its float twin).

The QFFS recipe (spec §3.1, §3.8): train a float ReLU network, then fine-tune a copy whose
ReLUs are replaced by LSQ activation quantizers (B13) with ``bits`` bits in the hidden layers
and ``out_bits`` at the output (or a float output layer when ``out_bits`` is None). Weights,
biases and the network input stay float.
"""

from __future__ import annotations

import copy

from .. import nn
from ..nn.init import as_rng

__all__ = ["qffs_lenet", "quantize"]


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


def quantize(model: nn.Sequential, bits: int = 2, out_bits: int | None = 3) -> nn.Sequential:
    """A copy of ``model`` with every ReLU replaced by ``LSQ(bits)`` and, if ``out_bits`` is
    given, an ``LSQ(out_bits)`` after the output layer (a spiking output layer).

    The step sizes are initialised from data on the first training batch (LSQ init).
    """
    layers = [nn.LSQ(bits) if isinstance(layer, nn.ReLU) else copy.deepcopy(layer)
              for layer in model.layers]
    if out_bits is not None:
        layers.append(nn.LSQ(out_bits))
    return nn.Sequential(*layers)
