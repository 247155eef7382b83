"""Synapse and neuron in one pass (event path): the spikes of the unfused path, exactly."""

import numpy as np
import pytest

from snnlite import nn
from snnlite.neurons import IF, LIF
from snnlite.snn import SpikingLayer, SpikingNetwork
from snnlite.snn.context import RunContext
from snnlite.snn.encoding import poisson_stream
from snnlite.snn.fused_scan import fused_event_scan

NEURONS = [LIF(alpha=0.9), LIF(alpha=0.8, reset="zero", refractory=2), IF(),
           IF(threshold=0.7, reset="zero")]


def net(neuron, n_out):
    return SpikingNetwork([
        SpikingLayer(nn.Linear(40, n_out, bias=False, rng=0), neuron, path="event"),
        SpikingLayer(nn.Linear(n_out, 7, bias=False, rng=1), IF(), path="event")])


@pytest.mark.parametrize("neuron", NEURONS, ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_out", [150, 20])  # wide (tiles with an overlapping last one), narrow
def test_fused_spikes_equal_the_current_then_scan_path(neuron, dtype, n_out):
    """Recording ``v`` makes the layer take the unfused path (current, then the scan);
    B = 70 spans two sample blocks, chunks of 7 steps carry the state over."""
    x = np.random.default_rng(3).random((70, 40)) * 0.3
    fused, unfused = (net(neuron, n_out).run(x, 20, "poisson", rng=5, dtype=dtype, chunk=7,
                                             record={"layer0": wanted})
                      for wanted in ("spikes", ("spikes", "v")))
    step = net(neuron, n_out).run(x, 20, "poisson", rng=5, dtype=dtype, engine="step",
                                  record={"layer0": "spikes"})
    assert fused.counts["layer0"].total > 0
    np.testing.assert_array_equal(fused.spikes["layer0"], unfused.spikes["layer0"])
    np.testing.assert_array_equal(fused.spikes["layer0"], step.spikes["layer0"])
    np.testing.assert_array_equal(fused.outputs, unfused.outputs)
    for key in ("pos", "neg", "step_pos", "step_neg"):
        np.testing.assert_array_equal(getattr(fused.counts["layer0"], key),
                                      getattr(unfused.counts["layer0"], key))


def test_fused_pass_applies_only_where_nothing_needs_the_current():
    x = poisson_stream(np.full((4, 40), 0.2), 5, rng=0)
    ctx = RunContext(5, np.dtype(np.float32))
    plain = SpikingLayer(nn.Linear(40, 9, bias=False, rng=0), LIF(), path="event", name="a")
    assert fused_event_scan(plain, x, ctx).shape == (5, 4, 9)
    assert plain.path_log["event"] == 1
    biased = SpikingLayer(nn.Linear(40, 9, rng=0), LIF(), path="event", name="b")
    dense = SpikingLayer(nn.Linear(40, 9, bias=False, rng=0), LIF(), path="dense", name="c")
    recorded = SpikingLayer(nn.Linear(40, 9, bias=False, rng=0), LIF(), path="event", name="d")
    ctx.record["d"] = ("v_pre",)
    for layer in (biased, dense, recorded):
        assert fused_event_scan(layer, x, ctx) is None
