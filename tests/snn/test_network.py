"""Spiking networks: the two engines agree, inputs/biases/records behave as documented."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snnlite import nn
from snnlite.neurons import IF, LIF
from snnlite.snn import (
    ConstantInput,
    Readout,
    Reshape,
    Residual,
    SpikingLayer,
    SpikingNetwork,
    analog,
)


def random_net(seed: int, readout: bool = True) -> SpikingNetwork:
    """Conv + pooling + dense network with a mix of neuron models, resets and amplitudes."""
    rng = np.random.default_rng(seed)

    def neuron():
        th = float(rng.uniform(0.2, 0.8))
        reset = ["subtract", "zero", "none"][rng.integers(3)]
        if rng.random() < 0.5:
            return IF(threshold=th, reset=reset, v_init=float(rng.uniform(0, th)))
        return LIF(alpha=float(rng.uniform(0.7, 1.0)), threshold=th, reset=reset,
                   refractory=int(rng.integers(0, 3)))

    conv2 = nn.Conv2d(3, 4, 3, stride=int(rng.integers(1, 3)), rng=rng)
    layers = [
        SpikingLayer(nn.Conv2d(1, 3, 3, padding=int(rng.integers(2)), rng=rng), neuron(),
                     bias_steps=int(rng.integers(1, 6))),
        SpikingLayer(nn.AvgPool2d(2), neuron(), amplitude=float(rng.uniform(0.5, 2))),
        SpikingLayer(conv2, neuron()),
        Reshape(nn.Flatten()),
    ]
    probe = np.zeros((1, 1, 12, 12), np.float32)
    for layer in layers:
        probe = (layer.synapse if hasattr(layer, "synapse") else layer.op).forward(probe)
    layers.append(SpikingLayer(nn.Linear(probe.shape[1], 6, rng=rng), neuron()))
    layers.append(Readout(nn.Linear(6, 3, rng=rng)) if readout
                  else SpikingLayer(nn.Linear(6, 3, rng=rng), neuron()))
    return SpikingNetwork(layers)


ALL = {f"layer{i}": ("spikes", "v") for i in (0, 1, 2, 4, 5)}
HIDDEN = {k: v for k, v in ALL.items() if k != "layer5"}  # a Readout records nothing


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), encoder=st.sampled_from(["analog", "poisson"]),
       readout=st.booleans())
def test_layer_and_step_engines_give_identical_spikes(seed, encoder, readout):
    net = random_net(seed, readout)
    x = np.random.default_rng(seed).uniform(-0.2, 1, (3, 1, 12, 12))
    kw = dict(T=12, encoder=encoder, rng=seed, record=HIDDEN if readout else ALL,
              dtype=np.float64)
    a, b = net.run(x, engine="layer", **kw), net.run(x, engine="step", **kw)
    assert a.spikes.keys() == b.spikes.keys() and len(a.spikes) >= 4
    for name in a.spikes:
        np.testing.assert_array_equal(a.spikes[name], b.spikes[name])
        np.testing.assert_allclose(a.v[name], b.v[name], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.outputs, b.outputs, rtol=1e-12, atol=1e-12)
    assert a.spikes_per_layer() == b.spikes_per_layer()
    assert sum(p for p, _ in a.spikes_per_layer().values()) > 0


def test_engines_agree_in_float32_on_a_residual_network():
    rng = np.random.default_rng(3)
    block = Residual([SpikingLayer(nn.Conv2d(2, 2, 3, padding=1, rng=rng), IF(0.5)),
                      SpikingLayer(nn.Conv2d(2, 2, 3, padding=1, rng=rng), IF(0.5))],
                     name="res")
    net = SpikingNetwork([SpikingLayer(nn.Conv2d(1, 2, 3, rng=rng), IF(0.4), amplitude=0.5),
                          block, Reshape(nn.Flatten()), Readout(nn.Linear(2 * 36, 4, rng=rng))])
    x = rng.random((4, 1, 8, 8)).astype(np.float32)
    rec = {"res.0": "spikes", "res.1": "spikes", "layer0": "spikes"}
    a = net.run(x, 10, record=rec)
    b = net.run(x, 10, record=rec, engine="step")
    for name in rec:
        np.testing.assert_array_equal(a.spikes[name], b.spikes[name])
    assert a.spikes["res.1"].any()


def test_residual_adds_shortcut_current_to_post_neuron():
    """Identity shortcut: the post-add neuron integrates branch current + a_in * input."""
    lin = nn.Linear(2, 2, bias=False)
    lin.weight.data[...] = np.eye(2, dtype=np.float32)
    inner = SpikingLayer(nn.Linear(2, 2, bias=False), IF(threshold=100.0))  # never fires
    post = SpikingLayer(lin, IF(threshold=1.0))
    net = SpikingNetwork([SpikingLayer(nn.Linear(2, 2, bias=False), IF(1.0), amplitude=0.25,
                                       name="src"), Residual([inner, post], name="res")])
    net.layers[0].synapse.weight.data[...] = np.eye(2, dtype=np.float32)
    res = net.run(np.array([[1.0, 0.0]]), 8, record={"res.1": "v"}, dtype=np.float64)
    # src fires every step (input 1 = threshold); the shortcut carries 0.25 per step
    np.testing.assert_allclose(res.v["res.1"][:, 0, 0], np.r_[0.25, 0.5, 0.75, 0, .25, .5, .75, 0])


def test_constant_input_current_is_computed_once():
    calls = []

    class Counting(nn.Linear):
        def forward(self, x, train=False):
            calls.append(x.shape[0])
            return super().forward(x, train)

    net = SpikingNetwork([SpikingLayer(Counting(4, 5, rng=0), IF()), Readout(nn.Linear(5, 2))])
    for engine, chunk in (("layer", None), ("layer", 3), ("step", None)):
        calls.clear()
        net.run(np.ones((3, 4), np.float32), T=20, engine=engine, chunk=chunk)
        assert calls.count(3) == 1, (engine, chunk)  # the batch's current, once
        assert set(calls) <= {1, 3}  # (plus a one-sample shape probe that sizes chunks)


@pytest.mark.parametrize("chunk", [1, 3, 5])
def test_chunked_layer_engine_gives_the_same_result(chunk):
    net = random_net(7)
    x = np.random.default_rng(1).uniform(-0.2, 1, (4, 1, 12, 12))
    kw = dict(T=11, record=HIDDEN, dtype=np.float64, t_in=6)
    whole, parts = net.run(x, chunk=11, **kw), net.run(x, chunk=chunk, **kw)
    for name in whole.spikes:
        np.testing.assert_array_equal(whole.spikes[name], parts.spikes[name])
        np.testing.assert_allclose(whole.v[name], parts.v[name], rtol=1e-12)
        np.testing.assert_array_equal(whole.counts[name].step_pos, parts.counts[name].step_pos)
    np.testing.assert_allclose(whole.outputs, parts.outputs, rtol=1e-12)


def test_analog_input_switch_off_and_bias_schedule():
    syn = nn.Linear(1, 1)
    syn.weight.data[...] = 1.0
    syn.bias.data[...] = 10.0
    net = SpikingNetwork([SpikingLayer(syn, IF(threshold=1e9), bias_steps=2, name="a")])
    res = net.run(np.array([[1.0]]), T=6, t_in=3, record={"a": "v"}, dtype=np.float64)
    # input 1 for t < 3, bias 10 for t < 2
    np.testing.assert_array_equal(res.v["a"][:, 0, 0], [11, 22, 23, 23, 23, 23])


def test_amplitude_scales_the_next_layer_current():
    def net(amplitude):
        a = nn.Linear(1, 1, bias=False)
        a.weight.data[...] = 1.0
        b = nn.Linear(1, 1, bias=False)
        b.weight.data[...] = 2.0
        return SpikingNetwork([SpikingLayer(a, IF(0.5), amplitude=amplitude), Readout(b)])

    x = np.ones((1, 1))
    np.testing.assert_allclose(net(3.0).run(x, 4).outputs[:, 0, 0], [6, 12, 18, 24])
    np.testing.assert_allclose(net(1.0).run(x, 4).outputs[:, 0, 0], [2, 4, 6, 8])


def test_counts_records_and_batching():
    net = random_net(1)
    x = np.random.default_rng(0).random((7, 1, 12, 12))
    full = net.run(x, 8, record={"layer4": "spikes"}, neurons={"layer4": [0, 2]})
    parts = net.run(x, 8, record={"layer4": "spikes"}, neurons={"layer4": [0, 2]}, batch_size=3)
    assert full.spikes["layer4"].shape == (8, 7, 2)
    np.testing.assert_array_equal(full.spikes["layer4"], parts.spikes["layer4"])
    np.testing.assert_array_equal(full.outputs, parts.outputs)
    for name, c in full.counts.items():
        np.testing.assert_array_equal(c.pos, parts.counts[name].pos)
        np.testing.assert_array_equal(c.step_pos, parts.counts[name].step_pos)
    # counts equal the recorded spikes
    rec = net.run(x, 8, record={"layer2": "spikes"})
    s = rec.spikes["layer2"]
    np.testing.assert_array_equal(rec.counts["layer2"].pos, (s == 1).sum(axis=(0, 1)))
    np.testing.assert_array_equal(rec.counts["layer2"].step_pos, (s == 1).sum(axis=(1, 2, 3, 4)))
    assert "layer0" not in rec.spikes and rec.v == {}


def test_accuracy_per_step_and_spiking_readout():
    net = random_net(2, readout=False)
    res = net.run(np.random.default_rng(0).random((5, 1, 12, 12)), 6)
    assert res.outputs.dtype == np.int32 and res.outputs.shape == (6, 5, 3)
    assert np.all(np.diff(res.outputs, axis=0) >= 0)  # cumulative counts of +1 spikes
    labels = res.predictions()[-1]
    assert res.accuracy_per_step(labels)[-1] == 1.0
    with pytest.raises(ValueError, match="labels"):
        res.accuracy_per_step(labels[:2])


def test_pre_encoded_input_and_errors():
    net = SpikingNetwork([SpikingLayer(nn.Linear(4, 3, rng=0), IF()), Readout(nn.Linear(3, 2))])
    seq = (np.random.default_rng(0).random((5, 2, 4)) < 0.5).astype(np.int8)
    res = net.run(seq, 5, encoder=None)
    assert res.outputs.shape == (5, 2, 2) and res.counts["input"].pos.sum() == seq.sum()
    x = np.ones((2, 4))
    with pytest.raises(ValueError, match="T must"):
        net.run(x, 0)
    with pytest.raises(ValueError, match="engine"):
        net.run(x, 3, engine="fast")
    with pytest.raises(ValueError, match="encoder"):
        net.run(x, 3, encoder="morse")
    with pytest.raises(ValueError, match="record"):
        net.run(x, 3, record={"layer0": "current"})
    with pytest.raises(ValueError, match="steps first"):
        net.run(seq, 4, encoder=None)
    with pytest.raises(ValueError, match="Readout"):
        SpikingNetwork([Readout(nn.Linear(2, 2)), SpikingLayer(nn.Linear(2, 2), IF())])
    with pytest.raises(TypeError, match="neuron"):
        SpikingLayer(nn.Linear(2, 2), "IF")


def test_split_bias_does_not_modify_the_ann():
    lin = nn.Linear(3, 2, rng=0)
    layer = SpikingLayer(lin, IF())
    assert lin.bias is not None and layer.synapse.bias is None
    np.testing.assert_array_equal(layer.bias, lin.bias.data)
    assert isinstance(analog(np.ones((1, 3)), 4), ConstantInput)


def test_float_input_spikes_are_counted_by_their_sign_without_a_cast():
    """Encoded float input (spikes times an amplitude, signed) counts as the int8 spikes do."""
    net = SpikingNetwork([SpikingLayer(nn.Linear(6, 4, rng=0), IF())])
    s = np.random.default_rng(1).choice(np.array([-1, 0, 0, 1], np.int8), (5, 3, 6))
    as_int, as_float = (net.run(x, 5, encoder=None).counts["input"]
                        for x in (s, s.astype(np.float32) * 0.5))
    for name in ("pos", "neg", "step_pos", "step_neg"):
        np.testing.assert_array_equal(getattr(as_float, name), getattr(as_int, name))
    assert as_int.pos.sum() == np.count_nonzero(s == 1)
    assert as_int.neg.sum() == np.count_nonzero(s == -1)


def test_input_major_weights_are_made_once_per_run(monkeypatch):
    """The shape probe and every batch of one run share the event path's weight copy."""
    from snnlite.snn.context import RunContext
    made = []
    original = RunContext.weight_view

    def counting(self, layer, name, compute):
        return original(self, layer, name, lambda: made.append(name) or compute())

    monkeypatch.setattr(RunContext, "weight_view", counting)
    net = SpikingNetwork([SpikingLayer(nn.Linear(6, 5, rng=0), IF(), path="event"),
                          SpikingLayer(nn.Linear(5, 3, rng=1), IF(), path="event")])
    net.run(np.full((6, 6), 0.3), 4, "poisson", rng=0, batch_size=2)  # probe + 3 batches
    assert made == ["weights_input_major"] * 2


@pytest.mark.parametrize("engine", ["layer", "step"])
@pytest.mark.parametrize("encoder", ["poisson", "analog", None])
def test_switching_counting_off_changes_nothing_else(engine, encoder):
    net = SpikingNetwork([SpikingLayer(nn.Linear(12, 9, rng=0), LIF(alpha=0.9)),
                          SpikingLayer(nn.Linear(9, 4, rng=1), IF())])
    x = np.random.default_rng(2).random((5, 12)) * 0.6
    if encoder is None:
        x = (np.random.default_rng(3).random((6, 5, 12)) < 0.3).astype(np.int8)
    runs = [net.run(x, 6, encoder, rng=4, engine=engine, record={"layer0": ("spikes", "v")},
                    count=count) for count in (True, False)]
    np.testing.assert_array_equal(runs[0].outputs, runs[1].outputs)
    np.testing.assert_array_equal(runs[0].spikes["layer0"], runs[1].spikes["layer0"])
    np.testing.assert_array_equal(runs[0].v["layer0"], runs[1].v["layer0"])
    assert runs[0].counts["layer0"].total > 0 and runs[1].counts == {}
    with pytest.raises(TypeError, match="count must be True or False"):
        net.run(x, 6, encoder, count="no")
