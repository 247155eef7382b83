"""The layer contract (:class:`snnlite.snn.Layer`): every layer type of the package derives
from it, and the engines need nothing else, so a layer type they have never seen runs in both
engines, is named, walked, recorded and checked for overflow through the contract alone."""

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import snnlite
from snnlite import nn
from snnlite.neurons import IF, QFFS
from snnlite.snn import (
    CountReadout,
    EventMaxPool,
    Layer,
    LeakyReadout,
    Readout,
    Reshape,
    Residual,
    SpikingLayer,
    SpikingNetwork,
    StochMaxReadout,
)

F64 = np.float64
ENGINE_METHODS = ("forward_seq", "forward_step")


def layer_types() -> set[type]:
    """Every class defined in a module of snnlite that has an engine entry point."""
    found = set()
    for info in pkgutil.walk_packages(snnlite.__path__, "snnlite."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and any(hasattr(cls, m) for m in ENGINE_METHODS):
                found.add(cls)
    return found


def test_every_layer_type_of_the_package_derives_from_layer():
    found = layer_types()
    known = {SpikingLayer, Readout, CountReadout, LeakyReadout, StochMaxReadout, Reshape,
             Residual, EventMaxPool}
    assert known <= found  # the walk sees the layer types (it is not vacuous)
    strays = sorted(cls.__qualname__ for cls in found - {Layer} if not issubclass(cls, Layer))
    assert not strays, f"layer types not derived from snnlite.snn.Layer: {strays}"
    abstract = sorted(cls.__qualname__ for cls in found - {Layer} if inspect.isabstract(cls))
    assert not abstract, f"layer types missing a forward method: {abstract}"


def test_readouts_live_in_one_module():
    for cls in (Readout, CountReadout, LeakyReadout, StochMaxReadout):
        assert cls.__module__ == "snnlite.snn.readouts"
    assert snnlite.convert.StochMaxReadout is StochMaxReadout  # its former home still works


def lin(n_in, n_out, seed, scale=1.0, dtype=F64):
    op = nn.Linear(n_in, n_out, bias=False, rng=seed, dtype=dtype)
    op.weight.data *= scale
    return op


@pytest.mark.parametrize("layer, readout, records, neuron", [
    (SpikingLayer(lin(2, 2, 0), IF()), False, ("spikes", "v", "v_pre"), True),
    (Readout(lin(2, 2, 0)), True, (), False),
    (LeakyReadout(lin(2, 2, 0), 0.5), True, (), False),
    (StochMaxReadout(lin(2, 2, 0), lin(2, 2, 1)), True, (), False),
    (CountReadout(lin(2, 2, 0), QFFS(1.0)), True, ("spikes", "v", "v_pre"), True),
    (Reshape(nn.Flatten()), False, (), False),
    (EventMaxPool(2), False, ("spikes",), False),
    (Residual([SpikingLayer(lin(2, 2, 0), IF())]), False, (), False),
], ids=lambda v: type(v).__name__ if isinstance(v, Layer) else None)
def test_each_layer_declares_what_it_is(layer, readout, records, neuron):
    assert layer.is_readout is readout
    assert layer.records == records
    assert (layer.neuron is not None) is neuron
    assert layer.children() == (layer.branch if isinstance(layer, Residual) else [])


class Negate(Layer):
    """Flips the sign of every spike: a layer type the engines have never seen."""

    records = ("spikes",)

    def forward_seq(self, x, ctx):
        out = -x
        ctx.observe(self, out, None)
        return out

    def forward_step(self, x, t, ctx):
        out = -x
        ctx.observe(self, out[None], None, t)
        return out


class Block(Layer):
    """A container: its layers run in order (named, walked and recorded via ``children``)."""

    def __init__(self, layers):
        self.layers = layers

    def children(self):
        return self.layers

    def chain(self, amplitude):
        for layer in self.layers:
            amplitude = layer.chain(amplitude)
        return amplitude

    def forward_seq(self, x, ctx):
        for layer in self.layers:
            x = layer.forward_seq(x, ctx)
        return x

    def forward_step(self, x, t, ctx):
        for layer in self.layers:
            x = layer.forward_step(x, t, ctx)
        return x


@pytest.mark.parametrize("engine", ["layer", "step"])
def test_an_unseen_layer_type_runs_through_the_contract_alone(engine):
    x = np.random.default_rng(0).uniform(0, 1, (3, 4))
    hidden = SpikingLayer(lin(4, 5, 0, 2.0), IF(0.7), amplitude=0.5)
    net = SpikingNetwork([Block([hidden, Negate()]), Readout(lin(5, 3, 1))])
    # the same network written with known layers: negated readout weights
    plain = SpikingNetwork([SpikingLayer(lin(4, 5, 0, 2.0), IF(0.7), amplitude=0.5),
                            Readout(lin(5, 3, 1, -1.0))])
    assert [layer.name for layer in net._walk()] == ["layer0.0", "layer0.1", "layer1"]
    assert net.recordable() == {"layer0.0": ("spikes", "v", "v_pre"), "layer0.1": ("spikes",)}
    assert net.spiking_layers() == [hidden]
    assert net.layers[-1].in_amplitude == 0.5  # Negate passed the amplitude on unchanged
    got = net.run(x, 9, engine=engine, record={"layer0.0": "spikes", "layer0.1": "spikes"},
                  dtype=F64)
    want = plain.run(x, 9, engine=engine, record={"layer0": "spikes"}, dtype=F64)
    assert np.abs(want.spikes["layer0"]).sum() > 0  # the comparison sees spikes
    np.testing.assert_array_equal(got.outputs, want.outputs)
    np.testing.assert_array_equal(got.spikes["layer0.0"], want.spikes["layer0"])
    np.testing.assert_array_equal(got.spikes["layer0.1"], -want.spikes["layer0"])
    assert got.counts["layer0.1"].pos.sum() == want.counts["layer0"].neg.sum()


def test_the_network_accepts_layers_only():
    with pytest.raises(TypeError, match=r"layers\[1\] must be a snnlite.snn.Layer.*Linear"):
        SpikingNetwork([SpikingLayer(lin(2, 2, 0), IF()), nn.Linear(2, 2)])

    class Forgetful(Layer):  # no forward_step
        def forward_seq(self, x, ctx):
            return x

    with pytest.raises(TypeError, match="forward_step"):
        Forgetful()


def test_overflow_check_sees_the_stochmax_keep_accumulator():
    """An infinite keep potential leaves the score finite (log(sigmoid(inf) + eps)), so only
    the keep readout's own state shows the overflow (its ``state_arrays``)."""
    keep = lin(1, 1, 1, dtype=np.float32)
    keep.weight.data[...] = 3e38  # 3 steps: 9e38 > float32 max
    net = SpikingNetwork([StochMaxReadout(lin(1, 1, 0, dtype=np.float32), keep)])
    x = np.ones((1, 1), np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isfinite(net.layers[0]._score(np.zeros(1, np.float32),
                                                np.full(1, np.inf, np.float32),
                                                np.asarray(2))).all()
        with pytest.raises(ValueError, match="overflowed"):
            net.run(x, 3)
        with pytest.raises(ValueError, match="overflowed"):
            net.run(x, 3, engine="step")
