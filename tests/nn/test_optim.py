"""Optimizers and learning-rate schedules against hand-computed values."""

import math

import numpy as np
import pytest

from snnlite.nn import Linear, Parameter
from snnlite.nn.optim import SGD, Adam
from snnlite.nn.schedules import CosineLR, ExponentialLR, StepLR


def run(opt, p, grads):
    """Set ``p.grad`` to each value in turn and step; return the parameter after each step."""
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad += g
        opt.step()
        out.append(p.data.copy())
    return out


# --- SGD -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, expected", [
    # theta = 1, lr = 0.1, gradients 1 then 2
    ({}, [0.9, 0.7]),
    # b1 = 1, theta = 0.9; b2 = 0.9 * 1 + 2 = 2.9, theta = 0.9 - 0.29
    ({"momentum": 0.9}, [0.9, 0.61]),
    # d1 = 1 + 0.9 * 1 = 1.9, theta = 0.81; b2 = 2.9, d2 = 2 + 0.9 * 2.9 = 4.61, theta = 0.349
    ({"momentum": 0.9, "nesterov": True}, [0.81, 0.349]),
    # g1 = 1 + 0.1 * 1 = 1.1, theta = 0.89; g2 = 2 + 0.1 * 0.89 = 2.089, theta = 0.6811
    ({"weight_decay": 0.1}, [0.89, 0.6811]),
    # g1 = 1.1, b1 = 1.1, theta = 0.89; g2 = 2.089, b2 = 0.5 * 1.1 + 2.089 = 2.639, theta = 0.6261
    ({"weight_decay": 0.1, "momentum": 0.5}, [0.89, 0.6261]),
])
def test_sgd_hand_computed(kwargs, expected):
    p = Parameter(np.array([1.0]))
    got = run(SGD([p], lr=0.1, **kwargs), p, [1.0, 2.0])
    np.testing.assert_allclose(np.concatenate(got), expected, rtol=1e-12)


def test_sgd_matches_reference_loop_on_arrays():
    rng = np.random.default_rng(0)
    theta0, grads = rng.normal(size=(3, 4)), rng.normal(size=(5, 3, 4))
    lr, mu, lam = 0.05, 0.8, 0.01
    p = Parameter(theta0.copy())
    got = run(SGD([p], lr, momentum=mu, weight_decay=lam, nesterov=True), p, grads)[-1]
    theta, b = theta0.copy(), None
    for g in grads:
        g = g + lam * theta
        b = g.copy() if b is None else mu * b + g
        theta = theta - lr * (g + mu * b)
    np.testing.assert_allclose(got, theta, rtol=1e-12)


# --- Adam ------------------------------------------------------------------------------------

def adam_reference(theta, grads, lr, b1, b2, eps, lam):
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        g = g + lam * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr / (1 - b1**t) * m / (math.sqrt(v) / math.sqrt(1 - b2**t) + eps)
    return theta


def test_adam_hand_computed_with_bias_correction():
    p = Parameter(np.array([1.0]))
    got = run(Adam([p], lr=0.1), p, [1.0, 2.0])
    # step 1: m_hat = 1, v_hat = 1 -> theta = 1 - 0.1 / (1 + 1e-8)
    assert got[0][0] == pytest.approx(1 - 0.1 / (1 + 1e-8), rel=1e-12)
    # step 2: m = 0.29, v = 0.004999; m_hat = 0.29 / 0.19, v_hat = 0.004999 / 0.001999
    m_hat, v_hat = 0.29 / 0.19, 0.004999 / (1 - 0.999**2)
    assert got[1][0] == pytest.approx(got[0][0] - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8),
                                      rel=1e-12)
    assert got[1][0] == pytest.approx(0.8034818, abs=1e-7)


@pytest.mark.parametrize("lam", [0.0, 0.1])
def test_adam_matches_reference(lam):
    grads = [0.3, -1.2, 0.7, 2.0]
    p = Parameter(np.array([0.5]))
    got = run(Adam([p], lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=lam), p, grads)[-1]
    assert got[0] == pytest.approx(adam_reference(0.5, grads, 0.01, 0.8, 0.99, 1e-6, lam),
                                   rel=1e-12)


def test_adam_first_step_is_lr_times_sign():
    p = Parameter(np.array([0.0, 0.0, 0.0]))
    run(Adam([p], lr=1e-2, eps=0.0), p, [np.array([3.0, -1e-3, 50.0])])
    np.testing.assert_allclose(p.data, [-1e-2, 1e-2, -1e-2], rtol=1e-12)


# --- common behaviour ------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, 0.1, momentum=0.9, weight_decay=1e-3, nesterov=True),
    lambda ps: Adam(ps, weight_decay=1e-3),
])
def test_updates_in_place_keep_dtype_and_leave_grad(make):
    layer = Linear(5, 3, rng=0)
    params = layer.parameters()
    opt = make(params)
    before = [p.data for p in params]
    for p in params:
        p.grad += 0.5
    grads = [p.grad.copy() for p in params]
    opt.step()
    opt.step()
    for p, old, g in zip(params, before, grads, strict=True):
        assert p.data is old and p.data.dtype == np.float32
        np.testing.assert_array_equal(p.grad, g)
    opt.zero_grad()
    assert all(not p.grad.any() for p in params)
    assert opt.steps == 2


def test_lr_attribute_is_used_at_each_step():
    p = Parameter(np.array([0.0]))
    opt = SGD([p], lr=1.0)
    opt.lr = 0.25
    run(opt, p, [1.0])
    assert p.data[0] == -0.25


def test_validation_errors():
    p = Parameter(np.zeros(2))
    with pytest.raises(TypeError, match="model.parameters"):
        SGD(Linear(2, 2), lr=0.1)
    with pytest.raises(TypeError, match=r"params\[0\]"):
        SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        Adam([])
    with pytest.raises(ValueError, match="lr"):
        SGD([p], lr=-1.0)
    with pytest.raises(ValueError, match="nesterov"):
        SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="momentum"):
        SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="eps"):
        Adam([p], eps=float("nan"))


# --- schedules -------------------------------------------------------------------------------

def lrs_over_epochs(sched, n):
    out = []
    for _ in range(n):
        out.append(sched.optimizer.lr)
        assert sched.get_lr() == sched.optimizer.lr
        sched.step()
    return out


def opt_with_lr(lr):
    return SGD([Parameter(np.zeros(1))], lr=lr)


def test_step_lr():
    lrs = lrs_over_epochs(StepLR(opt_with_lr(0.1), step_size=3, gamma=0.5), 8)
    np.testing.assert_allclose(lrs, [0.1] * 3 + [0.05] * 3 + [0.025] * 2, rtol=1e-15)


def test_exponential_lr():
    lrs = lrs_over_epochs(ExponentialLR(opt_with_lr(0.2), gamma=0.9), 6)
    np.testing.assert_allclose(lrs, [0.2 * 0.9**e for e in range(6)], rtol=1e-15)


def test_cosine_lr():
    t_max, base, eta_min = 4, 0.1, 0.01
    lrs = lrs_over_epochs(CosineLR(opt_with_lr(base), t_max, eta_min), 9)
    expected = [eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2
                for e in range(9)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-15)
    assert lrs[0] == base and lrs[t_max] == pytest.approx(eta_min, abs=1e-15)
    assert lrs[2] == pytest.approx((base + eta_min) / 2)
    assert lrs[2 * t_max] == pytest.approx(base)


def test_schedule_validation():
    with pytest.raises(TypeError, match="lr"):
        StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(opt_with_lr(0.1), step_size=0)
    with pytest.raises(ValueError, match="gamma"):
        ExponentialLR(opt_with_lr(0.1), gamma=0.0)
    with pytest.raises(ValueError, match="t_max"):
        CosineLR(opt_with_lr(0.1), t_max=0)
