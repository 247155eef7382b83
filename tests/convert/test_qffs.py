"""QFFS conversion (B17-B22): spec §6.3 tables, lossless conversion as a property (dense, conv,
residual), BN folding, event max-pool, output cap, readouts, engines, ablations, errors."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from snnlite import nn
from snnlite.convert.qffs import QFFSConverter, qann_levels
from snnlite.neurons import QFFS
from snnlite.neurons.base import Neuron
from snnlite.snn import CountReadout, EventMaxPool, Readout, Residual, SpikingLayer, SpikingNetwork

F64 = np.float64
X_6_3 = np.array([[0.75, 0.5]])


def lin(w, b):
    op = nn.Linear(len(w[0]), len(w), dtype=F64)
    op.weight.data[...], op.bias.data[...] = w, b
    return op


def lsq(bits=2, step=1.0):
    return nn.LSQ(bits, step, dtype=F64)


def spec_net(w1, b1, w2, b2):
    """Spec §6.3: b = 2, s1 = 0.25, s2 = 0.5 (th = 0.75, 1.5; T_in = 3)."""
    return nn.Sequential(lin(w1, b1), lsq(2, 0.25), lin(w2, b2), lsq(2, 0.5))


def simulate(conv, x, T, **kw):
    """Run with every population's spikes recorded; return the result and the final counts."""
    kw.setdefault("dtype", F64)
    res = conv.run(x, T, record={n: "spikes" for n in conv.names_}, **kw)
    return res, [res.spikes[n].sum(axis=0, dtype=np.int64) for n in conv.names_]


def settle_steps(conv):
    """Generous ``T``: ``T_in`` plus ``4 * 2**b_max`` steps per population."""
    return conv.t_in_ + 4 * len(conv.names_) * 2 ** int(conv.bits_.max())


def tie_free_levels(conv, model, x, margin=1e-6):
    """The ANN levels, or None if some LSQ input ``u / s`` lies within ``margin`` of a ``.5``
    (LSQ rounds half to even, the neuron half up)."""
    levels, inputs = qann_levels(model, x, return_inputs=True)
    stages = [s for s in conv.stages_ if s.activation is not None]
    assert len(stages) == len(inputs) == len(levels)
    for stage, u in zip(stages, inputs, strict=True):
        v = u / float(stage.activation.step.data)
        near = np.abs(v - np.floor(v) - 0.5) < margin
        if np.any(near & (v > -1) & (v < stage.activation.q_p + 1)):
            return None
    return levels


def all_lsqs(module):
    """LSQ modules in the depth-first order of ``qann_levels``."""
    if isinstance(module, nn.Sequential):
        return [q for layer in module for q in all_lsqs(layer)]
    if isinstance(module, nn.ResidualBlock):
        return [q for m in (module.branch, module.shortcut, module.activation)
                if m is not None for q in all_lsqs(m)]
    return [module] if isinstance(module, nn.LSQ) else []


def calibrate(model, x, rng):
    """Give every LSQ (in order) a step size that spreads its levels over ``0..Q_P``."""
    for k, q in enumerate(all_lsqs(model)):
        u = qann_levels(model, x, return_inputs=True)[1][k]
        q.step.data[...] = max(np.percentile(np.abs(u), 90), 1e-3) / q.q_p * rng.uniform(0.6, 1.2)
    return model


def randomize_bn(model, rng):
    for layer in _modules(model):
        if isinstance(layer, nn.BatchNorm):
            shape = layer.weight.data.shape
            layer.weight.data[...] = rng.uniform(0.5, 2, shape) * rng.choice([-1, 1], shape)
            layer.bias.data[...] = rng.normal(size=shape)
            layer.running_mean[...] = rng.normal(size=shape)
            layer.running_var[...] = rng.uniform(0.5, 2, shape)
    return model


def _modules(module):
    yield module
    for _, child in module.children():
        yield from _modules(child)


# --- spec §6.3 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["layer", "step"])
def test_spec_6_3_table(engine):
    model = spec_net([[1, -0.5], [0.5, 0.5]], [0, 0.125], [[-2, 1]], [0.375])
    assert [lv.tolist() for lv in qann_levels(model, X_6_3)] == [[[2, 3]], [[0]]]
    conv = QFFSConverter().fit(model)
    assert conv.t_in_ == 3 and conv.thresholds_.tolist() == [0.75, 1.5]
    assert conv.z_max_ == [3, 3] and conv.bits_.tolist() == [2, 2]
    res = conv.run(X_6_3, 5, engine=engine, dtype=F64,
                   record={"qffs0": ("spikes", "v"), "qffs1": ("spikes", "v")})
    assert res.spikes["qffs0"][:, 0].tolist() == [[1, 1], [0, 1], [1, 1], [0, 0], [0, 0]]
    assert res.v["qffs0"][:, 0].tolist() == [[0.125, 0.375], [0.625, 0.375]] + \
        [[0.375, 0.375]] * 3
    z2, v2 = res.spikes["qffs1"][:, 0, 0], res.v["qffs1"][:, 0, 0]
    assert z2.tolist() == [0, 1, -1, 0, 0]  # the negative spike corrects the early one
    assert v2.tolist() == [0.375, 0.0, 1.125, 1.125, 1.125]
    current = np.diff(np.r_[0.75, v2]) + 1.5 * z2  # I(t) = V(t) - V(t-1) + th z(t)
    assert current.tolist() == [-0.375, 1.125, -0.375, 0, 0]
    assert np.cumsum(z2).tolist() == [0, 1, 0, 0, 0]  # Z2 per step
    assert np.floor(res.outputs[:, 0, 0]).tolist() == [0, 1, 0, 0, 0]
    off = QFFSConverter(negative=False).fit(model)
    res = off.run(X_6_3, 5, engine=engine, dtype=F64, record={"qffs1": "v"})
    assert np.floor(res.outputs[-1, 0]).tolist() == [1] and res.v["qffs1"][-1, 0, 0] == -0.375


def test_spec_6_3_second_check():
    model = spec_net([[1, -0.5], [0.5, 0.5], [-1, 1]], [0, 0.125, 0.25],
                     [[1, 1, 1], [-1, 2, 0]], [0.125, -0.125])
    assert [lv.tolist() for lv in qann_levels(model, X_6_3)] == [[[2, 3, 0]], [[3, 2]]]
    conv = QFFSConverter().fit(model)
    res = conv.run(X_6_3, 5, dtype=F64, record={n: ("spikes", "v") for n in conv.names_})
    assert res.spikes["qffs0"][:3, 0].tolist() == [[1, 1, 0], [0, 1, 0], [1, 1, 0]]
    assert res.spikes["qffs1"][:3, 0].tolist() == [[1, 0], [1, 1], [1, 1]]
    assert res.spikes["qffs0"].sum(axis=0)[0].tolist() == [2, 3, 0]
    assert np.floor(res.outputs[-1, 0]).tolist() == [3, 2]
    assert res.v["qffs0"][-1, 0].tolist() == [0.375] * 3
    assert res.v["qffs1"][-1, 0].tolist() == [0.375] * 2


def test_unit_spike_form_gives_the_same_spikes():
    """Spec §3.6: unit spikes, th = s, per-step current u / T_in (B21-B22 up to the factor
    (2^b - 1)) is the same network in other units: identical spikes."""
    rng = np.random.default_rng(0)
    model = calibrate(nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=F64), lsq(2),
                                    nn.Linear(6, 3, rng=rng, dtype=F64), lsq(2)),
                      rng.normal(size=(8, 4)), rng)
    x = rng.normal(size=(8, 4))
    conv = QFFSConverter().fit(model)
    res, _ = simulate(conv, x, 12)
    s1, s2 = (float(q.step.data) for q in all_lsqs(model))
    unit = SpikingNetwork([
        SpikingLayer(model[0], QFFS(s1, z_max=3), bias=model[0].bias.data / 3, bias_steps=3,
                     amplitude=s1, name="a"),
        SpikingLayer(model[2], QFFS(s2, z_max=3), bias=model[2].bias.data / 3, bias_steps=3,
                     name="b")])
    alt = unit.run(x / 3, 12, t_in=3, dtype=F64, record={"a": "spikes", "b": "spikes"})
    np.testing.assert_array_equal(alt.spikes["a"], res.spikes["qffs0"])
    np.testing.assert_array_equal(alt.spikes["b"], res.spikes["qffs1"])


# --- lossless conversion: property tests (tie-free random inputs) --------------------------------

@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), bits=st.integers(1, 3), n=st.integers(1, 6))
def test_single_layer_counts_equal_levels(seed, bits, n):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(5, 3))
    model = calibrate(nn.Sequential(nn.Linear(3, n, rng=rng, dtype=F64), lsq(bits)), x, rng)
    conv = QFFSConverter().fit(model)
    levels = tie_free_levels(conv, model, x)
    assume(levels is not None)
    res, counts = simulate(conv, x, conv.t_in_ + 2 ** bits + 1)
    np.testing.assert_array_equal(counts[0], levels[0])
    np.testing.assert_array_equal(np.floor(res.outputs[-1]), levels[0])


def dense_net(rng, depth, bits, bits_out, bn):
    widths = [4] + list(rng.integers(3, 7, depth))
    layers = []
    for i in range(depth):
        layers.append(nn.Linear(widths[i], widths[i + 1], rng=rng, dtype=F64))
        if bn:
            layers.append(nn.BatchNorm1d(widths[i + 1], dtype=F64))
        layers.append(lsq(bits if i < depth - 1 else bits_out))
        if i == 0:
            layers.append(nn.Dropout(0.5))
    return nn.Sequential(*layers), (6, 4)


def conv_net(rng, depth, bits, bits_out, bn):
    c = rng.integers(2, 4)
    layers = [nn.Conv2d(2, c, 3, padding=1, rng=rng, dtype=F64)]
    layers += [nn.BatchNorm2d(c, dtype=F64)] if bn else []
    layers += [lsq(bits), nn.MaxPool2d(2)]
    if depth == 3:
        layers += [nn.Conv2d(c, 3, 3, padding=1, rng=rng, dtype=F64)]
        layers += [nn.BatchNorm2d(3, dtype=F64)] if bn else []
        layers += [lsq(bits), nn.AvgPool2d(2)]
        c, side = 3, 1
    else:
        side = 2
    layers += [nn.Flatten(), nn.Linear(c * side * side, 3, rng=rng, dtype=F64)]
    layers += [nn.BatchNorm1d(3, dtype=F64)] if bn else []
    return nn.Sequential(*layers, lsq(bits_out)), (4, 2, 4, 4)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from([dense_net, conv_net]),
       depth=st.integers(2, 3), bits=st.integers(1, 3), extra=st.integers(0, 1),
       bn=st.booleans())
def test_deep_networks_counts_equal_levels(seed, kind, depth, bits, extra, bn):
    """Every population's final net count equals its quantized-ANN level (lossless)."""
    rng = np.random.default_rng(seed)
    model, shape = kind(rng, depth, bits, bits + extra, bn)
    x = rng.normal(size=shape)
    calibrate(randomize_bn(model, rng), x, rng)
    conv = QFFSConverter().fit(model)
    levels = tie_free_levels(conv, model, x)
    assume(levels is not None)
    assert conv.z_max_[-1] == 2 ** (bits + extra) - 1 and conv.t_in_ == 2**bits - 1
    res, counts = simulate(conv, x, settle_steps(conv))
    for name, count, level in zip(conv.names_, counts, levels, strict=True):
        np.testing.assert_array_equal(count, level, err_msg=name)
    np.testing.assert_array_equal(np.floor(res.outputs[-1]), levels[-1])


def residual_net(rng, on_input, blocks, downsample, float_out, bits):
    c = 2
    layers = []
    if not on_input:
        layers += [nn.Conv2d(2, 3, 3, padding=1, rng=rng, dtype=F64), nn.BatchNorm2d(3, dtype=F64),
                   lsq(bits)]
        c = 3
    for k in range(blocks):
        down = downsample and k == blocks - 1
        c2 = c + 1 if down else c
        branch = nn.Sequential(
            nn.Conv2d(c, c2, 3, stride=2 if down else 1, padding=1, rng=rng, dtype=F64),
            nn.BatchNorm2d(c2, dtype=F64), lsq(bits),
            nn.Conv2d(c2, c2, 3, padding=1, rng=rng, dtype=F64), nn.BatchNorm2d(c2, dtype=F64))
        shortcut = nn.Sequential(nn.Conv2d(c, c2, 1, stride=2, rng=rng, dtype=F64),
                                 nn.BatchNorm2d(c2, dtype=F64)) if down else None
        layers.append(nn.ResidualBlock(branch, shortcut, lsq(bits)))
        c = c2
    side = 2 if downsample else 4
    layers += [nn.Flatten(), nn.Linear(c * side * side, 3, rng=rng, dtype=F64)]
    if not float_out:
        layers.append(lsq(bits + 1))
    return nn.Sequential(*layers)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), on_input=st.booleans(), blocks=st.integers(1, 2),
       downsample=st.booleans(), float_out=st.booleans(), bits=st.integers(1, 2))
def test_residual_networks_counts_equal_levels(seed, on_input, blocks, downsample, float_out,
                                               bits):
    rng = np.random.default_rng(seed)
    model = residual_net(rng, on_input, blocks, downsample, float_out, bits)
    x = rng.normal(size=(3, 2, 4, 4))
    calibrate(randomize_bn(model, rng), x, rng)
    conv = QFFSConverter().fit(model)
    levels = tie_free_levels(conv, model, x)
    assume(levels is not None)
    net = conv.transform()
    assert sum(isinstance(layer, Residual) for layer in net.layers) == blocks
    res, counts = simulate(conv, x, settle_steps(conv), net=net)
    for name, count, level in zip(conv.names_, counts, levels, strict=True):
        np.testing.assert_array_equal(count, level, err_msg=name)
    if float_out:  # the readout holds T_in times the ANN logits
        np.testing.assert_allclose(res.outputs[-1], conv.t_in_ * model(x), rtol=1e-9,
                                   atol=1e-9)


# --- building blocks ------------------------------------------------------------------------------

def test_batchnorm_folding_keeps_levels():
    rng = np.random.default_rng(1)
    model, shape = conv_net(rng, 3, 2, 3, bn=True)
    x = rng.normal(size=shape)
    calibrate(randomize_bn(model, rng), x, rng)
    conv = QFFSConverter().fit(model)
    assert not any(isinstance(op, nn.BatchNorm) for s in conv.stages_ for op in s.ops)
    assert sum(isinstance(layer, nn.BatchNorm) for layer in model) == 3  # model untouched
    levels = tie_free_levels(conv, model, x)
    assert levels is not None
    _, counts = simulate(conv, x, settle_steps(conv))
    for count, level in zip(counts, levels, strict=True):
        np.testing.assert_array_equal(count, level)


def test_event_max_pool_matches_ann_max_pool_of_levels():
    rng = np.random.default_rng(2)
    model, shape = conv_net(rng, 2, 2, 2, bn=False)
    x = rng.normal(size=shape)
    calibrate(model, x, rng)
    conv = QFFSConverter().fit(model)
    levels = tie_free_levels(conv, model, x)
    assert levels is not None
    net = conv.transform()
    assert isinstance(net.layers[1], EventMaxPool) and not net.layers[1].naive
    res = conv.run(x, settle_steps(conv), net=net, dtype=F64, record={"pool0": "spikes"})
    pooled = res.spikes["pool0"].sum(axis=0)
    np.testing.assert_array_equal(pooled, nn.MaxPool2d(2)(levels[0]))
    assert (res.spikes["pool0"] == 1).any()
    naive = QFFSConverter(pool="naive").fit(model).transform()
    assert naive.layers[1].naive
    avg = QFFSConverter(pool="avg").fit(model)
    assert not any(isinstance(layer, EventMaxPool) for layer in avg.transform().layers)
    assert isinstance(avg.stages_[1].ops[0], nn.AvgPool2d)


def test_output_layer_with_three_bits_caps_at_seven():
    model = nn.Sequential(lin([[1.0], [0.5]], [0, 0]), lsq(2, 1.0),
                          lin([[1.0, 1.0]], [0.0]), lsq(3, 0.25))
    x = np.array([[2.2]])  # levels: [2, 1]; output u = 3.0 -> u / s = 12 > 7
    conv = QFFSConverter().fit(model)
    assert conv.z_max_ == [3, 7] and conv.t_in_ == 3
    assert conv.thresholds_.tolist() == [3.0, 0.75]  # th_out = (2^b - 1) s_out, b hidden
    res, counts = simulate(conv, x, 20)
    assert counts[0].tolist() == [[2, 1]] and counts[1].tolist() == [[7]]
    assert np.floor(res.outputs[-1]).tolist() == [[7]]
    uncapped = QFFSConverter(cap=False).fit(model)
    assert uncapped.z_max_ == [None, None]
    _, counts = simulate(uncapped, x, 30)
    assert counts[1].tolist() == [[12]]


def test_float_output_layer_readout_matches_ann_logits():
    rng = np.random.default_rng(3)
    model = nn.Sequential(nn.Linear(5, 8, rng=rng, dtype=F64), lsq(2),
                          nn.Linear(8, 8, rng=rng, dtype=F64), lsq(2),
                          nn.Linear(8, 4, rng=rng, dtype=F64))
    x = rng.normal(size=(20, 5))
    calibrate(model, x, rng)
    conv = QFFSConverter().fit(model)
    assert tie_free_levels(conv, model, x) is not None
    net = conv.transform()
    assert isinstance(net.layers[-1], Readout) and net.layers[-1].bias_steps == 3
    assert conv.stages_[-1].activation is None and len(conv.names_) == 2
    res = conv.run(x, settle_steps(conv), net=net, dtype=F64)
    np.testing.assert_allclose(res.outputs[-1], 3 * model(x), rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(res.predictions()[-1], model(x).argmax(axis=1))


def test_readout_tie_break_count_then_membrane_then_index():
    eye = lin([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    conv = QFFSConverter().fit(nn.Sequential(eye, lsq(2, 0.25)))
    # u / s = 1.2 and 1.4: both count 1; V = 0.375 + 3u - 0.75 = 0.525 < 0.675
    x = np.array([[0.3, 0.35], [0.35, 0.3], [0.3, 0.3], [0.3, 0.6]])
    res, counts = simulate(conv, x, 6)
    assert counts[0].tolist() == [[1, 1], [1, 1], [1, 1], [1, 2]]
    out = res.outputs[-1]
    assert np.floor(out).tolist() == counts[0].tolist()
    assert np.all((out - np.floor(out) > 0) & (out - np.floor(out) < 0.5))
    assert res.predictions()[-1].tolist() == [1, 0, 0, 1]  # membrane, membrane, index, count
    v = 0.375 + 3 * x - 0.75 * counts[0]
    np.testing.assert_allclose(out - counts[0], 0.5 / (1 + np.exp(-v / 0.75)), rtol=1e-12)


def test_count_readout_needs_a_scalar_threshold():
    class NoThreshold(Neuron):
        pass

    with pytest.raises(TypeError, match="scalar threshold"):
        CountReadout(nn.Linear(2, 2), NoThreshold())


def test_engines_identical_on_converted_residual_net():
    rng = np.random.default_rng(4)
    model = residual_net(rng, False, 2, True, False, 2)
    model.layers.insert(3, nn.MaxPool2d(2, stride=1))  # event pool before the blocks
    x = rng.normal(size=(3, 2, 4, 4))
    calibrate(randomize_bn(model, rng), x, rng)
    conv = QFFSConverter().fit(model)
    record = {n: ("spikes", "v") for n in conv.names_} | {"pool0": "spikes"}  # a pool has no v
    a = conv.run(x, 14, dtype=F64, record=record)
    b = conv.run(x, 14, dtype=F64, record=record, engine="step")
    c = conv.run(x, 14, dtype=F64, record=record, chunk=4)
    for other in (b, c):
        assert a.spikes.keys() == other.spikes.keys()
        for name in a.spikes:
            np.testing.assert_array_equal(a.spikes[name], other.spikes[name], err_msg=name)
        np.testing.assert_array_equal(a.outputs, other.outputs)
        assert a.spikes_per_layer() == other.spikes_per_layer()
    assert a.spikes_per_layer()["qffs1"][0] > 0


# --- ablations, options, estimator contract ------------------------------------------------

def test_ablation_flags_and_explicit_t_in():
    model = spec_net([[1, -0.5], [0.5, 0.5]], [0, 0.125], [[-2, 1]], [0.375])
    conv = QFFSConverter(negative=False, precharge=False, cap=False).fit(model)
    neurons = [layer.neuron for layer in conv.transform().spiking_layers()]
    assert [(n.negative, n.precharge, n.z_max) for n in neurons] == [(False, False, None)] * 2
    slow = QFFSConverter(t_in=6).fit(model)
    assert slow.t_in_ == 6 and slow.thresholds_.tolist() == [1.5, 3.0]
    _, counts = simulate(slow, X_6_3, 12)
    assert [c.tolist() for c in counts] == [[[2, 3]], [[0]]]  # still lossless
    assert "pool='event'" in repr(slow)


def test_mixed_hidden_bits_need_t_in_and_fit_copies_the_model():
    rng = np.random.default_rng(5)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng, dtype=F64), lsq(2),
                          nn.Linear(4, 4, rng=rng, dtype=F64), lsq(3),
                          nn.Linear(4, 2, rng=rng, dtype=F64), lsq(3))
    with pytest.raises(ValueError, match=r"mixed hidden-layer bit widths \[2, 3\]"):
        QFFSConverter().fit(model)
    x = rng.normal(size=(6, 3))
    calibrate(model, x, rng)
    conv = QFFSConverter(t_in=5).fit(model)
    assert conv.z_max_ == [3, 7, 7] and conv.bits_.tolist() == [2, 3, 3]
    levels = tie_free_levels(conv, model, x)
    assert levels is not None
    _, counts = simulate(conv, x, settle_steps(conv))
    for count, level in zip(counts, levels, strict=True):
        np.testing.assert_array_equal(count, level)
    before = conv.transform().layers[0].synapse.weight.data.copy()
    model[0].weight.data[...] += 1  # training on after fit does not change the converter
    np.testing.assert_array_equal(conv.transform().layers[0].synapse.weight.data, before)
    # a single-layer network takes T_in from its output width
    assert QFFSConverter().fit(nn.Sequential(nn.Linear(2, 2), nn.LSQ(3, 0.5))).t_in_ == 7


def test_qann_levels_follow_the_forward_pass():
    rng = np.random.default_rng(6)
    model = residual_net(rng, False, 1, False, False, 2)
    x = rng.normal(size=(2, 2, 4, 4))
    calibrate(randomize_bn(model, rng), x, rng)
    levels, inputs = qann_levels(model, x, return_inputs=True)
    qs = all_lsqs(model)
    assert len(levels) == len(qs) == 4 and all(lv.dtype == np.int32 for lv in levels)
    for q, level, u in zip(qs, levels, inputs, strict=True):
        np.testing.assert_array_equal(level, q.levels(u))
    np.testing.assert_allclose(float(qs[-1].step.data) * levels[-1], model(x))


class Square(nn.Module):
    def forward(self, x, train=False):
        return x * x


ERRORS = [
    (nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)), "QFFS needs LSQ activations"),
    (nn.Sequential(nn.Linear(2, 2)), "no LSQ layer"),
    (nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(1, 1, 1), nn.LSQ(2, 1.0)), "analog input"),
    (nn.Sequential(nn.Conv2d(1, 1, 1), nn.MaxPool2d(2), nn.LSQ(2, 1.0)), "must directly follow"),
    (nn.Sequential(nn.LSQ(2, 1.0)), "needs a Conv2d, Linear or AvgPool2d"),
    (nn.Sequential(nn.Linear(2, 2), Square(), nn.Linear(2, 2)), "cannot be converted"),
    (nn.Sequential(nn.Conv2d(1, 1, 1), nn.AvgPool2d(2), nn.LSQ(2, 1.0)), "has a bias"),
    (nn.Sequential(nn.ResidualBlock(nn.Linear(2, 2), activation=nn.ReLU())), "LSQ activations"),
    (nn.Sequential(nn.ResidualBlock(nn.Sequential(nn.Linear(2, 2), nn.LSQ(2, 1.0)),
                                    activation=nn.LSQ(2, 1.0))), "must end with"),
    (nn.Sequential(nn.ResidualBlock(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2), nn.ReLU()),
                                    nn.LSQ(2, 1.0))), "shortcut must be linear"),
    (nn.Sequential(nn.Linear(2, 2), nn.Flatten(), nn.ResidualBlock(
        nn.Linear(2, 2), activation=nn.LSQ(2, 1.0))), "must follow an LSQ"),
    (nn.Sequential(nn.BatchNorm1d(2), nn.Linear(2, 2), nn.LSQ(2, 1.0)), "BatchNorm must follow"),
]


@pytest.mark.parametrize("model, match", ERRORS)
def test_fit_errors(model, match):
    with pytest.raises(ValueError, match=match):
        QFFSConverter().fit(model)


def test_other_errors():
    with pytest.raises(TypeError, match="Sequential"):
        QFFSConverter().fit(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="not initialised"):
        QFFSConverter().fit(nn.Sequential(nn.Linear(2, 2), nn.LSQ(2)))
    with pytest.raises(RuntimeError, match="fit"):
        QFFSConverter().transform()
    with pytest.raises(ValueError, match="pool"):
        QFFSConverter(pool="max")
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="t_in"):
            QFFSConverter(t_in=bad)
    with pytest.raises(TypeError, match="cap"):
        QFFSConverter(cap=1)
