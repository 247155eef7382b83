"""LSQ activation quantizer (B13): spec §6.7 table, straight-through gradients against finite
differences, the initialisation rule, save/load, and parameter validation."""

import math

import numpy as np
import pytest

from snnlite import nn
from snnlite.nn import LSQ

F64 = np.float64
# spec §6.7: b = 2, s = 0.5, Q_P = 3
TABLE = [  # (x, forward y, dy/dx, dy/ds before g)
    (-0.25, 0.0, 0, 0.0),
    (0.125, 0.0, 1, -0.25),
    (0.25, 0.0, 1, -0.5),  # v = 0.5 rounds half to even: level 0
    (0.375, 0.5, 1, 0.25),
    (0.75, 1.0, 1, 0.5),  # v = 1.5 -> level 2
    (1.25, 1.0, 1, -0.5),  # v = 2.5 -> level 2
    (1.5, 1.5, 0, 3.0),
    (2.0, 1.5, 0, 3.0),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_spec_6_7_table(dtype):
    x = np.array([row[0] for row in TABLE], dtype)
    q = LSQ(bits=2, step=0.5, grad_scale=None, dtype=dtype)
    y = q(x, train=True)
    assert y.dtype == dtype
    assert y.tolist() == [row[1] for row in TABLE]
    assert not np.signbit(y).any()  # no -0.0 below the range
    assert q.levels(x).tolist() == [0, 0, 0, 1, 2, 2, 3, 3]
    assert q.levels(x).dtype == np.int32
    for i, (_, _, dydx, dyds) in enumerate(TABLE):  # one-hot output gradients: per element
        q.zero_grad()
        one_hot = np.zeros_like(x)
        one_hot[i] = 1
        assert q.backward(one_hot).tolist() == [dydx if j == i else 0 for j in range(len(x))]
        assert q.step.grad == dyds


@pytest.mark.parametrize("grad_scale, n", [("elements", 24), ("batch", 4), (None, None)])
def test_step_gradient_scale(grad_scale, n):
    x = np.random.default_rng(0).uniform(-1, 3, (4, 6))
    q = LSQ(bits=2, step=0.5, grad_scale=grad_scale, dtype=F64)
    q(x, train=True)
    q.backward(np.ones_like(x))
    unscaled = LSQ(bits=2, step=0.5, grad_scale=None, dtype=F64)
    unscaled(x, train=True)
    unscaled.backward(np.ones_like(x))
    g = 1.0 if n is None else 1 / math.sqrt(n * 3)
    assert q.step.grad == pytest.approx(g * unscaled.step.grad, rel=1e-15)


def test_backward_accumulates_into_step_grad():
    x = np.array([0.3, 0.7, 2.0])
    q = LSQ(bits=2, step=0.5, grad_scale=None, dtype=F64)
    q(x, train=True)
    q.backward(np.ones(3))
    once = float(q.step.grad)
    q.backward(np.ones(3))
    assert q.step.grad == 2 * once


# --- finite differences (float64) --------------------------------------------------------------

def away_from_kinks(rng, shape, step, q_p, margin=0.05):
    """Values of ``x / step`` in [-1.5, q_p + 1.5], away from the clip points and from the
    rounding boundaries (half-integers)."""
    v = rng.uniform(-1.5, q_p + 1.5, shape)
    frac = v - np.floor(v)
    bad = (np.abs(frac - 0.5) < margin) | (frac < margin) | (frac > 1 - margin)
    v[bad] = np.floor(v[bad]) + 0.25
    return v * step


@pytest.mark.parametrize("bits, grad_scale", [(1, "elements"), (2, "batch"), (3, None)])
def test_gradients_match_finite_differences_of_the_straight_through_surrogate(bits,
                                                                            grad_scale):
    """``s * (clip(v, 0, Q_P) + d)`` with ``d`` frozen at the point: the LSQ gradients are
    its exact derivatives (and its value there is the forward output)."""
    rng = np.random.default_rng(bits)
    s0, q_p = 0.37, 2**bits - 1
    x0 = away_from_kinks(rng, (3, 5), s0, q_p)
    r = rng.standard_normal(x0.shape)
    clipped = np.clip(x0 / s0, 0, q_p)
    d = np.round(clipped) - clipped

    def loss(x, s):
        return float(np.sum(r * s * (np.clip(x / s, 0, q_p) + d)))

    q = LSQ(bits=bits, step=s0, grad_scale=grad_scale, dtype=F64)
    y = q(x0, train=True)
    np.testing.assert_allclose(y, s0 * (clipped + d), rtol=0, atol=1e-15)
    dx = q.backward(r.copy())
    eps = 1e-6
    numeric_dx = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        plus, minus = x0.copy(), x0.copy()
        plus[i] += eps
        minus[i] -= eps
        numeric_dx[i] = (loss(plus, s0) - loss(minus, s0)) / (2 * eps)
    np.testing.assert_allclose(dx, numeric_dx, rtol=1e-6, atol=1e-8)
    numeric_ds = (loss(x0, s0 + eps) - loss(x0, s0 - eps)) / (2 * eps)
    g = q._grad_scale(x0)
    assert q.step.grad == pytest.approx(g * numeric_ds, rel=1e-6, abs=1e-9)


def test_clipped_region_gradients_are_the_true_derivatives():
    """Below 0 and above Q_P the forward is 0 and ``s * Q_P``: no straight-through needed."""
    x0 = np.array([-0.7, -0.2, 1.9, 3.0])  # s = 0.5, Q_P = 3: v = -1.4, -0.4, 3.8, 6
    r = np.array([0.3, -1.2, 0.8, 2.0])
    q = LSQ(bits=2, step=0.5, grad_scale=None, dtype=F64)

    def loss(x, s):
        q.step.data[...] = s
        return float(np.sum(r * q(x)))

    q(x0, train=True)
    dx = q.backward(r.copy())
    eps = 1e-6
    assert dx.tolist() == [0.0] * 4
    numeric = (loss(x0, 0.5 + eps) - loss(x0, 0.5 - eps)) / (2 * eps)
    assert float(q.step.grad) == pytest.approx(numeric, rel=1e-8)
    assert float(q.step.grad) == pytest.approx(3 * (0.8 + 2.0))


# --- initialisation, save/load, training -------------------------------------------------------

def test_lsq_initialisation_on_first_train_forward():
    x = np.array([[-1.0, 0.5], [2.0, 0.5]], np.float32)  # mean |x| = 1
    q = LSQ(bits=2)
    assert not q.initialized and "step=None" in repr(q)
    with pytest.raises(RuntimeError, match="not initialised"):
        q(x)
    q(x, train=True)
    assert q.initialized and q.step.data.shape == () and q.step.data.dtype == np.float32
    assert q.step.data == np.float32(2 * 1.0 / math.sqrt(3))
    q(3 * x, train=True)  # only the first train-mode forward initialises
    assert q.step.data == np.float32(2 / math.sqrt(3))
    given = LSQ(bits=2, step=0.25)
    given(x, train=True)
    assert given.step.data == 0.25
    with pytest.raises(ValueError, match="cannot initialise"):
        LSQ()(np.zeros((2, 3)), train=True)


def test_save_load_round_trip(tmp_path):
    x = np.random.default_rng(1).standard_normal((8, 4)).astype(np.float32)
    model = nn.Sequential(nn.Linear(4, 3, rng=0), LSQ(bits=3))
    model(x, train=True)
    path = tmp_path / "lsq.npz"
    nn.save(model, path)
    fresh = nn.Sequential(nn.Linear(4, 3, rng=1), LSQ(bits=3))
    assert sorted(fresh.state_dict()) == ["0.bias", "0.weight", "1.initialized", "1.step"]
    nn.load(fresh, path)
    assert fresh[1].initialized and fresh[1].step.data == model[1].step.data
    np.testing.assert_array_equal(fresh(x), model(x))


def test_a_quantized_model_trains():
    """The step size receives gradients and an optimizer (0-d parameter) updates it."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(5, 8, rng=0), LSQ(bits=2), nn.Linear(8, 2, rng=1))
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    before = None
    for _ in range(30):
        logits = model(x, train=True)
        loss, grad = nn.softmax_cross_entropy(logits, y)
        before = loss if before is None else before
        opt.zero_grad()
        model.backward(grad)
        opt.step()
    assert model[1].step.data.shape == () and model[1].step.grad != 0
    assert loss < before


@pytest.mark.parametrize("make, match", [
    (lambda: LSQ(bits=0), "bits"),
    (lambda: LSQ(bits=2.0), "bits"),
    (lambda: LSQ(bits=True), "bits"),
    (lambda: LSQ(step=0.0), "step size"),
    (lambda: LSQ(step=-0.5), "step size"),
    (lambda: LSQ(step=float("nan")), "step size"),
    (lambda: LSQ(grad_scale="features"), "grad_scale"),
])
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_non_positive_learned_step_is_an_error():
    q = LSQ(step=0.5)
    q.step.data[...] = -0.1
    with pytest.raises(ValueError, match="step size"):
        q(np.ones(3))
    with pytest.raises(ValueError, match="step size"):
        q.levels(np.ones(3))
