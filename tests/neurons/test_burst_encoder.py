"""Zou's encoding neuron (A8): spec §6.4 table, burst = level(), state continuity (the step
counter persists across scan calls), Numba vs Python, per-channel parameters, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernels import python

from snnlite.neurons import BurstEncoder
from snnlite.neurons.burst_encoder import _burst_scan

FLOATS = [np.float64, np.float32]


def image_at_step_one(m, steps, dtype=np.float64):
    """The A8 input: ``m`` (N,) at the first step, zeros afterwards; shape (steps, N)."""
    m = np.atleast_1d(np.asarray(m, dtype=dtype))
    current = np.zeros((steps, m.size), dtype=dtype)
    current[0] = m
    return current


# --- spec §6.4: d1 = 1, b01 = -0.5, t_enc = 4 (thresholds 0.5, 1.5, 2.5, 3.5) ----------------

SPEC_6_4 = [
    (2.3, [1, 1, 0, 0, 0, 0], 2),
    (5.0, [1, 1, 1, 1, 0, 0], 4),  # clipped at B = 4
    (0.4, [0, 0, 0, 0, 0, 0], 0),
    (0.5, [1, 0, 0, 0, 0, 0], 1),  # non-strict >= at the encoder
    (3.5, [1, 1, 1, 1, 0, 0], 4),
    (-1.0, [0, 0, 0, 0, 0, 0], 0),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("m, spikes, count", SPEC_6_4)
def test_spec_6_4(m, spikes, count, dtype):
    encoder = BurstEncoder(d1=1.0, b01=-0.5)
    state = encoder.init_state(1, 1, dtype)
    trace = np.empty((6, 1), dtype)
    s = encoder.scan(image_at_step_one(m, 6, dtype), state, trace)
    assert s.dtype == np.int8 and s[:, 0].tolist() == spikes
    assert encoder.level(m).tolist() == count == s.sum()
    assert trace[:, 0].tolist() == [dtype(m)] * 6  # m is the step-1 current, then constant
    assert state["step"].tolist() == [6]


def test_spec_6_4_side_by_side():
    ms = [row[0] for row in SPEC_6_4]
    s = BurstEncoder(1.0, -0.5).scan(image_at_step_one(ms, 6),
                                     BurstEncoder(1.0, -0.5).init_state(1, len(ms), np.float64))
    assert s.T.tolist() == [row[1] for row in SPEC_6_4]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-16, 64), min_size=1, max_size=10), st.sampled_from([0.5, 1.0, 2.0]),
       st.sampled_from([-0.5, 0.0, 0.25]), st.integers(1, 6))
def test_burst_is_contiguous_and_equals_level(eighths, d1, b01_over_d1, t_enc):
    # dyadic m, d1, b01: the kernel's m >= b01 + t d1 and level()'s floor agree, ties included
    m = np.array(eighths) / 8
    encoder = BurstEncoder(d1, b01_over_d1 * d1, t_enc)
    s = encoder.scan(image_at_step_one(m, t_enc + 3),
                     encoder.init_state(1, m.size, np.float64))
    n = encoder.level(m)
    steps = np.arange(1, t_enc + 4)[:, None]
    np.testing.assert_array_equal(s, (steps <= n).astype(np.int8))  # spikes at steps 1..n
    np.testing.assert_array_equal(encoder.rate(m), n / t_enc)


def test_level_matches_a2_when_bn_is_identity():
    # b01 = -d1 / 2: n = round_half_up(m / d1) clipped to [0, t_enc] (A2)
    encoder = BurstEncoder(d1=2.0, b01=-1.0)
    m = np.array([-3.0, 0.9, 1.0, 2.9, 3.0, 5.0, 7.0, 100.0])
    assert encoder.level(m).tolist() == [0, 0, 1, 1, 2, 3, 4, 4]


# --- state continuity: the step counter persists --------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_one_scan_equals_step_by_step(dtype):
    encoder = BurstEncoder(d1=[1.0, 0.5], b01=[-0.5, 0.0], t_enc=4)
    m = np.random.default_rng(0).uniform(-1, 5, 2 * 2 * 3)
    current = image_at_step_one(m, 8, dtype)
    current[2] = 0.75  # a later input is integrated too
    whole = encoder.init_state(2, (2, 3), dtype)
    trace = np.empty_like(current)
    spikes = encoder.scan(current, whole, trace)
    split = encoder.init_state(2, (2, 3), dtype)
    for t in range(len(current)):
        step_trace = np.empty((1, current.shape[1]), dtype)
        np.testing.assert_array_equal(encoder.scan(current[t:t + 1], split, step_trace),
                                      spikes[t:t + 1])
        np.testing.assert_array_equal(step_trace[0], trace[t])
    for key in whole:
        np.testing.assert_array_equal(whole[key], split[key])
    assert whole["step"].tolist() == [8] * 12
    assert not spikes[4:].any() and spikes.any()


def test_threshold_keeps_rising_across_calls():
    encoder = BurstEncoder(d1=1.0, b01=-0.5)
    state = encoder.init_state(1, 1, np.float64)
    assert encoder.scan(np.array([[1.7]]), state).tolist() == [[1]]  # 1.7 >= 0.5
    assert encoder.scan(np.array([[0.0]]), state).tolist() == [[1]]  # 1.7 >= 1.5
    assert encoder.scan(np.array([[0.0]]), state).tolist() == [[0]]  # 1.7 < 2.5
    assert encoder.scan(np.array([[5.0]]), state).tolist() == [[1]]  # 6.7 >= 3.5 (step 4)
    assert encoder.scan(np.array([[0.0]] * 3), state).tolist() == [[0]] * 3  # window over


@pytest.mark.parametrize("dtype", FLOATS)
def test_kernel_compiled_equals_python(dtype):
    rng = np.random.default_rng(1)
    current = rng.normal(0.0, 1.5, size=(10, 8)).astype(dtype)
    d1, b01 = rng.uniform(0.3, 1.5, 8).astype(dtype), rng.uniform(-1, 1, 8).astype(dtype)
    outs = []
    for kernel in (_burst_scan, python(_burst_scan)):
        m, step = np.zeros(8, dtype), np.zeros(8, np.int32)
        spikes, trace, pre = (np.empty(current.shape, np.int8), np.empty_like(current),
                                np.empty_like(current))
        kernel(current, m, step, d1, b01, 4, spikes, trace, pre)
        outs.append((spikes, trace, pre, m, step))
    for compiled, interpreted in zip(*outs, strict=True):
        np.testing.assert_array_equal(compiled, interpreted)
    assert outs[0][0].any()


# --- per-channel parameters and errors -------------------------------------------------------

def test_per_channel():
    encoder = BurstEncoder(d1=[1.0, 2.0], b01=[-0.5, -1.0], t_enc=3)
    state = encoder.init_state(2, (2, 2), np.float32)
    assert state["d1"].tolist() == [1, 1, 2, 2] * 2 and state["b01"].tolist() == [-0.5] * 2 + \
        [-1.0] * 2 + [-0.5] * 2 + [-1.0] * 2
    assert state["m"].dtype == np.float32 and state["step"].dtype == np.int32
    m = np.array([[2.5, 9.0], [2.5, 9.0]])  # rows: channels 0 and 1
    assert encoder.level(m).tolist() == [[3, 3], [1, 3]]
    assert encoder.level(m.T, axis=1).tolist() == [[3, 1], [3, 3]]
    with pytest.raises(ValueError, match="2 channels"):
        encoder.init_state(1, (3,))
    with pytest.raises(ValueError, match="channels on axis"):
        encoder.level(np.zeros(5))


@pytest.mark.parametrize("kwargs, match", [
    (dict(d1=0.0, b01=0.0), "d1 must be"),
    (dict(d1=[1.0, -2.0], b01=0.0), "d1 must be"),
    (dict(d1=1.0, b01=float("nan")), "b01 must be"),
    (dict(d1=[1.0, 1.0], b01=[0.0, 0.0, 0.0]), "same number of channels"),
    (dict(d1=1.0, b01=0.0, t_enc=0), "t_enc"),
    (dict(d1=1.0, b01=0.0, t_enc=2.5), "t_enc"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BurstEncoder(**kwargs)


def test_bad_scan_arguments():
    encoder = BurstEncoder(1.0, -0.5)
    state = encoder.init_state(1, 3)
    with pytest.raises(ValueError, match="neurons"):
        encoder.scan(np.zeros((2, 4)), state)
    with pytest.raises(TypeError, match="floating"):
        encoder.init_state(1, 3, dtype=np.int64)
    assert repr(encoder) == "BurstEncoder(d1=1.0, b01=-0.5, t_enc=4)"
