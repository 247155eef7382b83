"""BPTT through IF/LIF/QFFS populations: forward equals the neuron kernels, gradients equal
finite differences (smooth spikes) and an independent step-major BPTT (Heaviside + surrogate)."""

import numpy as np
import pytest
from gradcheck import gradcheck

from snnlite import nn
from snnlite.learn.bptt import Spiking
from snnlite.learn.time_axis import PoissonEncoder, Repeat, SumOverTime
from snnlite.neurons import IF, LIF, QFFS, AdaptiveLIF
from snnlite.neurons.surrogate import ArcTan, FastSigmoid, Sigmoid, Triangle

F64 = np.float64


def test_triangle_matches_spec_vector():
    v = [0.0, 0.5, 0.9, 1.0, 1.2, 1.5, 2.0]  # spec §6.6
    np.testing.assert_allclose(Triangle().grad(v, 1.0), [0, 0.15, 0.27, 0.3, 0.24, 0.15, 0])


@pytest.mark.parametrize("surrogate", [FastSigmoid(3.0), ArcTan(2.0), Sigmoid(4.0)])
def test_surrogates_peak_at_threshold_and_integrate_like_a_step(surrogate):
    v = np.linspace(-40.0, 42.0, 200_001)
    g = surrogate.grad(v, 1.0)
    assert g.argmax() == np.abs(v - 1.0).argmin()
    if not isinstance(surrogate, FastSigmoid):  # fast sigmoid integrates to 2 / slope
        np.testing.assert_allclose(np.trapezoid(g, v), 1.0, rtol=2e-2)


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize("neuron_cls", [IF, LIF])
def test_forward_equals_neuron_scan(reset, neuron_cls):
    rng = np.random.default_rng(1)
    neuron = neuron_cls(threshold=0.8, reset=reset, v_init=0.1)
    if neuron_cls is LIF:
        neuron = LIF(alpha=0.9, threshold=0.8, reset=reset, v_init=0.1)
    T, B, N = 12, 3, 5
    current = rng.normal(0.3, 0.5, (T * B, N))
    spikes = Spiking(T, neuron)(current, train=True)
    state = neuron.init_state(B, N, dtype=F64)
    trace = np.empty((T, B * N))
    expected = neuron.scan(current.reshape(T, -1), state, trace)
    np.testing.assert_array_equal(spikes.reshape(T, -1), expected)


def test_spec_lif_vector_and_potentials():
    layer = Spiking(8, LIF(alpha=0.75))
    s = layer(np.full((8, 1), 0.5), train=True)
    assert s[:, 0].tolist() == [0, 0, 1, 0, 0, 1, 0, 0]
    after_reset = layer.potentials[:, 0, 0] - s[:, 0]
    np.testing.assert_allclose(after_reset[-1], 0.999969482421875)


def _dense(T, neuron, surrogate, rng):
    return nn.Sequential(Repeat(T), nn.Linear(4, 5, rng=rng, dtype=F64),
                         Spiking(T, neuron, surrogate), nn.Linear(5, 3, rng=rng + 1, dtype=F64),
                         Spiking(T, neuron, surrogate), SumOverTime(T))


def _conv(T, neuron, surrogate, rng):
    return nn.Sequential(Repeat(T), nn.Conv2d(1, 2, 3, padding=1, rng=rng, dtype=F64),
                         Spiking(T, neuron, surrogate), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(8, 3, rng=rng + 1, dtype=F64), Spiking(T, neuron, surrogate),
                         SumOverTime(T, mean=True))


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("build", [_dense, _conv])
@pytest.mark.parametrize("neuron_cls", [IF, LIF])
def test_smooth_bptt_equals_finite_differences(reset, build, neuron_cls):
    """Spike replaced by a sigmoid and the surrogate by its exact derivative (issue item)."""
    neuron = LIF(alpha=0.8, threshold=0.7, reset=reset) if neuron_cls is LIF else IF(
        threshold=0.7, reset=reset)
    model = build(6, neuron, Sigmoid(3.0), 3)
    x = np.random.default_rng(2).uniform(-0.5, 1.5, (2, 4) if build is _dense else (2, 1, 4, 4))
    gradcheck(model, x, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("build", [_dense, _conv])
@pytest.mark.parametrize("neuron", [QFFS(0.7, z_max=2), QFFS(0.7, precharge=False),
                                    QFFS(0.7, z_max=3, negative=False)], ids=repr)
def test_smooth_qffs_bptt_equals_finite_differences(neuron, build):
    """Signed smooth spikes, the cap and the pre-charge: BPTT equals finite differences."""
    model = build(6, neuron, Sigmoid(3.0), 3)
    x = np.random.default_rng(2).uniform(-0.5, 1.5, (2, 4) if build is _dense else (2, 1, 4, 4))
    gradcheck(model, x, rtol=1e-5, atol=1e-8)
    tape = model[2]._tape
    assert (tape["z_pre"] > 0).any()  # the negative spike's gate was open somewhere
    if neuron.z_max is not None and build is _dense:
        assert (tape["z_pre"] >= neuron.z_max).any()  # and the cap closed the positive one


@pytest.mark.parametrize("build", [_dense, _conv])
@pytest.mark.parametrize("adapt", [0.0, 0.6])
def test_smooth_adaptive_lif_bptt_equals_finite_differences(adapt, build):
    """The shared, adapting threshold is differentiated: with adapt > 0 a spike's effect on
    the other channels' thresholds (and later steps) is in the gradient."""
    neuron = AdaptiveLIF(alpha=0.8, threshold=0.7, adapt=adapt, beta=0.6)
    model = build(6, neuron, Sigmoid(3.0), 3)
    x = np.random.default_rng(2).uniform(-0.5, 1.5, (2, 4) if build is _dense else (2, 1, 4, 4))
    gradcheck(model, x, rtol=1e-5, atol=1e-8)
    thresholds = model[2]._tape["thresholds"]
    assert (thresholds > 0.7 * 1.05).any() == (adapt > 0)  # the threshold did adapt


def test_adaptive_lif_needs_its_layout():
    with pytest.raises(ValueError, match="layout"):
        AdaptiveLIF().surrogate_forward(np.zeros((3, 4)), Sigmoid())
    with pytest.raises(ValueError, match="neurons"):
        AdaptiveLIF().surrogate_forward(np.zeros((3, 4)), Sigmoid(), 2, (3,))


def test_qffs_bptt_signed_spikes_and_training_step():
    """Heaviside forward gives QFFS's signed spikes; one SGD step on the surrogate gradient of
    a QFFS layer lowers the loss (fine-tuning a converted QFFS network is possible)."""
    T, B, rng = 8, 16, np.random.default_rng(5)
    layer = nn.Linear(3, 4, bias=False, rng=1, dtype=F64)
    model = nn.Sequential(layer, Spiking(T, QFFS(0.5, z_max=3)), SumOverTime(T))
    x = rng.normal(0.0, 1.0, (T * B, 3))  # a signed input sequence, row t*B + b
    target = rng.uniform(0, 3, (B, 4))
    spikes = model[1](layer(x))
    assert (spikes == -1).any() and (spikes == 1).any()

    def loss():
        return float(np.mean((model(x, train=True) - target) ** 2))

    before = loss()
    model.zero_grad()
    out = model(x, train=True)
    model.backward(2 * (out - target) / out.size)
    assert np.abs(layer.weight.grad).max() > 0
    layer.weight.data -= 0.5 * layer.weight.grad
    assert loss() < before


def _step_major_grads(w1, w2, x, T, alpha, th, reset, surrogate, r):
    """Independent BPTT: explicit per-step forward, then a reverse loop over time and layers."""
    def spike_and_reset(u):
        s = (u >= th).astype(F64)
        return s, (u - th * s if reset == "subtract" else u * (1 - s))

    B = x.shape[0]
    v1, v2 = np.zeros((B, w1.shape[0])), np.zeros((B, w2.shape[0]))
    u1s, s1s, u2s, s2s = [], [], [], []
    for _ in range(T):  # time is the outer loop
        u1 = alpha * v1 + x @ w1.T
        s1, v1 = spike_and_reset(u1)
        u2 = alpha * v2 + s1 @ w2.T
        s2, v2 = spike_and_reset(u2)
        u1s.append(u1), s1s.append(s1), u2s.append(u2), s2s.append(s2)
    g1, g2 = np.zeros_like(w1), np.zeros_like(w2)
    gv1, gv2 = np.zeros_like(v1), np.zeros_like(v2)

    def through(u, s, g_s, g_v):
        d = surrogate.grad(u, th)
        dv_du = 1 - th * d if reset == "subtract" else (1 - s) - u * d
        return g_s * d + g_v * dv_du

    for t in reversed(range(T)):
        gu2 = through(u2s[t], s2s[t], r, gv2)  # loss = sum_t sum(s2[t] * r)
        g2 += gu2.T @ s1s[t]
        gu1 = through(u1s[t], s1s[t], gu2 @ w2, gv1)
        g1 += gu1.T @ x
        gv1, gv2 = alpha * gu1, alpha * gu2
    return g1, g2


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_layer_major_equals_step_major_gradients(reset):
    T, alpha, th = 10, 0.9, 0.6
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, (3, 6))
    neuron = LIF(alpha=alpha, threshold=th, reset=reset)
    model = nn.Sequential(Repeat(T), nn.Linear(6, 7, bias=False, rng=1, dtype=F64),
                          Spiking(T, neuron), nn.Linear(7, 4, bias=False, rng=2, dtype=F64),
                          Spiking(T, neuron), SumOverTime(T))
    r = rng.standard_normal((3, 4))
    out = model(x, train=True)
    assert 0 < out.sum() < T * out.size  # the network does spike, and not everywhere
    model.backward(r)
    g1, g2 = _step_major_grads(model[1].weight.data, model[3].weight.data, x, T, alpha, th,
                               reset, Triangle(), r)
    assert np.abs(g1).max() > 0
    np.testing.assert_allclose(model[1].weight.grad, g1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model[3].weight.grad, g2, rtol=1e-10, atol=1e-12)


def test_poisson_encoder_layout_and_seed():
    x = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, -1.0]], np.float32)
    a = PoissonEncoder(50, rng=3)(x)
    assert a.shape == (100, 3) and a.dtype == np.float32
    per_step = a.reshape(50, 2, 3)
    assert np.all(per_step[:, 0, 1] == 1) and np.all(per_step[:, 1, 2] == -1)
    assert np.all(per_step[:, 0, 0] == 0) and 10 < per_step[:, 0, 2].sum() < 40
    np.testing.assert_array_equal(PoissonEncoder(50, rng=3)(x), a)


def test_errors():
    with pytest.raises(ValueError, match="T\\*B rows"):
        Spiking(4)(np.zeros((6, 2)))
    with pytest.raises(ValueError, match="refractory"):
        Spiking(4, LIF(refractory=2))
    with pytest.raises(TypeError, match="IF or LIF"):
        Spiking(4, neuron="lif")
    with pytest.raises(RuntimeError, match="forward"):
        Spiking(4).backward(np.zeros((4, 1)))
    with pytest.raises(ValueError, match="T must be"):
        SumOverTime(0)
