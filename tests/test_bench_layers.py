"""``snnlite bench``'s per-layer lines: which path ran, and the event kernel's own rate."""

import numpy as np

from snnlite.experiments.bench import w1_network
from snnlite.experiments.bench_layers import event_kernel_rate, format_layer, layer_costs


def test_event_kernel_rate_counts_the_events_of_its_spikes():
    r = event_kernel_rate(n_in=40, n_out=30, density=0.25, rows=50, repeats=1)
    spikes = (np.random.default_rng(0).random((50, 40)) < 0.25).astype(np.int8)  # its input
    assert r["density"] == np.count_nonzero(spikes) / spikes.size
    assert r["shape"] == (40, 30) and r["path"] == "event" and r["seconds"] > 0
    assert "syn. events/s/core" in format_layer(r)


def test_layer_costs_report_the_path_each_layer_took():
    net, x = w1_network(), np.random.default_rng(1).random((4, 784)) * 0.1
    for layer in net.layers:
        layer.path = "dense"
    net.layers[1].path = "event"
    costs = layer_costs(net, x, 5, 0, repeats=1)
    assert [c["path"] for c in costs] == ["dense", "event"]
    assert [c["shape"] for c in costs] == [(784, 1000), (1000, 10)]
    res = net.run(x, 5, "poisson", rng=0)
    assert costs[0]["density"] == res.counts["input"].total / (5 * 4 * 784)
