"""``snnlite bench``: the standard speed workloads, measured against this machine's ceiling.

Each workload is timed ``repeats`` times after one warm-up call (train-lenet: one epoch); the
warm-up's extra time is reported as compile time. Throughput is compared with the *dense
matrix-product floor*: the time the same run's float32 matrix products alone take
(``A @ B`` with the workload's shapes), so "floor 100 %" would mean nothing but the matrix
products is spent.

Workloads
---------
W1  Poisson input 784 (the first 128 bundled MNIST training digits, pixel / 255 as the
    spike probability: mean rate ~0.13) -> Linear 784x1000 -> LIF (alpha 0.9, threshold 1,
    subtract) -> Linear 1000x10 -> LIF; T = 100, batch 128. Reported per layer as well:
    the synapse path that ran, synaptic events per second and core, fraction of its dense
    floor (:mod:`~snnlite.experiments.bench_layers`); and, on the line ``kernel``, the
    event kernel alone on the 784 x 1000 layer at 10 % input density (fixed int8 spikes).
W2  analog input 1x28x28 (the first 100 bundled MNIST test digits, scaled to 0-1) -> Conv 32
    5x5 -> IF -> AvgPool 2 -> Conv 64 5x5 -> IF -> AvgPool 2 -> Linear 1024x10; T = 8,
    batch 100; weights scaled so that hidden layers fire at 10-30 % of neurons per step.
    The note gives each layer's time in a run, the path its current took and the share of
    that time its own matrix product would take alone (its dense floor).
train-lenet  one epoch (60 000 images) of Conv 32 5x5 - ReLU - MaxPool 2 - Conv 64 5x5 -
    ReLU - MaxPool 2 - Linear 1024x1000 - ReLU - Linear 1000x10, Adam, batch 128.
zou-int  the shipped ternary LeNet of Zou et al. (``zou_lenet_mnist_k0.npz``, k = 0) converted
    to the all-integer SNN, the first 100 bundled MNIST test digits, T = 8 (image at step 1):
    integer mode with int8 events (timed), integer mode with float products and float mode
    (both in the note), and whether each gives the float mode's spikes. Floor: the float
    products of the same layers.
W4  one BPTT training step (forward, backward, Adam) of Poisson input 784 -> Linear 256 ->
    LIF -> Linear 10 -> LIF, T = 25, batch 128, loss on the output spike counts; the
    first layer skips its (unneeded) input gradient by itself (it follows the encoder).
    Timed ``max(repeats, 5)`` times (its floor too), as a single step is short and noisy.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import time

import numpy as np

from .. import nn
from ..datasets import load_mnist_sample, to_float
from ..neurons import IF, LIF
from ..snn import Readout, SpikingLayer, SpikingNetwork
from ..snn.synapse_paths import synapse_path
from .bench_layers import event_kernel_rate, format_layer, layer_costs
from .models import lenet

__all__ = ["run_bench", "WORKLOADS"]


def _timed(fn, repeats: int) -> tuple[float, float]:
    """(first-call seconds, best of ``repeats`` seconds)."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return first, best


def _matmul_floor(shapes: list[tuple[int, int, int]], repeats: int) -> float:
    """Seconds the float32 products ``(m, k) @ (k, n)`` take together on this machine."""
    rng = np.random.default_rng(0)
    pairs = [(rng.random((m, k), np.float32), rng.random((k, n), np.float32))
             for m, k, n in shapes]
    return _timed(lambda: [a @ b for a, b in pairs], repeats)[1]


def w1_network(path: str = "auto") -> SpikingNetwork:
    """W1's network (784-1000-10 LIF) with every layer on synapse ``path``."""
    return SpikingNetwork([
        SpikingLayer(nn.Linear(784, 1000, rng=0), LIF(alpha=0.9, threshold=1.0), path=path),
        SpikingLayer(nn.Linear(1000, 10, rng=1), LIF(alpha=0.9, threshold=1.0), path=path),
    ])


def w1_digits(B: int = 128) -> np.ndarray:
    """W1's input: the first ``B`` bundled MNIST training digits as ``(B, 784)`` rates."""
    return to_float(load_mnist_sample()[0][:B]).reshape(B, -1)


def _w1(repeats: int) -> dict:
    T, B = 100, 128
    net, x = w1_network(), w1_digits(B)
    first, best = _timed(lambda: net.run(x, T, "poisson", rng=0), repeats)
    floor = _matmul_floor([(T * B, 784, 1000), (T * B, 1000, 10)], repeats)
    return {"unit": "samples/s", "throughput": B / best, "floor": B / floor,
            "compile_s": first - best, "note": f"MNIST digits, mean rate {x.mean():.3f}",
            "layers": layer_costs(net, x, T, 0, repeats) + [event_kernel_rate(repeats=repeats)]}


def _scale_to_rate(net: SpikingNetwork, x: np.ndarray, T: int, low=0.1, high=0.3) -> list:
    """Rescale the hidden layers' weights until each fires at ``low..high`` of neurons/step."""
    rates = []
    for layer in net.spiking_layers():
        for _ in range(30):
            res = net.run(x, T, "analog")
            c = res.counts[layer.name]
            rate = (c.step_pos.sum()) / (c.pos.size * T * len(x))
            if low <= rate <= high:
                break
            for p in layer.synapse.parameters():
                p.data *= 0.2 / max(rate, 0.01) if rate < low else 0.7
        rates.append(float(rate))
    return rates


def _layer_seconds(net: SpikingNetwork, run) -> dict[str, float]:
    """Seconds each layer's ``forward_seq`` takes during one call of ``run``."""
    seconds = {layer.name: 0.0 for layer in net.layers}

    def timed(layer):
        inner = layer.forward_seq

        def forward_seq(x, ctx):
            start = time.perf_counter()
            out = inner(x, ctx)
            seconds[layer.name] += time.perf_counter() - start
            return out
        return forward_seq

    for layer in net.layers:
        layer.forward_seq = timed(layer)
    try:
        run()
    finally:
        for layer in net.layers:
            del layer.forward_seq
    return seconds


_SPIKES = np.zeros((1, 1, 1, 1), np.int8)  # what a hidden layer receives: int8 spikes


def _synapse_path(layer, first: bool) -> str:
    """Which current computation W2's ``layer`` runs (see SpikingLayer._synaptic)."""
    if first:
        return "analog input, current once per run"
    return {"patches": "patches from spikes + product", "module": "module ops (dense)",
            "integer events": "int8 events"}[synapse_path(layer.synapse, _SPIKES)]


def _w2(repeats: int) -> dict:
    T, B = 8, 100
    net = SpikingNetwork([
        SpikingLayer(nn.Conv2d(1, 32, 5, rng=0), IF()),
        SpikingLayer(nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(32, 64, 5, rng=1)), IF()),
        Readout(nn.Sequential(nn.AvgPool2d(2), nn.Flatten(), nn.Linear(1024, 10, rng=2))),
    ])
    x = (load_mnist_sample()[2][:B, None] / np.float32(255)).astype(np.float32)
    rates = _scale_to_rate(net, x, T)
    first, best = _timed(lambda: net.run(x, T, "analog"), repeats)
    shapes = {"layer0": [(B * 576, 25, 32)], "layer1": [(T * B * 64, 800, 64)],
              "layer2": [(T * B, 1024, 10)]}
    floor = _matmul_floor([s for layer in shapes.values() for s in layer], repeats)
    per_layer = {name: float("inf") for name in shapes}
    for _ in range(repeats):
        for name, sec in _layer_seconds(net, lambda: net.run(x, T, "analog")).items():
            per_layer[name] = min(per_layer[name], sec)
    layers = []
    for i, layer in enumerate(net.layers):
        own, sec = _matmul_floor(shapes[layer.name], repeats), per_layer[layer.name]
        layers.append(f"{layer.name} {1e3 * sec:.1f} ms [{_synapse_path(layer, i == 0)}; "
                      f"floor {100 * own / sec:.0f} %]")
    return {"unit": "images/s", "throughput": B / best, "floor": B / floor,
            "compile_s": first - best, "note": "MNIST digits; hidden firing rates " +
            ", ".join(f"{100 * r:.0f} %" for r in rates) + "; " + "; ".join(layers)}


def _train_lenet(repeats: int) -> dict:
    n, B = 60000, 128
    rng = np.random.default_rng(0)
    x = rng.random((n, 1, 28, 28), np.float32)
    y = rng.integers(0, 10, n)
    model = lenet(pool="max", hidden=1000, rng=0)
    opt = nn.Adam(model.parameters(), lr=1e-3)
    warm = lambda: nn.fit(model, (x[:B * 4], y[:B * 4]), 1, B, opt, progress=False)  # noqa: E731
    first, _ = _timed(warm, 0)
    start = time.perf_counter()
    nn.fit(model, (x, y), 1, B, opt, progress=False, rng=0)
    epoch = time.perf_counter() - start
    # dense floor: forward + 2 backward products of every conv/linear, at this batch size
    shapes = [(B * 576, 25, 32), (B * 64, 800, 64), (B, 1024, 1000), (B, 1000, 10)]
    floor = 3 * _matmul_floor(shapes, max(repeats, 1)) * (n / B)
    return {"unit": "s/epoch", "throughput": epoch, "floor": floor, "compile_s": first,
            "lower": True,
            "note": "seconds per epoch (lower is better); floor = 3 x the dense products"}


def _w4(repeats: int) -> dict:
    from ..learn.bptt import Spiking
    from ..learn.time_axis import PoissonEncoder, SumOverTime

    T, B = 25, 128
    rng = np.random.default_rng(0)
    x = rng.random((B, 784), np.float32) * 0.3
    y = rng.integers(0, 10, B)
    model = nn.Sequential(PoissonEncoder(T, rng=0, signed=False), nn.Linear(784, 256, rng=0),
                          Spiking(T, LIF(alpha=0.9)), nn.Linear(256, 10, rng=1),
                          Spiking(T, LIF(alpha=0.9)), SumOverTime(T))
    opt = nn.Adam(model.parameters(), lr=1e-3)

    def step():
        _, grad = nn.softmax_cross_entropy(model(x, train=True), y)
        opt.zero_grad()
        model.backward(grad)
        opt.step()

    first, best = _timed(step, max(repeats, 5))
    # dense floor: first layer forward + weight gradient, second layer forward + both grads
    floor = _matmul_floor([(T * B, 784, 256)] * 2 + [(T * B, 256, 10)] * 3, max(repeats, 5))
    return {"unit": "ms/step", "throughput": 1e3 * best, "floor": 1e3 * floor,
            "compile_s": first - best, "lower": True,
            "note": "milliseconds per training step (lower is better)"}


def _zou_int(repeats: int) -> dict:
    from ..convert.zou import ZouConverter
    from .zou_mnist import load_pretrained

    T, B = 8, 100
    x = (load_mnist_sample()[2][:B, None] / np.float32(255)).astype(np.float32)
    model = load_pretrained(0)
    nets = {name: ZouConverter(integer=integer, events=events).fit(model).transform()
            for name, integer, events in (("float", False, False), ("int BLAS", True, False),
                                          ("int8 events", True, True))}
    times, spikes = {}, {}
    for name, net in nets.items():
        record = {layer.name: ["spikes"] for layer in net.layers[:-1]}
        result = net.run(x, T, t_in=1, record=record)
        spikes[name] = [result.spikes[layer] for layer in record]
        first, times[name] = _timed(lambda net=net: net.run(x, T, t_in=1), repeats)
    same = {name: all(np.array_equal(a, b) for a, b in zip(spikes[name], spikes["float"],
                                                          strict=True))
            for name in nets}
    floor = _matmul_floor([(B * 576, 25, 32), (T * B * 144, 128, 32), (T * B * 64, 800, 64),
                           (T * B * 16, 256, 64), (T * B, 1024, 1000), (T * B, 1000, 10)],
                          repeats)
    return {"unit": "images/s", "throughput": B / times["int8 events"], "floor": B / floor,
            "compile_s": first - times["int8 events"],
            "note": "shipped ternary LeNet, MNIST digits, T = 8; " + ", ".join(
                f"{name} {B / sec:.0f} images/s" for name, sec in times.items())
            + "; spikes equal to float: " + ", ".join(
                f"{name} {'yes' if same[name] else 'NO'}" for name in nets if name != "float")}


WORKLOADS = {"W1": _w1, "W2": _w2, "W4": _w4, "train-lenet": _train_lenet,
             "zou-int": _zou_int}
#: One line per workload (``snnlite bench --help``); the module docstring has the details.
SUMMARIES = {
    "W1": "Poisson MLP 784-1000-10 on MNIST digits, LIF, T = 100, batch 128",
    "W2": "conv IF net 32C5-A2-64C5-A2-10, analog, T = 8, batch 100",
    "W4": "one BPTT step, LIF 784-256-10, T = 25, batch 128",
    "train-lenet": "one epoch (60 000 images) of a LeNet, Adam, batch 128",
    "zou-int": "all-integer ternary LeNet (Zou), int8 events vs float, T = 8, batch 100",
}


def run_bench(names: list[str] | None = None, repeats: int = 3) -> dict:
    """Run the named workloads (all by default), print a table, return the numbers.

    Raises ValueError for an unknown workload name or ``repeats`` < 1, TypeError for a
    non-integer ``repeats``.
    """
    names = list(names or WORKLOADS)
    unknown = sorted(set(names) - set(WORKLOADS))
    if unknown:
        raise ValueError(f"unknown workloads {unknown}; choose from {sorted(WORKLOADS)}")
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)):
        raise TypeError(f"repeats must be an integer >= 1, got {type(repeats).__name__}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1 (timed runs after the warm-up), got {repeats}")
    results = {}
    print(f"{'workload':<12} {'result':>18} {'dense floor':>18} {'of floor':>9} "
          f"{'compile':>9}  note")
    for name in names:
        r = WORKLOADS[name](repeats)
        results[name] = r
        frac = r["floor"] / r["throughput"] if r.get("lower") else r["throughput"] / r["floor"]
        print(f"{name:<12} {r['throughput']:>10.1f} {r['unit']:<7} {r['floor']:>10.1f} "
              f"{r['unit']:<7} {100 * frac:>8.1f}% {r['compile_s']:>8.2f}s  {r.get('note', '')}",
              flush=True)
        for layer in r.get("layers", ()):
            print(format_layer(layer), flush=True)
    return results
