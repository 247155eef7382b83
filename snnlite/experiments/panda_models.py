"""The VGG / BackRes networks of Panda, Aketi & Roy (2020), built from config strings (§4.10).

The paper's table bodies (widths, kernels, pooling) are UNKNOWN (spec §4.10); these builders
satisfy the constraints the text does state and choose small layers that train on 28x28
Fashion-MNIST with BPTT (T = 25) on a laptop CPU. They do not claim the paper's exact nets.

Layout (all choices ours, documented): every conv is ``Conv2d(c, c, 3, padding=1)`` (the
first maps the input channels to ``channels``) followed by ``ReLU``; a 2x2 ``AvgPool2d``
follows the first and the second *unit* (a unit is a plain conv or a BackRes block), so the
later convs work on 7x7 maps; then ``Flatten, Linear(., hidden) = FC1, ReLU, [Dropout],
Linear(hidden, n_classes) = FC2`` (the classifier, or :class:`~snnlite.nn.StochMax` head).
No BatchNorm and average (not max) pooling, so the same net converts (§4.5) and trains with
AGD. Equal conv widths make every conv unrollable (a BackRes needs ``C_out == C_in``, §4.6).

Config strings (``c<i>`` = conv i, ``c<i>x<n>`` = conv i as ``BackRes(., n)``, every net ends
in FC1 FC2; depths count conv + FC layers)::

    name        units                       real  logical   constraint (spec §4.10)
    VGG3        c1                           3      3       Table 10: FC2 = classifier
    VGG5        c1 c2 c3                     5      5
    VGG7        c1 c2 c3 c4 c5               7      7       7 unique layers incl. FC
    VGG9        c1 .. c7                     9      9       Table 15: c1-c2 ReLU, c3-c7 LIF
    VGG2x4      c1 c2x4                      4      7       Conv1 + Conv2x4, = VGG7 depth
    VGG3x2-v1   c1 c2x2 c3x2                 5      7       Conv2, Conv3 each twice, = VGG7
    VGG3x4      c1 (c2 c3)x2                 5      7       real depth 5, logical 7 (Table 9)
    VGG3x2      c1 c2x2                      4      5       = VGG3x2-v2, VGG5's depth (Table 9)
    VGG8x2      c1 .. c5 c6x2                8      9       Table 15: = VGG9 depth, one conv x2

Other strings follow the general rule ``VGG<k>`` = ``k - 2`` convs + FC1 + FC2 and
``VGG<k>x<n>`` = the same with the last conv applied ``n`` times (as in VGG8x2; ``k >= 4``,
since conv 1 changes the channel count). The paper's own names are not consistent (VGG2x4
counts convs, VGG8x2 counts all layers), hence the presets above; INFERRED choices: the
interleaving ``c2 c2 c3 c3`` of VGG3x2-v1, the 2-conv block of VGG3x4 (the "4" = four conv
computations in the unrolled part), Conv1-Conv2-FC1 as the "3" unique layers of VGG3x2-v2.

Examples
--------
>>> model = build_vgg("VGG2x4")
>>> info = describe(model, in_shape=(1, 28, 28))
>>> info["real_depth"], info["logical_depth"]
(4, 7)

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import re

import numpy as np

from .. import nn
from .._validate import as_rng
from ..nn.backres import applied

__all__ = ["PRESETS", "build_vgg", "describe", "hybrid_split", "parse_config"]

#: Paper names -> units: a tuple of 1-based conv numbers applied as one block, and ``n``.
PRESETS: dict[str, list[tuple[tuple[int, ...], int]]] = {
    "VGG2x4": [((1,), 1), ((2,), 4)],
    "VGG3x2-v1": [((1,), 1), ((2,), 2), ((3,), 2)],
    "VGG3x4": [((1,), 1), ((2, 3), 2)],
    "VGG3x2": [((1,), 1), ((2,), 2)],
    "VGG3x2-v2": [((1,), 1), ((2,), 2)],
}


def parse_config(config: str) -> list[tuple[tuple[int, ...], int]]:
    """The conv units of a config string: ``[(conv numbers, n applications), ...]``.

    Raises
    ------
    ValueError
        For a string that is neither a preset nor ``VGG<k>`` (``k >= 3``) nor ``VGG<k>x<n>``
        (``k >= 4``, ``n >= 2``).

    Examples
    --------
    >>> parse_config("VGG8x2")[-1]
    ((6,), 2)
    """
    if not isinstance(config, str):
        raise TypeError(f"config must be a string, got {type(config).__name__}")
    if config in PRESETS:
        return list(PRESETS[config])
    match = re.fullmatch(r"VGG(\d+)(?:x(\d+))?", config)
    if match is None:
        raise ValueError(f"unknown config {config!r}: expected 'VGG<k>' or 'VGG<k>x<n>' or "
                         f"one of {sorted(PRESETS)}")
    k, n = int(match[1]), int(match[2] or 1)
    if match[2] is None and k < 3:
        raise ValueError(f"{config!r}: VGG<k> needs k >= 3 (k - 2 convs + FC1 + FC2)")
    if match[2] is not None and (k < 4 or n < 2):
        raise ValueError(f"{config!r}: VGG<k>x<n> needs k >= 4 (conv 1 changes the channel "
                         f"count, so it cannot be unrolled) and n >= 2")
    return [((i,), 1) for i in range(1, k - 2)] + [((k - 2,), n)]


def build_vgg(config: str, in_shape=(1, 28, 28), n_classes: int = 10, channels: int = 16,
              hidden: int = 128, dropout: float = 0.0, head: str = "linear",
              rng=0) -> nn.Sequential:
    """A VGG / BackRes ANN (ReLU, average pooling, no BatchNorm) from a config string.

    Parameters
    ----------
    config : str
        See the module docstring (``"VGG5"``, ``"VGG3x2"``, ``"VGG3x2-v1"``, ``"VGG2x4"``, ...).
    in_shape : (C, H, W)
        Input shape; ``H`` and ``W`` must be multiples of 4 (two 2x2 poolings).
    n_classes : int
        Outputs of FC2.
    channels : int
        Width of every conv (16 by default: BPTT over T = 25 steps on 2 CPU cores).
    hidden : int
        Width of FC1.
    dropout : float
        If > 0, a ``Dropout(dropout)`` after FC1's ReLU (identity after conversion).
    head : {"linear", "stochmax"}
        FC2 as ``Linear(hidden, n_classes)`` (softmax, C6) or ``StochMax(hidden, n_classes)``
        (C7; train with :func:`~snnlite.nn.stochmax_loss`).
    rng : Generator, int or None
        Initialisation seed.

    Returns
    -------
    nn.Sequential
        Input ``(B, *in_shape)`` -> logits ``(B, n_classes)``; BackRes units appear as
        ``BackRes(Sequential(Conv2d, ReLU[, Conv2d, ReLU]), n)``.

    Examples
    --------
    >>> import numpy as np
    >>> build_vgg("VGG3x4")(np.zeros((2, 1, 28, 28), np.float32)).shape
    (2, 10)
    """
    units = parse_config(config)
    c_in, height, width = (int(v) for v in in_shape)
    if height % 4 or width % 4 or height < 4 or width < 4:
        raise ValueError(f"in_shape {tuple(in_shape)}: H and W must be positive multiples of 4")
    if head not in ("linear", "stochmax"):
        raise ValueError(f"head must be 'linear' or 'stochmax', got {head!r}")
    rng = as_rng(rng)
    layers: list[nn.Module] = []
    for u, (convs, n) in enumerate(units):
        block = []
        for i in convs:
            block += [nn.Conv2d(c_in if i == 1 else channels, channels, 3, padding=1, rng=rng),
                      nn.ReLU()]
        layers += block if n == 1 else [nn.BackRes(nn.Sequential(*block), n)]
        if u < 2:
            layers.append(nn.AvgPool2d(2))
    if len(units) == 1:
        layers.append(nn.AvgPool2d(2))
    layers += [nn.Flatten(), nn.Linear(channels * (height // 4) * (width // 4), hidden, rng=rng),
               nn.ReLU()]
    if dropout > 0:
        layers.append(nn.Dropout(dropout, rng=rng))
    layers.append(nn.StochMax(hidden, n_classes, rng=rng) if head == "stochmax"
                  else nn.Linear(hidden, n_classes, rng=rng))
    return nn.Sequential(*layers)


def hybrid_split(model: nn.Sequential, n_relu: int = 2) -> int:
    """Index of the first layer of the spiking part of a hybrid net (§4.8, Table 15).

    The ReLU (ANN) block is ``model.layers[:index]``: everything up to the ``n_relu``-th
    top-level ReLU plus the pooling / dropout right after it (linear, computed once). For
    ``VGG9`` / ``VGG8x2`` with ``n_relu=2``: Conv1, Conv2 (and their pools) stay ReLU.

    Raises
    ------
    ValueError
        If a BackRes block or the classifier comes before the ``n_relu``-th ReLU (the split
        would cut a shared block).

    Examples
    --------
    >>> hybrid_split(build_vgg("VGG9"))
    6
    """
    seen = 0
    for i, layer in enumerate(model.layers):
        if isinstance(layer, nn.BackRes) or isinstance(layer, (nn.Linear, nn.StochMax)):
            raise ValueError(f"layer {i} ({type(layer).__name__}) comes before ReLU number "
                             f"{n_relu}; a hybrid split cannot cut there")
        if isinstance(layer, nn.ReLU):
            seen += 1
            if seen == n_relu:
                i += 1
                while i < len(model.layers) and isinstance(model.layers[i],
                                                           (nn.AvgPool2d, nn.Dropout)):
                    i += 1
                return i
    raise ValueError(f"the model has only {seen} top-level ReLUs, fewer than n_relu={n_relu}")


def describe(model: nn.Sequential, in_shape=None) -> dict:
    """Parameter count, real and logical depth, and the unrolled graph of a model.

    Parameters
    ----------
    model : nn.Sequential
        For example from :func:`build_vgg`.
    in_shape : tuple, optional
        Input shape without the batch axis; when given, the graph shows each layer's output
        shape (from one forward pass of a zero input).

    Returns
    -------
    dict
        ``params`` (shared weights counted once), ``real_depth`` (distinct Conv2d / Linear /
        StochMax layers), ``logical_depth`` (weighted layers applied in one forward pass) and
        ``graph``: one line per applied layer, unrolled; ``[k/n]`` marks unrolling ``k`` of a
        BackRes block of ``n``; shared layers keep their name (``conv2``).
    """
    names, lines, logical = {}, [], 0
    h = None if in_shape is None else np.zeros((1, *in_shape), np.float32)
    for layer, _, tags in applied(model):
        if isinstance(layer, (nn.Conv2d, nn.Linear, nn.StochMax)):
            kind = "conv" if isinstance(layer, nn.Conv2d) else "fc"
            if id(layer) not in names:
                names[id(layer)] = f"{kind}{sum(n.startswith(kind) for n in names.values()) + 1}"
            logical += 1
            label = names[id(layer)]
        else:
            label = type(layer).__name__.lower()
        if h is not None:
            h = layer.forward(h)
        shape = "" if h is None else "  " + "x".join(map(str, h.shape[1:]))
        unroll = "".join(f" [{t}]" for t in tags)
        lines.append(f"{label}{unroll}  {layer!r}{shape}".replace("\n", " "))
    params = sum(p.data.size for p in model.parameters())
    return {"params": int(params), "real_depth": len(names), "logical_depth": logical,
            "graph": "\n".join(lines)}
