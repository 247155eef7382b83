"""Zou's dynamic-threshold neuron (A9-A12): spec §6.1 / §6.4 vectors, ties, integer mode (A7),
order-independence of the final count, state continuity, Numba vs Python, parameters."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernels import python
from numba import types

import snnlite.neurons.dynamic_threshold as dt_module
from snnlite.neurons import DynamicThreshold
from snnlite.neurons.dynamic_threshold import _dt_scan, _dt_scan_int

FLOATS = [np.float64, np.float32]
EXAMPLE_A = [-1.0] * 9 + [13.0]  # §6.1, sum 4
EXAMPLE_B = [1.0] * 8 + [-2.0] * 2  # §6.1, sum 4
MODES = [  # (integer, scale): float mode and integer mode with S = 10 000 and S = 2
    pytest.param(False, 10_000, id="float"),
    pytest.param(True, 10_000, id="int-S10000"),
    pytest.param(True, 2, id="int-S2"),
]


def run(neuron, inputs, dtype=np.float64):
    """Scan a (T,) or (T, N) input from a fresh state; return spikes, trace of m, state."""
    current = np.asarray(inputs, dtype=dtype).reshape(len(inputs), -1)
    state = neuron.init_state(1, current.shape[1], dtype=dtype)
    trace = np.empty(current.shape, dtype=np.float64)
    return neuron.scan(current, state, trace), trace, state


def potential(neuron, state):
    """``V = m - (b0 + c d)`` in current units (§2.5, property 2)."""
    scale = neuron.scale if neuron.integer else 1
    return (state["m"] - (state["b0"] + state["c"] * state["d"])) / scale


# --- spec §6.1, Zou rows (d = 1, b0 = -0.5), float and integer mode ---------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("integer, scale", MODES)
@pytest.mark.parametrize("inputs, spikes, count, v_end", [
    (EXAMPLE_A, [0] * 9 + [1], 1, 3.5),
    (EXAMPLE_A + [0.0] * 4, [0] * 9 + [1, 1, 1, 1, 0], 4, 0.5),
    (EXAMPLE_B, [1] * 8 + [-1, -1], 6, -1.5),
    (EXAMPLE_B + [0.0] * 4, [1] * 8 + [-1, -1, -1, -1, 0, 0], 4, 0.5),
])
def test_spec_6_1(inputs, spikes, count, v_end, integer, scale, dtype):
    neuron = DynamicThreshold(d=1.0, b0=-0.5, integer=integer, scale=scale)
    s, trace, state = run(neuron, inputs, dtype)
    assert s.dtype == np.int8
    assert s[:, 0].tolist() == spikes
    assert state["c"].tolist() == [count] and s.sum() == count
    assert trace[-1, 0] == 4.0  # m = 4, never reset
    assert potential(neuron, state).tolist() == [v_end]
    np.testing.assert_array_equal(trace[:, 0], np.cumsum(inputs))
    if integer:
        assert state["m"].dtype == np.int64 and state["m"].tolist() == [4 * scale]


def test_integer_parameters_spec_6_4():
    # mapping table of §6.4: (d, b0) for K = 0, 1, 2 -> (d_int, b0_int) with S = 10^4
    for b0, b0_int in [(0.25, 2500), (1.0, 10000), (2.5, 25000)]:
        neuron = DynamicThreshold(d=1.0, b0=b0, integer=True)
        assert (neuron.d_int, neuron.b0_int, neuron.eps_int) == (10000, b0_int, 0)
    neuron = DynamicThreshold(d=[0.5, 1.0], b0=[0.1234567, -0.5], integer=True)
    assert neuron.d_int.tolist() == [5000, 10000]
    assert neuron.b0_int.tolist() == [round(6234.567) - 5000, -5000]  # round(S (b0 + d)) - d_int
    assert DynamicThreshold(1.0, 0.0).d_int is None


# --- ties: strict ">" at the upper threshold, "m < theta - eps" at the lower one ---------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_hidden_neuron_tie_spec_6_4(dtype):
    # one input of 1.5 at t = 1: 1.5 > 0.5 fires, then 1.5 > 1.5 is false (the ANN gives 2)
    s, _, state = run(DynamicThreshold(d=1.0, b0=-0.5), [1.5, 0, 0, 0], dtype)
    assert s[:, 0].tolist() == [1, 0, 0, 0] and state["c"].tolist() == [1]


@pytest.mark.parametrize("integer, scale", [(False, 1), (True, 1), (True, 10_000)])
def test_exact_tie_keeps_the_count_it_arrived_with(integer, scale):
    # d = 1, b0 = 0: m = 2 sits exactly on b0 + 2d. From below the count stops at 1 (strict >);
    # from above (m = 3, then -1) it stays at 2 (2 < 2 - eps is false; eps_int = 0).
    neuron = DynamicThreshold(d=1.0, b0=0.0, integer=integer, scale=scale)
    below, _, state_below = run(neuron, [2, 0, 0, 0])
    above, _, state_above = run(neuron, [3, 0, -1, 0, 0])
    assert below[:, 0].tolist() == [1, 0, 0, 0] and state_below["c"].tolist() == [1]
    assert above[:, 0].tolist() == [1, 1, 0, 0, 0] and state_above["c"].tolist() == [2]
    assert neuron.level(2).tolist() == 1


def test_eps_tolerance_below_the_lower_threshold():
    # d = 1, b0 = 0, eps = 0.25: after c = 2, m = 1.875 is within eps of theta- = 2 (no spike),
    # m = 1.625 is not (a negative spike)
    neuron = DynamicThreshold(d=1.0, b0=0.0, eps=0.25)
    assert run(neuron, [3, 0, -1.125])[0][:, 0].tolist() == [1, 1, 0]
    assert run(neuron, [3, 0, -1.375])[0][:, 0].tolist() == [1, 1, -1]


@pytest.mark.parametrize("eps, scale, eps_int", [(1e-5, 10_000, 0), (1e-5, 2, 0),
                                                 (0.25, 4, 1), (0.3, 10, 3), (0.0, 7, 0)])
def test_integer_eps_is_floor_of_scaled_eps(eps, scale, eps_int):
    assert DynamicThreshold(1.0, 0.0, eps=eps, integer=True, scale=scale).eps_int == eps_int


def test_integer_eps_in_the_kernel():
    # theta- = b0 + c d = 8 units after two spikes; eps_int = 1 forbids m = 7 from spiking
    for eps_int, expected in [(0, -1), (1, 0), (2, 0)]:
        m, c = np.zeros(1, np.int64), np.zeros(1, np.int32)
        spikes = np.empty((3, 1), np.int8)
        current = np.array([[12], [0], [-5]], np.int64)
        empty = np.empty((0, 1), np.int64)
        _dt_scan_int(current, m, c, np.array([4]), np.array([0]), eps_int, spikes, empty, empty)
        assert spikes[:, 0].tolist() == [1, 1, expected]


# --- integer mode: an all-integer kernel, the same spikes as float mode ----------------------

def test_integer_kernel_receives_only_integers(monkeypatch):
    seen = []

    def spy(*args):
        seen.append(args)
        return _dt_scan_int(*args)

    monkeypatch.setattr(dt_module, "_dt_scan_int", spy)
    neuron = DynamicThreshold(d=[1.0, 0.5], b0=[-0.5, 0.25], integer=True)
    state = neuron.init_state(2, (2, 3), dtype=np.float32)
    current = np.random.default_rng(0).integers(-2, 3, (6, 12)).astype(np.float32)
    neuron.scan(current, state, np.empty((6, 12), np.float32))
    (args,) = seen
    for arg in args:
        assert np.asarray(arg).dtype.kind == "i", arg
    if hasattr(_dt_scan_int, "signatures"):  # compiled: every compiled argument type is integer
        assert _dt_scan_int.signatures
        for signature in _dt_scan_int.signatures:
            for arg in signature:
                assert isinstance(getattr(arg, "dtype", arg), types.Integer), signature


@pytest.mark.parametrize("scale", [1, 3, 10_000])
def test_integer_mode_equals_float_mode_per_channel(scale):
    # dyadic d and b0 with integral S d and S (b0 + d): identical thresholds, identical spikes
    d, b0 = [1.0, 2.0, 3.0], [-0.5, 0.0, 1.5]
    if scale == 1:
        b0 = [0.0, -1.0, 2.0]
    current = np.random.default_rng(1).integers(-3, 4, (40, 2 * 3 * 4))
    spikes = []
    for integer in (False, True):
        neuron = DynamicThreshold(d, b0, integer=integer, scale=scale)
        state = neuron.init_state(2, (3, 4), np.float64)
        spikes.append(neuron.scan(current.astype(np.float64), state))
    np.testing.assert_array_equal(*spikes)
    assert np.abs(spikes[0]).sum() > 0 and (spikes[0] < 0).any()


def test_integer_mode_accepts_integer_currents():
    neuron = DynamicThreshold(d=1.0, b0=-0.5, integer=True)
    state = neuron.init_state(1, 1)
    assert neuron.scan(np.array([[2], [-1]], np.int8), state)[:, 0].tolist() == [1, 0]
    assert state["m"].tolist() == [10_000]


# --- §2.5 property 3: after the input stops, c reaches level(m) in |c* - c| steps -------------

def tie_free_neuron(d, q):
    """d dyadic, b0 = d (q + 1/8): with integer inputs (m - b0) / d is never an integer."""
    return d, d * (q + 0.125)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=12), st.sampled_from([0.5, 1.0, 2.0]),
       st.integers(-3, 2), st.randoms(use_true_random=False), st.booleans())
def test_final_count_is_order_independent(inputs, d, q, random, integer):
    neuron = DynamicThreshold(*tie_free_neuron(d, q), integer=integer)
    target = int(neuron.level(sum(inputs)))
    permuted = list(inputs)
    random.shuffle(permuted)
    for order in (inputs, permuted):
        silent = 80  # > any |c* - c| here (c <= 12, c* <= 72)
        s, _, state = run(neuron, order + [0] * silent)
        counts = np.cumsum(s[:, 0])
        lag = abs(target - int(counts[len(order) - 1]))
        settle = len(order) + lag
        # one spike per step toward c*, then silence
        assert np.all(s[len(order):settle, 0] == np.sign(target - counts[len(order) - 1]))
        assert not s[settle:, 0].any()
        assert state["c"].tolist() == [target] and counts[-1] == target


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=12), st.sampled_from([0.5, 1.0, 2.0]),
       st.integers(-3, 2))
def test_integer_mode_same_spikes_random(inputs, d, q):
    spikes = [run(DynamicThreshold(*tie_free_neuron(d, q), integer=integer), inputs + [0] * 8)[0]
              for integer in (False, True)]
    np.testing.assert_array_equal(*spikes)


def test_level_per_channel_and_integer():
    neuron = DynamicThreshold(d=[1.0, 2.0], b0=[-0.5, 0.0])
    m = np.array([[1.4, 1.5, 1.6, -3.0], [3.0, 4.0, 4.5, 100.0]])  # channels on axis 0
    assert neuron.level(m).tolist() == [[1, 1, 2, 0], [1, 1, 2, 49]]
    assert neuron.level(m.T, axis=1).tolist() == neuron.level(m).T.tolist()
    assert neuron.level(m.T, axis=-1).tolist() == neuron.level(m).T.tolist()
    integer = DynamicThreshold(d=1.0, b0=-0.5, integer=True)
    assert integer.level([4, 1, 0, -2]).tolist() == [4, 1, 0, 0]
    with pytest.raises(ValueError, match="channels on axis"):
        neuron.level(np.zeros(3))
    with pytest.raises(ValueError, match="integers"):
        integer.level([0.5])


# --- rate(): clip(I / d, 0, 1), checked against a long simulation ----------------------------

def test_rate_matches_long_run():
    neuron = DynamicThreshold(d=[1.0, 0.5], b0=[-0.5, 0.25])
    i = np.array([[-0.3, 0.0, 0.25, 0.7, 1.0, 2.5], [0.1, 0.3, 0.5, -1.0, 0.0, 0.05]])
    state = neuron.init_state(1, i.shape, np.float64)
    steps = 2000
    counts = neuron.scan(np.tile(i.ravel(), (steps, 1)), state).sum(axis=0).reshape(i.shape)
    rate = neuron.rate(i)
    assert rate.tolist() == [[0, 0, 0.25, 0.7, 1, 1], [0.2, 0.6, 1, 0, 0, 0.1]]
    assert np.all(np.abs(counts - steps * rate) <= 1)
    integer = DynamicThreshold(d=1.0, b0=-0.5, integer=True)
    assert integer.rate([-1.0, 0.5, 3.0]).tolist() == [0.0, 0.5, 1.0]


# --- state continuity, Numba vs Python, per-channel expansion --------------------------------

@pytest.mark.parametrize("integer, scale", MODES)
def test_one_scan_equals_step_by_step(integer, scale):
    neuron = DynamicThreshold(d=[1.0, 0.5, 2.0], b0=[-0.5, 0.25, 1.0], integer=integer,
                              scale=scale)
    current = np.random.default_rng(2).integers(-2, 3, (30, 2 * 3 * 2)).astype(np.float64)
    whole = neuron.init_state(2, (3, 2), np.float64)
    trace = np.empty_like(current)
    spikes = neuron.scan(current, whole, trace)
    steps = neuron.init_state(2, (3, 2), np.float64)
    for t in range(len(current)):
        step_trace = np.empty((1, current.shape[1]))
        np.testing.assert_array_equal(neuron.scan(current[t:t + 1], steps, step_trace),
                                      spikes[t:t + 1])
        np.testing.assert_array_equal(step_trace[0], trace[t])
    for key in whole:
        np.testing.assert_array_equal(whole[key], steps[key])
    assert (spikes > 0).any() and (spikes < 0).any()


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_kernel_compiled_equals_python(dtype):
    rng = np.random.default_rng(3)
    current = rng.normal(0.1, 0.8, size=(40, 6)).astype(dtype)
    d, b0 = rng.uniform(0.3, 1.5, 6).astype(dtype), rng.uniform(-1, 1, 6).astype(dtype)
    outs = []
    for kernel in (_dt_scan, python(_dt_scan)):
        m, c = np.zeros(6, dtype), np.zeros(6, np.int32)
        spikes, trace, pre = (np.empty(current.shape, np.int8), np.empty_like(current),
                                np.empty_like(current))
        kernel(current, m, c, d, b0, dtype(1e-5), spikes, trace, pre)
        outs.append((spikes, trace, pre, m, c))
    for compiled, interpreted in zip(*outs, strict=True):
        np.testing.assert_array_equal(compiled, interpreted)
    assert (outs[0][0] < 0).any()


def test_int_kernel_compiled_equals_python():
    rng = np.random.default_rng(4)
    current = rng.integers(-3, 4, (40, 6)) * 10_000
    d, b0 = rng.integers(5_000, 20_000, 6), rng.integers(-10_000, 10_000, 6)
    outs = []
    for kernel in (_dt_scan_int, python(_dt_scan_int)):
        m, c = np.zeros(6, np.int64), np.zeros(6, np.int32)
        spikes, trace, pre = (np.empty(current.shape, np.int8), np.empty_like(current),
                                np.empty_like(current))
        kernel(current, m, c, d, b0, 0, spikes, trace, pre)
        outs.append((spikes, trace, pre, m, c))
    for compiled, interpreted in zip(*outs, strict=True):
        np.testing.assert_array_equal(compiled, interpreted)
    assert (outs[0][0] < 0).any()


def test_per_channel_expansion():
    neuron = DynamicThreshold(d=[1.0, 2.0], b0=0.25)
    state = neuron.init_state(2, (2, 3), dtype=np.float32)
    assert state["d"].tolist() == ([1.0] * 3 + [2.0] * 3) * 2
    assert state["b0"].tolist() == [0.25] * 12
    assert state["m"].dtype == state["d"].dtype == np.float32 and state["c"].dtype == np.int32
    assert neuron.init_state(3, 2)["d"].tolist() == [1.0, 2.0] * 3  # shape (C,) as an int
    integer = DynamicThreshold(d=[1.0, 2.0], b0=[-0.5, 0.0], integer=True)
    state = integer.init_state(1, (2, 1, 2), dtype=np.float32)
    assert all(state[k].dtype == np.int64 for k in ("m", "d", "b0"))
    assert state["d"].tolist() == [10_000] * 2 + [20_000] * 2
    assert state["b0"].tolist() == [-5_000] * 2 + [0] * 2
    assert DynamicThreshold(1.0, 0.0).init_state(2, (3, 4))["d"].shape == (24,)
    with pytest.raises(ValueError, match="2 channels"):
        neuron.init_state(1, (3, 4))
    with pytest.raises(ValueError, match="2 channels"):
        neuron.init_state(1, ())


# --- parameters and errors -------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    (dict(d=0.0, b0=0.0), "d must be"),
    (dict(d=-1.0, b0=0.0), "d must be"),
    (dict(d=[1.0, 0.0], b0=0.0), "d must be"),
    (dict(d=float("nan"), b0=0.0), "d must be"),
    (dict(d=1.0, b0=float("inf")), "b0 must be"),
    (dict(d=np.ones((2, 2)), b0=0.0), "per-channel"),
    (dict(d=[], b0=0.0), "per-channel"),
    (dict(d=[1.0, 1.0], b0=[0.0, 0.0, 0.0]), "same number of channels"),
    (dict(d=1.0, b0=0.0, eps=-1e-5), "eps"),
    (dict(d=[1.0, 0.1], b0=0.0, eps=0.1), "eps"),
    (dict(d=1.0, b0=0.0, scale=0), "scale"),
    (dict(d=1.0, b0=0.0, scale=2.5), "scale"),
    (dict(d=2e-5, b0=0.0, integer=True), "round to >= 1"),
    (dict(d=1e20, b0=0.0, integer=True), "int64"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DynamicThreshold(**kwargs)


def test_bad_scan_arguments():
    integer = DynamicThreshold(d=1.0, b0=-0.5, integer=True)
    state = integer.init_state(1, 2)
    with pytest.raises(ValueError, match="integers"):
        integer.scan(np.array([[1.0, 0.5]]), state)
    with pytest.raises(ValueError, match="integers"):
        integer.scan(np.array([[1.0, np.nan]]), state)
    with pytest.raises(ValueError, match="int64 range"):
        integer.scan(np.array([[1.0, 2.0**60]]), state)
    assert state["m"].tolist() == [0, 0]  # nothing was integrated
    with pytest.raises(TypeError, match="does not match"):
        DynamicThreshold(d=1.0, b0=-0.5).scan(np.zeros((1, 2)), state)
    with pytest.raises(TypeError, match="does not match"):
        integer.scan(np.zeros((1, 2)), DynamicThreshold(1.0, 0.0).init_state(1, 2))
    with pytest.raises(TypeError, match="floating"):
        DynamicThreshold(1.0, 0.0).init_state(1, 2, dtype=np.int32)
    with pytest.raises(ValueError, match="neurons"):
        integer.scan(np.zeros((1, 3)), state)
    with pytest.raises(ValueError, match="trace must have shape"):
        integer.scan(np.zeros((2, 2)), state, np.empty((1, 2)))


def test_repr():
    assert "integer=True, scale=2" in repr(DynamicThreshold(1.0, -0.5, integer=True, scale=2))
    assert repr(DynamicThreshold([1.0, 2.0], 0.0)).startswith("DynamicThreshold(d=[1. 2.]")
    long = repr(DynamicThreshold(np.arange(1, 1001.0), 0.0))
    assert "..." in long and len(long) < 150  # a LeNet's 1000 channels stay readable
