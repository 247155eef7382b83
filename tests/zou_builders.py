"""Test-only builders of Zou-style networks: VGG strings (the paper's CIFAR net) and
MobileNet-V1, from the stages of :mod:`snnlite.experiments.zou_models` (used by
``tests/convert/test_zou.py``; no reproduction uses them)."""

from __future__ import annotations

import re

from snnlite import nn
from snnlite._validate import as_rng
from snnlite.experiments.zou_models import _first_conv, _stage, _ternary_conv
from snnlite.nn.module import Module

#: The paper's CIFAR-10/100 network (spec §2.2), for :func:`zou_vgg` with ``input_size=24``.
CIFAR_VGG = "96C3-256C3-2P2-384C3-2P2-384C3-256C3-2P2-1024C3-1024FC-10FC"

#: MobileNet-V1's 13 depthwise-separable blocks as ``(output channels, stride)``.
MOBILENET_V1 = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
                (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))

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
