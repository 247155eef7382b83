"""Event-driven Linear synapse: equal to the dense product, same spikes on both paths,
Poisson spikes drawn inside the kernel identical to the encoder's, vectorised code."""

import os
import re

import numba
import numpy as np
import pytest
from kernels import python

from snnlite import nn
from snnlite.neurons import IF, LIF
from snnlite.nn.event_linear import TILE, _kernel_narrow, _kernel_tiles, event_linear
from snnlite.snn import Readout, SpikingLayer, SpikingNetwork, poisson
from snnlite.snn.encoding import poisson_stream
from snnlite.snn.event_synapse import poisson_event_linear


def integer_weights(n_in, n_out, dtype, seed=0):
    """Small integers: every sum is exact, so any order of additions gives the same value."""
    return np.random.default_rng(seed).integers(-8, 9, (n_in, n_out)).astype(dtype)


@pytest.mark.parametrize("n_out", [1, 10, TILE, TILE + 3, 1000])
@pytest.mark.parametrize("R", [1, 33, 70])
def test_event_linear_equals_dense_product_exactly_on_exact_sums(n_out, R):
    rng = np.random.default_rng(n_out + R)
    x = rng.choice(np.array([-1, 0, 1], np.int8), (R, 37), p=[0.1, 0.8, 0.1])
    x[0] = 0  # a row without events
    WT = integer_weights(37, n_out, np.float64)
    np.testing.assert_array_equal(event_linear(x, WT), x.astype(np.float64) @ WT)
    np.testing.assert_array_equal(event_linear(x, WT, 0.5), 0.5 * (x @ WT))


def test_event_linear_takes_real_values_and_float32():
    rng = np.random.default_rng(1)
    x = rng.random((50, 60)) * (rng.random((50, 60)) < 0.2)  # spikes times amplitudes
    WT = rng.standard_normal((60, 200)).astype(np.float32)
    out = event_linear(x.astype(np.float32), WT)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, x @ WT.astype(np.float64), rtol=1e-5, atol=1e-5)


def test_event_linear_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="n_in"):
        event_linear(np.zeros((2, 5), np.int8), np.zeros((4, 3)))


def kernel_args(x, WT, out):
    return x, WT, len(x), 2, (out, WT.dtype.type(1))


@pytest.mark.parametrize("kernel", [_kernel_tiles, _kernel_narrow])
def test_interpreted_kernel_equals_compiled(kernel):
    rng = np.random.default_rng(2)
    x = (rng.random((70, 9)) < 0.3).astype(np.int8)
    WT = rng.standard_normal((9, TILE + 5))
    compiled, interpreted = (np.empty((70, TILE + 5)) for _ in range(2))
    kernel(*kernel_args(x, WT, compiled))
    python(kernel)(*kernel_args(x, WT, interpreted))
    np.testing.assert_array_equal(compiled, interpreted)
    np.testing.assert_allclose(compiled, x @ WT, rtol=1e-12)


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="needs compiled code")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inner_loop_uses_vector_fused_multiply_adds(dtype):
    """The row adds, compiled afresh (cached code cannot be inspected), are fused
    multiply-adds between ymm/zmm registers (four weight rows per pass over the tile)."""
    kernel = numba.njit(parallel=True, fastmath={"contract"}, cache=False)(_kernel_tiles.py_func)
    x, WT = np.ones((2, 3), np.int8), np.ones((3, 2 * TILE), dtype)
    out = np.empty((2, 2 * TILE), dtype)
    kernel(*kernel_args(x, WT, out))
    np.testing.assert_array_equal(out, 3)
    asm = "\n".join(kernel.inspect_asm().values())
    suffix = "ps" if dtype == np.float32 else "pd"
    assert re.search(rf"vfmadd\w*{suffix}\s+\S+, %[yz]mm\d+, %[yz]mm\d+$", asm, re.M), \
        "no register-to-register vector FMA"


def poisson_net(path, dtype_seed=0, hidden=60, layer_cls=SpikingLayer):
    return SpikingNetwork([
        SpikingLayer(nn.Linear(50, hidden, bias=False, rng=dtype_seed), LIF(alpha=0.9),
                     path=path),
        SpikingLayer(nn.Linear(hidden, 20, rng=dtype_seed + 1), IF(), path=path, amplitude=0.5),
        Readout(nn.Linear(20, 3, rng=2), path=path),
    ])


def rates(B=6, n=50, seed=3):
    return np.random.default_rng(seed).random((B, n)) * 0.5


@pytest.mark.parametrize("engine", ["layer", "step"])
def test_both_paths_give_identical_spikes_in_float64(engine):
    x, record = rates(), {"layer0": "spikes", "layer1": "spikes"}
    runs = {path: poisson_net(path).run(x, 30, "poisson", rng=5, dtype=np.float64, chunk=7,
                                        record=record, engine=engine)
            for path in ("dense", "event")}
    for name in record:
        assert runs["dense"].counts[name].total > 0
        np.testing.assert_array_equal(runs["dense"].spikes[name], runs["event"].spikes[name])
    np.testing.assert_allclose(runs["dense"].outputs, runs["event"].outputs, rtol=1e-12)


def test_float32_spikes_equal_where_no_potential_is_near_the_threshold():
    """Independent reference: float64 potentials before the reset; where every one lies
    more than 1e-5 from its threshold, float32 rounding cannot flip a spike."""
    record = {"layer0": ("spikes", "v_pre"), "layer1": ("spikes", "v_pre")}
    thresholds = {"layer0": 1.0, "layer1": 1.0}
    checked = 0
    for seed in range(6):
        x = rates(seed=seed)
        ref = poisson_net("dense").run(x, 20, "poisson", rng=seed, dtype=np.float64,
                                       record=record)
        margin = min(np.abs(ref.v_pre[k] - thresholds[k]).min() for k in record)
        if margin <= 1e-5:
            continue
        checked += 1
        runs = [poisson_net(path).run(x, 20, "poisson", rng=seed, record=record)
                for path in ("dense", "event")]
        for k in record:
            np.testing.assert_array_equal(runs[0].spikes[k], runs[1].spikes[k])
            np.testing.assert_array_equal(runs[0].spikes[k], ref.spikes[k])
    assert checked >= 3


def test_fused_poisson_spikes_are_the_encoders_spikes():
    x, T = rates(B=9, n=50), 23
    spikes = poisson(x, T, rng=11)
    fused = poisson_net("event").run(x, T, "poisson", rng=11, chunk=5,
                                     record={"layer0": "spikes"})
    unfused = poisson_net("event").run(spikes, T, None, chunk=5, record={"layer0": "spikes"})
    assert fused.counts["input"].total == np.count_nonzero(spikes)
    for key in ("pos", "neg", "step_pos", "step_neg"):
        np.testing.assert_array_equal(getattr(fused.counts["input"], key),
                                      getattr(unfused.counts["input"], key))
    # same events in the same order: bitwise the same currents, so the same spikes
    np.testing.assert_array_equal(fused.spikes["layer0"], unfused.spikes["layer0"])
    np.testing.assert_array_equal(fused.outputs, unfused.outputs)


def test_poisson_stream_windows_materialise_the_encoders_spikes():
    x = np.random.default_rng(0).random((4, 3, 5)) * 2 - 1  # signed rates
    spikes = poisson(x, 12, rng=3)
    stream = poisson_stream(x, 12, rng=3)
    np.testing.assert_array_equal(stream.materialize(), spikes)
    np.testing.assert_array_equal(stream[4:9].materialize(), spikes[4:9])
    assert stream[4:9].shape == (5, 4, 3, 5)


def test_poisson_event_linear_counts_and_current():
    x = rates(B=5, n=40) * 2 - 0.5
    stream = poisson_stream(np.clip(x, -1, 1), 7, rng=1)
    from snnlite.snn.context import SpikeCounts, count_spikes
    counts, expected = SpikeCounts.zeros((40,), 7), SpikeCounts.zeros((40,), 7)
    WT = integer_weights(40, 130, np.float64)
    window = stream[2:7]
    window.counts = counts  # where the drawn spikes are counted
    current = poisson_event_linear(window, WT, 1.0)
    spikes = stream.materialize(count=False)
    np.testing.assert_array_equal(current, spikes[2:7].astype(np.float64) @ WT)
    count_spikes(spikes[2:7], expected, 2)
    for key in ("pos", "neg", "step_pos", "step_neg"):
        np.testing.assert_array_equal(getattr(counts, key), getattr(expected, key))


def test_auto_follows_the_crossover(monkeypatch):
    x = rates()
    monkeypatch.setenv("SNNLITE_EVENT_CROSSOVER", "0.9")
    low = poisson_net("auto")
    low.run(x, 5, "poisson", rng=0)
    assert low.layers[0].path_log["event"] > 0 and not low.layers[0].path_log["dense"]
    monkeypatch.setenv("SNNLITE_EVENT_CROSSOVER", "0.01")
    high = poisson_net("auto")
    high.run(x, 5, "poisson", rng=0)
    assert high.layers[0].path_log["dense"] > 0 and not high.layers[0].path_log["event"]


def test_dense_path_and_materialised_input_agree_with_fused_dense():
    x, T = rates(), 9
    fused = poisson_net("dense").run(x, T, "poisson", rng=4, record={"layer0": "spikes"})
    plain = poisson_net("dense").run(poisson(x, T, rng=4), T, None, record={"layer0": "spikes"})
    np.testing.assert_array_equal(fused.spikes["layer0"], plain.spikes["layer0"])
    assert fused.counts["input"].total == plain.counts["input"].total


def test_path_must_be_known():
    with pytest.raises(ValueError, match="path must be one of"):
        SpikingLayer(nn.Linear(3, 2), IF(), path="sparse")


def test_kernel_refuses_rows_that_are_not_whole_steps():
    from snnlite.nn.event_linear import run_kernel
    x, WT = np.zeros((10, 3), np.int8), np.zeros((3, 2))
    with pytest.raises(ValueError, match="10 rows are not whole steps of batch 4"):
        run_kernel(x, WT, 4, _kernel_tiles, _kernel_narrow, (np.empty((10, 2)), 1.0))
