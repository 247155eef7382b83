"""Panda et al. VGG / BackRes builders (spec §4.10): hand-counted parameters and depths."""

import numpy as np
import pytest

from snnlite import nn
from snnlite.experiments.panda_models import build_vgg, describe, hybrid_split, parse_config
from snnlite.nn.backres import applied

# channels = 16, hidden = 128, 1x28x28 input, two 2x2 pools -> 16 * 7 * 7 = 784 features
CONV1 = 1 * 16 * 9 + 16          # 160
CONV = 16 * 16 * 9 + 16          # 2320
FC1 = 784 * 128 + 128            # 100480
FC2 = 128 * 10 + 10              # 1290


@pytest.mark.parametrize("config, unique_convs, real, logical", [
    ("VGG3", 1, 3, 3), ("VGG5", 3, 5, 5), ("VGG7", 5, 7, 7), ("VGG9", 7, 9, 9),
    ("VGG2x4", 2, 4, 7), ("VGG3x2-v1", 3, 5, 7), ("VGG3x4", 3, 5, 7),
    ("VGG3x2", 2, 4, 5), ("VGG3x2-v2", 2, 4, 5), ("VGG8x2", 6, 8, 9), ("VGG6x3", 4, 6, 8),
])
def test_parameter_count_and_depths(config, unique_convs, real, logical):
    model = build_vgg(config)
    info = describe(model, in_shape=(1, 28, 28))
    assert info["params"] == CONV1 + (unique_convs - 1) * CONV + FC1 + FC2
    assert (info["real_depth"], info["logical_depth"]) == (real, logical)
    # one graph line per applied module: every conv applied (with its ReLU), two pools,
    # Flatten, FC1, ReLU, FC2
    lines = info["graph"].splitlines()
    assert len(lines) == len(list(applied(model))) == 2 * logical + 2
    assert model(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)


def test_paper_constraints_between_configs():
    depth = {c: describe(build_vgg(c)) for c in ("VGG5", "VGG7", "VGG9", "VGG2x4", "VGG3x2",
                                                 "VGG3x2-v1", "VGG3x4", "VGG8x2")}
    assert depth["VGG2x4"]["logical_depth"] == depth["VGG7"]["logical_depth"]      # Table 3
    assert depth["VGG3x2-v1"]["logical_depth"] == depth["VGG7"]["logical_depth"]   # Table 3
    assert depth["VGG3x2"]["logical_depth"] == depth["VGG5"]["logical_depth"]      # Table 9
    assert (depth["VGG3x4"]["real_depth"], depth["VGG3x4"]["logical_depth"]) == (5, 7)
    assert depth["VGG8x2"]["logical_depth"] == depth["VGG9"]["logical_depth"]      # Table 15


def test_unrolled_graph_order_and_sharing():
    graph = describe(build_vgg("VGG3x2-v1"))["graph"].splitlines()
    convs = [line.split("  ")[0] for line in graph if line.startswith("conv")]
    assert convs == ["conv1", "conv2 [1/2]", "conv2 [2/2]", "conv3 [1/2]", "conv3 [2/2]"]
    graph = describe(build_vgg("VGG3x4"))["graph"].splitlines()
    convs = [line.split("  ")[0] for line in graph if line.startswith("conv")]
    assert convs == ["conv1", "conv2 [1/2]", "conv3 [1/2]", "conv2 [2/2]", "conv3 [2/2]"]
    model = build_vgg("VGG2x4")
    res = [m for m in model if isinstance(m, nn.BackRes)]
    assert len(res) == 1 and res[0].n == 4 and res[0].block.layers[0].in_channels == 16


def test_shapes_widths_heads_and_dropout():
    model = build_vgg("VGG5", in_shape=(3, 32, 32), channels=8, hidden=32, dropout=0.2,
                      head="stochmax", rng=1)
    info = describe(model, in_shape=(3, 32, 32))
    convs = (3 * 8 * 9 + 8) + 2 * (8 * 8 * 9 + 8)
    assert info["params"] == convs + (8 * 8 * 8 * 32 + 32) + 2 * (32 * 10 + 10)
    assert any(isinstance(m, nn.Dropout) for m in model)
    assert model(np.zeros((2, 3, 32, 32), np.float32)).shape == (2, 10)
    assert model(np.zeros((2, 3, 32, 32), np.float32), train=True).shape == (2, 3, 10)
    a, b = build_vgg("VGG7", rng=3), build_vgg("VGG7", rng=3)
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_hybrid_split():
    for config in ("VGG9", "VGG8x2"):
        model = build_vgg(config)
        i = hybrid_split(model)
        relu_part = model.layers[:i]
        assert sum(isinstance(m, nn.Conv2d) for m in relu_part) == 2
        assert isinstance(model.layers[i], nn.Conv2d)  # the spiking block starts at Conv3
    with pytest.raises(ValueError, match="BackRes"):
        hybrid_split(build_vgg("VGG3x2"))
    with pytest.raises(ValueError, match="Linear"):
        hybrid_split(build_vgg("VGG3"))


@pytest.mark.parametrize("bad", ["VGG2", "VGG1", "VGG3x2-v3", "VGG5x1", "VGG3x3", "vgg5",
                                 "VGG", "ResNet3", "VGG5x"])
def test_bad_config_strings(bad):
    with pytest.raises(ValueError, match="VGG"):
        parse_config(bad)


def test_bad_arguments():
    with pytest.raises(TypeError):
        parse_config(5)
    with pytest.raises(ValueError, match="multiples of 4"):
        build_vgg("VGG5", in_shape=(1, 30, 30))
    with pytest.raises(ValueError, match="head"):
        build_vgg("VGG5", head="softmax2")
