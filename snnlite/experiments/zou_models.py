"""The quantized ANNs of Zou et al. 2024 (spec ``seeds-spec.md`` §2.2), ready for
:class:`~snnlite.convert.zou.ZouConverter`.

Every model is an ``nn.Sequential`` of *stages* ``op + BatchNorm + MedianQuant`` ended by a
bias-free full-precision classifier:

* the first stage is the encoding layer: a full-precision ``Conv2d`` without bias, BN and the
  first-layer quantizer ``MedianQuant(k=0, clip=4)`` (A2);
* every other stage has ternary weights (A3; ``ternary=False`` keeps them float), no bias, BN
  and ``MedianQuant(k)`` (A1);
* pooling is a *learned* 2x2 stride-2 convolution ("P2"), which keeps the channel count.

:func:`count_spiking_neurons` gives the number the paper reports (all spiking neurons except
the encoding layer's): 10 728 for the LeNet, 280 832 for the CIFAR VGG (built in the
tests, ``tests/zou_builders.py``).

Examples
--------
>>> import numpy as np
>>> net = zou_lenet(channels=(2, 3, 4))
>>> net(np.zeros((5, 1, 28, 28), np.float32)).shape
(5, 10)
>>> count_spiking_neurons(net, (1, 28, 28))   # 2*12*12 (P2) + 3*8*8 + 3*4*4 (P2) + 4
532

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np

from .. import nn
from .._validate import as_rng
from ..convert.zou import flat_layers
from ..nn.module import Module

__all__ = ["count_spiking_neurons", "zou_lenet"]

FIRST_CLIP = 4  # A2: B = 4, so the encoding layer emits at most 4 spikes (T_enc = 4)


def _stage(op: Module, channels: int, k: int, clip: float | None = None) -> list[Module]:
    """``[op, BatchNorm(channels), MedianQuant(k, clip)]``, one spiking layer of the SNN."""
    return [op, nn.BatchNorm(channels), nn.MedianQuant(k, clip=clip)]


def _first_conv(c_in: int, c_out: int, kernel: int, rng, stride: int = 1,
                padding: int = 0) -> list[Module]:
    """The encoding stage: float conv without bias, BN, ``MedianQuant(0, clip=4)`` (A2)."""
    conv = nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False, rng=rng)
    return _stage(conv, c_out, 0, clip=FIRST_CLIP)


def _ternary_conv(c_in: int, c_out: int, kernel: int, k: int, ternary: bool, rng,
                  stride: int = 1, padding: int = 0, groups: int = 1) -> list[Module]:
    """A hidden convolution stage: ternary weights (A3), no bias, BN, ``MedianQuant(k)``."""
    conv = nn.TernaryConv2d(c_in, c_out, kernel, stride=stride, padding=padding, groups=groups,
                            bias=False, ternary=ternary, rng=rng)
    return _stage(conv, c_out, k)


def zou_lenet(k: int = 0, ternary: bool = True, rng=0, channels=(32, 64, 1000),
              in_channels: int = 1, n_classes: int = 10) -> nn.Sequential:
    """Zou's LeNet ``32C5-P2-64C5-P2-1000-10`` for 28x28 inputs (spec §2.2).

    Parameters
    ----------
    k : int, default 0
        Quantization level of the hidden layers (A1); the first layer always uses
        ``MedianQuant(k=0, clip=4)`` (A2).
    ternary : bool, default True
        Ternary weights (A3) in every layer but the first and the classifier.
    rng : Generator, int or None
        Initialisation seed.
    channels : (int, int, int), default (32, 64, 1000)
        Widths of the two 5x5 convolutions and of the "1000" layer (smaller for tests).
    in_channels, n_classes : int
        Input channels and classes.

    Returns
    -------
    nn.Sequential
        Input ``(B, in_channels, 28, 28)``, logits ``(B, n_classes)``. Layers (each op but
        the last followed by ``BatchNorm`` and ``MedianQuant``; spatial size in brackets):
        ``Conv2d 5x5`` [24] (float), ``P2`` = ternary 2x2 stride-2 conv [12], ternary 5x5
        conv [8], ``P2`` [4], "1000" = ternary 4x4 valid conv [1], ``Flatten``, bias-free
        float ``Linear``. Spiking neurons after the encoding layer:
        ``32*12*12 + 64*8*8 + 64*4*4 + 1000 = 10 728``.
    """
    rng = as_rng(rng)
    c1, c2, c3 = channels
    return nn.Sequential(
        *_first_conv(in_channels, c1, 5, rng),                              # 32C5
        *_ternary_conv(c1, c1, 2, k, ternary, rng, stride=2),               # P2
        *_ternary_conv(c1, c2, 5, k, ternary, rng),                         # 64C5
        *_ternary_conv(c2, c2, 2, k, ternary, rng, stride=2),               # P2
        *_ternary_conv(c2, c3, 4, k, ternary, rng),                         # 1000
        nn.Flatten(), nn.Linear(c3, n_classes, bias=False, rng=rng),        # 10
    )


def count_spiking_neurons(model: nn.Sequential, input_shape: tuple[int, ...]) -> int:
    """Neurons of the spiking layers after the encoding layer, per sample (the paper's count).

    The outputs of every ``MedianQuant`` but the first (the encoding layer) are counted,
    from one forward pass of a zero input ``(1, *input_shape)``.
    """
    h = np.zeros((1, *input_shape), np.float32)
    sizes = []
    for layer in flat_layers(model):
        h = layer.forward(h)
        if isinstance(layer, nn.MedianQuant):
            sizes.append(h[0].size)
    return int(sum(sizes[1:]))
