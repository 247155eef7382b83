"""The STDP topologies of Panda et al.'s Table 7 (spec §4.10): ResNet2, ResNet3, ResNet2x2.

The paper gives only layer counts (table bodies UNKNOWN): ResNet2 and ResNet3 have 2 and 3
STDP-trained conv layers, ResNet2x2 has 2 unique conv layers, the second unrolled twice as a
BackRes block (§4.6) so that it reaches ResNet3's logical depth; each is followed by a
two-layer ReLU classifier (FC1, FC2). Widths, kernels and pooling are our choices, small
enough for a 2-core CPU (28x28 inputs, ``c`` channels, default 16)::

    conv1  1 -> c, 5x5, no padding     28x28 -> 24x24, LIF, spike max-pool 2 -> 12x12
    conv2  c -> c, 3x3, padding 1      12x12 -> 12x12, LIF        (x2 in ResNet2x2, shared W)
    conv3  c -> c, 3x3, padding 1      12x12 -> 12x12, LIF        (ResNet3 only)
    features: spike counts of the last conv (last unrolling), summed over 2x2 -> c*6*6
    FC1    c*6*6 -> hidden, ReLU;  FC2  hidden -> 10                (trained with backprop)

No skip connections: "ResNet" in the paper names layer counts. Unrolled graphs, STDP weights
(``25 c + 9 c^2``, plus ``9 c^2`` for ResNet3) and logical depths (spiking conv applications;
add 2 for the classifier):

=========== ========================================= =================== ===============
name        unrolled graph                            STDP weights (c=16) logical depth
=========== ========================================= =================== ===============
ResNet2     conv1 - pool - conv2                      400 + 2304 = 2704   2 (+2 FC = 4)
ResNet3     conv1 - pool - conv2 - conv3              2704 + 2304 = 5008  3 (+2 FC = 5)
ResNet2x2   conv1 - pool - conv2 - conv2 (same W)     2704                3 (+2 FC = 5)
=========== ========================================= =================== ===============

Examples
--------
>>> net = stdp_net("ResNet2x2", rng=0)
>>> net.n_params(), logical_depth(net), net.n_features
(2704, 3, 576)
"""

from __future__ import annotations

import re

from .. import nn
from .._validate import as_rng
from ..learn.conv_stdp_net import SpikingConv, SpikingConvNet

__all__ = ["TOPOLOGIES", "classifier", "logical_depth", "parse_topology", "stdp_net"]

TOPOLOGIES = ("ResNet2", "ResNet3", "ResNet2x2")


def parse_topology(name: str) -> tuple[int, int]:
    """``"ResNet<L>[x<n>]"`` -> ``(L unique conv layers, n unrollings of the last one)``.

    Raises
    ------
    ValueError
        If ``name`` does not match or ``L < 1``, ``n < 1``. (:func:`stdp_net` also refuses
        to unroll the first layer, whose input has 1 channel.)
    """
    m = re.fullmatch(r"ResNet(\d+)(?:x(\d+))?", name)
    if m is None or int(m.group(1)) < 1 or int(m.group(2) or 1) < 1:
        raise ValueError(f"topology must look like 'ResNet2', 'ResNet3' or 'ResNet2x2', "
                         f"got {name!r}")
    return int(m.group(1)), int(m.group(2) or 1)


def stdp_net(name: str, channels: int = 16, T: int = 12, feature_pool: int = 2, rng=0,
             **neuron) -> SpikingConvNet:
    """Build the spiking conv stack of topology ``name`` (module docstring) for 1x28x28 inputs.

    Parameters
    ----------
    name : str
        ``"ResNet<L>"`` or ``"ResNet<L>x<n>"`` (the last of the ``L`` layers unrolled ``n``
        times with shared weights).
    channels : int
        Channels ``c`` of every conv layer.
    T : int
        Time steps per presentation.
    feature_pool : int
        Sum-pooling window of the classifier features (spike counts of the last layer).
    rng : Generator, int or None
        Random source of the initial weights.
    **neuron
        Passed to every :class:`SpikingConv` (``alpha``, ``adapt``, ``beta``, ``w_range``).
    """
    n_layers, n = parse_topology(name)
    rng = as_rng(rng)
    if n_layers == 1 and n > 1:
        raise ValueError(f"the first layer (1 -> {channels} channels) cannot be unrolled: "
                         f"got {name!r}")
    layers = [SpikingConv(1, channels, 5, pool=2, rng=rng, **neuron)]
    for i in range(1, n_layers):
        layers.append(SpikingConv(channels, channels, 3, padding=1,
                                  repeats=n if i == n_layers - 1 else 1, rng=rng, **neuron))
    return SpikingConvNet(layers, (28, 28, 1), T=T, feature_pool=feature_pool, name=name)


def logical_depth(net: SpikingConvNet) -> int:
    """Spiking conv applications in the unrolled graph (unique layers x their unrollings)."""
    return sum(layer.repeats for layer in net.layers)


def classifier(n_features: int, hidden: int = 256, n_classes: int = 10,
               rng=0) -> nn.Sequential:
    """The FC1-ReLU-FC2 classifier trained on spike counts: ``Linear, ReLU, Linear``."""
    rng = as_rng(rng)
    return nn.Sequential(nn.Linear(n_features, hidden, rng=rng), nn.ReLU(),
                         nn.Linear(hidden, n_classes, rng=rng))
