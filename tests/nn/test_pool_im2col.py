"""Fused average pooling + im2col (nn.pool_im2col) against the modules themselves."""

import numpy as np
import pytest
from kernels import python

from snnlite import nn
from snnlite.neurons import IF
from snnlite.nn import pool_im2col
from snnlite.nn.pool_im2col import pooled_conv, pooled_conv_ops
from snnlite.snn import Readout, SpikingLayer, SpikingNetwork, synapse_paths

GEOMETRIES = [  # (pool kernel or None, conv kernel, stride, padding, input H x W)
    (2, 5, 1, 0, (24, 24)),
    ((2, 3), 3, 1, 0, (12, 15)),
    (None, 3, 2, 1, (9, 10)),
    (3, (2, 3), (2, 1), (1, 0), (13, 12)),  # H, W not multiples of the pool: floor
]


def _ops(pool, kernel, stride, padding, dtype=np.float64):
    conv = nn.Conv2d(3, 4, kernel, stride=stride, padding=padding, bias=False, rng=0,
                     dtype=dtype)
    return ([nn.AvgPool2d(pool)] if pool else []) + [conv]


def _reference(ops, x, dtype):
    h = x.astype(dtype)
    for op in ops:
        h = op.forward(h)
    return h


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("spikes", [True, False])
def test_equals_pool_then_conv_bit_for_bit_in_float64(geometry, spikes):
    pool, kernel, stride, padding, hw = geometry
    rng = np.random.default_rng(1)
    x = (rng.random((5, 3, *hw)) < 0.3).astype(np.int8) if spikes else rng.random((5, 3, *hw))
    ops = _ops(pool, kernel, stride, padding)
    assert pooled_conv_ops(nn.Sequential(*ops)) == ops
    np.testing.assert_array_equal(pooled_conv(ops, x, np.float64), _reference(ops, x, np.float64))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_int8_spikes_equal_the_modules_bit_for_bit(dtype):
    x = (np.random.default_rng(2).random((37, 3, 24, 24)) < 0.2).astype(np.int8)
    ops = _ops(2, 5, 1, 0, dtype)
    out = pooled_conv(ops, x, dtype)
    assert out.dtype == dtype and out.flags.c_contiguous
    np.testing.assert_array_equal(out, _reference(ops, x, dtype))


def test_interpreted_kernel_equals_compiled():
    x = (np.random.default_rng(3).random((2, 3, 8, 8)) < 0.5).astype(np.int8)
    args = (2, 2, np.float64(4), 3, 3, 1, 1, 1, 1)
    compiled, interpreted = np.empty((2 * 16, 27)), np.empty((2 * 16, 27))
    pool_im2col._pool_patches(x, *args, compiled)
    python(pool_im2col._pool_patches)(x, *args, interpreted)
    np.testing.assert_array_equal(compiled, interpreted)


@pytest.mark.parametrize("op", [
    nn.Conv2d(4, 4, 3, groups=2, bias=False),
    nn.Conv2d(4, 4, 3),                                              # carries a bias
    nn.Sequential(nn.AvgPool2d(2, stride=1), nn.Conv2d(4, 4, 3, bias=False)),  # overlapping
    nn.Sequential(nn.AvgPool2d(2, padding=1), nn.Conv2d(4, 4, 3, bias=False)),
    nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, bias=False)),
    nn.Sequential(nn.SumPool2d(2), nn.Conv2d(4, 4, 3, bias=False)),
    nn.Linear(4, 4),
])
def test_other_synapses_stay_on_the_module_path(op):
    assert pooled_conv_ops(op) is None


def test_wrong_channels_raise():
    with pytest.raises(ValueError, match=r"expects \(B, 3, H, W\)"):
        pooled_conv(_ops(2, 3, 1, 0), np.zeros((1, 2, 8, 8), np.int8), np.float32)


def _w2_like(dtype):
    net = SpikingNetwork([
        SpikingLayer(nn.Conv2d(1, 8, 5, rng=0, dtype=dtype), IF(threshold=0.5)),
        SpikingLayer(nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(8, 6, 3, rng=1, dtype=dtype)),
                     IF(threshold=0.3)),
        Readout(nn.Sequential(nn.AvgPool2d(2), nn.Flatten(), nn.Linear(6 * 4, 10, rng=2,
                                                                       dtype=dtype))),
    ])
    x = np.random.default_rng(4).random((6, 1, 16, 16)).astype(dtype)
    return net, x


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("engine", ["layer", "step"])
def test_network_spikes_equal_the_module_path(monkeypatch, dtype, engine):
    net, x = _w2_like(dtype)
    fused = net.run(x, 6, "analog", engine=engine, dtype=dtype, record={"layer1": ["spikes"]})
    monkeypatch.setattr(synapse_paths, "pooled_conv_ops", lambda op: None)
    dense = net.run(x, 6, "analog", engine=engine, dtype=dtype, record={"layer1": ["spikes"]})
    assert fused.counts["layer1"].total > 0
    np.testing.assert_array_equal(fused.spikes["layer1"], dense.spikes["layer1"])
    np.testing.assert_array_equal(fused.outputs, dense.outputs)
