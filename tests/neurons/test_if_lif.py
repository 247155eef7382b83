"""IF and LIF neurons: spec §6.1 / §6.6 hand vectors, state continuity, Numba vs Python,
rate() against long simulations, refractoriness and parameter validation."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kernels import python

from snnlite.neurons import IF, LIF
from snnlite.neurons.if_neuron import _if_scan
from snnlite.neurons.lif import _lif_scan

FLOATS = [np.float64, np.float32]
RESETS = ["subtract", "zero", "none"]
EXAMPLE_A = [-1.0] * 9 + [13.0]  # §6.1, sum 4
EXAMPLE_B = [1.0] * 8 + [-2.0] * 2  # §6.1, sum 4


def run(neuron, inputs, dtype=np.float64, n=1):
    """Scan a (T,) or (T, N) input from a fresh state; return spikes, trace, state."""
    current = np.asarray(inputs, dtype=dtype).reshape(len(inputs), -1)
    state = neuron.init_state(1, current.shape[1], dtype=dtype)
    trace = np.empty(current.shape, dtype=dtype)
    return neuron.scan(current, state, trace), trace, state


def bits(text):
    return [int(c) for c in text]


# --- spec §6.1: IF rows (integers, exact in float32 too) ----------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reset, inputs, spikes, v_end", [
    ("subtract", EXAMPLE_A, "0000000001", 3.0),
    ("subtract", EXAMPLE_B, "1111111100", -4.0),
    ("zero", EXAMPLE_A, "0000000001", 0.0),
    ("zero", EXAMPLE_B, "1111111100", -4.0),
    ("subtract", EXAMPLE_A + [0.0] * 4, "00000000011110", 0.0),
    ("subtract", EXAMPLE_B + [0.0] * 4, "11111111000000", -4.0),
])
def test_if_spec_6_1(reset, inputs, spikes, v_end, dtype):
    s, trace, state = run(IF(threshold=1.0, reset=reset), inputs, dtype)
    assert s.dtype == np.int8
    assert s[:, 0].tolist() == bits(spikes)
    assert s.sum() == sum(bits(spikes))
    assert state["v"][0] == v_end and trace[-1, 0] == v_end


def test_if_examples_side_by_side_are_independent():
    s, _, state = run(IF(), np.stack([EXAMPLE_A, EXAMPLE_B], axis=1))
    assert s.sum(axis=0).tolist() == [1, 8]
    assert state["v"].tolist() == [3.0, -4.0]


def test_if_pre_charge_and_no_reset():
    s, trace, _ = run(IF(v_init=0.5), [0.25] * 4)
    assert s[:, 0].tolist() == [0, 1, 0, 0]
    assert trace[:, 0].tolist() == [0.75, 0.0, 0.25, 0.5]
    s, trace, _ = run(IF(reset="none"), [0.5, 0.5, 0.5, -1.0])
    assert s[:, 0].tolist() == [0, 1, 1, 0]
    assert trace[:, 0].tolist() == [0.5, 1.0, 1.5, 0.5]


# --- spec §6.6: LIF alpha 0.75, v_th 1, I = 0.5 (dyadic: exact in float32 too) ---------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reset, v_trace", [
    ("subtract", [0.5, 0.875, 0.15625, 0.6171875, 0.962890625, 0.22216796875, 0.6666259765625,
                  0.999969482421875]),
    ("zero", [0.5, 0.875, 0.0, 0.5, 0.875, 0.0, 0.5, 0.875]),
])
def test_lif_spec_6_6(reset, v_trace, dtype):
    s, trace, state = run(LIF(alpha=0.75, threshold=1.0, reset=reset), [0.5] * 8, dtype)
    assert s[:, 0].tolist() == [0, 0, 1, 0, 0, 1, 0, 0]
    assert trace.dtype == dtype
    assert trace[:, 0].tolist() == v_trace
    assert state["v"][0] == v_trace[-1]


# --- refractoriness: V held at its post-reset value, no input, no leak --------------------------

def test_lif_refractory_hard_reset():
    s, trace, state = run(LIF(alpha=1.0, reset="zero", refractory=2), [0.75] * 10)
    assert s[:, 0].tolist() == [0, 1, 0, 0, 0, 1, 0, 0, 0, 1]
    assert trace[:, 0].tolist() == [0.75, 0, 0, 0, 0.75, 0, 0, 0, 0.75, 0]
    assert state["ref"].tolist() == [2]


def test_lif_refractory_soft_reset_holds_without_leak():
    # t1: 1.5 -> spike, 0.5 | t2: held 0.5 | t3: 0.25 + 1.5 = 1.75 -> spike, 0.75 | t4 held ...
    s, trace, state = run(LIF(alpha=0.5, refractory=1), [1.5] * 6)
    assert s[:, 0].tolist() == [1, 0, 1, 0, 1, 0]
    assert trace[:, 0].tolist() == [0.5, 0.5, 0.75, 0.75, 0.875, 0.875]
    assert state["ref"].tolist() == [0]


# --- state continuity, Numba vs Python, trace -------------------------------------------------

def neurons_under_test():
    for reset in RESETS:
        yield IF(threshold=0.7, reset=reset, v_init=0.2)
        yield LIF(alpha=0.9, threshold=0.7, reset=reset, v_init=0.2)
        yield LIF(alpha=0.8, threshold=0.5, reset=reset, refractory=2)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("neuron", list(neurons_under_test()), ids=repr)
def test_one_scan_equals_step_by_step(neuron, dtype):
    current = np.random.default_rng(0).normal(0.3, 0.6, size=(30, 7)).astype(dtype)
    whole = neuron.init_state(1, 7, dtype)
    trace = np.empty_like(current)
    spikes = neuron.scan(current, whole, trace)
    steps = neuron.init_state(1, 7, dtype)
    for t in range(len(current)):
        step_trace = np.empty((1, 7), dtype)
        np.testing.assert_array_equal(neuron.scan(current[t:t + 1], steps, step_trace),
                                      spikes[t:t + 1])
        np.testing.assert_array_equal(step_trace[0], trace[t])
    for key in whole:
        np.testing.assert_array_equal(whole[key], steps[key])
    assert 0 < spikes.sum() < spikes.size


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reset", [0, 1, 2])
def test_if_kernel_compiled_equals_python(reset, dtype):
    current = np.random.default_rng(1).normal(0.2, 0.5, size=(40, 6)).astype(dtype)
    outs = []
    for kernel in (_if_scan, python(_if_scan)):
        v = np.full(6, 0.1, dtype)
        spikes, trace, pre = (np.empty(current.shape, np.int8), np.empty_like(current),
                                np.empty_like(current))
        kernel(current, v, dtype(0.7), reset, spikes, trace, pre)
        outs.append((spikes, trace, pre, v))
    for compiled, interpreted in zip(*outs, strict=True):
        np.testing.assert_array_equal(compiled, interpreted)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reset", [0, 1, 2])
def test_lif_kernel_compiled_equals_python(reset, dtype):
    current = np.random.default_rng(2).normal(0.2, 0.5, size=(40, 6)).astype(dtype)
    outs = []
    for kernel in (_lif_scan, python(_lif_scan)):
        v, ref = np.full(6, 0.1, dtype), np.zeros(6, np.int32)
        spikes, trace, pre = (np.empty(current.shape, np.int8), np.empty_like(current),
                                np.empty_like(current))
        kernel(current, v, ref, dtype(0.9), dtype(0.7), reset, 1, spikes, trace, pre)
        outs.append((spikes, trace, pre, v, ref))
    for compiled, interpreted in zip(*outs, strict=True):
        np.testing.assert_array_equal(compiled, interpreted)


@pytest.mark.parametrize("neuron", [IF(), LIF()], ids=repr)
def test_trace_optional_and_checked(neuron):
    state = neuron.init_state(2, (3, 4))
    assert state["v"].shape == (24,) and state["v"].dtype == np.float32
    current = np.full((5, 24), 0.3, np.float32)
    spikes = neuron.scan(current, state)
    assert spikes.shape == (5, 24) and spikes.dtype == np.int8
    trace = np.empty((5, 24), np.float64)  # a float64 trace of a float32 state is fine
    neuron.scan(current, state, trace)
    np.testing.assert_array_equal(trace[-1], state["v"])
    with pytest.raises(ValueError, match="trace must have shape"):
        neuron.scan(current, state, np.empty((4, 24)))
    with pytest.raises(ValueError, match="neurons"):
        neuron.scan(np.zeros((5, 23)), state)
    with pytest.raises(ValueError, match=r"\(T, N\)"):
        neuron.scan(np.zeros(24), state)


def test_init_state():
    state = LIF(v_init=0.25).init_state(3, (2, 2), dtype=np.float64)
    assert state["v"].dtype == np.float64 and state["v"].tolist() == [0.25] * 12
    assert state["ref"].dtype == np.int32 and not state["ref"].any()
    with pytest.raises(TypeError, match="floating"):
        IF().init_state(1, 4, dtype=np.int32)
    with pytest.raises(ValueError, match="non-negative"):
        IF().init_state(-1, 4)


# --- rate() against long simulations ---------------------------------------------------------

currents = st.lists(st.floats(-1.0, 3.0, allow_nan=False), min_size=1, max_size=12)


def count(neuron, current, steps):
    """Spike counts of neurons fed the constant ``current`` (1-D) for ``steps`` steps."""
    state = neuron.init_state(1, len(current), np.float64)
    return neuron.scan(np.tile(current, (steps, 1)), state).sum(axis=0)


@settings(max_examples=25, deadline=None)
@given(currents)
def test_if_subtract_rate_is_clipped_relu(i):
    i = np.array(i)
    assert np.all(np.abs(count(IF(), i, 1000) - 1000 * IF().rate(i)) <= 1)


def near_integer(x):
    with np.errstate(over="ignore", invalid="ignore"):  # th / tiny I overflows: not a tie
        return np.any(np.abs(x - np.round(x)) < 1e-6)


@settings(max_examples=25, deadline=None)
@given(currents, st.floats(0.3, 2.0))
def test_if_zero_rate(i, th):
    i = np.array(i)
    with np.errstate(over="ignore"):
        assume(not near_integer(th / i[i > 0]))
    rate = IF(threshold=th, reset="zero").rate(i)
    # from V = 0 the neuron fires at steps n, 2n, ...: floor(T / n) spikes
    expected = np.where(rate > 0, np.floor(600 * rate + 1e-9), 0)
    assert np.all(count(IF(threshold=th, reset="zero"), i, 600) == expected)


def test_if_none_rate():
    assert IF(reset="none").rate([2.0, 0.01, 0.0, -0.5]).tolist() == [1, 1, 0, 0]
    assert IF(reset="none", v_init=1.0).rate(0.0) == 1.0
    assert count(IF(reset="none"), np.array([0.01]), 1000)[0] == 1000 - 99


@settings(max_examples=25, deadline=None)
@given(currents, st.floats(0.9, 1.0), st.integers(0, 3))
def test_lif_zero_rate(i, alpha, refractory):
    i = np.array(i)
    neuron = LIF(alpha=alpha, reset="zero", refractory=refractory)
    rate = neuron.rate(i)
    fires = i > 0 if alpha == 1 else i / (1 - alpha) > 1
    assert np.all(rate[~fires] == 0)
    assume(np.all(rate[fires] >= 0.01))  # periods up to 100 steps
    if alpha < 1:
        assume(not near_integer(np.log1p(-(1 - alpha) / i[fires]) / math.log(alpha)))
        assume(not np.any(np.abs(i * (1 - alpha) - 1) < 1e-6))
    else:
        assume(not near_integer(1 / i[fires]))
    # from V = 0 spikes at n, 2n + r, 3n + 2r, ...: floor((T + r) / (n + r)) spikes
    expected = np.where(fires, np.floor((600 + refractory) * rate + 1e-9), 0)
    assert np.all(count(neuron, i, 600) == expected)


def test_lif_zero_rate_hand():
    # alpha 0.75, I = 0.5: V = 0.5, 0.875, 1.156 -> n = 3 (§6.6); limit 2 > 1
    assert LIF(alpha=0.75, reset="zero").rate([0.5, 0.25, 2.0]).tolist() == [1 / 3, 0, 1]
    assert LIF(alpha=0.75, reset="zero", refractory=1).rate(0.5) == 0.25


def test_lif_none_rate():
    neuron = LIF(alpha=0.5, reset="none", refractory=1)  # limit 2 I
    assert neuron.rate([0.6, 0.5, 0.4]).tolist() == [0.5, 0.0, 0.0]
    assert count(neuron, np.array([0.6]), 400)[0] == 199  # V: 0.6, 0.9, 1.05 -> fires at 3, 5 ..
    assert LIF(alpha=0.5, reset="none", v_init=1.0).rate(0.5) == 1.0  # V stays at 1
    assert LIF(alpha=1.0, reset="none", v_init=1.0).rate([0.0, -0.1]).tolist() == [1.0, 0.0]


@settings(max_examples=10, deadline=None)
@given(currents, st.floats(0.9, 1.0), st.integers(0, 2))
def test_lif_subtract_rate_matches_long_run(i, alpha, refractory):
    i = np.array(i)
    neuron = LIF(alpha=alpha, refractory=refractory, v_init=0.3)
    long_run = count(neuron, i, 20000) / 20000
    assert np.all(np.abs(neuron.rate(i, n_steps=2048) - long_run) <= 3e-3)


def test_lif_subtract_rate_hand():
    # alpha = 1 is the IF neuron: clip(I / th, 0, 1) up to 1 / n_steps
    np.testing.assert_allclose(LIF(alpha=1.0).rate([-0.5, 0.25, 0.5, 2.0]), [0, 0.25, 0.5, 1],
                               atol=1 / 4096)
    assert LIF(alpha=0.75).rate(np.zeros((2, 3))).shape == (2, 3)
    with pytest.raises(ValueError, match="n_steps"):
        LIF().rate(0.5, n_steps=0)


# --- parameters ---------------------------------------------------------------------------------

def test_tau_dt_to_alpha():
    assert LIF().alpha == 0.99
    assert LIF(tau=20.0).alpha == math.exp(-1 / 20)
    assert LIF(tau=10.0, dt=0.5).alpha == math.exp(-0.05)
    assert LIF(alpha=1).alpha == 1.0


@pytest.mark.parametrize("make, match", [
    (lambda: IF(threshold=0), "threshold"),
    (lambda: IF(threshold=-1), "threshold"),
    (lambda: IF(threshold=float("nan")), "threshold"),
    (lambda: IF(reset="soft"), "reset"),
    (lambda: IF(v_init=float("inf")), "v_init"),
    (lambda: LIF(alpha=0.0), "alpha"),
    (lambda: LIF(alpha=1.5), "alpha"),
    (lambda: LIF(alpha=0.9, tau=5.0), "not both"),
    (lambda: LIF(tau=0.0), "tau"),
    (lambda: LIF(tau=5.0, dt=-1.0), "dt"),
    (lambda: LIF(threshold=0.0), "threshold"),
    (lambda: LIF(reset="hard"), "reset"),
    (lambda: LIF(refractory=-1), "refractory"),
    (lambda: LIF(refractory=1.5), "refractory"),
])
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()
