"""The QFFS reproduction's small ResNet (issue 4): quantization of residual blocks, training
path on a tiny subset, and the shipped Fashion-MNIST QANN converted to a QFFS SNN.

Checks are independent of the converter: the SNN's final output counts are compared with the
quantized ANN's own forward pass (``round(y / s)`` of its output LSQ).
"""

from importlib import resources

import numpy as np
import pytest

from snnlite import nn
from snnlite.datasets import load_fashion_mnist, to_float
from snnlite.experiments.qffs_mnist import (
    evaluate_snn,
    load_qann,
    resnet_section,
    train_qann,
)
from snnlite.experiments.qffs_models import qffs_resnet, quantize


def modules(module):
    """Every module of ``module``, depth first."""
    yield module
    for _, child in module.children():
        yield from modules(child)


@pytest.fixture(scope="module")
def fashion_test():
    x, y = load_fashion_mnist("test")
    return to_float(x[:64]), y[:64]


def ann_output_levels(qann, x):
    """Output levels of the QANN from its plain forward pass: ``y / s`` (exact integers)."""
    out = qann(x) / float(qann.layers[-1].step.data)
    assert np.allclose(out, np.round(out), atol=1e-4)
    return np.round(out).astype(np.int64)


def check_snn_matches_qann(qann, x, T=16, min_unique=None):
    """Final SNN output counts equal the QANN's levels; predictions agree wherever the top
    level is unique (ties are broken by the membrane, not compared here), which must be the
    case for at least ``min_unique`` images (default: half)."""
    run = evaluate_snn(qann, x, np.zeros(len(x), np.int64), T=T)
    counts = np.floor(run["result"].outputs[-1]).astype(np.int64)
    levels = ann_output_levels(qann, x)
    np.testing.assert_array_equal(counts, levels)
    assert levels.max() > 0  # not a silent network
    top = levels.max(axis=1, keepdims=True)
    unique = (levels == top).sum(axis=1) == 1
    assert unique.sum() >= (len(x) // 2 if min_unique is None else min_unique)
    np.testing.assert_array_equal(run["result"].predictions()[-1][unique],
                                  levels.argmax(axis=1)[unique])
    return run


def test_qffs_resnet_shapes_and_quantize_reaches_into_blocks():
    model = qffs_resnet(rng=0)
    x = np.zeros((2, 1, 28, 28), np.float32)
    assert model(x).shape == (2, 10)
    # stem 160 + BN 32; block 1: 2 x (2320 + 32); block 2: 4640 + 9248 + 544 (1x1) + 3 x 64 BN;
    # classifier 330
    assert sum(p.data.size for p in model.parameters()) == 19850
    qann = quantize(model, bits=2, out_bits=3)
    kinds = [type(m) for m in modules(qann)]
    assert nn.ReLU not in kinds
    # stem + 2 per block (inside the branch and after the addition) + output
    assert [m.bits for m in modules(qann) if isinstance(m, nn.LSQ)] == [2] * 5 + [3]
    assert not any(isinstance(m, nn.LSQ) for m in modules(model))  # the original is kept
    assert qffs_resnet((16, 32, 64))(x).shape == (2, 10)  # 7x7 -> 4x4 map, AvgPool2d(4)
    with pytest.raises(ValueError, match="channels"):
        qffs_resnet(())


def test_resnet_training_path_on_tiny_subset(fashion_test):
    x, y = fashion_test
    data = (x[:48], y[:48], x[48:], y[48:])
    float_model, qann, meta = train_qann(1, 1, seed=0, progress=False, arch="resnet",
                                         data=data)
    assert meta["arch"] == "resnet" and meta["dataset"] == "load_fashion_mnist"
    assert isinstance(qann.layers[4], nn.ResidualBlock)
    # barely trained on 48 images, its output levels tie across classes: compare counts only
    check_snn_matches_qann(qann, x[48:], min_unique=0)


def test_shipped_resnet_qann_converts_losslessly(fashion_test):
    x, y = fashion_test
    qann = load_qann(arch="resnet")
    with resources.as_file(resources.files("snnlite.data") / "qffs_resnet_fashion.npz") as f:
        meta = nn.load_metadata(f)
    assert meta["arch"] == "resnet" and meta["bits"] == 2 and meta["out_bits"] == 3
    run = check_snn_matches_qann(qann, x[:32])
    assert run["agreement"][-1] == 1.0
    # the ResNet section of the report: a row per quantity, the QANN's own accuracy
    lines, summary = resnet_section(qann, meta, x[:32], y[:32], T=16)
    plain = float((qann(x[:32]).argmax(1) == y[:32]).mean())
    assert summary["qann"] == plain and len(summary["accuracy"]) == 16
    assert summary["agreement"][-1] == 1.0
    assert any(line.startswith("| SNN accuracy |") for line in lines)
