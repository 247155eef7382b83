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
the encoding layer's): 10 728 for the LeNet, 280 832 for the CIFAR VGG.

Examples
--------
>>> import numpy as np
>>> net = zou_vgg("4C3-2P2-8C3-8FC-3FC", in_channels=1, input_size=8)
>>> net(np.zeros((2, 1, 8, 8), np.float32)).shape
(2, 3)
>>> count_spiking_neurons(net, (1, 8, 8))   # 4*4*4 (P2) + 8*2*2 (8C3, valid) + 8 (8FC)
104
"""

from __future__ import annotations

import re

import numpy as np

from .. import nn
from ..convert.zou import flat_layers
from ..nn.init import as_rng
from ..nn.module import Module

__all__ = ["CIFAR_VGG", "MOBILENET_V1", "count_spiking_neurons", "mobilenet_block", "zou_lenet",
           "zou_mobilenet", "zou_vgg"]

#: The paper's CIFAR-10/100 network (spec §2.2), for :func:`zou_vgg` with ``input_size=24``.
CIFAR_VGG = "96C3-256C3-2P2-384C3-2P2-384C3-256C3-2P2-1024C3-1024FC-10FC"

#: MobileNet-V1's 13 depthwise-separable blocks as ``(output channels, stride)``.
MOBILENET_V1 = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
                (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))

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


_CONV = re.compile(r"(\d+)C(\d+)")
_POOL = re.compile(r"(\d*)P(\d+)")
_FC = re.compile(r"(\d+)FC")


def zou_vgg(spec: str = CIFAR_VGG, in_channels: int = 3, k: int = 0, ternary: bool = True,
            input_size: int = 24, rng=0) -> nn.Sequential:
    """A VGG-style network from a Zou configuration string (spec §2.2).

    Parameters
    ----------
    spec : str, default :data:`CIFAR_VGG`
        Tokens separated by ``-``:

        ``nCk``
            ``n`` channels, ``k x k`` kernel, stride 1, "same" padding ``k // 2`` (``k``
            odd) -- except a ``C`` token directly followed by an ``FC`` token, which is a
            *valid* convolution (the paper's ``1024C3`` on a 3x3 map, giving 1x1).
        ``[m]Ps``
            Learned pooling: an ``m x m`` stride-``s`` convolution, no padding, that keeps
            the channel count (``m`` defaults to ``s``; the paper's ``2P2`` is ``P2``, a
            2x2 stride-2 conv, as in the authors' code).
        ``nFC``
            ``n`` fully connected units; the first ``FC`` token flattens the map (on a 1x1
            map this is the paper's 1x1 convolution). The last token must be an ``FC``: the
            bias-free float classifier.

        The first token must be a ``C``: the full-precision encoding layer with
        ``MedianQuant(0, clip=4)`` (A2). Every other token but the classifier is a ternary
        op (A3) + ``BatchNorm`` + ``MedianQuant(k)``.
    in_channels : int, default 3
        Input channels.
    k : int, default 0
        Quantization level of the hidden layers (A1).
    ternary : bool, default True
        Ternary weights in the hidden layers.
    input_size : int, default 24
        Height and width of the (square) input (24: the paper's CIFAR crop).
    rng : Generator, int or None
        Initialisation seed.

    Returns
    -------
    nn.Sequential
        Input ``(B, in_channels, input_size, input_size)``, logits ``(B, classes)``.

    Raises
    ------
    ValueError
        For an unknown or misplaced token, an even "same" kernel, or a map that shrinks
        below 1x1.

    Examples
    --------
    >>> net = zou_vgg(input_size=24)                         # doctest: +SKIP
    >>> count_spiking_neurons(net, (3, 24, 24))              # doctest: +SKIP
    280832
    """
    tokens = spec.split("-")
    if not _CONV.fullmatch(tokens[0]):
        raise ValueError(f"spec must start with a convolution 'nCk' (the encoding layer), "
                         f"got {spec!r}")
    if len(tokens) < 2 or not _FC.fullmatch(tokens[-1]):
        raise ValueError(f"spec must end with the classifier 'nFC', got {spec!r}")
    rng = as_rng(rng)
    layers: list[Module] = []
    c, size, flat = in_channels, input_size, False
    for i, token in enumerate(tokens):
        conv, pool, fc = _CONV.fullmatch(token), _POOL.fullmatch(token), _FC.fullmatch(token)
        if (conv or pool) and flat:
            raise ValueError(f"token {i} ({token!r}): no convolution or pooling after 'FC'")
        if conv:
            n, kernel = int(conv[1]), int(conv[2])
            valid = _FC.fullmatch(tokens[i + 1]) is not None
            if not valid and kernel % 2 == 0:
                raise ValueError(f"token {i} ({token!r}): 'same' padding needs an odd kernel")
            pad = 0 if valid else kernel // 2
            if i == 0:
                layers += _first_conv(c, n, kernel, rng, padding=pad)
            else:
                layers += _ternary_conv(c, n, kernel, k, ternary, rng, padding=pad)
            c, size = n, size + 2 * pad - kernel + 1
        elif pool:
            stride = int(pool[2])
            kernel = int(pool[1]) if pool[1] else stride
            layers += _ternary_conv(c, c, kernel, k, ternary, rng, stride=stride)
            size = (size - kernel) // stride + 1
        elif fc:
            n = int(fc[1])
            if not flat:
                layers.append(nn.Flatten())
                c, flat = c * size * size, True
            if i == len(tokens) - 1:
                layers.append(nn.Linear(c, n, bias=False, rng=rng))
            else:
                layers += _stage(nn.TernaryLinear(c, n, bias=False, ternary=ternary, rng=rng),
                                 n, k)
            c = n
        else:
            raise ValueError(f"token {i} ({token!r}) is not 'nCk', '[m]Ps' or 'nFC'")
        if size < 1:
            raise ValueError(f"token {i} ({token!r}) shrinks the {input_size}x{input_size} "
                             f"input below 1x1")
    return nn.Sequential(*layers)


def mobilenet_block(c_in: int, c_out: int, stride: int = 1, k: int = 0, ternary: bool = True,
                    rng=None) -> nn.Sequential:
    """MobileNet-V1 depthwise-separable block with Zou's quantization (two spiking layers).

    ``depthwise 3x3 (groups = c_in, padding 1, stride) + BN + MedianQuant(k)``, then
    ``pointwise 1x1 (c_in -> c_out) + BN + MedianQuant(k)``; ternary weights (A3) unless
    ``ternary=False``, no biases.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    stride : int, default 1
        Stride of the depthwise convolution (2 halves the map).
    k : int, default 0
        Quantization level (A1).
    ternary : bool, default True
        Ternary weights.
    rng : Generator, int or None
        Initialisation seed.

    Returns
    -------
    nn.Sequential
        ``(B, c_in, H, W)`` -> ``(B, c_out, ceil(H / stride), ceil(W / stride))``.
    """
    rng = as_rng(rng)
    return nn.Sequential(
        *_ternary_conv(c_in, c_in, 3, k, ternary, rng, stride=stride, padding=1, groups=c_in),
        *_ternary_conv(c_in, c_out, 1, k, ternary, rng),
    )


def zou_mobilenet(blocks=MOBILENET_V1, in_channels: int = 3, first: int = 32,
                  n_classes: int = 1000, input_size: int = 224, k: int = 0,
                  ternary: bool = True, rng=0) -> nn.Sequential:
    """MobileNet-V1 (29 layers) with Zou's quantization, the paper's ImageNet model.

    The paper gives no details beyond "MobileNet-V1, 29 layers" (spec §2.2, UNKNOWN); this
    is the standard architecture: a full-precision 3x3 stride-2 encoding conv (A2), the
    depthwise-separable ``blocks`` (:func:`mobilenet_block`), a global average pool and a
    bias-free float classifier (1 + 2 * 13 + 1 + 1 = 29 layers). The average pool and the
    classifier are both linear, so the converter folds them into the readout.

    Parameters
    ----------
    blocks : sequence of (int, int), default :data:`MOBILENET_V1`
        ``(output channels, stride)`` of every block.
    in_channels, first, n_classes : int
        Input channels, width of the encoding conv, classes.
    input_size : int, default 224
        Height and width of the input.
    k, ternary, rng
        As for :func:`mobilenet_block`.

    Returns
    -------
    nn.Sequential
        Input ``(B, in_channels, input_size, input_size)``, logits ``(B, n_classes)``.
    """
    rng = as_rng(rng)
    layers = _first_conv(in_channels, first, 3, rng, stride=2, padding=1)
    c, size = first, (input_size - 1) // 2 + 1
    for c_out, stride in blocks:
        layers.append(mobilenet_block(c, c_out, stride, k, ternary, rng))
        c, size = c_out, (size - 1) // stride + 1
    return nn.Sequential(*layers, nn.AvgPool2d(size), nn.Flatten(),
                         nn.Linear(c, n_classes, bias=False, rng=rng))


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
