"""A test-only reproduction for tests/test_sweep.py: cheap, seed-dependent, runs a Numba kernel.

It writes ``sweep_toy.md`` / ``.json`` like every reproduction. Test hooks, as files in the
sweep's folder (``out`` is ``<sweep>/runs/<key>``): ``crash-once`` makes the first task that
finds it delete it and kill its own process (``os._exit``); ``fail-once`` makes it raise;
every finished run appends its folder name to ``ran.log``.
"""

import os
from pathlib import Path

import numpy as np

from snnlite.experiments.report import write_report
from snnlite.neurons import IF


def _consume(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def main(out, epochs=None, seed=0, retrain=False, quick=False, T=8):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sweep = out.parents[1]
    if _consume(sweep / "crash-once"):
        os._exit(3)
    if _consume(sweep / "fail-once"):
        raise RuntimeError("fail-once: this run fails on purpose")
    rng = np.random.default_rng(seed)
    spikes = IF().scan(rng.uniform(0, 0.6, (T, 32)), IF().init_state(1, (32,), np.float64))
    counts = spikes.sum(axis=0)
    result = {"rate": float(spikes.mean()), "max_count": int(counts.max()),
              "counts_per_step": spikes.sum(axis=1).tolist()}
    write_report(out, "sweep_toy", f"rate {result['rate']:.4f}", result)
    with open(sweep / "ran.log", "a") as log:
        log.write(out.name + "\n")
    return result
