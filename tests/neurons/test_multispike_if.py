"""MultiSpikeIF: hand vectors, the IF special case, state continuity, Numba vs Python, rate()
against long simulations, counts in a network, parameter validation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernels import python

from snnlite import nn
from snnlite.neurons import IF, MultiSpikeIF
from snnlite.neurons.multispike_if import _multispike_if_scan
from snnlite.snn import SpikingLayer, SpikingNetwork


def run(neuron, inputs, dtype=np.float64):
    current = np.asarray(inputs, dtype=dtype).reshape(len(inputs), -1)
    state = neuron.init_state(1, current.shape[1], dtype=dtype)
    trace = np.empty(current.shape, dtype=dtype)
    return neuron.scan(current, state, trace), trace, state


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hand_vector(dtype):
    # th = 1, n = 3.  V: 2.5 -> 2 spikes, 0.5 | 0.75 -> none | 5.75 -> capped at 3, 2.75 stays |
    # 2.75 + 0 -> 2 spikes, 0.75 | 0.75 - 1 = -0.25 -> none
    s, trace, state = run(MultiSpikeIF(1.0, max_spikes=3), [2.5, 0.25, 5.0, 0.0, -1.0], dtype)
    assert s.dtype == np.int8
    assert s[:, 0].tolist() == [2, 0, 3, 2, 0]
    assert trace[:, 0].tolist() == [0.5, 0.75, 2.75, 0.75, -0.25]
    assert state["v"][0] == -0.25


def test_threshold_and_v_init():
    # th = 0.5, V(0) = 0.25: 0.25 + 1.3 = 1.55 -> 3 spikes, 0.05
    s, trace, _ = run(MultiSpikeIF(0.5, max_spikes=10, v_init=0.25), [1.3])
    assert s[0, 0] == 3 and trace[0, 0] == pytest.approx(0.05)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=30))
def test_one_spike_cap_is_the_subtractive_if(inputs):
    s_multi, v_multi, _ = run(MultiSpikeIF(0.7, max_spikes=1), inputs)
    s_if, v_if, _ = run(IF(0.7, reset="subtract"), inputs)
    np.testing.assert_array_equal(s_multi, s_if)
    np.testing.assert_array_equal(v_multi, v_if)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 20, allow_nan=False), min_size=2, max_size=30),
       st.integers(1, 127))
def test_charge_conservation(inputs, n):
    """Subtractive reset keeps every unit of charge: th * spikes + V(T) = V(0) + sum I."""
    s, trace, _ = run(MultiSpikeIF(0.5, max_spikes=n), inputs)
    assert s.min() >= 0 and s.max() <= n
    assert 0.5 * s.sum() + trace[-1, 0] == pytest.approx(sum(inputs), abs=1e-9)


def test_split_scan_equals_one_scan_and_numba_equals_python():
    rng = np.random.default_rng(0)
    current = rng.normal(0.5, 2.0, size=(40, 6))
    neuron = MultiSpikeIF(0.8, max_spikes=4)
    whole, _, _ = run(neuron, current)
    state = neuron.init_state(1, 6, dtype=np.float64)
    parts = np.concatenate([neuron.scan(current[t:t + 7], state) for t in range(0, 40, 7)])
    np.testing.assert_array_equal(whole, parts)
    v = np.zeros(6)
    spikes = np.empty(current.shape, np.int8)
    python(_multispike_if_scan)(current, v, 0.8, 4, spikes, np.empty((0, 6)), np.empty((0, 6)))
    np.testing.assert_array_equal(whole, spikes)


@pytest.mark.parametrize("n", [1, 3, 127])
def test_rate_matches_long_simulation(n):
    currents = np.array([-1.0, 0.0, 0.3, 0.77, 1.0, 2.4, 3.5, 200.0])
    neuron = MultiSpikeIF(1.0, max_spikes=n)
    steps = 4000
    s, _, _ = run(neuron, np.tile(currents, (steps, 1)))
    # |simulated - exact| <= (V(0) - V(T)) / (th T): at most 1/T below the cap
    np.testing.assert_allclose(s.sum(axis=0) / steps, neuron.rate(currents), atol=1.0 / steps)


def test_network_counts_add_spike_magnitudes():
    lin = nn.Linear(1, 1, bias=False, dtype=np.float64)
    lin.weight.data[...] = 2.5
    net = SpikingNetwork([SpikingLayer(lin, MultiSpikeIF(1.0, max_spikes=5))])
    res = net.run(np.ones((1, 1)), T=4, dtype=np.float64)
    # V: 2.5 -> 2 (0.5), 3.0 -> 3 (0), 2.5 -> 2 (0.5), 3.0 -> 3 (0): 10 spikes, 10 = 4 * 2.5
    assert res.counts["layer0"].step_pos.tolist() == [2, 3, 2, 3]
    assert res.outputs[-1, 0, 0] == 10


@pytest.mark.parametrize("kwargs", [{"threshold": 0.0}, {"threshold": np.inf},
                                    {"max_spikes": 0}, {"max_spikes": 128},
                                    {"max_spikes": 2.5}, {"v_init": np.nan}])
def test_invalid_parameters(kwargs):
    with pytest.raises(ValueError):
        MultiSpikeIF(**kwargs)
