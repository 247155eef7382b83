"""Median quantizer (A1, A2) and ternary weights (A3): hand values, the +1e-5 tie rule, the
first-layer clip, straight-through gradients against independent computations."""

import numpy as np
import pytest

from snnlite import nn
from snnlite.nn import Conv2d, Linear, MedianQuant, TernaryConv2d, TernaryLinear, ternarize

# --- ternarize (A3) ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ternarize_spec_6_4(dtype):
    w = np.array([0.9, -0.05, 0.3, -0.6, 0.1, 0.0, 0.45, -0.3], dtype)  # Delta = 0.23625
    t = ternarize(w)
    assert t.dtype == np.int8 and t.tolist() == [1, 0, 1, -1, 0, 0, 1, -1]
    assert ternarize(w.reshape(2, 2, 2)).ravel().tolist() == t.tolist()  # Delta over all


def test_ternarize_rule_and_ties():
    w = np.random.default_rng(0).normal(size=(4, 3, 3, 3))
    delta = 0.7 * np.mean(np.abs(w))
    expected = np.where(w >= delta, 1, np.where(w <= -delta, -1, 0))
    np.testing.assert_array_equal(ternarize(w), expected)
    # mean |w| = 10, Delta = 7: +-7 lie exactly on +-Delta, and ">=" / "<=" are inclusive
    assert ternarize(np.array([7.0, -7.0, 13.0, -13.0, 6.5, -6.5, 13.5, -13.5])).tolist() == \
        [1, -1, 1, -1, 0, 0, 1, -1]
    assert ternarize(np.zeros((2, 3))).tolist() == [[0, 0, 0]] * 2  # Delta = 0: all zero


# --- TernaryConv2d / TernaryLinear: ternary forward, straight-through backward ----------------

def conv_direct(x, w):
    """Valid stride-1 cross-correlation by einsum over the kernel offsets (no im2col)."""
    kh, kw = w.shape[2:]
    oh, ow = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    y = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("bchw,oc->bohw", x[:, :, i:i + oh, j:j + ow], w[:, :, i, j])
    return y


def conv_direct_grads(x, w, g):
    """Gradients of ``sum(conv_direct(x, w) * g)`` w.r.t. ``w`` and ``x``."""
    kh, kw = w.shape[2:]
    oh, ow = g.shape[2:]
    dw, dx = np.zeros_like(w), np.zeros_like(x)
    for i in range(kh):
        for j in range(kw):
            dw[:, :, i, j] = np.einsum("bohw,bchw->oc", g, x[:, :, i:i + oh, j:j + ow])
            dx[:, :, i:i + oh, j:j + ow] += np.einsum("bohw,oc->bchw", g, w[:, :, i, j])
    return dw, dx


def test_ternary_conv_forward_and_straight_through_gradient():
    rng = np.random.default_rng(0)
    conv = TernaryConv2d(3, 4, 3, bias=False, rng=1, dtype=np.float64)
    latent = conv.weight.data.copy()
    x, g = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(2, 4, 4, 3))
    wt = ternarize(latent).astype(np.float64)
    assert set(np.unique(wt)) == {-1.0, 0.0, 1.0}
    y = conv(x, train=True)
    np.testing.assert_allclose(y, conv_direct(x, wt), rtol=1e-12, atol=1e-12)
    conv.weight.grad[...] = 1.0  # backward adds into grad
    dx = conv.backward(g)
    dw, dx_ref = conv_direct_grads(x, wt, g)
    np.testing.assert_allclose(conv.weight.grad, 1.0 + dw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(conv.weight.data, latent)  # the latent weights are kept
    assert conv.ternary_weight().dtype == np.int8
    np.testing.assert_array_equal(conv.ternary_weight(), wt)


def test_ternary_conv_matches_conv2d_with_ternary_weights_and_bias():
    rng = np.random.default_rng(2)
    conv = TernaryConv2d(2, 4, 3, stride=2, padding=1, groups=2, rng=3)
    plain = Conv2d(2, 4, 3, stride=2, padding=1, groups=2, rng=3)
    plain.weight.data[...] = conv.ternary_weight()
    x = rng.normal(size=(3, 2, 7, 7)).astype(np.float32)
    y = conv(x, train=True)
    np.testing.assert_array_equal(y, plain(x, train=True))
    g = rng.normal(size=y.shape).astype(np.float32)
    np.testing.assert_array_equal(conv.backward(g), plain.backward(g))
    np.testing.assert_array_equal(conv.weight.grad, plain.weight.grad)
    np.testing.assert_array_equal(conv.bias.grad, plain.bias.grad)


def test_ternary_linear_straight_through_gradient():
    rng = np.random.default_rng(4)
    layer = TernaryLinear(5, 3, bias=False, rng=5, dtype=np.float64)
    x, g = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    wt = ternarize(layer.weight.data).astype(np.float64)
    np.testing.assert_allclose(layer(x, train=True), x @ wt.T, rtol=1e-12)
    dx = layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, g.T @ x, rtol=1e-12)  # dL/dWt, passed through
    np.testing.assert_allclose(dx, g @ wt, rtol=1e-12)


def test_input_gradient_by_finite_differences():
    # for fixed ternary weights the layer is linear in x: central differences are exact-ish
    rng = np.random.default_rng(6)
    conv = TernaryConv2d(2, 3, 2, rng=7, dtype=np.float64)
    x, r = rng.normal(size=(1, 2, 3, 3)), rng.normal(size=(1, 3, 2, 2))
    conv(x, train=True)
    dx = conv.backward(r)
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = 1e-6
        numeric[i] = np.sum((conv(x + step) - conv(x - step)) * r) / 2e-6
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-8)


def test_ternary_false_is_the_float_layer():
    rng = np.random.default_rng(8)
    layer, plain = TernaryLinear(4, 2, rng=9, ternary=False), Linear(4, 2, rng=9)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_array_equal(layer(x, train=True), plain(x, train=True))
    g = np.ones((3, 2), np.float32)
    np.testing.assert_array_equal(layer.backward(g), plain.backward(g))
    np.testing.assert_array_equal(layer.weight.grad, plain.weight.grad)
    assert "ternary=False" in repr(layer) and "ternary=True" in repr(TernaryConv2d(1, 1, 1))


def test_ternary_layers_train_and_save(tmp_path):
    model = nn.Sequential(TernaryLinear(4, 3, bias=False, rng=0), nn.ReLU(), Linear(3, 2, rng=1))
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "2.weight", "2.bias"]
    before = model[0].weight.data.copy()
    opt = nn.SGD(model.parameters(), lr=0.5)
    x = np.random.default_rng(2).normal(size=(8, 4)).astype(np.float32)
    y = model(x, train=True)
    model.backward(np.ones_like(y))
    opt.step()
    assert not np.array_equal(model[0].weight.data, before)  # the latent weights learn
    nn.save(model, tmp_path / "m.npz")
    copy = nn.Sequential(TernaryLinear(4, 3, bias=False, rng=5), nn.ReLU(), Linear(3, 2, rng=6))
    nn.load(copy, tmp_path / "m.npz")
    np.testing.assert_array_equal(copy(x), model(x))


# --- MedianQuant (A1, A2) ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_median_quant_k0_tie_rule(dtype):
    q = MedianQuant(k=0)
    x = np.array([-1.0, 0.2, 0.49998, 0.5, 1.5, 2.5, 3.49, 7.6], dtype)
    # +1e-5 before the half-even rounding: 0.5 -> 1, 2.5 -> 3 (plain half-even gives 0 and 2)
    y = q(x)
    assert y.dtype == dtype and y.tolist() == [0, 0, 0, 1, 2, 3, 3, 8]
    assert q.levels(x).dtype == np.int32 and q.levels(x).tolist() == [0, 0, 0, 1, 2, 3, 3, 8]
    assert q(np.array([0.499995])).tolist() == [1.0]  # the boundary moved to 0.49999...


def test_median_quant_k2_and_k1():
    x = np.array([-0.3, 0.1, 0.125, 0.3, 0.375, 1.0, 2.2])
    q = MedianQuant(k=2)  # grid 0.25: v * 4 = 0.4, 0.5 (tie, up), 1.2, 1.5 (tie, up), 4, 8.8
    assert q(x).tolist() == [0, 0, 0.25, 0.25, 0.5, 1.0, 2.25]
    assert q.levels(x).tolist() == [0, 0, 1, 1, 2, 4, 9]
    assert MedianQuant(k=1)(x).tolist() == [0, 0, 0, 0.5, 0.5, 1.0, 2.0]
    np.testing.assert_array_equal(q.levels(x) / 4, q(x))


def test_median_quant_first_layer_clip():
    q = MedianQuant(k=0, clip=4)  # A2: y1 = Q_0(clip(ReLU(u), 0, 4)) in {0, .., 4}
    x = np.array([-5.0, 0.5, 3.4, 3.5, 4.0, 4.7, 10.0])
    assert q(x).tolist() == [0, 1, 3, 4, 4, 4, 4]
    assert q.levels(x).tolist() == [0, 1, 3, 4, 4, 4, 4]
    assert repr(q) == "MedianQuant(k=0, clip=4.0)"


def test_median_quant_straight_through_gradient():
    x = np.array([[-1.0, 0.0, 0.3, 2.0], [3.9, 4.0, 5.0, 0.7]])
    g = np.arange(1.0, 9.0).reshape(2, 4)
    q = MedianQuant(k=1)
    q(x, train=True)
    assert q.backward(g).tolist() == [[0, 0, 3, 4], [5, 6, 7, 8]]  # identity where x > 0
    clipped = MedianQuant(k=0, clip=4.0)
    clipped(x, train=True)
    assert clipped.backward(g).tolist() == [[0, 0, 3, 4], [5, 0, 0, 8]]  # and x < B
    assert MedianQuant().parameters() == []


@pytest.mark.parametrize("kwargs, match", [
    (dict(k=-1), "k must be"), (dict(k=1.5), "k must be"), (dict(k=True), "k must be"),
    (dict(clip=0.0), "clip"), (dict(clip=-4.0), "clip"),
])
def test_median_quant_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MedianQuant(**kwargs)
