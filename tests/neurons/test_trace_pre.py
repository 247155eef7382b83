"""The membrane before the reset (``trace_pre``, ``record={layer: "v_pre"}``).

Hand vectors of spec §6.1 / §6.6 (the pre-reset values are the post-reset values of the spec
plus ``th * z``, worked out by hand below), properties on random dyadic inputs, and the
recording plumbing of :class:`SpikingNetwork` with both engines.
"""

import numpy as np
import pytest

from snnlite import nn
from snnlite.neurons import IF, LIF, QFFS, BurstEncoder, DynamicThreshold
from snnlite.snn import CountReadout, SpikingLayer, SpikingNetwork

EXAMPLE_B = [1.0] * 8 + [-2.0] * 2 + [0.0] * 4  # §6.1, T = 14


def traces(neuron, inputs, dtype=np.float64):
    """Spikes, post-reset and pre-reset traces of a single neuron from a fresh state."""
    current = np.asarray(inputs, dtype=dtype).reshape(len(inputs), -1)
    state = neuron.init_state(1, current.shape[1], dtype=dtype)
    trace, pre = np.empty_like(current), np.empty_like(current)
    spikes = neuron.scan(current, state, trace, pre)
    return spikes[:, 0].tolist(), trace[:, 0].tolist(), pre[:, 0].tolist()


# Each row: neuron, input, spikes, V after the reset (spec), V before the reset (by hand).
HAND = [
    pytest.param(IF(), EXAMPLE_B,  # §6.1 IF B: V reaches 1 and drops to 0, then -2 per step
                 [1] * 8 + [0] * 6, [0.0] * 8 + [-2.0] + [-4.0] * 5,
                 [1.0] * 8 + [-2.0] + [-4.0] * 5, id="IF-6.1B"),
    pytest.param(LIF(alpha=0.75), [0.5] * 8,  # §6.6 soft reset; pre = 0.75 V(t-1) + 0.5
                 [0, 0, 1, 0, 0, 1, 0, 0],
                 [0.5, 0.875, 0.15625, 0.6171875, 0.962890625, 0.22216796875,
                  0.6666259765625, 0.999969482421875],
                 [0.5, 0.875, 1.15625, 0.6171875, 0.962890625, 1.22216796875,
                  0.6666259765625, 0.999969482421875], id="LIF-6.6-soft"),
    pytest.param(LIF(alpha=0.75, reset="zero"), [0.5] * 8,  # §6.6 hard reset
                 [0, 0, 1, 0, 0, 1, 0, 0],
                 [0.5, 0.875, 0.0, 0.5, 0.875, 0.0, 0.5, 0.875],
                 [0.5, 0.875, 1.15625, 0.5, 0.875, 1.15625, 0.5, 0.875], id="LIF-6.6-hard"),
    # refractory 1: the step after a spike holds V (pre = post = the held value)
    pytest.param(LIF(alpha=0.5, refractory=1), [0.75] * 6,
                 [0, 1, 0, 0, 1, 0],
                 [0.75, 0.125, 0.125, 0.8125, 0.15625, 0.15625],
                 [0.75, 1.125, 0.125, 0.8125, 1.15625, 0.15625], id="LIF-refractory"),
    pytest.param(QFFS(1.0), EXAMPLE_B,  # §6.1 QFFS pre-charged B: two -1 spikes in, two after
                 [1] * 8 + [-1, -1, -1, -1, 0, 0],
                 [0.5] * 8 + [-0.5, -1.5, -0.5, 0.5, 0.5, 0.5],
                 [1.5] * 8 + [-1.5, -2.5, -1.5, -0.5, 0.5, 0.5], id="QFFS-6.1B"),
    pytest.param(QFFS(1.0, z_max=3), EXAMPLE_B,  # §6.1 with the cap: V no longer reset
                 [1, 1, 1] + [0] * 11,
                 [0.5, 0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 3.5, 1.5, 1.5, 1.5, 1.5, 1.5],
                 [1.5, 1.5, 1.5, 1.5, 2.5, 3.5, 4.5, 5.5, 3.5, 1.5, 1.5, 1.5, 1.5, 1.5],
                 id="QFFS-6.1B-cap"),
    pytest.param(DynamicThreshold(d=1.0, b0=-0.5), EXAMPLE_B,  # m is never reset: pre = m
                 [1] * 8 + [-1, -1, -1, -1, 0, 0],
                 [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 6.0, 4.0, 4.0, 4.0, 4.0, 4.0],
                 [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 6.0, 4.0, 4.0, 4.0, 4.0, 4.0],
                 id="DynamicThreshold-6.1B"),
    pytest.param(DynamicThreshold(d=1.0, b0=-0.5, integer=True), EXAMPLE_B,
                 [1] * 8 + [-1, -1, -1, -1, 0, 0],
                 [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 6.0, 4.0, 4.0, 4.0, 4.0, 4.0],
                 [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 6.0, 4.0, 4.0, 4.0, 4.0, 4.0],
                 id="DynamicThreshold-int-6.1B"),
    pytest.param(BurstEncoder(d1=1.0, b01=-0.5), [2.5, 0, 0, 0, 0],  # §6.4 style, m = 2.5
                 [1, 1, 1, 0, 0], [2.5] * 5, [2.5] * 5, id="BurstEncoder"),
]


@pytest.mark.parametrize("neuron, inputs, spikes, post, pre", HAND)
def test_pre_reset_hand_vectors(neuron, inputs, spikes, post, pre):
    got_spikes, got_post, got_pre = traces(neuron, inputs)
    assert got_spikes == spikes
    assert got_post == post
    assert got_pre == pre


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("neuron", [IF(), LIF(alpha=0.5), QFFS(1.0, z_max=5)], ids=repr)
def test_subtract_reset_pre_is_post_plus_threshold_times_spike(neuron, dtype):
    # multiples of 1/8 with th = 1 and alpha = 1/2: every sum is exact in float32 and float64
    current = np.random.default_rng(0).integers(-6, 12, (40, 9)) / 8.0
    state = neuron.init_state(1, 9, dtype)
    post, pre = np.empty(current.shape, dtype), np.empty(current.shape, dtype)
    spikes = neuron.scan(current.astype(dtype), state, post, pre)
    np.testing.assert_array_equal(pre, post + spikes)
    assert (spikes == 1).any() and (spikes == 0).any()


@pytest.mark.parametrize("neuron", [IF(0.7), IF(0.7, reset="zero"), IF(0.7, reset="none"),
                                    LIF(alpha=0.9, threshold=0.7),
                                    LIF(alpha=0.9, threshold=0.7, reset="zero")], ids=repr)
def test_if_lif_spike_exactly_where_pre_reaches_threshold(neuron):
    current = np.random.default_rng(1).normal(0.2, 0.5, (50, 11))
    state = neuron.init_state(1, 11, np.float64)
    pre = np.empty_like(current)
    spikes = neuron.scan(current, state, None, pre)
    np.testing.assert_array_equal(spikes == 1, pre >= 0.7)
    assert spikes.any() and not spikes.all()


def test_pre_trace_shape_checked():
    neuron = IF()
    state = neuron.init_state(1, 3)
    with pytest.raises(ValueError, match="trace_pre must have shape"):
        neuron.scan(np.zeros((4, 3), np.float32), state, None, np.empty((4, 2), np.float32))


# --- recording in SpikingNetwork ------------------------------------------------------------

def identity(n):
    lin = nn.Linear(n, n, bias=False, dtype=np.float64)
    lin.weight.data[...] = np.eye(n)
    return lin


@pytest.mark.parametrize("engine", ["layer", "step"])
@pytest.mark.parametrize("layer_cls", [SpikingLayer, CountReadout])
def test_network_records_v_pre(engine, layer_cls):
    # §6.6 soft reset in a one-layer network: input 0.5 per step into LIF(alpha=0.75)
    net = SpikingNetwork([layer_cls(identity(1), LIF(alpha=0.75), name="lif")])
    res = net.run(np.array([[0.5], [0.25]]), 8, record={"lif": ("v", "v_pre", "spikes")},
                  dtype=np.float64, engine=engine, batch_size=1)
    assert res.v_pre["lif"].shape == (8, 2, 1)
    assert res.v_pre["lif"][:, 0, 0].tolist() == [
        0.5, 0.875, 1.15625, 0.6171875, 0.962890625, 1.22216796875, 0.6666259765625,
        0.999969482421875]
    assert res.v["lif"][2, 0, 0] == 0.15625
    # sample 2 (0.25 per step) never fires: before and after the reset agree
    np.testing.assert_array_equal(res.v_pre["lif"][:, 1], res.v["lif"][:, 1])
    assert res.spikes["lif"][:, 1].sum() == 0


def test_network_v_pre_alone_and_selected_neurons():
    net = SpikingNetwork([SpikingLayer(identity(3), IF(), name="if")])
    x = np.array([[0.5, 1.0, 0.25]])
    res = net.run(x, 4, record={"if": "v_pre"}, neurons={"if": [1]}, dtype=np.float64)
    assert res.v == {} and res.spikes == {}
    assert res.v_pre["if"][:, 0, 0].tolist() == [1.0] * 4  # reaches 1, resets to 0, ...


def test_network_rejects_unknown_record_name():
    net = SpikingNetwork([SpikingLayer(identity(1), IF(), name="if")])
    with pytest.raises(ValueError, match="v_pre"):
        net.run(np.ones((1, 1)), 3, record={"if": "u"})
