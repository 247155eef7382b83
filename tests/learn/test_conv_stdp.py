"""Layer-wise conv STDP (spec §4.4 C5, §4.6): kernels against slow references and hand values."""

import math

import numpy as np
import pytest

import snnlite.learn.conv_stdp as conv_stdp
from snnlite import nn
from snnlite.learn.conv_stdp import ConvSTDP, stdp_conv_update
from snnlite.learn.conv_stdp_net import (
    SpikingConv,
    SpikingConvNet,
    adaptive_lif_scan,
    event_conv,
    joint_features,
)
from snnlite.learn.conv_stdp_stats import ActivityStats, energy_efficiency
from snnlite.neurons import LIF
from snnlite.snn.encoding import poisson


def c5(dt, eta, tau, offset):
    """C5 written out independently of ``panda_dw``: inf (no pre spike) -> depression."""
    return -eta * offset if dt is None else eta * (math.exp(-dt / tau) - offset)


def reference_update(pre, post, t0, k, stride, pad, eta, tau, offset, last=None):
    """Slow C5 reference: spike-time lists, one post event at a time, mean per channel."""
    t, b, h, w, c = pre.shape
    o = post.shape[4]
    times = {} if last is None else dict(last)
    total, count = np.zeros((o, c, k, k)), np.zeros(o)
    for s in range(t):
        for idx in zip(*np.nonzero(pre[s]), strict=True):
            times[tuple(int(v) for v in idx)] = t0 + s
        for bb, oy, ox, oo in zip(*np.nonzero(post[s]), strict=True):
            count[oo] += 1
            for cc in range(c):
                for i in range(k):
                    for j in range(k):
                        y, x = oy * stride + i - pad, ox * stride + j - pad
                        last_t = times.get((bb, y, x, cc))
                        dt = None if last_t is None else t0 + s - last_t
                        total[oo, cc, i, j] += c5(dt, eta, tau, offset)
    return total / np.maximum(count, 1)[:, None, None, None], count


def test_c5_update_by_hand_on_one_channel():
    # 3x3 input, 2x2 kernel, one output channel, 3 steps; post spikes at (0, 0) at step 1 in
    # sample 0 and at (1, 1) at step 2 in sample 1.
    pre = np.zeros((3, 2, 3, 3, 1), np.int8)
    post = np.zeros((3, 2, 2, 2, 1), np.int8)
    pre[0, 0, 0, 0, 0] = pre[1, 0, 1, 1, 0] = 1
    post[1, 0, 0, 0, 0] = 1
    pre[2, 1, 2, 2, 0] = pre[0, 1, 1, 2, 0] = 1
    post[2, 1, 1, 1, 0] = 1
    eta, tau, off = 0.1, 2.0, 0.3
    last = np.full((2, 3, 3, 1), -np.inf)
    dw, count = stdp_conv_update(pre, post, last, 0, 2, eta=eta, tau=tau, offset=off)
    e = math.exp
    # sample 0, taps (0,0),(0,1),(1,0),(1,1): dt = 1, none, none, 0
    s0 = np.array([[eta * (e(-1 / tau) - off), -eta * off], [-eta * off, eta * (1 - off)]])
    # sample 1, window pixels (1,1),(1,2),(2,1),(2,2): none, dt = 2, none, dt = 0
    s1 = np.array([[-eta * off, eta * (e(-2 / tau) - off)], [-eta * off, eta * (1 - off)]])
    np.testing.assert_allclose(dw[0, 0], (s0 + s1) / 2)
    assert count.tolist() == [2]
    assert last[0, 1, 1, 0] == 1 and last[1, 2, 2, 0] == 2 and last[0, 2, 2, 0] == -np.inf


@pytest.mark.parametrize("stride,pad,t0", [(1, 0, 0), (1, 1, 3), (2, 1, 5)])
def test_c5_update_matches_slow_reference(stride, pad, t0):
    rng = np.random.default_rng(stride + 3 * pad)
    pre = (rng.random((4, 2, 6, 6, 2)) < 0.3).astype(np.int8)
    oh = (6 + 2 * pad - 3) // stride + 1
    post = (rng.random((4, 2, oh, oh, 3)) < 0.2).astype(np.int8)
    last = np.full((2, 6, 6, 2), -np.inf)
    last[0, 2, 3, 1] = t0 - 2  # a pre spike from an earlier window
    dw, count = stdp_conv_update(pre, post, last, t0, 3, stride, pad, 0.01, 3.0, 0.4)
    ref, ref_count = reference_update(pre, post, t0, 3, stride, pad, 0.01, 3.0, 0.4,
                                      {(0, 2, 3, 1): t0 - 2})
    np.testing.assert_allclose(dw, ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(count, ref_count)


@pytest.mark.parametrize("stride,pad", [(1, 0), (1, 1), (2, 2)])
def test_event_conv_equals_im2col_conv(stride, pad):
    rng = np.random.default_rng(0)
    spikes = (rng.random((3, 2, 7, 7, 2)) < 0.3).astype(np.int8)  # (t, B, H, W, C)
    conv = nn.Conv2d(2, 4, 3, stride=stride, padding=pad, bias=False, rng=1)
    dense = conv(spikes.reshape(6, 7, 7, 2).transpose(0, 3, 1, 2))  # (tB, O, OH, OW)
    out = np.zeros((3, 2, dense.shape[2], dense.shape[3], 4), np.float32)
    event_conv(spikes, np.ascontiguousarray(conv.weight.data.transpose(2, 3, 1, 0)), stride,
               pad, out)
    np.testing.assert_allclose(out.reshape(6, *out.shape[2:]), dense.transpose(0, 2, 3, 1),
                               rtol=1e-6, atol=1e-6)


def test_adaptive_scan_without_adaptation_is_lif():
    rng = np.random.default_rng(1)
    cur = rng.uniform(-0.2, 0.8, (12, 2, 5, 3)).astype(np.float32)  # (t, B, P, O)
    v, a = np.zeros((2, 5, 3), np.float32), np.zeros((2, 5), np.float32)
    spikes = np.empty(cur.shape, np.int8)
    adaptive_lif_scan(cur, v, a, np.float32(0.9), np.float32(1.0), np.float32(0.0),
                      np.float32(0.5), spikes)
    neuron = LIF(alpha=0.9, threshold=1.0)
    state = neuron.init_state(1, 30)
    expected = neuron.scan(cur.reshape(12, 30), state)
    np.testing.assert_array_equal(spikes.reshape(12, 30), expected)
    np.testing.assert_allclose(v.ravel(), state["v"], rtol=1e-6)


def test_adaptive_threshold_is_shared_by_the_channels_of_a_position():
    # alpha 1, theta0 1, adapt 1, beta 0.5; channel currents 1.0 and 0.6 at one position.
    # t0: V = (1, .6), th 1 -> (1, 0), V = (0, .6), a = 1
    # t1: th 2, V = (1, 1.2) -> none, a = .5
    # t2: th 1.5, V = (2, 1.8) -> both, V = (.5, .3), a = .25 + 2 = 2.25
    cur = np.tile(np.array([1.0, 0.6], np.float32), (3, 1, 1, 1))
    v, a = np.zeros((1, 1, 2), np.float32), np.zeros((1, 1), np.float32)
    spikes = np.empty(cur.shape, np.int8)
    adaptive_lif_scan(cur, v, a, np.float32(1), np.float32(1), np.float32(1), np.float32(0.5),
                      spikes)
    assert spikes[:, 0, 0].tolist() == [[1, 0], [0, 0], [1, 1]]
    np.testing.assert_allclose(v[0, 0], [0.5, 0.3], rtol=1e-6)
    np.testing.assert_allclose(a[0, 0], 2.25)


def _tiny_net(repeats=1, T=8, seed=0):
    layers = [SpikingConv(1, 4, 3, pool=2, w_range=(-1, 1), rng=seed),
              SpikingConv(4, 4, 3, padding=1, repeats=repeats, w_range=(-1, 1), rng=seed + 1)]
    return SpikingConvNet(layers, (12, 12, 1), T=T, feature_pool=1)


def _images(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 12, 12), np.float32)
    for i in range(n):  # bars at random rows or columns
        j = rng.integers(2, 10)
        x[i, j - 1:j + 1] = 1.0 if i % 2 else 0.0
        x[i, :, j - 1:j + 1] += 0.0 if i % 2 else 1.0
    return x


def test_weights_stay_within_bounds_and_learn():
    net = _tiny_net()
    before = [layer.weight.copy() for layer in net.layers]
    ConvSTDP(k=4, eta=0.5, tau=2.0, offset=0.5, w_min=-0.5, w_max=0.5, batch_size=8,
             rng=0).fit(net, _images(), progress=False)
    for layer, w0 in zip(net.layers, before, strict=True):
        assert layer.weight.min() >= -0.5 and layer.weight.max() <= 0.5
        assert not np.allclose(layer.weight, np.clip(w0, -0.5, 0.5))


def test_synaptic_scaling_keeps_each_kernel_mean():
    net = _tiny_net(repeats=2)
    means = [layer.weight.mean(axis=(1, 2, 3)) for layer in net.layers]
    before = [layer.weight.copy() for layer in net.layers]
    ConvSTDP(k=4, eta=0.05, w_min=-10, w_max=10, batch_size=8, scaling=True,
             rng=0).fit(net, _images(), progress=False)  # bounds never reached: no clipping
    for layer, m, w0 in zip(net.layers, means, before, strict=True):
        np.testing.assert_allclose(layer.weight.mean(axis=(1, 2, 3)), m, atol=1e-5)
        assert np.abs(layer.weight - w0).max() > 0.01


def test_backres_makes_k_times_n_updates_with_shared_weights(monkeypatch):
    calls = []

    def recording(pre, post, *args, **kwargs):
        calls.append((pre.copy(), post.copy()))
        return stdp_conv_update(pre, post, *args, **kwargs)

    net = _tiny_net(repeats=3, T=8)
    trainer = ConvSTDP(k=2, eta=0.05, batch_size=4, target_rate=0.2, rng=0)
    trainer.fit_layer(net, 0, _images(4), progress=False)
    monkeypatch.setattr(conv_stdp, "stdp_conv_update", recording)
    trainer.fit_layer(net, 1, _images(8), progress=False)  # two mini-batches
    assert trainer.n_updates_ == [2 * 1, 2 * 2 * 3]
    assert len(calls) == 2 * 2 * 3
    for w in range(4):  # window w of a batch: unrolling r's pre = unrolling r-1's post
        (_, post1), (pre2, post2), (pre3, _) = calls[3 * w:3 * w + 3]
        np.testing.assert_array_equal(pre2, post1)
        np.testing.assert_array_equal(pre3, post2)
    # shared weights: unrolling 2 of run() is the LIF of the same conv applied to unrolling 1
    layer = net.layers[1]
    x = net.forward_to(net.encode(_images(2), rng=1), 1)
    out1, out2, _ = layer.run(x)
    lif = SpikingConv(4, 4, 3, padding=1)
    lif.weight[...] = layer.weight
    lif.thresholds[:] = layer.thresholds[1]
    np.testing.assert_array_equal(out2, lif.run(out1)[0])


def test_features_count_sops_as_events_times_fan_out():
    net = _tiny_net(repeats=2)
    for layer in net.layers:
        layer.thresholds[:] = 0.3
    x = _images(3)
    stats = ActivityStats()
    feats = net.features(x, rng=2, batch_size=2, progress=False, stats=stats)
    assert feats.shape == (3, 4 * 5 * 5) and stats.n_samples == 3
    # replay with the same Poisson draws: SOPs = sum of the currents of an all-ones kernel
    rng = np.random.default_rng(2)
    sops = {}
    for start in (0, 2):
        s = net.encode(x[start:start + 2], rng)
        for i, layer in enumerate(net.layers):
            outs = layer.run(s)
            ones = SpikingConv(layer.conv.in_channels, layer.conv.out_channels, 3,
                               padding=layer.conv.padding[0], w_range=(1, 1))
            for r, inp in enumerate([s] + outs[:-1]):
                key = f"conv{i + 1}" + (f".{r + 1}" if layer.repeats > 1 else "")
                sops[key] = sops.get(key, 0.0) + ones.current(inp).sum()
            s = layer.pooled(outs[-1])
    assert set(sops) == set(stats.sops) and min(sops.values()) > 0
    for key, value in sops.items():
        assert stats.sops[key] == pytest.approx(value)
    assert stats.macs == {"conv1": 10 * 10 * 9 * 4, "conv2.1": 5 * 5 * 36 * 4,
                          "conv2.2": 5 * 5 * 36 * 4}


def test_joint_features_of_nets_sharing_layers_equal_their_own():
    a = _tiny_net()
    b = SpikingConvNet(a.layers[:1] + _tiny_net(repeats=2, seed=5).layers[1:], (12, 12, 1), T=8,
                       feature_pool=2)
    for layer in a.layers + b.layers:
        layer.thresholds[:] = 0.5
    x = _images(5)
    stats = [ActivityStats(), ActivityStats()]
    fa, fb = joint_features([a, b], x, rng=3, batch_size=2, progress=False, stats=stats)
    st = ActivityStats()
    np.testing.assert_array_equal(fa, a.features(x, rng=3, batch_size=2, progress=False))
    np.testing.assert_array_equal(fb, b.features(x, rng=3, batch_size=2, progress=False,
                                                 stats=st))
    assert fb.shape == (5, 4 * 2 * 2) and fb.max() > 0
    assert st.sops == stats[1].sops and st.spikes == stats[1].spikes


def test_energy_efficiency_by_hand():
    stats = ActivityStats(n_samples=2, sops={"a": 400.0, "b": 240.0}, macs={"a": 60, "b": 40})
    ee = energy_efficiency(stats, classifier_macs=10)
    # ANN: 100 MACs * 3.2 pJ = 320 pJ; SNN: 320 SOPs/sample * 0.1 pJ = 32 pJ; clf 32 pJ
    assert ee["ee_spiking"] == pytest.approx(10.0)
    assert ee["ee_whole"] == pytest.approx((320 + 32) / (32 + 32))


def test_encode_is_the_registry_poisson_encoder_and_rejects_unscaled_images():
    net = _tiny_net(T=8)
    x = _images(3)
    expected = poisson(np.asarray(x, np.float32).reshape(3, *net.in_shape), 8, rng=4,
                       signed=False)
    np.testing.assert_array_equal(net.encode(x, rng=4), expected)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        net.encode((x * 255).astype(np.uint8), rng=4)


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match="BackRes"):
        SpikingConv(1, 4, 3, padding=1, repeats=2)
    with pytest.raises(ValueError, match="p_drop"):
        ConvSTDP(p_drop=1.0)
    with pytest.raises(ValueError, match="exceeds T"):
        ConvSTDP(k=9).fit_layer(_tiny_net(T=8), 0, _images(2), progress=False)
