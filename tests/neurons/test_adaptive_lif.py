"""AdaptiveLIF: hand vectors, the scan against its step function in plain Python, both engines
of SpikingNetwork, the channels-last view of the conv STDP layers, rate and validation."""

import numpy as np
import pytest
from kernels import python

from snnlite import nn
from snnlite.learn.conv_stdp_net import adaptive_lif_scan
from snnlite.neurons import LIF, AdaptiveLIF
from snnlite.neurons.adaptive_lif import adaptive_lif_step
from snnlite.snn import Readout, SpikingLayer, SpikingNetwork


def reference(neuron, current, shape):
    """Plain-Python scan from the module docstring, one call of the interpreted step per
    neuron; channels on ``neuron.channel_axis`` of ``(B, *shape)``. Returns spikes, V after
    and before the reset, all ``(T, B, *shape)``."""
    step = python(adaptive_lif_step)
    axis = neuron.channel_axis % len(shape) + 1
    cur = np.moveaxis(current.reshape(len(current), -1, *shape), axis + 1, -1)  # channels last
    v = np.zeros(cur.shape[1:])
    a = np.zeros(cur.shape[1:-1])
    out = [np.zeros(cur.shape) for _ in range(3)]
    for t in range(len(cur)):
        for pos in np.ndindex(a.shape):
            th = neuron.threshold * (1.0 + a[pos])
            fired = 0
            for o in range(cur.shape[-1]):
                v_pre, v[pos + (o,)], s = step(v[pos + (o,)], cur[(t,) + pos + (o,)],
                                               neuron.alpha, th)
                out[0][(t,) + pos + (o,)], out[2][(t,) + pos + (o,)] = s, v_pre
                fired += s
            out[1][(t,) + pos] = v[pos]
            a[pos] = neuron.beta * a[pos] + neuron.adapt * fired
    return [np.moveaxis(x, -1, axis + 1) for x in out]


def test_hand_vector_shared_threshold_channels_first():
    # alpha 1, theta0 1, adapt 1, beta 0.5; currents 1.0 (channel 0) and 0.6 (channel 1):
    # t0: V = (1, .6) >= th 1 -> (1, 0), V = (0, .6), a = 1
    # t1: th 2, V = (1, 1.2) -> none, a = .5
    # t2: th 1.5, V = (2, 1.8) -> both, V = (.5, .3), a = .25 + 2 = 2.25
    neuron = AdaptiveLIF(alpha=1.0, threshold=1.0, adapt=1.0, beta=0.5)
    state = neuron.init_state(1, (2, 1), dtype=np.float64)
    trace, trace_pre = np.empty((3, 2)), np.empty((3, 2))
    spikes = neuron.scan(np.tile([1.0, 0.6], (3, 1)), state, trace, trace_pre)
    assert spikes.tolist() == [[1, 0], [0, 0], [1, 1]]
    np.testing.assert_allclose(trace_pre, [[1, 0.6], [1, 1.2], [2, 1.8]])
    np.testing.assert_allclose(trace, [[0, 0.6], [1, 1.2], [0.5, 0.3]])
    np.testing.assert_allclose(state["a"], [[2.25]])


def test_without_adaptation_it_is_lif_spec_6_6():
    # spec §6.6: alpha 0.75, v_th 1, I = 0.5, soft reset
    neuron = AdaptiveLIF(alpha=0.75, threshold=1.0, adapt=0.0)
    state = neuron.init_state(1, 1, dtype=np.float64)
    assert neuron.scan(np.full((8, 1), 0.5), state)[:, 0].tolist() == [0, 0, 1, 0, 0, 1, 0, 0]
    assert float(state["v"][0]) == 0.999969482421875


@pytest.mark.parametrize("axis, shape", [(0, (3, 4, 5)), (-1, (4, 5, 3)), (1, (2, 3, 4)),
                                         (0, (6,))])
def test_scan_equals_its_step_function_in_plain_python(axis, shape):
    rng = np.random.default_rng(0)
    neuron = AdaptiveLIF(alpha=0.9, threshold=0.8, adapt=0.4, beta=0.7, channel_axis=axis)
    current = rng.uniform(-0.2, 0.9, (9, 2) + shape)
    spikes, v, v_pre = reference(neuron, current, shape)
    state = neuron.init_state(2, shape, dtype=np.float64)
    trace, trace_pre = np.empty((9, current[0].size)), np.empty((9, current[0].size))
    got = neuron.scan(current.reshape(9, -1), state, trace, trace_pre)
    assert spikes.sum() > 10 and (spikes == 0).sum() > 10
    np.testing.assert_array_equal(got, spikes.reshape(9, -1))
    np.testing.assert_array_equal(trace, v.reshape(9, -1))
    np.testing.assert_array_equal(trace_pre, v_pre.reshape(9, -1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_both_engines_give_the_same_spikes(dtype):
    rng = np.random.default_rng(1)
    neuron = AdaptiveLIF(alpha=0.95, threshold=1.0, adapt=0.5, beta=0.8)
    net = SpikingNetwork([
        SpikingLayer(nn.Conv2d(1, 4, 3, padding=1, rng=0), neuron),
        SpikingLayer(nn.Sequential(nn.Flatten(), nn.Linear(4 * 36, 10, rng=1)),
                     AdaptiveLIF(alpha=0.9, threshold=0.5, adapt=0.2, beta=0.5)),
        Readout(nn.Linear(10, 3, rng=2))])
    x = rng.uniform(0, 1, (2, 1, 6, 6)).astype(np.float32)
    record = {"layer0": ("spikes", "v"), "layer1": "spikes"}
    runs = [net.run(x, T=12, engine=e, dtype=dtype, record=record, rng=3, encoder="poisson")
            for e in ("layer", "step")]
    assert runs[0].spikes["layer0"].sum() > 0 and runs[0].spikes["layer1"].sum() > 0
    for key in ("layer0", "layer1"):
        np.testing.assert_array_equal(runs[0].spikes[key], runs[1].spikes[key])
    np.testing.assert_array_equal(runs[0].v["layer0"], runs[1].v["layer0"])


def test_conv_stdp_channels_last_view_equals_the_model():
    rng = np.random.default_rng(2)
    cur = rng.uniform(-0.2, 0.8, (10, 2, 6, 4)).astype(np.float32)  # (t, B, P, O)
    v, a = np.zeros((2, 6, 4), np.float32), np.zeros((2, 6), np.float32)
    spikes = np.empty(cur.shape, np.int8)
    adaptive_lif_scan(cur, v, a, np.float32(0.9), np.float32(0.7), np.float32(0.3),
                      np.float32(0.8), spikes)
    neuron = AdaptiveLIF(alpha=0.9, threshold=0.7, adapt=0.3, beta=0.8, channel_axis=-1)
    state = neuron.init_state(2, (6, 4))
    np.testing.assert_array_equal(neuron.scan(cur.reshape(10, -1), state),
                                  spikes.reshape(10, -1))
    np.testing.assert_array_equal(state["v"], v.ravel())
    with pytest.raises(ValueError, match="v must be C-contiguous"):
        adaptive_lif_scan(cur, v[:, ::2], a, np.float32(0.9), np.float32(0.7), np.float32(0.3),
                          np.float32(0.8), spikes)


def test_rate():
    currents = np.array([0.0, 0.05, 0.3, 0.5, 1.2])
    plain = AdaptiveLIF(alpha=0.9, threshold=1.0, adapt=0.0)
    np.testing.assert_array_equal(plain.rate(currents, 512),
                                  LIF(alpha=0.9, threshold=1.0).rate(currents, 512))
    # a lone neuron with adaptation (alpha 1, adapt 1, beta 0: th is 2 after a spike, else 1)
    # against the spikes of a direct scan; the plain LIF fires at every step (I > th)
    adaptive = AdaptiveLIF(alpha=1.0, threshold=1.0, adapt=1.0, beta=0.0)
    state = adaptive.init_state(1, 1, np.float64)
    spikes = adaptive.scan(np.full((64, 1), 1.2), state)[:, 0]
    assert adaptive.rate(1.2, 32) == pytest.approx(spikes[32:].mean())
    assert 0.0 < adaptive.rate(1.2, 32) < plain.rate(1.2, 32)


@pytest.mark.parametrize("kwargs, match", [
    ({"alpha": 0.0}, "alpha"), ({"alpha": 1.5}, "alpha"), ({"threshold": 0.0}, "threshold"),
    ({"adapt": -1.0}, "adapt"), ({"beta": 1.5}, "beta"), ({"beta": float("nan")}, "beta")])
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdaptiveLIF(**kwargs)


def test_invalid_state_and_trace():
    with pytest.raises(TypeError, match="channel_axis"):
        AdaptiveLIF(channel_axis=1.0)
    with pytest.raises(ValueError, match="channel_axis 3"):
        AdaptiveLIF(channel_axis=3).init_state(1, (2, 2))
    neuron = AdaptiveLIF()
    state = neuron.init_state(1, 4)
    with pytest.raises(ValueError, match="trace_pre"):
        neuron.scan(np.zeros((3, 4), np.float32), state, trace_pre=np.zeros((2, 4)))
