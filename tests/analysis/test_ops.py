"""Spike / SOP / MAC / energy counting, checked by hand on tiny networks (spec §2.8, §4.9)."""

import numpy as np
import pytest

from snnlite import nn
from snnlite.analysis import EnergyModel, count_ops, fan_out, macs
from snnlite.neurons import IF
from snnlite.snn import Readout, Reshape, SpikeCounts, SpikingLayer, SpikingNetwork
from snnlite.snn.result import SimulationResult


def tiny():
    conv = nn.Conv2d(1, 2, 2, bias=False)
    conv.weight.data[...] = 1.0
    return SpikingNetwork([SpikingLayer(conv, IF(threshold=1.5), name="a"),
                           Reshape(nn.Flatten()), Readout(nn.Linear(8, 3, rng=0))])


def test_conv_fan_out_is_border_aware():
    # 2x2 kernel on 3x3: corners are in 1 window, edges in 2, the centre in 4; x 2 channels
    np.testing.assert_array_equal(fan_out(nn.Conv2d(1, 2, 2), (1, 3, 3))[0],
                                  2 * np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]))
    # an average pool passes the pooled pixel's fan-out to each of its inputs
    pooled = nn.Sequential(nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4, 5))
    np.testing.assert_array_equal(fan_out(pooled, (1, 4, 4)), np.full((1, 4, 4), 5))
    assert macs(pooled, (1, 4, 4)) == 20
    assert fan_out(nn.Linear(6, 7), (6,)).tolist() == [7] * 6


def test_counts_by_hand_on_a_tiny_network():
    seq = np.zeros((2, 1, 1, 3, 3), np.int8)
    seq[0, 0, 0, 0, 0] = seq[0, 0, 0, 1, 1] = 1
    seq[1, 0, 0, 1, 1] = seq[1, 0, 0, 0, 1] = 1
    net = tiny()
    res = net.run(seq, 2, encoder=None, record={"a": "spikes"})
    a_spikes = int(res.spikes["a"].sum())
    # layer a: every 2x2 window sum of the input; IF threshold 1.5
    # t0: windows containing (1,1) and (0,0): window (0,0) gets 2 -> spike; others get 1
    # t1: window (0,0) gets (0,1)+(1,1) = 2 -> spike, window (0,1) gets 2 -> spike, others 1+V
    report = count_ops(net, res)
    row_a, row_out = report.rows
    assert row_a["events_in"] == 4
    assert row_a["sops"] == 1 * 2 + 2 * 8 + 1 * 4  # events x fan-out
    assert row_a["macs"] == 2 * 2 * 2 * 4 and row_a["analog_macs"] == 0
    assert row_a["spikes_pos"] == a_spikes and row_a["neurons"] == 8
    assert row_out["events_in"] == a_spikes and row_out["sops"] == 3 * a_spikes
    assert row_out["macs"] == 24
    e = EnergyModel()
    assert report.total("energy_ann") == pytest.approx((32 + 24) * 3.2e-12)
    assert report.total("energy_snn") == pytest.approx((22 + 3 * a_spikes) * 0.1e-12)
    assert report.efficiency == pytest.approx(56 * e.e_mac / ((22 + 3 * a_spikes) * e.e_ac))
    assert "total" in report.table()


def test_analog_input_layer_is_charged_macs():
    net = tiny()
    res = net.run(np.ones((2, 1, 3, 3)), 5)
    row_a = count_ops(net, res).rows[0]
    assert row_a["sops"] == 0 and row_a["analog_macs"] == row_a["macs"] == 32


def test_energy_example_of_the_spec():
    """§6.6: conv N = M = 64, k = 3, O = 32, SA = 0.1, T = 25 -> EE = 12.8.

    A valid 3x3 convolution on 34x34 has O = 32 and no padding, so every MAC of C8 is a
    real synapse and the border-aware SOP count equals FLOPS_ANN * SA * T (C9, C11)."""
    conv = nn.Conv2d(64, 64, 3, bias=False)
    assert macs(conv, (64, 34, 34)) == 37_748_736 == macs(nn.Conv2d(64, 64, 3, padding=1),
                                                          (64, 32, 32))
    # with padding, zero-padded taps are MACs but not synapses: per channel pair the
    # coverage of a 32-pixel row is 2 * 2 + 30 * 3 = 94, so 94**2 * 64 * 64 synapses
    assert fan_out(nn.Conv2d(64, 64, 3, padding=1), (64, 32, 32)).sum() == 94**2 * 64 * 64
    net = SpikingNetwork([SpikingLayer(conv, IF(), name="c")])
    shape, T = (64, 34, 34), 25
    counts = {"input": SpikeCounts(np.full(shape, 5), np.zeros(shape, np.int64),
                                   np.zeros(T, np.int64), np.zeros(T, np.int64)),
              "c": SpikeCounts.zeros((64, 32, 32), T)}
    res = SimulationResult(np.zeros((T, 2, 1)), counts, shapes={"input": shape, "c": (64, 32, 32)})
    report = count_ops(net, res)  # 2 samples x 2.5 events = SA 0.1 over 25 steps
    assert report.total("energy_ann") * 1e6 == pytest.approx(120.80, abs=0.01)
    assert report.total("energy_snn") * 1e6 == pytest.approx(9.437, abs=0.001)
    assert report.efficiency == pytest.approx(12.8)


def test_amplitude_counted_as_sops_when_asked():
    lin = nn.Linear(2, 2, bias=False)
    lin.weight.data[...] = np.eye(2, dtype=np.float32)
    net = SpikingNetwork([SpikingLayer(lin, IF(0.5), amplitude=4.0, name="enc"),
                          Readout(nn.Linear(2, 3))])
    res = net.run(np.ones((1, 2)), 3)
    plain = count_ops(net, res).rows[1]["sops"]
    weighted = count_ops(net, res, amplitude_sops=True).rows[1]["sops"]
    assert plain == 6 * 3 and weighted == 4 * plain


def test_event_maxpool_output_events_feed_the_next_layer():
    from snnlite.snn import EventMaxPool

    conv = nn.Conv2d(1, 1, 1, bias=False)
    conv.weight.data[...] = 1.0
    net = SpikingNetwork([SpikingLayer(conv, IF(0.5), name="c"), EventMaxPool(2, name="mp"),
                          Reshape(nn.Flatten()), Readout(nn.Linear(4, 3))])
    res = net.run(np.random.default_rng(0).random((2, 1, 4, 4)), 6)
    rows = count_ops(net, res).rows
    assert [r["layer"] for r in rows] == ["c", "layer3"]
    pooled = res.counts["mp"].pos.sum() / 2
    assert rows[1]["events_in"] == pooled and rows[1]["sops"] == 3 * pooled
