"""QFFS neuron (B14-B16): spec §6.1 / §6.2 / §6.3 hand vectors, state continuity, Numba vs
Python, the settled count against ``level()``, and parameter validation."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kernels import python

from snnlite import nn
from snnlite.neurons import QFFS
from snnlite.neurons.qffs import _qffs_scan
from snnlite.snn import SpikingLayer, SpikingNetwork

FLOATS = [np.float64, np.float32]
EXAMPLE_A = [-1.0] * 9 + [13.0]  # §6.1, sum 4
EXAMPLE_B = [1.0] * 8 + [-2.0] * 2  # §6.1, sum 4
SILENT = [0.0] * 4  # §6.1 "T = 14": four zero-input steps after the ten input steps


def run(neuron, inputs, dtype=np.float64):
    """Scan a (T,) or (T, N) input from a fresh state; return spikes, trace, state."""
    current = np.asarray(inputs, dtype=dtype).reshape(len(inputs), -1)
    state = neuron.init_state(1, current.shape[1], dtype=dtype)
    trace = np.empty(current.shape, dtype=dtype)
    return neuron.scan(current, state, trace), trace, state


def train(*values):
    """A spike train written as in the spec tables: digits, or lists of ints."""
    out = []
    for v in values:
        out += [int(c) for c in v] if isinstance(v, str) else list(v)
    return out


# --- spec §6.1: occasional noise, th = 1 (integers and halves: exact in float32 too) ---------

ROWS_6_1 = [  # (precharge, z_max, inputs, spikes, count, v_end)
    (False, None, EXAMPLE_A, train("0000000001"), 1, 3.0),
    (False, None, EXAMPLE_A + SILENT, train("0000000001", "1110"), 4, 0.0),
    (True, None, EXAMPLE_A, train("0000000001"), 1, 3.5),
    (True, None, EXAMPLE_A + SILENT, train("0000000001", "1110"), 4, 0.5),
    (True, 3, EXAMPLE_A + SILENT, train("0000000001", "1100"), 3, 1.5),
    (False, None, EXAMPLE_B, train("11111111", [-1, -1]), 6, -2.0),
    (False, None, EXAMPLE_B + SILENT, train("11111111", [-1] * 4, "00"), 4, 0.0),
    (True, None, EXAMPLE_B, train("11111111", [-1, -1]), 6, -1.5),
    (True, None, EXAMPLE_B + SILENT, train("11111111", [-1] * 4, "00"), 4, 0.5),
    (True, 3, EXAMPLE_B + SILENT, train("111", "0" * 11), 3, 1.5),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("precharge, z_max, inputs, spikes, count, v_end", ROWS_6_1)
def test_spec_6_1(precharge, z_max, inputs, spikes, count, v_end, dtype):
    s, trace, state = run(QFFS(1.0, z_max=z_max, precharge=precharge), inputs, dtype)
    assert s.dtype == np.int8
    assert s[:, 0].tolist() == spikes
    assert s.sum() == count == state["z"][0]
    assert state["z"].dtype == np.int32
    assert state["v"][0] == v_end and trace[-1, 0] == v_end


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("inputs, z_max, v_trace", [
    (EXAMPLE_A + SILENT, None, [-0.5 - k for k in range(9)] + [3.5, 2.5, 1.5, 0.5, 0.5]),
    (EXAMPLE_B + SILENT, None, [0.5] * 8 + [-0.5, -1.5, -0.5, 0.5, 0.5, 0.5]),
    (EXAMPLE_B + SILENT, 3, [0.5, 0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 3.5, 1.5, 1.5, 1.5, 1.5,
                             1.5]),
])
def test_spec_6_1_membrane_traces(inputs, z_max, v_trace, dtype):
    _, trace, _ = run(QFFS(1.0, z_max=z_max), inputs, dtype)
    assert trace.dtype == dtype
    assert trace[:, 0].tolist() == v_trace


def test_spec_6_1_without_negative_spikes_is_plain_if():
    """Without negative spikes example B keeps its 8 spikes and ends at V = -4 (§6.1 IF rows)."""
    s, _, state = run(QFFS(1.0, precharge=False, negative=False), EXAMPLE_B + SILENT)
    assert s[:, 0].tolist() == train("11111111", "000000")
    assert state["z"][0] == 8 and state["v"][0] == -4.0


# --- spec §6.2: s = 0.25, b = 2 => th = 0.75, Z_max = 3, pre-charge 0.375, T_in = 3 ----------

ROWS_6_2 = [  # (u, spikes, Z, V after steps 1..3 (constant afterwards), ANN level half-even)
    (0.3125, "010000", 1, [0.6875, 0.25, 0.5625], 1),
    (0.875, "111000", 3, [0.5, 0.625, 0.75], 3),
    (-0.25, "000000", 0, [0.125, -0.125, -0.375], 0),
    (0.5, "101000", 2, [0.125, 0.625, 0.375], 2),
    (0.125, "001000", 1, [0.5, 0.625, 0.0], 0),  # tie u/s = 0.5: SNN rounds half up
    (0.625, "111000", 3, [0.25, 0.125, 0.0], 2),  # tie u/s = 2.5
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("u, spikes, z, v3, ann", ROWS_6_2)
def test_spec_6_2(u, spikes, z, v3, ann, dtype):
    neuron = QFFS(threshold=0.75, z_max=3)
    s, trace, state = run(neuron, [u] * 3 + [0.0] * 3, dtype)
    assert s[:, 0].tolist() == train(spikes)
    assert state["z"][0] == z
    assert trace[:, 0].tolist() == v3 + [v3[-1]] * 3
    assert neuron.level(3 * u) == z  # the SNN's count: round half up


def test_spec_6_2_all_rows_side_by_side_and_ann_levels():
    """The six neurons in one population; the last column is the LSQ ANN (half-even) level."""
    u = np.array([row[0] for row in ROWS_6_2])
    s, _, state = run(QFFS(threshold=0.75, z_max=3), np.outer(np.arange(6) < 3, u))
    assert state["z"].tolist() == [row[2] for row in ROWS_6_2] == s.sum(axis=0).tolist()
    lsq = nn.LSQ(bits=2, step=0.25, dtype=np.float64)
    assert lsq.levels(u).tolist() == [row[4] for row in ROWS_6_2]


# --- spec §6.3: two-layer network (both engines), with and without the negative spike -------

def two_layer_net(w1, b1, w2, b2, negative=True):
    def linear(w, b):
        op = nn.Linear(len(w[0]), len(w), dtype=np.float64)
        op.weight.data[...], op.bias.data[...] = w, b
        return op

    return SpikingNetwork([
        SpikingLayer(linear(w1, b1), QFFS(0.75, z_max=3, negative=negative), bias_steps=3,
                     amplitude=0.75, name="l1"),
        SpikingLayer(linear(w2, b2), QFFS(1.5, z_max=3, negative=negative), bias_steps=3,
                     amplitude=1.5, name="l2"),
    ])


@pytest.mark.parametrize("engine", ["layer", "step"])
def test_spec_6_3_negative_spike_correction(engine):
    net = two_layer_net([[1, -0.5], [0.5, 0.5]], [0, 0.125], [[-2, 1]], [0.375])
    res = net.run(np.array([[0.75, 0.5]]), T=5, t_in=3, engine=engine, dtype=np.float64,
                  record={"l1": ("spikes", "v"), "l2": ("spikes", "v")})
    assert res.spikes["l1"][:, 0].tolist() == [[1, 1], [0, 1], [1, 1], [0, 0], [0, 0]]
    assert res.v["l1"][:, 0].tolist() == [[0.125, 0.375], [0.625, 0.375]] + [[0.375, 0.375]] * 3
    assert res.spikes["l2"][:, 0, 0].tolist() == [0, 1, -1, 0, 0]
    assert res.v["l2"][:, 0, 0].tolist() == [0.375, 0.0, 1.125, 1.125, 1.125]
    assert res.outputs[-1, 0].tolist() == [0]  # Z2 = ANN level a2 = 0
    off = two_layer_net([[1, -0.5], [0.5, 0.5]], [0, 0.125], [[-2, 1]], [0.375],
                        negative=False)
    res = off.run(np.array([[0.75, 0.5]]), T=5, t_in=3, engine=engine, dtype=np.float64,
                  record={"l2": "v"})
    assert res.outputs[-1, 0].tolist() == [1] and res.v["l2"][-1, 0, 0] == -0.375


def test_spec_6_3_second_check():
    net = two_layer_net([[1, -0.5], [0.5, 0.5], [-1, 1]], [0, 0.125, 0.25],
                        [[1, 1, 1], [-1, 2, 0]], [0.125, -0.125])
    res = net.run(np.array([[0.75, 0.5]]), T=5, t_in=3, dtype=np.float64,
                  record={"l1": ("spikes", "v"), "l2": ("spikes", "v")})
    assert res.spikes["l1"][:3, 0].tolist() == [[1, 1, 0], [0, 1, 0], [1, 1, 0]]
    assert res.spikes["l2"][:3, 0].tolist() == [[1, 0], [1, 1], [1, 1]]
    assert res.spikes["l1"].sum(axis=0)[0].tolist() == [2, 3, 0]
    assert res.outputs[-1, 0].tolist() == [3, 2]
    assert res.v["l1"][-1, 0].tolist() == [0.375] * 3 and res.v["l2"][-1, 0].tolist() == [0.375] * 2


# --- state continuity, Numba vs Python, trace -------------------------------------------------

NEURONS = [QFFS(0.7), QFFS(0.7, z_max=2), QFFS(0.5, z_max=4, precharge=False),
           QFFS(0.6, negative=False), QFFS(0.6, z_max=0)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("neuron", NEURONS, ids=repr)
def test_one_scan_equals_step_by_step(neuron, dtype):
    current = np.random.default_rng(0).normal(0.1, 0.8, size=(30, 7)).astype(dtype)
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
    np.testing.assert_array_equal(whole["z"], spikes.sum(axis=0))
    if neuron.z_max == 0:
        assert not spikes.any()
    else:
        assert (spikes == 1).any() and ((spikes == -1).any() == neuron.negative)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("z_max, negative", [(2**31 - 1, True), (2, True), (3, False)])
def test_kernel_compiled_equals_python(z_max, negative, dtype):
    current = np.random.default_rng(1).normal(0.1, 0.8, size=(40, 6)).astype(dtype)
    outs = []
    for kernel in (_qffs_scan, python(_qffs_scan)):
        v, z = np.full(6, 0.35, dtype), np.zeros(6, np.int32)
        spikes, trace, pre = (np.empty(current.shape, np.int8), np.empty_like(current),
                                np.empty_like(current))
        kernel(current, v, z, dtype(0.7), z_max, negative, spikes, trace, pre)
        outs.append((spikes, trace, pre, v, z))
    for compiled, interpreted in zip(*outs, strict=True):
        np.testing.assert_array_equal(compiled, interpreted)


def test_state_trace_and_errors():
    neuron = QFFS(0.5)
    state = neuron.init_state(2, (3, 4))
    assert state["v"].shape == (24,) and state["v"].dtype == np.float32
    assert state["v"].tolist() == [0.25] * 24 and state["z"].tolist() == [0] * 24
    assert QFFS(precharge=False).init_state(1, 2)["v"].tolist() == [0.0, 0.0]
    spikes = neuron.scan(np.full((5, 24), 0.3, np.float32), state)
    assert spikes.shape == (5, 24) and spikes.dtype == np.int8
    with pytest.raises(ValueError, match="trace must have shape"):
        neuron.scan(np.zeros((5, 24)), state, np.empty((4, 24)))
    with pytest.raises(ValueError, match="neurons"):
        neuron.scan(np.zeros((5, 23)), state)
    with pytest.raises(TypeError, match="floating"):
        neuron.init_state(1, 4, dtype=np.int64)


@pytest.mark.parametrize("make, error, match", [
    (lambda: QFFS(threshold=0), ValueError, "threshold"),
    (lambda: QFFS(threshold=float("inf")), ValueError, "threshold"),
    (lambda: QFFS(z_max=-1), ValueError, "z_max"),
    (lambda: QFFS(z_max=2.5), ValueError, "z_max"),
    (lambda: QFFS(z_max=True), ValueError, "z_max"),
    (lambda: QFFS(z_max=2**31), ValueError, "z_max"),
    (lambda: QFFS(precharge=0.5), TypeError, "precharge"),
    (lambda: QFFS(negative="yes"), TypeError, "negative"),
])
def test_bad_parameters(make, error, match):
    with pytest.raises(error, match=match):
        make()


# --- rate() and level() -------------------------------------------------------------------------

def test_rate_and_level_by_hand():
    assert QFFS(0.5).rate([-1.0, 0.25, 2.0]).tolist() == [0.0, 0.5, 1.0]
    # S / th = [-0.3, 0.4, 0.6, 2.5, 7.2]
    total = np.array([-0.3, 0.4, 0.6, 2.5, 7.2])
    assert QFFS(1.0).level(total).tolist() == [0, 0, 1, 3, 7]
    assert QFFS(1.0, z_max=3).level(total).tolist() == [0, 0, 1, 3, 3]
    assert QFFS(1.0, precharge=False).level(total).tolist() == [0, 0, 0, 2, 7]
    assert QFFS(2.0).level(np.zeros((2, 3))).shape == (2, 3)


@st.composite
def input_windows(draw):
    """Random per-step currents of a few neurons for ``T_in`` steps, and a neuron."""
    t_in = draw(st.integers(1, 8))
    n = draw(st.integers(1, 6))
    values = draw(st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=t_in * n,
                           max_size=t_in * n))
    th = draw(st.sampled_from([0.3, 0.75, 1.0, 1.7]))
    z_max = draw(st.sampled_from([None, 0, 1, 3, 7]))
    precharge = draw(st.booleans())
    return np.array(values).reshape(t_in, n), QFFS(th, z_max=z_max, precharge=precharge)


def settle(neuron, current, silent=40):
    """Net counts and potentials after the input window and ``silent`` zero-input steps."""
    state = neuron.init_state(1, current.shape[1], np.float64)
    neuron.scan(np.vstack([current, np.zeros((silent, current.shape[1]))]), state)
    return state["z"], state["v"]


def tie_free(neuron, current):
    ratio = (current.sum(axis=0) + neuron.v_init) / neuron.threshold
    return not np.any(np.abs(ratio - np.round(ratio)) < 1e-9)


@settings(max_examples=60, deadline=None)
@given(input_windows())
def test_settled_count_equals_level(case):
    current, neuron = case
    assume(tie_free(neuron, current))
    z, v = settle(neuron, current)
    np.testing.assert_array_equal(z, neuron.level(current.sum(axis=0)))
    upper = np.where(z == neuron.z_max, np.inf, neuron.threshold)
    assert np.all((v < upper) & ((v >= 0) | (z == 0)))  # settled: no spike condition holds


@settings(max_examples=60, deadline=None)
@given(input_windows())
def test_without_negative_spikes_count_is_at_least_level(case):
    current, neuron = case
    assume(tie_free(neuron, current))
    neuron.negative = False
    z, _ = settle(neuron, current)
    assert np.all(z >= neuron.level(current.sum(axis=0)))


def test_without_negative_spikes_count_can_exceed_level():
    """Spec §6.1 example B: the settled count is 8, the level 4 (too many spikes)."""
    current = np.array(EXAMPLE_B)[:, None]
    for precharge in (False, True):
        on, off = (QFFS(1.0, precharge=precharge, negative=neg) for neg in (True, False))
        assert settle(on, current)[0][0] == on.level(4.0) == 4
        assert settle(off, current)[0][0] == 8 > off.level(4.0)
