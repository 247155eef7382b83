"""Conversion of BackRes nets (spec §4.5: one IF population and threshold per unrolling) and
of a StochMax head (§4.7), against independent NumPy computations."""

import numpy as np
import pytest

from snnlite import nn
from snnlite.convert import (
    DataNormalization,
    StochMaxReadout,
    ThresholdBalancing,
    split_stages,
    stage_outputs,
)
from snnlite.snn import Readout

F64 = np.float64


def backres_net(seed=0, n=3, head=None, select=None):
    rng = np.random.default_rng(seed)
    first = nn.Linear(3, 4, rng=rng, dtype=F64)
    first.weight.data[...] = rng.uniform(-0.2, 1.0, (4, 3))
    shared = nn.Linear(4, 4, rng=rng, dtype=F64)
    shared.weight.data[...] = 0.6 * np.eye(4) + rng.uniform(-0.1, 0.3, (4, 4))
    shared.bias.data[...] = rng.uniform(-0.05, 0.1, 4)
    last = head or nn.Linear(4, 2, rng=rng, dtype=F64)
    return nn.Sequential(first, nn.ReLU(), nn.BackRes(nn.Sequential(shared, nn.ReLU()), n,
                                                      select=select), last), first, shared


def ann_activations(first, shared, x, n):
    """h_1 = relu(W1 x + b1); h_{k+1} = relu(Wb h_k + bb), written out by hand."""
    hs = [np.maximum(x @ first.weight.data.T + first.bias.data, 0)]
    for _ in range(n):
        hs.append(np.maximum(hs[-1] @ shared.weight.data.T + shared.bias.data, 0))
    return hs


def test_split_stages_unrolls_with_labels_and_shared_weights():
    model, first, shared = backres_net()
    stages = split_stages(model)
    assert len(stages) == 5
    assert [s.label for s in stages] == ["1", "2.block.1[1/3]", "2.block.1[2/3]",
                                        "2.block.1[3/3]", "3"]
    assert all(s.ops == [shared] for s in stages[1:4])     # the same Linear object
    outs = stage_outputs(stages, np.ones((2, 3)))
    np.testing.assert_allclose(outs[3], ann_activations(first, shared, np.ones((2, 3)), 3)[3])


def reference_thresholds(weights, biases, spikes):
    """Spec §4.5 balancing, written with plain NumPy loops (IF, reset by subtraction); the
    bias of layer ``j`` enters divided by the product of the thresholds below it."""
    thresholds = []
    for layer in range(len(weights)):
        v = [np.zeros((spikes.shape[1], w.shape[0])) for w in weights[:layer]]
        largest = -np.inf
        for t in range(len(spikes)):
            h = spikes[t].astype(F64)
            for j in range(layer):
                v[j] += h @ weights[j].T + biases[j] / np.prod(thresholds[:j])
                h = (v[j] >= thresholds[j]).astype(F64)
                v[j] -= thresholds[j] * h
            bias = biases[layer] / np.prod(thresholds[:layer])
            largest = max(largest, float((h @ weights[layer].T + bias).max()))
        thresholds.append(largest)
    return np.array(thresholds)


def test_threshold_per_unrolling_equals_numpy_reference():
    model, first, shared = backres_net(1)
    spikes = (np.random.default_rng(2).random((60, 5, 3)) < 0.6).astype(np.int8)

    def encoder(x, T, rng):
        return spikes[:T]

    bal = ThresholdBalancing(T=60, chunk=60, batch_size=5, encoder=encoder).fit(
        model, np.zeros((5, 3)))
    weights = [first.weight.data] + [shared.weight.data] * 3
    biases = [first.bias.data] + [shared.bias.data] * 3
    expected = reference_thresholds(weights, biases, spikes)
    np.testing.assert_allclose(bal.thresholds_, expected, rtol=1e-5)
    assert bal.thresholds_.shape == (4,)                     # a threshold per unrolling
    assert bal.labels_ == ["1", "2.block.1[1/3]", "2.block.1[2/3]", "2.block.1[3/3]"]
    net = bal.transform()
    assert [layer.neuron.threshold for layer in net.spiking_layers()] == pytest.approx(
        list(expected), rel=1e-5)
    assert [layer.name for layer in net.layers] == ["if0", "if1", "if2", "if3", "out4"]


def test_data_normalization_rates_approach_ann_activations():
    model, first, shared = backres_net(3)
    x = np.random.default_rng(4).uniform(0, 1, (6, 3))
    conv = DataNormalization().fit(model, x)
    hs = ann_activations(first, shared, x, 3)
    np.testing.assert_allclose(conv.scales_, [h.max() for h in hs], rtol=1e-12)
    T = 2000
    record = {f"if{i}": "spikes" for i in range(4)}
    res = conv.transform().run(x, T, record=record, dtype=F64)
    for i, h in enumerate(hs):   # rate of unrolling i = ANN activation / lambda_i
        rate = res.spikes[f"if{i}"].mean(axis=0)
        np.testing.assert_allclose(rate, h / conv.scales_[i], atol=0.01)
    np.testing.assert_allclose(res.outputs[-1] / T, model(x), atol=0.02 * np.abs(
        model(x)).max())


def test_mean_channel_selection_converts_and_topk_raises():
    rng = np.random.default_rng(5)
    block = nn.Sequential(nn.Linear(2, 4, rng=rng, dtype=F64), nn.ReLU())
    model = nn.Sequential(nn.Linear(3, 2, rng=rng, dtype=F64), nn.ReLU(),
                          nn.BackRes(block, 2, select="mean"), nn.Linear(4, 2, rng=rng,
                                                                         dtype=F64))
    stages = split_stages(model)
    assert [type(op).__name__ for op in stages[2].ops] == ["ChannelSelect", "Linear"]
    x = rng.uniform(0, 1, (4, 3))
    np.testing.assert_allclose(stage_outputs(stages, x)[-1], model(x), rtol=1e-12)
    model.layers[2] = nn.BackRes(block, 2, select="topk")
    with pytest.raises(ValueError, match="ChannelSelect.*cannot be converted"):
        split_stages(model)


def test_stochmax_head_becomes_readout_with_test_time_scores():
    head = nn.StochMax(4, 3, rng=7, dtype=F64)
    model, first, shared = backres_net(6, n=2, head=head)
    x = np.random.default_rng(8).uniform(0, 1, (5, 3))
    conv = DataNormalization().fit(model, x)
    net = conv.transform()
    assert isinstance(net.layers[-1], StochMaxReadout)
    T = 2000
    layer_major = net.run(x, T, dtype=F64)
    step_major = net.run(x, 50, dtype=F64, engine="step")
    np.testing.assert_allclose(step_major.outputs, layer_major.outputs[:50], rtol=1e-9)
    h = ann_activations(first, shared, x, 2)[-1]
    # C7 test-time score log(rho) + o, written out from the head's weights
    rho = 1 / (1 + np.exp(-(h @ head.keep.weight.data.T + head.keep.bias.data)))
    o = h @ head.classifier.weight.data.T + head.classifier.bias.data
    np.testing.assert_allclose(layer_major.outputs[-1] / T, np.log(rho) + o, atol=0.03)
    np.testing.assert_allclose(model(x), np.log(rho) + o, rtol=1e-12)
    # threshold balancing builds the same readout
    assert isinstance(ThresholdBalancing(T=20, chunk=20).fit(model, x).transform().layers[-1],
                      StochMaxReadout)


def test_stochmax_readout_with_rho_one_is_plain_readout():
    lin = nn.Linear(4, 3, rng=0, dtype=F64)
    keep = nn.Linear(4, 3, rng=1, dtype=F64)
    keep.weight.data[...] = 0
    keep.bias.data[...] = 1e3                                # rho = 1
    from snnlite.snn import SpikingNetwork
    x = np.random.default_rng(0).uniform(0, 1, (2, 4))
    a = SpikingNetwork([StochMaxReadout(lin, keep)]).run(x, 7, dtype=F64).outputs
    b = SpikingNetwork([Readout(lin)]).run(x, 7, dtype=F64).outputs
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_stochmax_head_must_be_last():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.StochMax(4, 4), nn.ReLU(),
                          nn.Linear(4, 2))
    with pytest.raises(ValueError, match="StochMax.*last layer"):
        split_stages(model)


def test_block_that_is_not_a_sequential_and_nested_backres():
    rng = np.random.default_rng(9)
    lin = nn.Linear(3, 3, rng=rng, dtype=F64)
    inner = nn.BackRes(nn.Sequential(nn.Linear(3, 3, rng=rng, dtype=F64), nn.ReLU()), 2)
    model = nn.Sequential(lin, nn.ReLU(), nn.BackRes(inner, 2), nn.Linear(3, 2, rng=rng,
                                                                        dtype=F64))
    stages = split_stages(model)
    assert [s.label for s in stages] == ["1", "2.block.block.1[1/2][1/2]",
                                        "2.block.block.1[1/2][2/2]",
                                        "2.block.block.1[2/2][1/2]",
                                        "2.block.block.1[2/2][2/2]", "3"]
    x = rng.uniform(0, 1, (4, 3))
    np.testing.assert_allclose(stage_outputs(stages, x)[-1], model(x), rtol=1e-12)
    single = nn.Sequential(lin, nn.ReLU(), nn.BackRes(nn.Sequential(
        nn.BackRes(nn.Linear(3, 3, rng=rng, dtype=F64), 2), nn.ReLU()), 2), nn.Linear(3, 2))
    assert [s.path for s in split_stages(single)][1] == "2.block.1"
    assert [op for op in split_stages(single)[1].ops] == [single[2].block[0].block] * 2


def test_balancing_keeps_biased_networks_in_proportion():
    """With biases, balanced SNN rates times Lambda approach the ANN (the readout: logits)."""
    rng = np.random.default_rng(5)
    model = nn.Sequential(nn.Linear(12, 10, rng=0, dtype=F64), nn.ReLU(),
                          nn.Linear(10, 6, rng=1, dtype=F64), nn.ReLU(),
                          nn.Linear(6, 3, rng=2, dtype=F64))
    for layer in (model[0], model[2]):
        layer.bias.data[...] = rng.uniform(0.2, 0.5, layer.bias.data.shape)  # large biases
    x = rng.uniform(0, 1, (8, 12))
    bal = ThresholdBalancing(T=400, batch_size=8, rng=0).fit(model, x)
    T = 4000
    res = bal.transform().run(x, T, "poisson", rng=1, dtype=np.float64)
    logits = model(x)
    np.testing.assert_allclose(res.outputs[-1] / T, logits, atol=0.05 * np.abs(logits).max())
