"""Panda et al.'s FLOPs/energy counts (C8-C11) on hand-checkable networks."""

import numpy as np
import pytest

from snnlite import nn
from snnlite.analysis.agd_energy import agd_energy
from snnlite.learn.agd import to_agd
from snnlite.learn.bptt import Spiking
from snnlite.learn.time_axis import PoissonEncoder, SumOverTime
from snnlite.nn.backres import BackRes, applied


def test_spec_energy_example():
    """§6.6: conv 64 -> 64, k 3, O 32, SA 0.1, T 25 => 37 748 736 MACs, EE 12.8."""
    x = np.zeros((1, 64, 32, 32), np.float32)
    x.reshape(-1)[::10] = 1.0  # exactly 10 % of the inputs spike at every step (p = 1)
    sa = np.count_nonzero(x) / x.size
    model = nn.Sequential(PoissonEncoder(25, rng=0, signed=False),
                          nn.Conv2d(64, 64, 3, padding=1, rng=0), Spiking(25), SumOverTime(25))
    report = agd_energy(model, x)
    (row,) = report.rows
    assert row["macs"] == 37_748_736 and row["sa"] == pytest.approx(sa)
    assert report.energy_ann == pytest.approx(120.80e-6, rel=1e-4)
    assert report.energy_snn == pytest.approx(37_748_736 * sa * 25 * 0.1e-12)
    assert report.efficiency == pytest.approx(32 / (sa * 25))


def test_hybrid_counts_relu_block_and_analog_layer_once():
    ann = nn.Sequential(nn.Linear(4, 3, rng=0), nn.ReLU(), nn.Linear(3, 5, rng=1), nn.ReLU(),
                        nn.Linear(5, 6, rng=2), nn.ReLU(), nn.Linear(6, 2, rng=3))
    agd = to_agd(ann, T=7, keep_relu=1)
    x = np.random.default_rng(0).uniform(0, 1, (9, 4)).astype(np.float32)
    report = agd_energy(agd, x, batch_size=4)
    assert [r["kind"] for r in report.rows] == ["ann", "ann", "spiking", "classifier"]
    assert [r["macs"] for r in report.rows] == [12, 15, 30, 12]
    # the third layer's input = the spikes of the first spiking population
    h = x
    for m in agd.layers[:5]:
        h = m(h)
    sa = np.count_nonzero(h) / h.size
    assert report.rows[2]["sa"] == pytest.approx(sa)
    assert report.spikes[0] == pytest.approx(np.abs(h).sum() / len(x))
    e_mac, e_ac = 3.2e-12, 0.1e-12
    expected = (12 + 15 + 12) * e_mac + 30 * sa * 7 * e_ac
    assert report.energy_snn == pytest.approx(expected)
    assert report.energy_ann == pytest.approx(69 * e_mac)


def test_backres_unrolled_layers_counted_per_unrolling():
    block = nn.Sequential(nn.Linear(3, 3, rng=1), nn.ReLU())
    ann = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), BackRes(block, 3), nn.Linear(3, 2))
    agd = to_agd(ann, T=4, encoder="analog")
    assert sum(isinstance(m, nn.Linear) for m, _, _ in applied(agd)) == 5
    report = agd_energy(agd, np.ones((2, 2), np.float32))
    assert [r["macs"] for r in report.rows] == [6, 9, 9, 9, 6]
    assert len(report.spikes) == 4 and report.neurons == [3, 3, 3, 3]


def test_needs_time_axis():
    with pytest.raises(ValueError, match="not an AGD network"):
        agd_energy(nn.Sequential(nn.Linear(2, 2)), np.ones((1, 2)))
