"""Conv2d, pooling, BatchNorm and Dropout against independent reference computations."""

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from snnlite.nn import (
    AvgPool2d,
    BatchNorm,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Linear,
    MaxPool2d,
)
from snnlite.nn.im2col import col2im, im2col

FAST = settings(max_examples=25, deadline=None)


# --- nested-loop references --------------------------------------------------------------------

def conv_reference(x, weight, bias, stride, padding, groups):
    """Direct definition: one dot product per (batch, output channel, output pixel)."""
    (sh, sw), (ph, pw) = stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    b, c_out, (kh, kw) = x.shape[0], weight.shape[0], weight.shape[2:]
    c_group, out_group = weight.shape[1], c_out // groups
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    y = np.zeros((b, c_out, oh, ow))
    for n in range(b):
        for o in range(c_out):
            first = (o // out_group) * c_group
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, first:first + c_group, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[n, o, i, j] = np.sum(window * weight[o]) + (0 if bias is None else bias[o])
    return y


def pool_reference(x, kernel, stride, padding, reduce):
    """Apply ``reduce`` to every (padded) window, one window at a time."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    y = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = reduce(xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw], axis=(2, 3))
    return y


def maxpool_grad_reference(x, grad, kernel, stride):
    """Route each window's gradient to its first maximal element in row-major order."""
    (kh, kw), (sh, sw) = kernel, stride
    dx = np.zeros_like(x, dtype=grad.dtype)
    for n, c, i, j in np.ndindex(grad.shape):
        window = x[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw]
        a, b = np.unravel_index(np.argmax(window), window.shape)  # argmax: first occurrence
        dx[n, c, i * sh + a, j * sw + b] += grad[n, c, i, j]
    return dx


def pair(v):
    return (v, v) if isinstance(v, int) else v


# --- Conv2d ------------------------------------------------------------------------------------

@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h = draw(st.integers(max(1, kernel[0] - 2 * padding[0]), 7))
    w = draw(st.integers(max(1, kernel[1] - 2 * padding[1]), 7))
    return c_in, c_out, kernel, stride, padding, groups, (draw(st.integers(1, 3)), c_in, h, w)


@FAST
@given(case=conv_cases(), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_conv2d_matches_nested_loops(case, bias, seed):
    c_in, c_out, kernel, stride, padding, groups, shape = case
    conv = Conv2d(c_in, c_out, kernel, stride, padding, groups, bias, rng=seed, dtype=np.float64)
    x = np.random.default_rng(seed).standard_normal(shape)
    expected = conv_reference(x, conv.weight.data, None if conv.bias is None else conv.bias.data,
                              stride, padding, groups)
    np.testing.assert_allclose(conv(x), expected, rtol=1e-12, atol=1e-12)


def test_conv2d_matches_scipy_correlate():
    rng = np.random.default_rng(0)
    conv = Conv2d(3, 2, (3, 4), rng=0, dtype=np.float64)
    x = rng.standard_normal((2, 3, 9, 8))
    expected = np.stack([np.stack([
        scipy.signal.correlate(x[n], conv.weight.data[o], mode="valid")[0] + conv.bias.data[o]
        for o in range(2)]) for n in range(2)])
    np.testing.assert_allclose(conv(x), expected, rtol=1e-12, atol=1e-12)


def test_conv2d_float32_and_spike_input():
    conv = Conv2d(2, 4, 3, padding=1, rng=0)
    spikes = np.random.default_rng(1).integers(-1, 2, (5, 2, 6, 6)).astype(np.int8)
    y = conv(spikes)
    assert y.dtype == np.float32 and y.shape == (5, 4, 6, 6) and y.flags.c_contiguous
    np.testing.assert_allclose(y, conv(spikes.astype(np.float32)), rtol=1e-6)


def test_conv2d_default_init_bounds():
    conv = Conv2d(4, 6, (3, 2), groups=2, rng=0)
    bound = 1 / np.sqrt(2 * 3 * 2)             # fan_in = C_in / groups * kh * kw
    assert conv.weight.data.shape == (6, 2, 3, 2) and conv.weight.data.dtype == np.float32
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.8 * bound
    np.testing.assert_array_equal(conv.weight.data, Conv2d(4, 6, (3, 2), groups=2, rng=0)
                                  .weight.data)


def test_conv2d_validation():
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match="kernel_size"):
        Conv2d(1, 1, (3, 3, 3))
    with pytest.raises(ValueError, match="stride"):
        Conv2d(1, 1, 3, stride=0)
    conv = Conv2d(3, 2, 5)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\), got shape \(2, 4, 8, 8\)"):
        conv(np.zeros((2, 4, 8, 8)))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        conv(np.zeros((2, 3, 4, 8)))


@FAST
@given(case=conv_cases(), seed=st.integers(0, 2**16))
def test_col2im_is_the_adjoint_of_im2col(case, seed):
    _, _, kernel, stride, padding, groups, shape = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    cols, _ = im2col(x, kernel, stride, padding, groups)
    r = rng.standard_normal(cols.shape)
    dx = col2im(r, shape, kernel, stride, padding, groups)
    np.testing.assert_allclose(np.sum(cols * r), np.sum(x * dx), rtol=1e-10, atol=1e-10)


# --- pooling -----------------------------------------------------------------------------------

@st.composite
def pool_cases(draw, padding=True):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    pad = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2))) \
        if padding else (0, 0)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(kernel[0], 8)),
             draw(st.integers(kernel[1], 8)))
    return kernel, stride, pad, shape


@FAST
@given(case=pool_cases(), seed=st.integers(0, 2**16))
def test_avgpool2d_matches_loops(case, seed):
    kernel, stride, padding, shape = case
    x = np.random.default_rng(seed).standard_normal(shape)
    expected = pool_reference(x, kernel, stride or kernel, padding, np.mean)
    np.testing.assert_allclose(AvgPool2d(kernel, stride, padding)(x), expected, rtol=1e-12)


@FAST
@given(case=pool_cases(padding=False), seed=st.integers(0, 2**16))
def test_maxpool2d_matches_loops_with_ties(case, seed):
    kernel, stride, _, shape = case
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, shape).astype(np.float64)          # many ties
    pool = MaxPool2d(kernel, stride)
    y = pool(x, train=True)
    np.testing.assert_array_equal(y, pool_reference(x, kernel, stride or kernel, (0, 0), np.max))
    grad = rng.standard_normal(y.shape)
    dx = pool.backward(grad)
    np.testing.assert_allclose(dx, maxpool_grad_reference(x, grad, kernel, stride or kernel),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx.sum(), grad.sum(), rtol=1e-10, atol=1e-10)


def test_maxpool2d_tie_goes_to_first_element():
    x = np.array([[[[1, 1, 0, 2],
                    [1, 0, 2, 2]]]], np.float32)
    pool = MaxPool2d(2)
    np.testing.assert_array_equal(pool(x, train=True), [[[[1, 2]]]])
    dx = pool.backward(np.array([[[[3, 5]]]], np.float32))
    np.testing.assert_array_equal(dx, [[[[3, 0, 0, 5],
                                         [0, 0, 0, 0]]]])
    assert dx.dtype == np.float32


def test_maxpool2d_overlapping_windows_sum_shared_maximum():
    x = np.array([[[[0, 9, 0],
                    [0, 0, 0]]]], np.float64)
    pool = MaxPool2d(2, stride=1)               # both windows select the 9
    pool(x, train=True)
    np.testing.assert_array_equal(pool.backward(np.array([[[[1.0, 2.0]]]])),
                                  [[[[0, 3, 0], [0, 0, 0]]]])


def test_pool_validation_and_repr():
    with pytest.raises(ValueError, match="at most half the kernel"):
        AvgPool2d(2, padding=2)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\), got shape \(3, 4\)"):
        MaxPool2d(2)(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        MaxPool2d(3)(np.zeros((1, 1, 2, 5)))
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2))"
    assert AvgPool2d(3, 1).stride == (1, 1)


# --- BatchNorm ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cls, shape", [(BatchNorm1d, (8, 3)), (BatchNorm2d, (4, 3, 5, 2))])
def test_batchnorm_running_stats_match_numpy(cls, shape):
    rng = np.random.default_rng(0)
    bn = cls(3, momentum=0.3, dtype=np.float64)
    axes = (0,) + tuple(range(2, len(shape)))
    mean, var = np.zeros(3), np.ones(3)
    for step in range(4):
        x = rng.normal(step, 1 + step, shape)
        y = bn(x, train=True)
        n = x.size // 3
        mean = 0.7 * mean + 0.3 * x.mean(axis=axes)
        var = 0.7 * var + 0.3 * x.var(axis=axes, ddof=1)
        batch_mean, batch_var = (v.reshape((1, 3) + (1,) * (len(shape) - 2))
                                 for v in (x.mean(axis=axes), x.var(axis=axes)))
        np.testing.assert_allclose(y, (x - batch_mean) / np.sqrt(batch_var + 1e-5), rtol=1e-10)
        assert n > 1
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-12)


def test_batchnorm_eval_uses_running_stats():
    rng = np.random.default_rng(1)
    bn = BatchNorm(4, eps=1e-3)
    bn.running_mean[:] = rng.normal(size=4)
    bn.running_var[:] = rng.uniform(0.5, 2, 4)
    bn.weight.data[:] = rng.normal(size=4)
    bn.bias.data[:] = rng.normal(size=4)
    x = rng.normal(size=(3, 4, 2, 2)).astype(np.float32)
    before = bn.running_mean.copy()
    y = bn(x)
    c = (1, 4, 1, 1)
    expected = (bn.weight.data.reshape(c) * (x - bn.running_mean.reshape(c))
                / np.sqrt(bn.running_var.reshape(c) + 1e-3) + bn.bias.data.reshape(c))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(bn.running_mean, before)     # eval leaves the buffers alone


def test_batchnorm_buffers_and_validation():
    bn = BatchNorm2d(3)
    assert sorted(bn.state_dict()) == ["bias", "running_mean", "running_var", "weight"]
    with pytest.raises(ValueError, match=r"4-D input with 3 channels.*\(5, 3\)"):
        bn(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="channels on axis 1"):
        BatchNorm1d(3)(np.zeros((5, 4)))
    with pytest.raises(ValueError, match="more than one value per channel"):
        BatchNorm(3)(np.zeros((1, 3)), train=True)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(3, momentum=1.5)


# --- Dropout -----------------------------------------------------------------------------------

def test_dropout():
    x = np.ones((200, 50), np.float32)
    drop = Dropout(0.3, rng=0)
    assert drop(x) is x                                        # eval: identity
    y = drop(x, train=True)
    assert y.dtype == np.float32
    np.testing.assert_allclose(np.unique(y), [0, 1 / 0.7], rtol=1e-6)
    assert abs(np.mean(y == 0) - 0.3) < 0.02
    np.testing.assert_array_equal(drop.backward(2 * x), 2 * y)  # the same mask
    np.testing.assert_array_equal(Dropout(0.3, rng=0)(x, train=True), y)
    assert not np.array_equal(drop(x, train=True), y)          # a fresh mask per call
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(1.0)


# --- gradient accumulation ---------------------------------------------------------------------

@pytest.mark.parametrize("make, shape", [
    (lambda: Conv2d(2, 4, 3, padding=1, groups=2, rng=0, dtype=np.float64), (2, 2, 5, 5)),
    (lambda: BatchNorm2d(2, dtype=np.float64), (3, 2, 2, 2)),
    (lambda: Linear(3, 2, rng=0, dtype=np.float64), (4, 3)),
])
def test_backward_accumulates(make, shape):
    rng = np.random.default_rng(0)
    layer = make()
    x = rng.standard_normal(shape)
    grad = rng.standard_normal(layer(x, train=True).shape)
    dx1 = layer.backward(grad)
    first = [p.grad.copy() for p in layer.parameters()]
    dx2 = layer.backward(grad)
    np.testing.assert_allclose(dx2, dx1)
    for p, g in zip(layer.parameters(), first, strict=True):
        assert np.any(g != 0)
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-12)
