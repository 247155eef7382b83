"""Zou's all-integer conversion (A4-A12): the §6.4 mapping table, converted counts equal the
quantized ANN's levels (float and integer mode, identical spikes), integer kernel and state,
order independence, readout, builders (LeNet 10 728, VGG strings, MobileNet), gamma <= 0,
errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zou_builders import CIFAR_VGG, mobilenet_block, zou_mobilenet, zou_vgg

import snnlite.neurons.dynamic_threshold as dt_module
from snnlite import nn
from snnlite.analysis import count_ops
from snnlite.convert.zou import ZouConverter, flat_layers
from snnlite.experiments.zou_models import count_spiking_neurons, zou_lenet
from snnlite.neurons import BurstEncoder, DynamicThreshold
from snnlite.snn import SpikingNetwork

TINY = "4C3-2P2-6C3-8FC-3FC"  # 8x8 -> 8 (same) -> 4 (P2) -> 2 (valid) -> 24 -> 8 -> 3
T = 96  # ample: every test asserts that the last SETTLED steps are silent
SETTLED = 10


# --- helpers ---------------------------------------------------------------------------------

def batchnorms(model):
    return [layer for layer in flat_layers(model) if isinstance(layer, nn.BatchNorm)]


def calibrate(model, x, rng):
    """float64; random gamma > 0 and beta; running statistics from train-mode passes."""
    model.astype(np.float64)
    for bn in batchnorms(model):
        bn.weight.data[...] = rng.uniform(0.5, 1.5, bn.num_features)
        bn.bias.data[...] = rng.normal(0.2, 0.3, bn.num_features)
        bn.momentum = 0.5
    for _ in range(4):
        model.forward(x + rng.normal(size=x.shape) * 0.05, train=True)
    return model


def make_dyadic(model, K, rng, x):
    """Re-measure every hidden BN on ``x`` (in order, eval mode) and snap it so that d is a
    power of two >= 1/4 and b0 lies in 1/8 + Z/4.

    Every threshold b0 + n d then lies in 1/8 + Z/4 while the potentials are integers: no
    ties, and S d, S b0 are integers for S = 10^4 (a multiple of 8), so integer mode is exact.
    """
    h, first = x, True
    for layer in flat_layers(model):
        if isinstance(layer, nn.BatchNorm) and not first:
            axes = (0,) + tuple(range(2, h.ndim))
            sd = 2.0 ** np.clip(np.rint(np.log2(h.std(axis=axes) + 1e-3)), -1, 3)
            layer.eps = 2.0**-20
            layer.running_var[...] = sd**2 - layer.eps  # sqrt(var + eps) = sd exactly
            gamma = 2.0 ** rng.integers(-1, 1, layer.num_features)
            beta = np.rint(layer.bias.data * 16) / 16
            d = sd / gamma
            b0 = d * (0.5 - 2**K * beta) + 2**K * h.mean(axis=axes) - d
            b0 = 0.125 + np.rint((b0 - 0.125) * 4) / 4
            layer.running_mean[...] = (b0 - d * (0.5 - 2**K * beta) + d) / 2**K
            layer.weight.data[...], layer.bias.data[...] = gamma, beta
        first = first and not isinstance(layer, nn.BatchNorm)
        h = layer.forward(h)
    return model


def tiny_model(seed, K=0, dyadic=True, spec=TINY, ternary=True, batch=24):
    rng = np.random.default_rng(seed)
    model = zou_vgg(spec, in_channels=1, k=K, ternary=ternary, input_size=8, rng=rng)
    x = rng.uniform(0, 1, (batch, 1, 8, 8))
    calibrate(model, x, rng)
    if dyadic:
        make_dyadic(model, K, rng, x)
    return model, x


def ann(model, x):
    """Per spiking layer: pre-BN input z, quantizer input u, integer level; and the logits."""
    h, zs, us, levels = x, [], [], []
    for layer in flat_layers(model):
        if isinstance(layer, nn.BatchNorm):
            zs.append(h)
        if isinstance(layer, nn.MedianQuant):
            us.append(h)
            levels.append(layer.levels(h))
        h = layer.forward(h)
    return zs, us, levels, h


def channel(a, ndim):
    return a.reshape((1, -1) + (1,) * (ndim - 2))


def tie_free(conv, zs, us, levels, margin=1e-4):
    """Samples whose encoder inputs are not within ``margin`` of a half-integer and whose
    hidden potentials ``m = 2^K z`` are not within ``margin`` of the thresholds around their
    level, nor (integer mode) between such a threshold and its rounded value (A7)."""
    u = us[0]
    halves = np.abs(u[..., None] - (np.arange(1, 5) - 0.5)) < margin
    ok = ~halves.reshape(len(u), -1).any(axis=1)
    for z, n, neuron in zip(zs[1:], levels[1:], conv.neurons_[1:], strict=True):
        m = 2**conv.k_ * z
        d, b0 = channel(neuron.d, m.ndim), channel(neuron.b0, m.ndim)
        for level in (n, n + 1):
            theta = b0 + level * d
            slack = 0.0
            if neuron.integer:
                d_int, b0_int = channel(neuron.d_int, m.ndim), channel(neuron.b0_int, m.ndim)
                slack = np.abs(theta - (b0_int + level * d_int) / neuron.scale)
            ok &= (np.abs(m - theta) > margin + slack).reshape(len(m), -1).all(axis=1)
    return ok


def simulate(net, x, steps=T, **kwargs):
    """Run with every spiking layer recorded; return the result and the final counts."""
    names = [layer.name for layer in net.spiking_layers()]
    result = net.run(x, steps, record=dict.fromkeys(names, "spikes"), dtype=np.float64,
                     **kwargs)
    for name in names:
        assert not result.spikes[name][-SETTLED:].any(), f"{name} has not settled"
    return result, [result.spikes[name].sum(axis=0) for name in names]


def assert_counts_are_levels(counts, levels):
    assert len(counts) == len(levels)
    for i, (c, n) in enumerate(zip(counts, levels, strict=True)):
        np.testing.assert_array_equal(c, n, err_msg=f"spiking layer {i}")


# --- spec §6.4: the mapping table (A4-A7) ------------------------------------------------------

def table_model(K):
    """1x1 encoder and hidden layer whose BatchNorms hold the §6.4 parameters."""
    model = nn.Sequential(nn.Conv2d(1, 1, 1, bias=False), nn.BatchNorm(1), nn.MedianQuant(0, 4),
                          nn.TernaryConv2d(1, 1, 1, bias=False), nn.BatchNorm(1),
                          nn.MedianQuant(K), nn.Flatten(), nn.Linear(1, 2, bias=False))
    model.astype(np.float64)
    for bn in batchnorms(model):
        bn.weight.data[...], bn.bias.data[...] = 2.0, 0.25
        bn.running_mean[...], bn.running_var[...] = 1.0, 4 - 1e-5  # sigma' = 2
    return model


@pytest.mark.parametrize("K, b0, b0_int", [(0, 0.25, 2500), (1, 1.0, 10000), (2, 2.5, 25000)])
def test_mapping_table_spec_6_4(K, b0, b0_int):
    conv = ZouConverter(integer=True).fit(table_model(K))
    assert conv.k_ == K
    assert conv.d_[1] == pytest.approx([1.0], abs=1e-12)
    assert conv.b0_[1] == pytest.approx([b0], abs=1e-12)
    hidden = conv.neurons_[1]
    assert isinstance(hidden, DynamicThreshold) and hidden.integer
    assert hidden.d_int.tolist() == [10000] and hidden.b0_int.tolist() == [b0_int]
    assert isinstance(conv.neurons_[0], BurstEncoder) and conv.neurons_[0].t_enc == 4
    # the n-th spike needs m > b0 + n d: the final count at m = 2^K z is the ANN level of z
    floating = ZouConverter().fit(table_model(K)).neurons_[1]
    assert floating.d_int is None
    z = np.array([0.6, 1.1, 1.3, 2.1, 3.1])
    ann_levels = nn.MedianQuant(K).levels((z - 1) * 2 / 2 + 0.25)
    np.testing.assert_array_equal(floating.level(2**K * z[None, :])[0], ann_levels)
    assert ann_levels.tolist() == [[0, 0, 1, 1, 2], [0, 1, 1, 3, 5], [0, 1, 2, 5, 9]][K]


def test_mapping_table_first_layer_spec_6_4():
    model = table_model(1)
    conv = ZouConverter().fit(model)
    assert conv.d_[0] == pytest.approx([2.0], abs=1e-12)
    assert conv.b0_[0] == pytest.approx([0.5], abs=1e-12)
    assert conv.neurons_[0].d1 == pytest.approx(2.0) and conv.neurons_[0].b01 == pytest.approx(0.5)
    # the encoder's synapse is 2^K W1 and its spikes carry amplitude 2^K
    net = conv.transform()
    assert net.layers[0].synapse.weight.data[0, 0, 0, 0] == 2 * model[0].weight.data[0, 0, 0, 0]
    assert net.layers[0].amplitude == 2.0 and net.layers[1].in_amplitude == 2.0


# --- lossless conversion: final counts = the quantized ANN's integer levels --------------------

@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**16), st.sampled_from([0, 1, 2]))
def test_counts_equal_ann_levels_float_and_integer(seed, K):
    model, x = tiny_model(seed, K)
    zs, us, levels, _ = ann(model, x)
    convs = {integer: ZouConverter(integer=integer).fit(model) for integer in (False, True)}
    keep = tie_free(convs[False], zs, us, levels) & tie_free(convs[True], zs, us, levels)
    assert keep.sum() >= len(x) // 2
    runs = {}
    for integer, conv in convs.items():
        result, counts = simulate(conv.transform(), x[keep], t_in=1)
        assert_counts_are_levels(counts, [n[keep] for n in levels])
        runs[integer] = result
    for name, spikes in runs[False].spikes.items():  # integer mode: the very same spikes
        np.testing.assert_array_equal(runs[True].spikes[name], spikes, err_msg=name)
    assert any((s < 0).any() for s in runs[True].spikes.values())  # negative spikes occurred


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("integer, ternary", [(False, True), (True, True), (False, False)])
def test_counts_equal_ann_levels_random_batchnorm(seed, integer, ternary):
    # BN parameters as trained (not snapped); float hidden weights in float mode
    K = seed % 3
    model, x = tiny_model(seed, K, dyadic=False, ternary=ternary, batch=32)
    zs, us, levels, _ = ann(model, x)
    conv = ZouConverter(integer=integer).fit(model)
    keep = tie_free(conv, zs, us, levels)
    assert keep.sum() >= 8
    _, counts = simulate(conv.transform(), x[keep], t_in=1)
    assert_counts_are_levels(counts, [n[keep] for n in levels])
    np.testing.assert_array_equal(conv.ann_levels(x)[2], levels[2])


def test_layer_and_step_engines_agree():
    model, x = tiny_model(5, K=1)
    conv = ZouConverter(integer=True).fit(model)
    layer, _ = simulate(conv.transform(), x, t_in=1)
    step, _ = simulate(conv.transform(), x, t_in=1, engine="step")
    for name, spikes in layer.spikes.items():
        np.testing.assert_array_equal(step.spikes[name], spikes)
    np.testing.assert_array_equal(step.outputs, layer.outputs)


def test_ann_levels_and_convenience_run():
    model, x = tiny_model(6, K=2)
    conv = ZouConverter().fit(model)
    for mine, oracle in zip(conv.ann_levels(x), ann(model, x)[2], strict=True):
        np.testing.assert_array_equal(mine, oracle)
    by_hand = conv.transform().run(x, 12, t_in=1, dtype=np.float64)
    np.testing.assert_array_equal(conv.run(x, 12, dtype=np.float64).outputs, by_hand.outputs)
    with pytest.raises(TypeError, match="t_in"):
        conv.run(x, 12, t_in=3)
    with pytest.raises(TypeError, match="encoder"):
        conv.run(x, 12, encoder="poisson")


# --- integer mode: integer state, no float arithmetic in the kernel ----------------------------

def test_integer_mode_state_and_kernel(monkeypatch):
    seen = []

    def spy(*args):
        seen.append(args)
        return int_kernel(*args)

    def no_float_kernel(*args):
        raise AssertionError("the float kernel ran in integer mode")

    int_kernel = dt_module._dt_scan_int
    monkeypatch.setattr(dt_module, "_dt_scan_int", spy)
    monkeypatch.setattr(dt_module, "_dt_scan", no_float_kernel)
    model, x = tiny_model(7, K=1)
    conv = ZouConverter(integer=True).fit(model)
    conv.run(x[:4], 20)  # float32 run: the currents are still exact integers
    assert len(seen) >= 3  # every hidden layer scanned
    for args in seen:
        for arg in args:
            assert np.asarray(arg).dtype.kind == "i", arg
        assert args[1].dtype == np.int64  # m, the potential
    for neuron in conv.neurons_[1:]:
        state = neuron.init_state(2, (neuron.d.size,), dtype=np.float32)
        assert all(state[key].dtype == np.int64 for key in ("m", "d", "b0"))


# --- order independence (§2.5, property 3) ---------------------------------------------------

def shuffled_trains(levels, steps, rng):
    """``levels`` spikes per neuron at random steps < 12, plus a +1/-1 pair in random order."""
    n = levels.reshape(-1)
    train = np.zeros((steps, n.size))
    for i, count in enumerate(n):
        slots = rng.permutation(12)
        train[slots[:count], i] = 1
        if rng.random() < 0.7:
            train[slots[count], i] += 1
            train[slots[count + 1], i] -= 1
    return train.reshape((steps,) + levels.shape)


@pytest.mark.parametrize("integer", [False, True])
def test_final_counts_do_not_depend_on_input_order(integer):
    K = 1
    model, x = tiny_model(8, K)
    zs, us, levels, _ = ann(model, x)
    conv = ZouConverter(integer=integer).fit(model)
    rng = np.random.default_rng(0)
    burst = (np.arange(T)[:, None, None, None, None] < levels[0][None]).astype(np.float64)
    orders = [burst, shuffled_trains(levels[0], T, rng), shuffled_trains(levels[0], T, rng)]
    spikes = []
    for order in orders:
        hidden = SpikingNetwork(conv.transform().layers[1:])  # fed pre-encoded spikes
        result, counts = simulate(hidden, 2**K * order, encoder=None)
        assert_counts_are_levels(counts, levels[1:])
        spikes.append(result.spikes["hidden1"])
    assert not np.array_equal(spikes[0], spikes[1])  # the orders really differed


# --- readout -----------------------------------------------------------------------------------

@pytest.mark.parametrize("bias", [False, True])
def test_readout_accumulates_classifier_times_counts(bias):
    K = 2
    model, x = tiny_model(9, K)
    classifier = model[-1]
    if bias:
        classifier.bias = nn.Parameter(np.array([0.5, -1.0, 0.25]))
    conv = ZouConverter().fit(model)
    result, counts = simulate(conv.transform(), x, t_in=1)
    last = np.cumsum(result.spikes["hidden3"], axis=0)  # C_L(t)
    expected = last @ classifier.weight.data.T
    if bias:
        expected = expected + 2**K * classifier.bias.data  # injected once, at t = 1
    np.testing.assert_allclose(result.outputs, expected, rtol=1e-12, atol=1e-12)
    logits = ann(model, x)[3]
    np.testing.assert_allclose(result.outputs[-1], 2**K * logits, rtol=1e-10, atol=1e-10)


def test_ops_count_amplitude_of_encoder_spikes():
    model, x = tiny_model(10, K=2)
    conv = ZouConverter(integer=True).fit(model)
    net = conv.transform()
    result = net.run(x, 30, t_in=1)
    plain, weighted = (count_ops(net, result, amplitude_sops=a).rows for a in (False, True))
    assert weighted[1]["sops"] == 4 * plain[1]["sops"] > 0  # encoder spikes weigh 2^K
    assert weighted[2]["sops"] == plain[2]["sops"] > 0


# --- builders ----------------------------------------------------------------------------------

def test_lenet_builder():
    model = zou_lenet(k=1)
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == (["Conv2d", "BatchNorm", "MedianQuant"] + ["TernaryConv2d", "BatchNorm",
                     "MedianQuant"] * 4 + ["Flatten", "Linear"])
    first, p2a, c2, p2b, fc = (model[i] for i in (0, 3, 6, 9, 12))
    assert first.bias is None and first.kernel_size == (5, 5) and first.out_channels == 32
    assert (model[2].k, model[2].clip) == (0, 4.0)
    assert all(model[i].k == 1 and model[i].clip is None for i in (5, 8, 11, 14))
    assert (p2a.kernel_size, p2a.stride, p2a.in_channels, p2a.out_channels) == ((2, 2), (2, 2),
                                                                                32, 32)
    assert (c2.kernel_size, c2.out_channels, p2b.out_channels) == ((5, 5), 64, 64)
    assert (fc.kernel_size, fc.padding, fc.out_channels) == ((4, 4), (0, 0), 1000)
    assert all(op.ternary and op.bias is None for op in (p2a, c2, p2b, fc))
    assert model[-1].bias is None and model[-1].weight.data.shape == (10, 1000)
    h, sizes = np.zeros((2, 1, 28, 28), np.float32), []
    for layer in model:
        h = layer(h)
        if isinstance(layer, nn.MedianQuant):
            sizes.append(h.shape[1:])
    assert sizes == [(32, 24, 24), (32, 12, 12), (64, 8, 8), (64, 4, 4), (1000, 1, 1)]
    assert h.shape == (2, 10)
    assert count_spiking_neurons(model, (1, 28, 28)) == 10_728
    assert not zou_lenet(ternary=False)[3].ternary


def convert_tie_free(model, x, k, rng, integer=True):
    """Calibrate and quantize ``model`` for ``k``, convert it and simulate the tie-free inputs.

    Returns ``(conv, keep, result, counts, levels, logits)``: ``levels`` are the ANN's levels of
    all inputs, ``keep`` marks the tie-free ones that were simulated.
    """
    make_dyadic(calibrate(model, x, rng), k, rng, x)
    zs, us, levels, logits = ann(model, x)
    conv = ZouConverter(integer=integer).fit(model)
    keep = tie_free(conv, zs, us, levels)
    result, counts = simulate(conv.transform(), x[keep], t_in=1)
    return conv, keep, result, counts, levels, logits


def test_lenet_converted():
    rng = np.random.default_rng(11)
    model = zou_lenet(k=1, channels=(4, 6, 8), rng=rng)
    x = rng.uniform(0, 1, (6, 1, 28, 28))
    conv, keep, _, counts, levels, _ = convert_tie_free(model, x, 1, rng)
    assert_counts_are_levels(counts, [n[keep] for n in levels])
    assert [layer.name for layer in conv.layers_] == ["encoder", "hidden1", "hidden2", "hidden3",
                                                      "hidden4", "readout"]


def test_vgg_parsing():
    model = zou_vgg("8C3-2P2-6C3-3P2-5C1-10FC-7FC-4FC", in_channels=2, k=2, input_size=10)
    convs = [layer for layer in model if isinstance(layer, nn.Conv2d)]
    geometry = [(c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0], c.padding[0])
                for c in convs]
    # 10 -> 10 (same) -> 5 (P2) -> 5 (same) -> 2 (3x3 stride 2) -> 2 (1x1, valid before FC)
    assert geometry == [(2, 8, 3, 1, 1), (8, 8, 2, 2, 0), (8, 6, 3, 1, 1), (6, 6, 3, 2, 0),
                        (6, 5, 1, 1, 0)]
    assert type(convs[0]) is nn.Conv2d and all(type(c) is nn.TernaryConv2d for c in convs[1:])
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [(20, 10), (10, 7),
                                                                        (7, 4)]
    assert [type(lin) for lin in linears] == [nn.TernaryLinear, nn.TernaryLinear, nn.Linear]
    assert linears[-1].bias is None
    assert sum(isinstance(layer, nn.Flatten) for layer in model) == 1
    quants = [layer for layer in model if isinstance(layer, nn.MedianQuant)]
    assert [(q.k, q.clip) for q in quants] == [(0, 4.0)] + [(2, None)] * 6
    assert model(np.zeros((3, 2, 10, 10), np.float32)).shape == (3, 4)
    assert count_spiking_neurons(model, (2, 10, 10)) == 8 * 25 + 6 * 25 + 6 * 4 + 5 * 4 + 10 + 7


def test_cifar_vgg_string_spec_2_2():
    model = zou_vgg(CIFAR_VGG, input_size=24)
    last_conv = [layer for layer in model if isinstance(layer, nn.Conv2d)][-1]
    assert (last_conv.out_channels, last_conv.kernel_size, last_conv.padding) == (1024, (3, 3),
                                                                                  (0, 0))
    assert count_spiking_neurons(model, (3, 24, 24)) == 280_832


@pytest.mark.parametrize("spec, match", [
    ("", "start with a convolution"),
    ("P2-4C3-3FC", "start with a convolution"),
    ("4C3", "end with the classifier"),
    ("4C3-2P2", "end with the classifier"),
    ("4C3-4X3-3FC", "not 'nCk'"),
    ("4C2-4C3-3FC", "odd kernel"),
    ("4C3-5FC-4C3-3FC", "after 'FC'"),
    ("4C3-2P2-2P2-2P2-2P2-3FC", "below 1x1"),
])
def test_vgg_parsing_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        zou_vgg(spec, input_size=8)


@pytest.mark.parametrize("integer", [False, True])
def test_mobilenet_block_converted(integer):
    rng = np.random.default_rng(12)
    block = mobilenet_block(4, 6, stride=2, k=1, ternary=True, rng=rng)
    depthwise, pointwise = block[0], block[3]
    assert (depthwise.groups, depthwise.kernel_size, depthwise.stride) == (4, (3, 3), (2, 2))
    assert (pointwise.groups, pointwise.kernel_size, pointwise.out_channels) == (1, (1, 1), 6)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False, rng=rng), nn.BatchNorm(4),
                          nn.MedianQuant(0, clip=4), block, nn.Flatten(),
                          nn.Linear(6 * 4 * 4, 5, bias=False, rng=rng))
    x = rng.uniform(0, 1, (12, 3, 8, 8))
    conv, keep, result, counts, levels, logits = convert_tie_free(model, x, 1, rng, integer)
    assert [layer.name for layer in conv.layers_] == ["encoder", "hidden1", "hidden2", "readout"]
    assert counts[1].shape == (keep.sum(), 4, 4, 4)
    assert_counts_are_levels(counts, [n[keep] for n in levels])
    np.testing.assert_allclose(result.outputs[-1], 2 * logits[keep], rtol=1e-10, atol=1e-10)


def test_mobilenet_converted():
    rng = np.random.default_rng(13)
    model = zou_mobilenet(((6, 1), (8, 2)), first=4, n_classes=5, input_size=8, k=0, rng=rng)
    assert model(np.zeros((1, 3, 8, 8))).shape == (1, 5)
    assert len(zou_mobilenet(input_size=32, rng=0).layers) == 3 + 13 + 3
    x = rng.uniform(0, 1, (10, 3, 8, 8))
    _, keep, result, counts, levels, logits = convert_tie_free(model, x, 0, rng)
    assert_counts_are_levels(counts, [n[keep] for n in levels])
    np.testing.assert_allclose(result.outputs[-1], logits[keep], rtol=1e-10, atol=1e-10)


# --- BN channels with gamma <= 0 ---------------------------------------------------------------

def negate_channel(op, bn, c):
    """Negate channel c's weights, gamma and mu: BN(op(x)) is unchanged, gamma becomes < 0."""
    op.weight.data[c] *= -1
    bn.weight.data[c] *= -1
    bn.running_mean[c] *= -1


@pytest.mark.parametrize("integer", [False, True])
def test_gamma_negative_and_zero(integer):
    K = 1
    model, x = tiny_model(14, K)
    reference = ZouConverter(integer=integer).fit(model)
    zs, us, levels, _ = ann(model, x)
    negate_channel(model[0], model[1], 2)            # encoder, channel 2
    negate_channel(model[6], model[7], 4)            # hidden2 (6C3), channel 4
    model[4].weight.data[1], model[4].bias.data[1] = 0.0, 1.3  # hidden1 channel 1: dead
    _, _, flipped_levels, _ = ann(model, x)
    for before, after in zip(levels, flipped_levels, strict=True):
        assert after.shape == before.shape
    np.testing.assert_array_equal(flipped_levels[0], levels[0])  # the negation is exact
    assert (flipped_levels[1][:, 1] == 3).all()  # rint(2 * 1.3): the dead channel's constant
    with pytest.raises(ValueError, match=r"encoder \(model layer 0.*channel 2"):
        ZouConverter(integer=integer).fit(model)
    model[0].weight.data[2] *= -1
    model[1].weight.data[2] *= -1
    model[1].running_mean[2] *= -1
    with pytest.raises(ValueError, match=r"hidden1 \(model layer 3.*gamma = 0.0 <= 0 in "
                                         r"channel 1.*gamma='flip'"):
        ZouConverter(integer=integer).fit(model)
    negate_channel(model[0], model[1], 2)
    conv = ZouConverter(integer=integer, gamma="flip").fit(model)
    assert [f.tolist() for f in conv.flipped_] == [[2], [], [4], []]
    assert [f.tolist() for f in conv.dead_] == [[], [1], [], []]
    for layer in (0, 2):  # the flip restores the thresholds of the unflipped model
        np.testing.assert_array_equal(conv.d_[layer], reference.d_[layer])
        np.testing.assert_allclose(conv.b0_[layer], reference.b0_[layer], atol=1e-12)
    assert conv.d_[1][1] == 1.0 and conv.b0_[1][1] == -4.0
    keep = tie_free(reference, zs, us, levels)
    _, counts = simulate(conv.transform(), x[keep], t_in=1)
    assert_counts_are_levels(counts, [n[keep] for n in flipped_levels])


def test_gamma_zero_in_the_encoder():
    model, x = tiny_model(15, K=0)
    model[1].weight.data[0], model[1].bias.data[0] = 0.0, 2.7
    conv = ZouConverter(gamma="flip").fit(model)
    assert conv.dead_[0].tolist() == [0]
    _, counts = simulate(conv.transform(), x[:3], t_in=1)
    assert (counts[0][:, 0] == 3).all()


# --- errors ------------------------------------------------------------------------------------

def stage(op, channels, k=0, clip=None):
    return [op, nn.BatchNorm(channels), nn.MedianQuant(k, clip=clip)]


@pytest.mark.parametrize("layers, error, match", [
    ([nn.Linear(4, 3)], ValueError, "no MedianQuant"),
    ([nn.MedianQuant(0, 4), nn.Linear(4, 2)], ValueError, "no Conv2d or Linear"),
    ([nn.BatchNorm(4), nn.MedianQuant(0, 4), nn.Linear(4, 2)], ValueError,
     r"model layer 0 \(BatchNorm.*cannot be converted"),
    ([nn.Linear(4, 4), nn.ReLU(), nn.MedianQuant(0, 4), nn.Linear(4, 2)], ValueError,
     r"model layer 1 \(ReLU"),
    ([*stage(nn.Linear(4, 4), 4, clip=4), nn.ReLU(), nn.Linear(4, 2)], ValueError, "readout"),
    (stage(nn.Linear(4, 4), 4, clip=4), ValueError, "classifier"),
    ([*stage(nn.Linear(4, 4), 4, k=1, clip=4), nn.Linear(4, 2)], ValueError, "first quantizer"),
    ([*stage(nn.Linear(4, 4), 4, clip=2), nn.Linear(4, 2)], ValueError, "clip=4"),
    ([*stage(nn.Linear(4, 4), 4, clip=4), *stage(nn.Linear(4, 4), 4, clip=3), nn.Linear(4, 2)],
     ValueError, "do not clip"),
    ([*stage(nn.Linear(4, 4), 4, clip=4), *stage(nn.Linear(4, 4), 4, k=1),
      *stage(nn.Linear(4, 4), 4, k=2), nn.Linear(4, 2)], ValueError, "different k"),
    ([nn.Linear(4, 4), nn.BatchNorm(3), nn.MedianQuant(0, 4), nn.Linear(4, 2)], ValueError,
     "3 channels"),
])
def test_model_errors(layers, error, match):
    with pytest.raises(error, match=match):
        ZouConverter().fit(nn.Sequential(*layers))


def test_other_errors():
    with pytest.raises(TypeError, match="nn.Sequential"):
        ZouConverter().fit(nn.Linear(2, 2))
    for kwargs, match in [(dict(k=-1), "k must"), (dict(k=1.5), "k must"), (dict(scale=0), "scale"),
                          (dict(t_enc=0), "t_enc"), (dict(gamma="abs"), "gamma must")]:
        with pytest.raises(ValueError, match=match):
            ZouConverter(**kwargs)
    with pytest.raises(RuntimeError, match="fit"):
        ZouConverter().transform()
    float_weights, _ = tiny_model(16, ternary=False)
    with pytest.raises(ValueError, match=r"hidden1 .*integer mode needs integer"):
        ZouConverter(integer=True).fit(float_weights)
    model, _ = tiny_model(16)
    bn = model[4]
    bn.weight.data[0], bn.running_var[0] = 4.0, 0.25 - bn.eps  # d = 0.5 / 4
    with pytest.raises(ValueError, match=r"hidden1 .*round to >= 1"):
        ZouConverter(integer=True, scale=1).fit(model)  # S d = 1/8 rounds to 0
    assert ZouConverter(t_enc=2).t_enc == 2
    assert "gamma='flip'" in repr(ZouConverter(gamma="flip"))


def test_explicit_k_overrides_the_model():
    model, x = tiny_model(17, K=0, dyadic=False)
    conv = ZouConverter(k=1).fit(model)
    assert conv.k_ == 1 and conv.transform().layers[0].amplitude == 2.0
    assert ZouConverter().fit(model).k_ == 0
