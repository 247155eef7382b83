"""Classic conversion: BN folding, data-based normalisation, threshold balancing."""

import numpy as np
import pytest

from snnlite import nn
from snnlite.convert import DataNormalization, ThresholdBalancing, fold_batchnorm, split_stages
from snnlite.snn import Readout, SpikingLayer


def trained_bn_net(seed=0):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, rng=rng), nn.BatchNorm(4), nn.ReLU(),
                          nn.AvgPool2d(2), nn.Flatten(), nn.Linear(36, 8, rng=rng),
                          nn.BatchNorm(8), nn.ReLU(), nn.Dropout(0.5, rng=rng),
                          nn.Linear(8, 3, rng=rng))
    x = rng.normal(size=(64, 1, 8, 8)).astype(np.float64)
    model.astype(np.float64)
    for _ in range(5):  # populate running statistics
        model.forward(x + rng.normal(size=x.shape) * 0.1, train=True)
    for layer in model:
        if isinstance(layer, nn.BatchNorm):
            layer.weight.data[...] = rng.uniform(0.5, 2, layer.weight.data.shape)
            layer.bias.data[...] = rng.normal(size=layer.bias.data.shape)
    return model, x


def test_batchnorm_folding_keeps_outputs():
    model, x = trained_bn_net()
    folded = fold_batchnorm(model)
    assert not any(isinstance(layer, nn.BatchNorm) for layer in folded)
    np.testing.assert_allclose(folded(x), model(x), rtol=1e-10, atol=1e-10)
    # the original is untouched
    assert sum(isinstance(layer, nn.BatchNorm) for layer in model) == 2


def test_split_stages_and_errors():
    model, _ = trained_bn_net()
    stages = split_stages(model)
    assert [s.activation is None for s in stages] == [False, False, True]
    assert [type(op).__name__ for op in stages[1].ops] == ["AvgPool2d", "Flatten", "Linear"]
    with pytest.raises(ValueError, match="MaxPool2d"):
        split_stages(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Linear(2, 2)))
    with pytest.raises(ValueError, match="BatchNorm must follow"):
        split_stages(nn.Sequential(nn.BatchNorm(2), nn.Linear(2, 2)))
    with pytest.raises(ValueError, match="readout"):
        split_stages(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    with pytest.raises(TypeError):
        split_stages(nn.Linear(2, 2))


def test_data_normalization_scales_and_rates_match_ann():
    model, x = trained_bn_net(1)
    x = np.abs(x)
    conv = DataNormalization().fit(model, x)
    # lambda_l is the largest activation of each ReLU stage
    h1 = model[:3](x)
    h2 = model[:8](x)
    np.testing.assert_allclose(conv.scales_, [h1.max(), h2.max()], rtol=1e-6)
    snn = conv.transform()
    assert [type(layer) for layer in snn.layers] == [SpikingLayer, SpikingLayer, Readout]
    assert all(layer.neuron.threshold == 1.0 for layer in snn.spiking_layers())
    T = 400
    res = snn.run(x, T, record={"if0": "spikes"}, dtype=np.float64)
    rate = res.spikes["if0"].mean(axis=0)
    # IF with reset by subtraction: rate = normalised activation within 1/T
    np.testing.assert_allclose(rate, h1 / conv.scales_[0], atol=1.5 / T)
    # readout after T steps ~ T * (W y / lambda...) -> same argmax as the ANN
    agree = (res.outputs[-1].argmax(1) == model(x).argmax(1)).mean()
    assert agree >= 0.95


def test_percentile_scales_are_smaller_than_max():
    model, x = trained_bn_net(2)
    full = DataNormalization(100).fit(model, np.abs(x)).scales_
    p = DataNormalization(90).fit(model, np.abs(x)).scales_
    assert np.all(p < full)
    with pytest.raises(ValueError, match="percentile"):
        DataNormalization(0)
    with pytest.raises(RuntimeError, match="fit"):
        DataNormalization().transform()


def test_threshold_balancing_toy_vector():
    """Spec §6.6: the maximum weighted input over the four steps is 1.1."""
    spikes = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1], [1, 1, 1]], np.int8)
    lin = nn.Linear(3, 2, bias=False, dtype=np.float64)
    lin.weight.data[...] = [[0.5, 0.2, 0.4], [-0.3, 0.6, 0.1]]
    model = nn.Sequential(lin, nn.ReLU(), nn.Linear(2, 2, dtype=np.float64))

    def encoder(x, T, rng):
        return spikes[:T, None, :].repeat(len(x), axis=1)

    bal = ThresholdBalancing(T=4, chunk=4, encoder=encoder).fit(model, np.zeros((1, 3)))
    np.testing.assert_allclose(bal.thresholds_, [1.1])
    assert bal.transform().layers[0].neuron.threshold == pytest.approx(1.1)


def test_threshold_balancing_layer_by_layer():
    """Deterministic input: chunking in time and batch must not change the thresholds, and
    layer 0's threshold is the largest current computed directly from the input spikes."""
    from snnlite.snn import regular

    model, x = trained_bn_net(3)
    x = np.clip(np.abs(x), 0, 1)

    def encoder(xb, T, rng):  # same spikes whatever the chunk: a rate code of the batch
        return regular(xb, T)

    a = ThresholdBalancing(T=30, chunk=30, batch_size=64, encoder=encoder).fit(model, x)
    b = ThresholdBalancing(T=30, chunk=30, batch_size=16, encoder=encoder).fit(model, x)
    np.testing.assert_allclose(a.thresholds_, b.thresholds_, rtol=1e-6)
    by_name = ThresholdBalancing(T=30, chunk=30, encoder="regular").fit(model, x)  # registry
    np.testing.assert_array_equal(by_name.thresholds_, b.thresholds_)
    stage = a.stages_[0]
    spikes = regular(x, 30).astype(np.float64)
    direct = max(stage.synapse.forward(s).max() for s in spikes)
    assert a.thresholds_[0] == pytest.approx(direct, rel=1e-6)
    net = a.transform()
    assert net.layers[1].neuron.threshold == pytest.approx(a.thresholds_[1])
    assert a.thresholds_[1] != pytest.approx(a.thresholds_[0])


def test_stage_outputs_and_reset_override():
    from snnlite.convert import stage_outputs

    model, x = trained_bn_net(4)
    conv = DataNormalization().fit(model, np.abs(x))
    outs = stage_outputs(conv.stages_, np.abs(x), batch_size=10)
    np.testing.assert_allclose(outs[-1], model(np.abs(x)), rtol=1e-10)
    np.testing.assert_allclose(outs[0].max(), conv.scales_[0])
    net = conv.transform(reset="zero")
    assert all(layer.neuron.reset == "zero" for layer in net.spiking_layers())
    assert conv.transform().spiking_layers()[0].neuron.reset == "subtract"
