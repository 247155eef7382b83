"""Per-layer cost of a spiking network in ``snnlite bench``: which synapse path ran, how many
synaptic events it handled per second and core, and its fraction of the dense floor.

A *synaptic event* is one non-zero input reaching one output: a layer with ``n_out`` outputs
whose input holds ``nnz`` non-zero entries handles ``nnz * n_out`` of them (the dense product
does ``rows * n_in * n_out`` multiply-adds, of which only those are useful). The dense floor
of a layer is the time of the float32 product ``(rows, n_in) @ (n_in, n_out)`` alone.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from ..nn.event_linear import event_linear
from ..nn.linear import Linear
from ..snn.context import RunContext
from ..snn.encoding import poisson_stream

__all__ = ["best_time", "event_kernel_rate", "format_layer", "layer_costs"]


def best_time(fn, repeats: int) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn`` after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _product_time(rows: int, n_in: int, n_out: int, repeats: int) -> float:
    rng = np.random.default_rng(0)
    a, b = rng.random((rows, n_in), np.float32), rng.random((n_in, n_out), np.float32)
    return best_time(lambda: a @ b, repeats)


def layer_costs(net, x: np.ndarray, T: int, rng: int, repeats: int) -> list[dict]:
    """Time the synapse of every ``nn.Linear`` spiking layer of ``net`` on the input it gets
    when ``net`` runs ``x`` for ``T`` steps with the Poisson encoder (seed ``rng``).

    The first layer is fed the lazy Poisson stream (spikes drawn in its kernel, as in a run);
    each later layer the recorded spikes of the layer before it.

    Returns
    -------
    list of dict
        Per layer: ``name``, ``shape`` (n_in, n_out), ``path`` (dense/event), ``density`` of
        its input, ``seconds`` of its current, ``events_per_s_core`` and ``of_floor``
        (dense-product time / layer time: above 1 means faster than the dense floor).
    """
    layers = [layer for layer in net.spiking_layers() if isinstance(layer.synapse, Linear)]
    readout = net.layers[-1]
    if getattr(readout, "is_readout", False) and isinstance(readout.synapse, Linear):
        layers.append(readout)
    record = {layer.name: "spikes" for layer in net.spiking_layers()}
    res = net.run(x, T, "poisson", rng=rng, record=record)
    rows, cores = T * len(x), numba.get_num_threads()
    out, source, nnz = [], None, res.counts["input"].total
    for layer in layers:
        n_out, n_in = layer.synapse.weight.data.shape
        inputs = source if source is not None else poisson_stream(x, T, rng=rng)
        ctx = RunContext(T, np.float32)
        layer.path_log.clear()
        seconds = best_time(lambda: layer.current_seq(inputs, ctx), repeats)  # noqa: B023
        path = max(layer.path_log, key=layer.path_log.get)
        events = nnz * n_out
        floor = _product_time(rows, n_in, n_out, repeats)
        out.append({"name": layer.name, "shape": (n_in, n_out), "path": path,
                    "density": nnz / (rows * n_in), "seconds": seconds,
                    "events_per_s_core": events / seconds / cores, "of_floor": floor / seconds})
        if layer.name in res.spikes:
            source, nnz = res.spikes[layer.name], res.counts[layer.name].total
    return out


def event_kernel_rate(n_in: int = 784, n_out: int = 1000, density: float = 0.1,
                      rows: int = 12_800, repeats: int = 3) -> dict:
    """Synaptic events per second and core of the event kernel alone
    (:func:`~snnlite.nn.event_linear.event_linear`) on fixed int8 spikes of ``density``.

    The default is the issue's reference case: W1's 784 x 1000 layer at 10 % input density,
    ``rows`` = T x batch = 100 x 128 (uniform random spikes, seed 0; float32 weights).
    Returns a dict in the shape of :func:`layer_costs`'s entries (path ``"kernel"``).
    """
    rng = np.random.default_rng(0)
    spikes = (rng.random((rows, n_in)) < density).astype(np.int8)
    WT = rng.standard_normal((n_in, n_out)).astype(np.float32)
    seconds = best_time(lambda: event_linear(spikes, WT), repeats)
    events = int(np.count_nonzero(spikes)) * n_out
    return {"name": "kernel", "shape": (n_in, n_out), "path": "event",
            "density": np.count_nonzero(spikes) / spikes.size, "seconds": seconds,
            "events_per_s_core": events / seconds / numba.get_num_threads(),
            "of_floor": _product_time(rows, n_in, n_out, repeats) / seconds}


def format_layer(r: dict) -> str:
    """One indented line of the bench table for a layer cost of :func:`layer_costs`."""
    n_in, n_out = r["shape"]
    return (f"  {r['name']:<10} {n_in}x{n_out:<6} {r['path']:<6} input density "
            f"{100 * r['density']:5.1f} %  {1e3 * r['seconds']:8.2f} ms  "
            f"{r['events_per_s_core']:.2e} syn. events/s/core  "
            f"{100 * r['of_floor']:6.1f} % of its dense floor")
