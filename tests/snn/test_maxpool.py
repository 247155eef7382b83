"""Event-based max pooling (Algorithm 2, B3-B7): spec §6.5, the telescoping property on random
ternary spike trains, both engines inside a network, Numba vs Python, and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernels import python

from snnlite import nn
from snnlite.neurons import IF, QFFS
from snnlite.snn import (
    EventMaxPool,
    Readout,
    Reshape,
    SpikingLayer,
    SpikingNetwork,
    analog,
)
from snnlite.snn.context import RunContext
from snnlite.snn.maxpool import _event_maxpool_scan

# spec §6.5: inputs n1 n2 / n3 n4 of one 2x2 window, T = 6
N1 = [1, 0, 1, 0, 0, 0]
N2 = [0, 1, 1, 1, -1, 0]
N3 = [1, 1, 0, 0, 0, -1]
N4 = [0] * 6
SPEC_6_5 = np.array([N1, N2, N3, N4], np.int8).T.reshape(6, 1, 1, 2, 2)


def pool_all(pool, spikes):
    """Pool a whole (T, B, C, H, W) sequence from a fresh state."""
    return pool.scan(spikes, pool.init_state(spikes.shape[1], spikes.shape[2:]))


def test_spec_6_5_event_and_naive():
    event = pool_all(EventMaxPool(2), SPEC_6_5)
    assert event.shape == (6, 1, 1, 1, 1) and event.dtype == np.int8
    assert event[:, 0, 0, 0, 0].tolist() == [1, 1, 0, 1, -1, 0]
    assert event.sum() == 2 == np.cumsum(SPEC_6_5, axis=0)[-1].max()
    naive = pool_all(EventMaxPool(2, naive=True), SPEC_6_5)
    assert naive[:, 0, 0, 0, 0].tolist() == [1, 1, 1, 1, 0, 0]
    assert naive.sum() == 4


def test_spec_6_5_state_holds_counts_and_maximum():
    pool = EventMaxPool(2)
    state = pool.init_state(1, (1, 2, 2))
    pool.scan(SPEC_6_5, state)
    assert state["counts"][0, 0].tolist() == [[2, 2], [1, 0]]
    assert state["m_prev"].tolist() == [[[[2]]]]
    assert state["counts"].dtype == state["m_prev"].dtype == np.int32


@pytest.mark.parametrize("naive", [False, True])
def test_one_scan_equals_step_by_step(naive):
    spikes = random_ternary(np.random.default_rng(0), (12, 2, 3, 7, 6))
    pool = EventMaxPool((3, 2), stride=(2, 1), naive=naive)
    whole = pool.init_state(2, (3, 7, 6))
    out = pool.scan(spikes, whole)
    steps = pool.init_state(2, (3, 7, 6))
    for t in range(len(spikes)):
        np.testing.assert_array_equal(pool.scan(spikes[t:t + 1], steps), out[t:t + 1])
    for key in whole:
        np.testing.assert_array_equal(whole[key], steps[key])


# --- the telescoping property (B6-B7) on random ternary inputs ----------------------------------

def random_ternary(rng, shape, p=(0.25, 0.4, 0.35)):
    """Spikes in {-1, 0, 1} with probabilities ``p``: running counts wander up and down."""
    return rng.choice(np.array([-1, 0, 1], np.int8), size=shape, p=p)


@st.composite
def pool_cases(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(kh, 7)), draw(st.integers(kw, 7))
    T, B, C = draw(st.integers(1, 15)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    neg = draw(st.sampled_from([0.0, 0.1, 0.3, 0.5]))
    zero = draw(st.sampled_from([0.2, 0.5, 0.8]))
    p = (neg * (1 - zero), zero, (1 - neg) * (1 - zero))
    spikes = random_ternary(np.random.default_rng(draw(st.integers(0, 2**31))), (T, B, C, h, w),
                            p)
    return EventMaxPool((kh, kw), stride=(sh, sw)), spikes


@settings(max_examples=60, deadline=None)
@given(pool_cases())
def test_summed_output_is_max_pool_of_final_counts(case):
    pool, spikes = case
    out = pool_all(pool, spikes)
    assert out.dtype == np.int8 and np.all(np.abs(out) <= 1)
    T = len(spikes)
    counts = np.cumsum(spikes, axis=0, dtype=np.int32).reshape((-1,) + spikes.shape[2:])
    target = nn.MaxPool2d(pool.kernel_size, pool.stride).forward(counts)
    target = target.reshape((T,) + out.shape[1:])
    # at every step the accumulated output is the pool of the running counts (B4-B5), and
    # in particular at the end the pool of the final counts (B3, B6-B7)
    np.testing.assert_array_equal(np.cumsum(out, axis=0), target)
    np.testing.assert_array_equal(out.sum(axis=0), target[-1])


def test_naive_pooling_overcounts():
    """Two inputs spiking at alternate steps: the naive pool fires every step."""
    spikes = np.zeros((8, 1, 1, 1, 2), np.int8)
    spikes[0::2, ..., 0] = 1
    spikes[1::2, ..., 1] = 1
    assert pool_all(EventMaxPool((1, 2)), spikes).sum() == 4
    assert pool_all(EventMaxPool((1, 2), naive=True), spikes).sum() == 8


# --- Numba vs Python ------------------------------------------------------------------------------

@pytest.mark.parametrize("naive", [False, True])
@pytest.mark.parametrize("kernel_size, stride", [((2, 2), (2, 2)), ((3, 2), (1, 2))])
def test_kernel_compiled_equals_python(kernel_size, stride, naive):
    spikes = random_ternary(np.random.default_rng(1), (10, 2, 2, 6, 6))
    pool = EventMaxPool(kernel_size, stride, naive=naive)
    outs = []
    for kernel in (_event_maxpool_scan, python(_event_maxpool_scan)):
        state = pool.init_state(2, (2, 6, 6))
        out = np.empty((10,) + state["m_prev"].shape, np.int8)
        kernel(spikes, state["counts"], state["m_prev"], *kernel_size, *stride, naive, out)
        outs.append((out, state["counts"], state["m_prev"]))
    for compiled, interpreted in zip(*outs, strict=True):
        np.testing.assert_array_equal(compiled, interpreted)


# --- inside a network: both engines agree ---------------------------------------------------------

def pooled_net(neuron, pool, seed):
    rng = np.random.default_rng(seed)
    return SpikingNetwork([
        SpikingLayer(nn.Conv2d(1, 3, 3, rng=rng), neuron, amplitude=0.75, name="conv"),
        pool,
        Reshape(nn.Flatten()),
        Readout(nn.Linear(3 * 3 * 3, 4, rng=rng)),
    ])


NEURONS = {"if": lambda: IF(threshold=0.4, v_init=0.1),
           "qffs": lambda: QFFS(threshold=0.4, z_max=3),
           "qffs-uncapped": lambda: QFFS(threshold=0.3)}


@pytest.mark.parametrize("neuron", NEURONS)
@pytest.mark.parametrize("kernel_size, stride", [(2, None), (3, 2)])
def test_engines_agree_in_a_network(neuron, kernel_size, stride):
    net = pooled_net(NEURONS[neuron](), EventMaxPool(kernel_size, stride, name="pool"), 0)
    if kernel_size == 2:  # 8x8 -> 6x6 -> 3x3
        x = np.random.default_rng(1).uniform(-0.5, 1, (3, 1, 8, 8))
    else:  # 9x9 -> 7x7 -> 3x3
        x = np.random.default_rng(1).uniform(-0.5, 1, (3, 1, 9, 9))
    rec = {"conv": "spikes", "pool": "spikes"}
    kw = dict(T=10, encoder="poisson", rng=2, record=rec, dtype=np.float64)
    a, b = net.run(x, engine="layer", **kw), net.run(x, engine="step", **kw)
    for name in rec:
        np.testing.assert_array_equal(a.spikes[name], b.spikes[name])
    np.testing.assert_allclose(a.outputs, b.outputs, rtol=1e-12, atol=1e-12)
    assert a.spikes_per_layer() == b.spikes_per_layer()
    # the pool's output is the event max-pool of the recorded conv spikes, and it is counted
    conv, pooled = a.spikes["conv"], a.spikes["pool"]
    np.testing.assert_array_equal(pooled, pool_all(EventMaxPool(kernel_size, stride), conv))
    assert a.counts["pool"].pos.shape == (3, 3, 3) and a.shapes["pool"] == (3, 3, 3)
    assert a.spikes_per_layer()["pool"] == (int((pooled == 1).sum()), int((pooled == -1).sum()))
    assert (pooled != 0).any()
    if neuron.startswith("qffs"):
        assert (conv == -1).any()  # negative spikes reach the pool


def test_output_spikes_inherit_the_input_amplitude():
    pool = EventMaxPool(2)
    after = SpikingLayer(nn.Linear(3 * 3 * 3, 2, rng=0), IF())
    net = SpikingNetwork([SpikingLayer(nn.Conv2d(1, 3, 3, rng=0), QFFS(0.5), amplitude=0.5),
                          pool, Reshape(nn.Flatten()), after])
    assert pool.in_amplitude == pool.amplitude == 0.5 == after.in_amplitude
    assert net.layers[1].name == "layer1"
    x = np.random.default_rng(0).uniform(0, 1, (2, 1, 8, 8))
    rec = {"layer1": "spikes", "layer3": "v"}
    a = net.run(x, 8, record=rec, dtype=np.float64)
    b = net.run(x, 8, record=rec, dtype=np.float64, engine="step")
    np.testing.assert_array_equal(a.spikes["layer1"], b.spikes["layer1"])
    np.testing.assert_array_equal(a.v["layer3"], b.v["layer3"])
    # the layer after the pool integrates 0.5 * W @ pooled spikes (plus its bias)
    w, bias = after.synapse.weight.data, after.bias
    current = 0.5 * a.spikes["layer1"].reshape(8, 2, -1) @ w.T.astype(np.float64) + bias
    neuron = IF()
    expected = neuron.scan(current.reshape(8, -1), neuron.init_state(2, 2, np.float64))
    np.testing.assert_array_equal(expected.reshape(8, 2, 2), np.diff(a.outputs, axis=0, prepend=0))


# --- errors ------------------------------------------------------------------------------------

def test_analog_input_is_rejected():
    net = SpikingNetwork([EventMaxPool(2), Reshape(nn.Flatten()), Readout(nn.Linear(4, 2))])
    x = np.ones((1, 1, 4, 4), np.float32)
    for engine in ("layer", "step"):
        with pytest.raises(TypeError, match="analog input"):
            net.run(x, T=3, engine=engine)
    ctx = RunContext(3, np.dtype(np.float32))
    with pytest.raises(TypeError, match="analog input"):
        EventMaxPool(2).forward_seq(analog(x, 3), ctx)


def test_bad_spikes_and_parameters():
    pool = EventMaxPool(2)
    state = pool.init_state(1, (1, 4, 4))
    with pytest.raises(TypeError, match="int8"):
        pool.scan(np.zeros((3, 1, 1, 4, 4), np.float32), state)
    with pytest.raises(ValueError, match="shape"):
        pool.scan(np.zeros((3, 1, 1, 4, 5), np.int8), state)
    with pytest.raises(ValueError, match=r"\{-1, 0, 1\}"):
        pool.scan(np.full((3, 1, 1, 4, 4), 2, np.int8), state)
    with pytest.raises(ValueError, match="smaller than the kernel"):
        pool.init_state(1, (1, 1, 4))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        pool.init_state(1, (4, 4))
    with pytest.raises(ValueError, match="kernel_size"):
        EventMaxPool(0)
    with pytest.raises(ValueError, match="stride"):
        EventMaxPool(2, stride=(1, 0))
    with pytest.raises(TypeError, match="naive"):
        EventMaxPool(2, naive="yes")
    assert repr(EventMaxPool(3, 2, naive=True)) == \
        "EventMaxPool(None: kernel_size=(3, 3), stride=(2, 2), naive=True)"
