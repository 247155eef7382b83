"""STDP rules on hand-computed spike pairs: potentiation/depression windows, bounds, nearest vs
all-to-all pairing, weight dependence, Panda's C5 offset rule, Diehl & Cook's rule and column
normalisation. Every expected value is written out from the equations, not from the code."""

import math

import numpy as np
import pytest

from snnlite._jit import njit
from snnlite.learn.stdp import (
    diehl_cook_dw,
    diehl_cook_stdp,
    normalize_columns,
    pair_stdp,
    panda_dw,
    panda_stdp,
)


def rasters(T, pre_steps, post_steps):
    """One pre and one post neuron; spikes at the given steps."""
    pre = np.zeros((T, 1), np.int8)
    post = np.zeros((T, 1), np.int8)
    pre[list(pre_steps)] = 1
    post[list(post_steps)] = 1
    return pre, post


# --- pair-based STDP --------------------------------------------------------------------------

@pytest.mark.parametrize("nearest", [False, True])
def test_pair_potentiation_window(nearest):
    # pre at 2, post at 7: d = 5, tau_plus = 10 -> +0.1 * exp(-0.5)
    pre, post = rasters(12, [2], [7])
    w = pair_stdp(pre, post, [[0.5]], a_plus=0.1, a_minus=0.2, tau_plus=10.0, nearest=nearest)
    assert w[0, 0] == pytest.approx(0.5 + 0.1 * math.exp(-0.5), abs=1e-15)


@pytest.mark.parametrize("nearest", [False, True])
def test_pair_depression_window(nearest):
    # post at 2, pre at 6: d = -4, tau_minus = 8 -> -0.2 * exp(-0.5)
    pre, post = rasters(12, [6], [2])
    w = pair_stdp(pre, post, [[0.5]], a_plus=0.1, a_minus=0.2, tau_minus=8.0, nearest=nearest)
    assert w[0, 0] == pytest.approx(0.5 - 0.2 * math.exp(-0.5), abs=1e-15)


def test_pair_same_step_is_causal():
    pre, post = rasters(3, [1], [1])
    w = pair_stdp(pre, post, [[0.5]], a_plus=0.1, a_minus=0.2)
    assert w[0, 0] == pytest.approx(0.6, abs=1e-15)


def test_pair_window_shape_over_many_lags():
    a_plus, a_minus, tp, tm = 0.01, 0.012, 5.0, 7.0
    for d in range(-15, 16):
        t_pre, t_post = 20, 20 + d
        pre, post = rasters(40, [t_pre], [t_post])
        dw = pair_stdp(pre, post, [[0.5]], a_plus, a_minus, tp, tm)[0, 0] - 0.5
        expected = a_plus * math.exp(-d / tp) if d >= 0 else -a_minus * math.exp(d / tm)
        assert dw == pytest.approx(expected, abs=1e-15), d


def test_nearest_vs_all_to_all():
    # pre at 0 and 5, post at 10, tau = 10: all-to-all sums both pairs, nearest only the last.
    pre, post = rasters(12, [0, 5], [10])
    kw = dict(a_plus=0.1, a_minus=0.0, tau_plus=10.0)
    w_all = pair_stdp(pre, post, [[0.2]], **kw)[0, 0]
    w_near = pair_stdp(pre, post, [[0.2]], nearest=True, **kw)[0, 0]
    assert w_all == pytest.approx(0.2 + 0.1 * (math.exp(-1.0) + math.exp(-0.5)), abs=1e-15)
    assert w_near == pytest.approx(0.2 + 0.1 * math.exp(-0.5), abs=1e-15)


def test_additive_hard_bounds():
    pre, post = rasters(4, [0], [0])
    assert pair_stdp(pre, post, [[0.95]], a_plus=0.1)[0, 0] == 1.0  # clipped at w_max
    pre, post = rasters(4, [1], [0])
    assert pair_stdp(pre, post, [[0.05]], a_minus=0.1, tau_minus=1e9)[0, 0] == 0.0
    assert pair_stdp(pre, post, [[0.5]], a_minus=0.9, w_min=0.2, tau_minus=1e9)[0, 0] == 0.2


def test_multiplicative_weight_dependence():
    # potentiation scales with (w_max - w), depression with (w - w_min)
    pre, post = rasters(4, [0], [0])
    w = pair_stdp(pre, post, [[0.75]], a_plus=0.1, multiplicative=True)[0, 0]
    assert w == pytest.approx(0.75 + 0.1 * 0.25, abs=1e-15)
    pre, post = rasters(4, [2], [0])  # d = -2, tau_minus = 2: y = exp(-1)
    w = pair_stdp(pre, post, [[0.75]], a_minus=0.5, tau_minus=2.0, w_min=0.25,
                  multiplicative=True)[0, 0]
    assert w == pytest.approx(0.75 - 0.5 * math.exp(-1.0) * 0.5, abs=1e-15)
    # soft bounds: w_max - w shrinks by (1 - a_plus) per causal pair, never reaching w_max
    pre = np.ones((200, 1), np.int8)
    w = pair_stdp(pre, pre, [[0.1]], a_plus=0.03, a_minus=0.0, multiplicative=True,
                  nearest=True)[0, 0]
    assert w == pytest.approx(1.0 - 0.9 * 0.97 ** 200, abs=1e-12)
    assert w < 1.0


def test_pair_input_not_modified_and_errors():
    w0 = np.full((1, 1), 0.5)
    pre, post = rasters(4, [0], [1])
    pair_stdp(pre, post, w0)
    assert w0[0, 0] == 0.5
    with pytest.raises(ValueError, match="w must have shape"):
        pair_stdp(pre, post, np.zeros((2, 1)))
    with pytest.raises(ValueError, match="same T"):
        pair_stdp(pre, post[:3], w0)
    with pytest.raises(ValueError, match="0 or 1"):
        pair_stdp(pre * 2, post, w0)
    with pytest.raises(ValueError, match="tau_plus"):
        pair_stdp(pre, post, w0, tau_plus=0.0)


@pytest.mark.parametrize("bad", [0.5, 256])
def test_raster_values_checked_before_int8_cast(bad):
    pre, post = rasters(4, [0], [1])
    w0 = np.full((1, 1), 0.5)
    with pytest.raises(ValueError, match="0 or 1"):
        pair_stdp(np.where(pre == 1, bad, 0), post, w0)  # int8 would make it 0
    with pytest.raises(ValueError, match="0 or 1"):
        panda_stdp(pre, np.where(post == 1, bad, 0))


# --- Panda et al. (C5) ------------------------------------------------------------------------

def test_panda_dw_values():
    eta, tau, off = 1e-3, 10.0, 0.3
    assert panda_dw(0.0, eta, tau, off) == pytest.approx(0.7e-3, abs=1e-18)
    assert panda_dw(5.0, eta, tau, off) == pytest.approx(1e-3 * (math.exp(-0.5) - 0.3), abs=1e-18)
    crossing = -tau * math.log(off)  # potentiation window ends here
    assert panda_dw(crossing - 0.1, eta, tau, off) > 0 > panda_dw(crossing + 0.1, eta, tau, off)
    assert panda_dw(math.inf, eta, tau, off) == pytest.approx(-0.3e-3, abs=1e-18)
    assert panda_dw(-2.0, eta, tau, off) == pytest.approx(-0.3e-3, abs=1e-18)  # later pre


def test_panda_dw_callable_from_numba():
    @njit
    def window(dts):
        out = np.empty(dts.shape[0])
        for k in range(dts.shape[0]):
            out[k] = panda_dw(dts[k], 2.0, 4.0, 0.5)
        return out

    got = window(np.array([0.0, 4.0, np.inf]))
    np.testing.assert_allclose(got, [1.0, 2.0 * (math.exp(-1.0) - 0.5), -1.0], atol=1e-15)


def test_panda_stdp_raster():
    # two pre neurons: #0 fires at 1 and 4, #1 never; post fires at 6 and 9
    pre = np.zeros((10, 2), np.int8)
    post = np.zeros((10, 1), np.int8)
    pre[[1, 4], 0] = 1
    post[[6, 9], 0] = 1
    dw = panda_stdp(pre, post, eta=1.0, tau=2.0, offset=0.25)
    assert dw[0, 0] == pytest.approx((math.exp(-1.0) - 0.25) + (math.exp(-2.5) - 0.25), abs=1e-15)
    assert dw[1, 0] == pytest.approx(-0.5, abs=1e-15)  # missing pre: -eta*offset per post spike


def test_panda_stdp_batch_mean():
    pre = np.zeros((5, 2, 1), np.int8)
    post = np.zeros((5, 2, 1), np.int8)
    pre[0, 0, 0] = 1
    post[0, 0, 0] = 1  # sample 0: dt = 0 -> eta (1 - offset)
    post[3, 1, 0] = 1  # sample 1: no pre -> -eta offset
    dw = panda_stdp(pre, post, eta=1.0, tau=1.0, offset=0.25)
    assert dw[0, 0] == pytest.approx((0.75 - 0.25) / 2, abs=1e-15)
    with pytest.raises(ValueError, match="equal T and B"):
        panda_stdp(pre, post[:, :1])


# --- Diehl & Cook -----------------------------------------------------------------------------

def test_diehl_cook_dw():
    assert diehl_cook_dw(1.0, 0.0, 0.01, 0.4, 1.0, 0.2) == pytest.approx(0.006, abs=1e-15)
    assert diehl_cook_dw(0.0, 0.0, 0.01, 0.4, 1.0, 0.2) == pytest.approx(-0.004, abs=1e-15)
    assert diehl_cook_dw(1.0, 1.0, 0.01, 0.4, 1.0, 0.2) == 0.0  # no growth at w_max
    assert diehl_cook_dw(1.0, 0.5, 0.01, 0.4, 1.0, 0.2) == pytest.approx(0.006 * 0.5 ** 0.2)
    assert diehl_cook_dw(1.0, 0.5, 0.01, 0.4, 1.0, 0.0) == pytest.approx(0.006)  # mu=0 additive


def test_diehl_cook_stdp_raster():
    # inputs: #0 at step 3, #1 at steps 0 and 4 (nearest: trace reset), #2 silent; post at 5
    pre = np.zeros((8, 3), np.int8)
    pre[3, 0] = pre[0, 1] = pre[4, 1] = 1
    post = np.zeros((8, 1), np.int8)
    post[5, 0] = 1
    w0 = np.array([[0.5], [0.5], [0.001]])
    w = diehl_cook_stdp(pre, post, w0, eta=0.1, x_tar=0.4, tau_pre=2.0, w_max=1.0, mu=1.0)
    assert w[0, 0] == pytest.approx(0.5 + 0.1 * (math.exp(-1.0) - 0.4) * 0.5, abs=1e-15)
    assert w[1, 0] == pytest.approx(0.5 + 0.1 * (math.exp(-0.5) - 0.4) * 0.5, abs=1e-15)
    assert w[2, 0] == 0.0  # depressed below 0 -> clipped
    w_acc = diehl_cook_stdp(pre, post, w0, eta=0.1, tau_pre=2.0, mu=1.0, nearest=False)
    x1 = math.exp(-2.5) + math.exp(-0.5)  # all-to-all: both spikes of input #1 count
    assert w_acc[1, 0] == pytest.approx(0.5 + 0.1 * (x1 - 0.4) * 0.5, abs=1e-15)
    with pytest.raises(ValueError, match="w_max"):
        diehl_cook_stdp(pre, post, w0 + 1.0)


def test_normalize_columns():
    w = np.array([[1.0, 0.0, 2.0], [3.0, 0.0, 2.0]])
    normalize_columns(w, 78.0)
    np.testing.assert_allclose(w.sum(axis=0), [78.0, 0.0, 78.0])
    np.testing.assert_allclose(w[:, 0], [19.5, 58.5])  # proportions kept
    rng = np.random.default_rng(0)
    w = rng.random((784, 10)).astype(np.float32)
    normalize_columns(w, np.float32(78.0))
    np.testing.assert_allclose(w.sum(axis=0), 78.0, rtol=1e-5)
