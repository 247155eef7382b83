"""snnlite bench --scaling and the per-layer W1 report: crossover, stored value, report files."""

import json

import numpy as np
import pytest

import snnlite.nn.crossover as crossover_store
import snnlite.snn.path_choice as path_choice
from snnlite import nn
from snnlite.experiments import bench_scaling
from snnlite.experiments.bench import w1_digits, w1_network
from snnlite.experiments.bench_layers import format_layer, layer_costs
from snnlite.neurons import LIF
from snnlite.snn import SpikingLayer, SpikingNetwork


def test_crossover_density_where_the_event_line_meets_the_dense_level():
    d = (0.1, 0.2, 0.3, 0.4)
    # event = 20 d exactly; dense level 5 (median of a noisy series) -> 0.25
    assert bench_scaling.crossover_density(d, [5, 9, 5, 4], [2, 4, 6, 8]) == pytest.approx(0.25)
    assert bench_scaling.crossover_density(d, [5] * 4, [6, 7, 8, 9]) == 0.0
    assert bench_scaling.crossover_density(d, [5] * 4, [1, 2, 3, 4]) == 0.4
    assert bench_scaling.crossover_density(d, [5] * 4, [3, 3, 3, 3]) == 0.4  # flat, faster


@pytest.fixture
def stored_crossover(tmp_path, monkeypatch):
    """Keep the user's stored crossover untouched: store into tmp_path (the storage lives in
    :mod:`snnlite.nn.crossover`; ``path_choice`` re-exports its functions)."""
    monkeypatch.setattr(crossover_store, "crossover_file", lambda: tmp_path / "crossover.json")
    monkeypatch.delenv("SNNLITE_EVENT_CROSSOVER", raising=False)
    monkeypatch.setattr(crossover_store, "_measured", {})
    return tmp_path / "crossover.json"


def test_run_scaling_writes_tables_and_stores_the_crossover(tmp_path, monkeypatch,
                                                            stored_crossover):
    monkeypatch.setattr(bench_scaling, "DENSITIES", (0.02, 0.6))
    monkeypatch.setattr(bench_scaling, "STEPS", (2, 4))
    monkeypatch.setattr(bench_scaling, "BATCHES", (2, 4))
    monkeypatch.setattr(bench_scaling, "DENSITY_T", 3)
    monkeypatch.setattr(bench_scaling, "DENSITY_B", 4)
    monkeypatch.setattr(bench_scaling, "BLAS_SETTLE", 0.0)
    result = bench_scaling.run_scaling(tmp_path / "out", repeats=1)
    stored = json.loads(stored_crossover.read_text())["crossover"]
    assert stored == result["crossover"] == path_choice.crossover()
    assert 0.0 <= stored <= 0.6
    text = (tmp_path / "out" / "scaling.md").read_text()
    assert text.count("| auto / faster |") == 3
    assert (tmp_path / "out" / "scaling.png").stat().st_size > 0
    rows = result["sweeps"]["density"]
    assert [r["density"] for r in rows] == [0.02, 0.6]
    # the automatic choice follows the stored crossover (points at the crossover itself,
    # where the float32 rate may round either way, are not checked)
    for row in rows:
        if abs(row["density"] - stored) > 1e-6:
            assert row["auto_path"] == ("event" if row["density"] < stored else "dense")


def test_time_per_sample_times_a_given_network_on_each_path(monkeypatch, stored_crossover):
    monkeypatch.setattr(bench_scaling, "BLAS_SETTLE", 0.0)
    monkeypatch.setenv("SNNLITE_EVENT_CROSSOVER", "0.3")
    built = []

    def small():
        built.append(SpikingNetwork([SpikingLayer(nn.Linear(20, 8, rng=0), LIF())]))
        return built[-1]

    for density, expected in ((0.1, "event"), (0.6, "dense")):
        built.clear()
        ms = bench_scaling.time_per_sample(np.full((3, 20), density, np.float32), 4,
                                           repeats=2, network=small)
        assert [net.layers[0].path for net in built] == list(bench_scaling.PATHS)
        assert ms["auto_path"] == expected  # the rule with the crossover in effect
        assert all(ms[path] > 0 for path in bench_scaling.PATHS)


def test_plot_sweep_draws_each_path_and_the_crossover():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [{"density": 0.1, "dense": 2.0, "event": 1.0, "auto": 1.1},
            {"density": 0.5, "dense": 2.5, "event": 4.0, "auto": 2.6}]
    fig, ax = plt.subplots()
    bench_scaling.plot_sweep(ax, rows, "density", "input density", crossover=0.25)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [
        "first layer dense", "first layer event", "first layer auto", "measured crossover 0.25"]
    assert [list(line.get_ydata()) for line in lines[:3]] == [[2.0, 2.5], [1.0, 4.0], [1.1, 2.6]]
    assert list(lines[3].get_xdata()) == [0.25, 0.25] and ax.get_xlabel() == "input density"
    plt.close(fig)


def test_w1_layer_report_counts_events_of_the_digits():
    x = w1_digits(4)
    assert x.shape == (4, 784) and 0.05 < x.mean() < 0.25  # real digits, not uniform noise
    net = w1_network()
    costs = layer_costs(net, x, 5, 0, 1)
    assert [c["name"] for c in costs] == ["layer0", "layer1"]
    res = net.run(x, 5, "poisson", rng=0)
    assert costs[0]["density"] == pytest.approx(res.counts["input"].total / (5 * 4 * 784))
    assert costs[1]["density"] == pytest.approx(res.counts["layer0"].total / (5 * 4 * 1000))
    assert costs[0]["path"] in ("dense", "event") and costs[0]["seconds"] > 0
    events = res.counts["input"].total * 1000
    assert costs[0]["events_per_s_core"] * costs[0]["seconds"] * _cores() == \
        pytest.approx(events)
    assert "syn. events/s/core" in format_layer(costs[0])


def _cores():
    import numba
    return numba.get_num_threads()


def test_stored_crossover_is_read_back(stored_crossover):
    path_choice.store_crossover(0.123)
    crossover_store._measured.clear()
    assert path_choice.crossover() == 0.123
    with pytest.raises(ValueError, match="crossover"):
        path_choice.store_crossover(1.5)
    assert np.isclose(path_choice.crossover(), 0.123)
