"""Finite-difference gradient checks (float64) for every differentiable layer of snnlite.nn."""

import numpy as np
import pytest
from gradcheck import gradcheck  # tests/ is on pytest's pythonpath

from snnlite.nn import (
    AvgPool2d,
    BatchNorm,
    BatchNorm1d,
    BatchNorm2d,
    ClippedReLU,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    Module,
    ReLU,
    Sequential,
    softmax_cross_entropy,
)

F64 = np.float64


def away_from(rng, shape, kinks, margin=0.05, low=-2.0, high=2.0):
    """Uniform values in ``[low, high]`` at least ``margin`` from every kink."""
    x = rng.uniform(low, high, shape)
    for k in kinks:
        near = np.abs(x - k) < margin
        x[near] = k + np.where(x[near] >= k, margin, -margin) * 2
    return x


def tie_free(rng, shape):
    """A permutation of well separated values (no ties, so max-pooling is differentiable)."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 1


def randomize(module: Module, rng) -> Module:
    """Give every parameter random values (so scale/shift parameters are not trivial)."""
    for p in module.parameters():
        p.data[...] = rng.uniform(0.5, 1.5, p.data.shape) * rng.choice([-1, 1], p.data.shape)
    return module


@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias):
    rng = np.random.default_rng(1)
    gradcheck(Linear(5, 3, bias=bias, rng=0, dtype=F64), rng.standard_normal((4, 5)))


# (in, out, kernel, stride, padding, groups, H, W)
CONV_CASES = [
    (3, 4, 3, 1, 0, 1, 6, 5),
    (2, 3, 2, 3, 0, 1, 8, 7),                  # stride > kernel: some pixels unused
    (2, 4, (3, 2), (2, 1), (1, 0), 2, 7, 6),   # non-square everything, 2 groups
    (4, 4, 3, 2, 1, 4, 6, 6),                  # depthwise
    (2, 6, (1, 3), 1, (0, 2), 1, 4, 5),
    (3, 6, 2, 1, 1, 3, 3, 4),                  # 2 output channels per group
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(case, bias):
    c_in, c_out, k, s, p, g, h, w = case
    rng = np.random.default_rng(2)
    conv = Conv2d(c_in, c_out, k, stride=s, padding=p, groups=g, bias=bias, rng=0, dtype=F64)
    gradcheck(conv, rng.standard_normal((2, c_in, h, w)))


@pytest.mark.parametrize("kernel, stride, padding", [
    (2, None, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 0)), (3, 1, 0)])
def test_avgpool2d(kernel, stride, padding):
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 6))
    gradcheck(AvgPool2d(kernel, stride, padding), x)


@pytest.mark.parametrize("kernel, stride", [
    (2, None), (3, 1), (3, 2), ((2, 3), (2, 1)), (2, 3)])
def test_maxpool2d(kernel, stride):
    x = tie_free(np.random.default_rng(4), (2, 3, 7, 8))
    gradcheck(MaxPool2d(kernel, stride), x)


@pytest.mark.parametrize("cls, shape", [
    (BatchNorm1d, (6, 4)), (BatchNorm1d, (3, 4, 5)), (BatchNorm2d, (3, 4, 3, 2)),
    (BatchNorm, (5, 4))])
def test_batchnorm_train(cls, shape):
    rng = np.random.default_rng(5)
    bn = randomize(cls(shape[1], dtype=F64), rng)
    gradcheck(bn, rng.normal(1.0, 2.0, shape))


def test_relu():
    x = away_from(np.random.default_rng(6), (4, 7), kinks=[0.0])
    gradcheck(ReLU(), x)


def test_clipped_relu():
    x = away_from(np.random.default_rng(7), (4, 7), kinks=[0.0, 1.5], high=3.0)
    gradcheck(ClippedReLU(1.5), x)


def test_flatten():
    gradcheck(Flatten(), np.random.default_rng(8).standard_normal((3, 2, 3, 2)))


class SeededDropout(Module):
    """Dropout whose mask is the same at every call (the rng is re-seeded)."""

    def __init__(self, p):
        self.inner = Dropout(p)

    def forward(self, x, train=False):
        self.inner.rng = np.random.default_rng(11)
        return self.inner(x, train)

    def backward(self, grad):
        return self.inner.backward(grad)


def test_dropout_fixed_mask():
    drop = SeededDropout(0.4)
    x = np.random.default_rng(9).standard_normal((5, 6))
    y = drop(x, train=True)
    assert 0 < np.count_nonzero(y == 0) < y.size      # the mask really drops something
    gradcheck(drop, x)


class CrossEntropy(Module):
    """``softmax_cross_entropy`` against fixed labels, as a module with a (1,) output."""

    def __init__(self, labels):
        self.labels = labels

    def forward(self, x, train=False):
        loss, self._grad = softmax_cross_entropy(x, self.labels)
        return np.array([loss])

    def backward(self, grad):
        return self._grad * grad[0]


def test_softmax_cross_entropy():
    rng = np.random.default_rng(10)
    gradcheck(CrossEntropy(np.array([0, 3, 3, 1])), rng.normal(0, 3, (4, 5)))


def test_small_convnet():
    """A whole stack: conv, batch norm, pooling, linear (checks the layers compose)."""
    rng = np.random.default_rng(12)
    net = Sequential(Conv2d(2, 3, 3, padding=1, rng=0, dtype=F64), BatchNorm2d(3, dtype=F64),
                     AvgPool2d(2), Flatten(), Linear(12, 2, rng=1, dtype=F64))
    randomize(net[1], rng)
    gradcheck(net, rng.standard_normal((3, 2, 4, 4)))
