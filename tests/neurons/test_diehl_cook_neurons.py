"""Diehl & Cook neuron models: hand vectors, the scans against their step functions in plain
Python, both engines of SpikingNetwork, the fused network loop against the models, validation."""

import numpy as np
import pytest
from kernels import python

from snnlite import nn
from snnlite.learn.diehl_cook_kernel import DiehlCookParams, pack_events, pre_trace_table, present
from snnlite.neurons import DiehlCookExcitatory, DiehlCookInhibitory
from snnlite.neurons.diehl_cook import excitatory_step, inhibitory_step
from snnlite.snn import SpikingLayer, SpikingNetwork


def scan(neuron, current, **state):
    """Scan ``current`` (T, N) from a fresh float64 state (entries overridden by ``state``);
    return spikes, trace, trace_pre, final state."""
    st = neuron.init_state(1, current.shape[1], np.float64)
    for key, value in state.items():
        st[key][:] = value
    trace, trace_pre = np.empty(current.shape), np.empty(current.shape)
    return neuron.scan(current, st, trace, trace_pre), trace, trace_pre, st


def test_excitatory_hand_vector():
    # v_rest = v_init = -65, theta 0, threshold -64.5; dt/tau = 0.005, ge halves every step.
    # t0: F = 0 -> v = -65; input ge = 2          t1: F = 2 * 65 = 130, g = 3 -> v = -64.35
    # spikes (-64.35 > -64.5): v_pre -64.35, reset to -65, theta 0.05, refractory 10 steps;
    # t2 .. t11: v held at -65 (ge = 1, 0.5, ...); t12: integrates again
    neuron = DiehlCookExcitatory(v_init=-65.0, v_thresh=-64.5, theta_init=0.0,
                                 theta_offset=0.0)
    current = np.zeros((13, 1))
    current[0] = 2.0
    spikes, trace, trace_pre, st = scan(neuron, current)
    assert spikes[:, 0].tolist() == [0, 1] + [0] * 11
    np.testing.assert_allclose(trace_pre[:2, 0], [-65.0, -64.35])
    np.testing.assert_array_equal(trace[1:12, 0], -65.0)
    ge12 = 2.0 * 0.5 ** 12  # ge during step 12's update: 2 * 0.5**11
    assert trace[12, 0] == pytest.approx(-65.0 + 0.005 * (2 * ge12) * 65.0)
    assert st["theta"][0] == pytest.approx(0.05 * (1 - 5e-8) ** 11)
    # a negative current is inhibitory: gi += 3 at t0, then gi * (E_inh - v) pulls v down
    spikes, trace, _, st = scan(neuron, -np.array([[3.0], [0.0]]))
    assert trace[1, 0] == pytest.approx(-65.0 + 0.005 * 3.0 * (-100.0 + 65.0))
    assert st["gi"][0] == pytest.approx(3.0 * 0.75) and st["ge"][0] == 0.0


def test_inhibitory_hand_vector_and_frozen_theta():
    # t0: F = -60 + 55 = -5 -> v = -55.25, then ge = 10.4
    # t1: F = -4.75 + 10.4 * 55.25 = 569.85, g = 11.4, dt/tau = 0.05 < 1/g:
    # v = -55.25 + 0.05 * 569.85 = -26.7575 > -40: spike, reset -45, refractory 4 steps
    neuron = DiehlCookInhibitory(v_init=-55.0)
    current = np.zeros((6, 1))
    current[0] = 10.4
    spikes, trace, trace_pre, _ = scan(neuron, current)
    assert spikes[:, 0].tolist() == [0, 1, 0, 0, 0, 0]
    assert trace_pre[1, 0] == pytest.approx(-26.7575)
    np.testing.assert_array_equal(trace[1:6, 0], -45.0)
    frozen = DiehlCookExcitatory(theta_init=1.5, adaptive=False)
    assert scan(frozen, np.full((50, 2), 3.0))[3]["theta"].tolist() == [1.5, 1.5]


def test_scans_equal_their_step_functions_in_plain_python():
    rng = np.random.default_rng(0)
    current = rng.normal(0.5, 2.0, (60, 5)) * (rng.random((60, 5)) < 0.3)
    for neuron, step in ((DiehlCookExcitatory(theta_init=0.0, v_thresh=-60.0), excitatory_step),
                         (DiehlCookInhibitory(), inhibitory_step)):
        spikes, trace, trace_pre, st = scan(neuron, current)
        ref = neuron.init_state(1, 5, np.float64)
        keys = ["v", "ge", "gi", "ref", "theta"] if "gi" in ref else ["v", "ge", "ref"]
        extra = (neuron.adaptive,) if "gi" in ref else ()
        for t in range(60):
            for k in range(5):
                out = python(step)(*(ref[key][k] for key in keys), current[t, k],
                                   neuron.constants, *extra)
                assert out[0] == trace_pre[t, k] and out[-1] == spikes[t, k]
                for key, value in zip(keys, out[1:-1], strict=True):
                    ref[key][k] = value
                assert ref["v"][k] == trace[t, k]
        assert spikes.sum() > 3
        for key in keys:
            np.testing.assert_array_equal(st[key], ref[key])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_both_engines_give_the_same_spikes(dtype):
    rng = np.random.default_rng(1)
    exc = nn.Linear(20, 6, bias=False, rng=0)
    exc.weight.data[...] = rng.uniform(0.0, 3.0, exc.weight.data.shape)
    inh = nn.Linear(6, 6, bias=False, rng=0)
    inh.weight.data[...] = 10.4 * np.eye(6)
    net = SpikingNetwork([SpikingLayer(exc, DiehlCookExcitatory(theta_init=0.0)),
                          SpikingLayer(inh, DiehlCookInhibitory())])
    x = rng.uniform(0.0, 0.5, (3, 20))
    record = {"layer0": ("spikes", "v"), "layer1": ("spikes", "v")}
    runs = [net.run(x, T=150, engine=e, dtype=dtype, record=record, rng=2, encoder="poisson")
            for e in ("layer", "step")]
    assert runs[0].spikes["layer0"].sum() > 5 and runs[0].spikes["layer1"].sum() > 5
    for key in ("layer0", "layer1"):
        np.testing.assert_array_equal(runs[0].spikes[key], runs[1].spikes[key])
        np.testing.assert_array_equal(runs[0].v[key], runs[1].v[key])


@pytest.mark.parametrize("learn", [False, True])
def test_fused_network_loop_advances_the_same_neurons(learn):
    """Without lateral inhibition (w_ie = 0) and plasticity (nu = 0), the network loop's exc
    neurons are the excitatory model fed the weights of the spiking inputs, and its inh
    neurons the inhibitory model fed ``w_ei`` times the exc spikes (learning: theta adapts)."""
    p = DiehlCookParams(w_ie=0.0, nu_pre=0.0, nu_post=0.0, theta_init=0.0)
    n, T = 8, 300
    rng = np.random.default_rng(4)
    w = rng.integers(0, 9, (784, n)) / 8.0
    inp = np.zeros((T, 784), np.int8)  # at most one input spike per step: the same sums
    on = rng.random(T) < 0.4
    inp[np.flatnonzero(on), rng.integers(0, 100, on.sum())] = 1
    ev_step, ev_idx = np.nonzero(inp)
    ptr, idx = pack_events(ev_idx, ev_step, T)
    exc, inh = p.excitatory(adaptive=learn), p.inhibitory()
    se, si = exc.init_state(1, n), inh.init_state(1, n)
    st = dict(v_e=se["v"], ge_e=se["ge"], gi_e=se["gi"], ref_e=se["ref"], theta=se["theta"],
              v_i=si["v"], ge_i=si["ge"], ref_i=si["ref"])
    rec_e, rec_i = np.zeros((T, n), np.int8), np.zeros((T, n), np.int8)
    present(w.copy(), *st.values(), np.zeros(n), np.zeros(n), np.full(784, -10**9), ptr, idx,
            T, T, 0, p.packed(), pre_trace_table(p.dt, p.tau_pre), learn, np.zeros(n, np.int64),
            rec_e, rec_i)
    spikes_e = exc.scan(inp.astype(np.float64) @ w, se2 := exc.init_state(1, n))
    spikes_i = inh.scan(p.w_ei * spikes_e.astype(np.float64), si2 := inh.init_state(1, n))
    assert rec_e.sum() > 5 and rec_i.sum() > 5
    np.testing.assert_array_equal(rec_e, spikes_e)
    np.testing.assert_array_equal(rec_i, spikes_i)
    np.testing.assert_array_equal(st["theta"], se2["theta"])
    np.testing.assert_array_equal(st["v_e"], se2["v"])
    np.testing.assert_array_equal(st["v_i"], si2["v"])


def test_params_build_the_default_models():
    p = DiehlCookParams()
    assert p.excitatory().constants == DiehlCookExcitatory().constants
    assert p.inhibitory().constants == DiehlCookInhibitory().constants
    assert p.packed().exc.refractory == 10 and p.packed().inh.refractory == 4


@pytest.mark.parametrize("kwargs, match", [
    ({"dt": 0.0}, "dt"), ({"tau_ge": -1.0}, "tau_ge"), ({"dt": 2.0}, "forward Euler"),
    ({"v_rest": float("nan")}, "v_rest"), ({"refractory": -1.0}, "refractory")])
def test_invalid_parameters(kwargs, match):
    for cls in (DiehlCookExcitatory, DiehlCookInhibitory):
        with pytest.raises(ValueError, match=match):
            cls(**kwargs)
    with pytest.raises(TypeError, match="adaptive"):
        DiehlCookExcitatory(adaptive="yes")
    neuron = DiehlCookInhibitory()
    with pytest.raises(ValueError, match="trace_pre"):
        neuron.scan(np.zeros((3, 2)), neuron.init_state(1, 2), trace_pre=np.zeros((3, 3)))
