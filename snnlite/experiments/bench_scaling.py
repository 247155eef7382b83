"""``snnlite bench --scaling``: time per sample against input density, steps and batch size.

W1's network (784-1000-10 LIF, :func:`~snnlite.experiments.bench.w1_network`) runs with its
first layer on the dense path, on the event path, and on the automatic choice:

* against the input density (Poisson input at a uniform rate 0.01 .. 0.5, T = 100, batch 128):
  the event path's cost grows with the synaptic events, the dense path's does not; where they
  cross is the *crossover density*, which is stored
  (:func:`snnlite.snn.path_choice.store_crossover`) for the automatic choice of later runs;
* against the number of steps ``T`` and the batch size (the bundled MNIST digits).

Writes ``scaling.md`` (the tables), ``scaling.json`` and ``scaling.png`` into ``out``. The
crossover comes from a first density sweep of the two forced paths; then every table entry is
the fastest of ``repeats`` interleaved runs of the three variants. The ``auto / faster``
column is the automatic choice's time over the faster forced path (target: at most 1.10).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..snn.network import SpikingNetwork
from ..snn.path_choice import store_crossover
from .bench import w1_digits, w1_network
from .report import write_report

__all__ = ["DENSITIES", "STEPS", "BATCHES", "PATHS", "crossover_density", "plot_sweep",
           "run_scaling", "time_per_sample"]

DENSITIES = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
STEPS = (10, 25, 50, 100, 200)
BATCHES = (16, 32, 64, 128, 256)
#: Steps and batch size of the density sweep.
DENSITY_T, DENSITY_B = 100, 128
PATHS = ("dense", "event", "auto")


#: Seconds to wait after a run that called BLAS: OpenBLAS's idle threads spin for about
#: 2**28 cycles (~0.1 s) and would take the cores from the next variant's event kernel.
BLAS_SETTLE = 0.2


def _run_settled(net, x: np.ndarray, T: int) -> float:
    """Seconds of one run of ``net``; then, if a layer took the dense path, wait
    :data:`BLAS_SETTLE` so that the next timed run starts on idle cores."""
    start = time.perf_counter()
    net.run(x, T, "poisson", rng=0)
    seconds = time.perf_counter() - start
    if any(layer.path_log["dense"] for layer in net.layers):
        time.sleep(BLAS_SETTLE)
    return seconds


def time_per_sample(x: np.ndarray, T: int, paths=PATHS, repeats: int = 3,
                    network: Callable[[], SpikingNetwork] = w1_network) -> dict:
    """Milliseconds per sample of a network on Poisson input ``x`` for ``T`` steps with its
    first layer on each of ``paths``, timed interleaved (one run of each path per round,
    fastest of ``repeats`` rounds, after one warm-up each) so that a change of machine load
    hits all alike; and ``"auto_path"``, the path the automatic choice took.

    ``network()`` builds a fresh network (default: W1's, :func:`~.bench.w1_network`); one
    is built per path.

    Examples
    --------
    >>> import numpy as np
    >>> ms = time_per_sample(np.full((4, 784), 0.05, np.float32), 5, repeats=1)
    >>> sorted(ms), ms["auto_path"] in ("dense", "event")
    (['auto', 'auto_path', 'dense', 'event'], True)
    """
    nets = {}
    for path in paths:
        nets[path] = network()
        nets[path].layers[0].path = path
        _run_settled(nets[path], x, T)
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(repeats):
        for path, net in nets.items():
            best[path] = min(best[path], _run_settled(net, x, T))
    out = {path: 1e3 * seconds / len(x) for path, seconds in best.items()}
    if "auto" in nets:
        log = nets["auto"].layers[0].path_log
        out["auto_path"] = max(log, key=log.get)
    return out


def crossover_density(densities, dense, event) -> float:
    """The density where the event path's time reaches the dense path's.

    Robust to a few noisy timings (a shared machine): the event path's time is fitted by a
    line ``a + b d`` (least squares), the dense path's by its median (it does not depend on
    the density), and the crossing ``(median - a) / b`` is clipped to ``[0, max(densities)]``
    (the end of the range if the event path is faster everywhere)."""
    d, event = np.asarray(densities, float), np.asarray(event, float)
    slope, intercept = np.polyfit(d, event, 1)
    level = float(np.median(dense))
    if slope <= 0:
        return float(d.max()) if intercept < level else 0.0
    return float(np.clip((level - intercept) / slope, 0.0, d.max()))


def _sweep(name: str, values, make, repeats: int) -> list[dict]:
    rows = []
    for value in values:
        x, T = make(value)
        row = {name: value, **time_per_sample(x, T, PATHS, repeats)}
        row["auto_over_faster"] = row["auto"] / min(row["dense"], row["event"])
        rows.append(row)
    return rows


def _table(name: str, rows: list[dict]) -> str:
    lines = [f"| {name} | dense ms/sample | event ms/sample | auto ms/sample | auto took "
             f"| auto / faster |", "|---|---|---|---|---|---|"]
    lines += [f"| {r[name]:g} | {r['dense']:.3f} | {r['event']:.3f} | {r['auto']:.3f} "
              f"| {r['auto_path']} | {r['auto_over_faster']:.2f} |" for r in rows]
    return "\n".join(lines)


def plot_sweep(ax, rows: list[dict], name: str, label: str,
               crossover: float | None = None) -> None:
    """Draw one sweep on ``ax``: ms per sample against ``row[name]`` for :data:`PATHS`
    (rows as :func:`time_per_sample` returns them, plus the swept value ``name``), and a
    dotted line at ``crossover`` if given."""
    xs = [r[name] for r in rows]
    for key, style in zip(PATHS, ("o-", "s-", "x--"), strict=True):
        ax.plot(xs, [r[key] for r in rows], style, label=f"first layer {key}")
    if crossover is not None:
        ax.axvline(crossover, color="gray", ls=":", label=f"measured crossover {crossover:.2f}")
    ax.set_xlabel(label)
    ax.set_ylabel("ms per sample")
    ax.grid(alpha=0.3)


def _figure(sweeps: dict, crossover: float, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, (name, label) in zip(axes, [("density", "input density (Poisson rate)"),
                                        ("T", "steps T (MNIST digits)"),
                                        ("batch", "batch size (MNIST digits)")], strict=True):
        plot_sweep(ax, sweeps[name], name, label, crossover if name == "density" else None)
    axes[0].legend(fontsize=8)
    fig.suptitle("W1 (784-1000-10 LIF): time follows the synaptic events on the event path")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_scaling(out: str | Path = "bench-scaling", repeats: int = 3) -> dict:
    """Measure the three sweeps, store the crossover, write the report; return the numbers."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    digits = w1_digits(max(BATCHES))
    uniform = lambda d: (np.full((DENSITY_B, 784), d, np.float32), DENSITY_T)  # noqa: E731
    first = [time_per_sample(*uniform(d), ("dense", "event"), repeats) for d in DENSITIES]
    crossover = crossover_density(DENSITIES, [r["dense"] for r in first],
                                  [r["event"] for r in first])
    store_crossover(crossover)  # the automatic choice below (and in later runs) uses it
    sweeps = {"density": _sweep("density", DENSITIES, uniform, repeats),
              "T": _sweep("T", STEPS, lambda T: (digits[:DENSITY_B], T), repeats),
              "batch": _sweep("batch", BATCHES, lambda B: (digits[:B], DENSITY_T), repeats)}
    _figure(sweeps, crossover, out / "scaling.png")
    worst = max(r["auto_over_faster"] for rows in sweeps.values() for r in rows)
    text = "\n\n".join([
        "# snnlite bench --scaling (W1: 784-1000-10 LIF, Poisson input)",
        f"Crossover density (stored for the automatic choice): **{crossover:.3f}**. "
        f"Worst automatic choice / faster path: **{worst:.2f}**. Fastest of {repeats} runs.",
        "## Against input density (uniform rate, T = 100, batch 128)",
        _table("density", sweeps["density"]),
        "## Against steps T (MNIST digits, batch 128)", _table("T", sweeps["T"]),
        "## Against batch size (MNIST digits, T = 100)", _table("batch", sweeps["batch"]),
        "![scaling](scaling.png)"])
    write_report(out, "scaling", text, {"crossover": crossover, "sweeps": sweeps})
    print(text)
    return {"crossover": crossover, "sweeps": sweeps, "worst_auto_over_faster": worst}
