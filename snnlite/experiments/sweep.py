"""Sweeps: run a reproduction once per seed and grid point, here or on a Dask cluster.

``snnlite reproduce NAME --seeds 0-4 [--grid T=8,16 k=0,1] [--jobs N | --scheduler ADDR]``
runs one *task* per (seed, grid point) and writes, into ``--out``:

- ``records/<key>.json``: one per finished task, written as soon as it finishes: the
  parameters, seed, task seed, options, snnlite/NumPy/Numba versions, the results (the
  reproduction's JSON report), the wall time and the worker that ran it;
- ``failed/<key>.json``: the traceback of a task whose run raised;
- ``runs/<key>/``: the reproduction's own output folder for that task (reports, cached
  weights, ``log.txt``), on the machine that ran it;
- ``summary.md`` and ``summary.json``: mean ± standard deviation over seeds of every
  numeric result, per grid point (:mod:`~snnlite.experiments.sweep_summary`).

Re-running the same command resumes: tasks with a record are not run again.

Random streams: a task never uses the seed it was listed with directly; the reproduction
receives ``task_seed``, drawn from ``numpy.random.SeedSequence(seed, spawn_key=(index,))``
where ``index`` is a stable number computed from the task's grid parameters. So a record
depends only on (seed, grid point), never on the number of workers or which worker ran it,
and adding seeds or grid values leaves the other tasks unchanged. One task is re-run alone
with ``snnlite reproduce NAME --seed <task_seed>`` (and the grid point's parameters).

Where tasks run: by default one after the other in this process. ``jobs > 1``: that many
worker processes on this machine (joblib, extra ``snnlite[dask]``); ``scheduler``: the
workers of a Dask cluster (``tcp://host:port`` of a running ``dask scheduler``). Workers
compile into Numba cache directories of their own (:mod:`~snnlite.experiments.sweep_worker`).
Start Dask workers with one thread each (``dask worker ADDR --nworkers N --nthreads 1``): a
task sends its printed output to a log file, which is per process, not per thread.
A worker that dies loses only what it was running: Dask re-runs its task on another
worker (up to its ``allowed-failures``); with ``jobs`` the process pool restarts and the
unfinished tasks run again, at most ``retries`` times. Tasks still unfinished are reported
as failed; their records are simply missing, and re-running the command retries them.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._validate import check_int
from .registry import REGISTRY
from .sweep_summary import summarize, summary_markdown
from .sweep_worker import run_task

__all__ = ["add_arguments", "make_tasks", "parse_grid_item", "parse_seeds", "requested",
           "run_from_args", "run_sweep"]


def parse_jobs(text: str) -> int:
    """``--jobs``: a whole number of worker processes >= 1.

    Raises
    ------
    argparse.ArgumentTypeError
        For anything else (``0``, ``-2``, ``two``).
    """
    try:
        return check_int("--jobs", int(text) if text.lstrip("-").isdigit() else text)
    except (TypeError, ValueError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` -> ``[0, 1, 2, 3, 4]``; ``"0,3,7-8"`` -> ``[0, 3, 7, 8]`` (non-negative).

    Raises
    ------
    argparse.ArgumentTypeError
        For anything else, a range that runs backwards, or a repeated seed.
    """
    seeds = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if m is None or (m[2] is not None and int(m[2]) < int(m[1])):
            raise argparse.ArgumentTypeError(
                f"--seeds: expected non-negative seeds like '0-4' or '0,3,7-8', got {text!r}")
        seeds += range(int(m[1]), int(m[2] or m[1]) + 1)
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"--seeds: a seed is repeated in {text!r}")
    return seeds


def parse_grid_item(text: str) -> tuple[str, list[str]]:
    """``"T=8,16,32"`` -> ``("T", ["8", "16", "32"])``.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is not ``NAME=VALUE[,VALUE...]`` or a value repeats.
    """
    m = re.fullmatch(r"(\w+)=([^,=]+(?:,[^,=]+)*)", text.strip())
    if m is None:
        raise argparse.ArgumentTypeError(f"--grid: expected NAME=V1,V2,... such as 'T=8,16', "
                                         f"got {text!r}")
    values = [v.strip() for v in m[2].split(",")]
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"--grid: a value repeats in {text!r}")
    return m[1], values


def _scalar(text: str):
    """``"8"`` -> 8, ``"0.5"`` -> 0.5, anything else unchanged (for a record's ``params``)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _task_seed(seed: int, params: dict) -> int:
    """The seed a task's reproduction receives: SeedSequence(seed, spawn_key=(index,))."""
    canonical = json.dumps(params, sort_keys=True).encode()
    index = int.from_bytes(hashlib.sha256(canonical).digest()[:4], "little")
    return int(np.random.SeedSequence(seed, spawn_key=(index,)).generate_state(1)[0])


def make_tasks(name: str, seeds: list[int], grid: dict[str, list[str]] | None, out: Path,
               options: dict, own_cache: bool) -> list[dict]:
    """The tasks of a sweep: one dict per (seed, grid point), seeds outermost.

    Parameters
    ----------
    name : str
        Key of :data:`~snnlite.experiments.registry.REGISTRY`.
    seeds : list of int
        Root seeds.
    grid : dict, optional
        Grid name -> values as typed (``{"T": ["8", "16"]}``); names must be in the
        reproduction's ``grid``.
    out : Path
        The sweep's output folder.
    options : dict
        ``epochs``, ``retrain``, ``quick``, passed to every run.
    own_cache : bool
        Whether the worker claims a Numba cache directory of its own (worker processes).

    Raises
    ------
    ValueError
        For an unknown reproduction, a grid name it does not support, or an unreadable value.
    """
    if name not in REGISTRY:
        raise ValueError(f"unknown reproduction {name!r}; expected one of {sorted(REGISTRY)}")
    entry, grid = REGISTRY[name], grid or {}
    for key, values in grid.items():
        if key not in entry.grid:
            raise ValueError(f"--grid {key}: {name} supports "
                             f"{', '.join(entry.grid) or 'no grid parameters'}")
        for value in values:
            try:
                entry.grid[key][1](value)
            except ValueError as err:
                raise ValueError(f"--grid {key}: cannot read {value!r} ({err})") from None
    points = [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]
    tasks = []
    for seed, point in itertools.product(seeds, points):
        params = {k: _scalar(v) for k, v in point.items()}
        key = "_".join([f"seed{seed}", *(f"{k}{v}" for k, v in point.items())])
        key = re.sub(r"[^\w.-]", "-", key)
        tasks.append({"reproduction": name, "module": entry.module, "stem": entry.stem,
                      "key": key, "index": len(tasks), "seed": seed,
                      "task_seed": _task_seed(seed, params), "params": params,
                      "options": dict(options), "own_cache": own_cache,
                      "kwargs": {entry.grid[k][0]: entry.grid[k][1](v) for k, v in point.items()},
                      "run_dir": str(Path(out).resolve() / "runs" / key)})
    return tasks


def _finished(task: dict, out: Path) -> dict | None:
    """The record of ``task`` already in ``out``, or None; error if it belongs elsewhere."""
    path = out / "records" / f"{task['key']}.json"
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    same = all(record.get(k) == task[k] for k in ("reproduction", "seed", "task_seed",
                                                  "params", "options"))
    if not same:
        raise ValueError(f"{path} is the record of another sweep (reproduction, options or "
                         f"parameters differ); use another --out")
    return record


def _run_local(todo: list[dict], jobs: int, done: Callable, retries: int, log) -> None:
    """Run ``todo`` on ``jobs`` worker processes (joblib); restart the pool if one dies."""
    from joblib import Parallel, delayed
    from joblib.externals.loky.process_executor import BrokenProcessPool

    for attempt in range(retries + 1):
        try:
            results = Parallel(n_jobs=jobs, return_as="generator_unordered")(
                delayed(run_task)(task) for task in todo)
            for record in results:
                done(record)
            return
        except BrokenProcessPool as err:
            todo = [t for t in todo if not done.has(t)]
            again = "running them again" if attempt < retries else "giving up"
            log(f"a worker process died ({type(err).__name__}); {len(todo)} unfinished "
                f"task(s), {again}")


def _run_dask(todo: list[dict], scheduler: str, done: Callable, log) -> None:
    """Run ``todo`` on the workers of the Dask cluster at ``scheduler``."""
    from dask.distributed import Client, as_completed

    with Client(scheduler) as client:
        futures = {client.submit(run_task, task, pure=False): task for task in todo}
        for future in as_completed(futures):
            try:
                done(future.result())
            except Exception as err:  # KilledWorker: its worker died too often
                log(f"{futures[future]['key']}: not finished ({type(err).__name__}: {err})")


class _Done:
    """Writes each record as it arrives and remembers which tasks finished."""

    def __init__(self, out: Path, total: int, log):
        self.out, self.total, self.log, self.keys = out, total, log, set()

    def has(self, task: dict) -> bool:
        return task["key"] in self.keys

    def __call__(self, record: dict) -> None:
        key = record["key"]
        failed = self.out / "failed" / f"{key}.json"
        if record["status"] == "ok":
            self.keys.add(key)
            (self.out / "records" / f"{key}.json").write_text(json.dumps(record, indent=1))
            failed.unlink(missing_ok=True)
            self.log(f"[{len(self.keys)}/{self.total}] {key}: done in "
                     f"{record['seconds']:.0f} s (pid {record['worker']['pid']})")
        else:
            failed.write_text(json.dumps(record, indent=1))
            self.log(f"{key}: failed, see {failed}\n{record['error'].strip().splitlines()[-1]}")


def run_sweep(name: str, seeds: list[int], out: Path, grid: dict[str, list[str]] | None = None,
              epochs: int | None = None, retrain: bool = False, quick: bool = False,
              jobs: int = 1, scheduler: str | None = None, retries: int = 2,
              log: Callable[[str], None] = print) -> dict:
    """Run a sweep (module docstring); write records and the summary into ``out``.

    Parameters
    ----------
    name : str
        Reproduction (key of :data:`~snnlite.experiments.registry.REGISTRY`).
    seeds : list of int
        Root seeds.
    out : Path
        Output folder (created); holds the records of earlier runs of the same sweep.
    grid : dict, optional
        Grid name -> values as typed, e.g. ``{"T": ["8", "16"]}``.
    epochs, retrain, quick
        Passed to every run of the reproduction.
    jobs : int
        Worker processes on this machine (1: run in this process).
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); excludes ``jobs > 1``.
    retries : int
        Pool restarts after a worker process died (``jobs > 1``).
    log : callable
        Receives one line per event.

    Returns
    -------
    dict
        ``summary`` (see :func:`~snnlite.experiments.sweep_summary.summarize`), ``records``
        (finished, in task order), ``failed`` (keys of unfinished tasks), ``text``.
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive int, got {jobs!r}")
    if scheduler is not None and jobs > 1:
        raise ValueError("give --jobs or --scheduler, not both (the cluster has its workers)")
    out = Path(out)
    options = {"epochs": epochs, "retrain": retrain, "quick": quick}
    tasks = make_tasks(name, seeds, grid, out, options, own_cache=jobs > 1 or bool(scheduler))
    for sub in ("records", "failed", "runs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    done = _Done(out, len(tasks), log)
    done.keys = {t["key"] for t in tasks if _finished(t, out) is not None}
    todo = [t for t in tasks if not done.has(t)]
    log(f"{name}: {len(tasks)} task(s), {len(tasks) - len(todo)} already done in {out}")
    if scheduler is not None:
        _run_dask(todo, scheduler, done, log)
    elif jobs > 1:
        _run_local(todo, jobs, done, retries, log)
    else:
        for task in todo:
            done(run_task(task))
    records = [_finished(t, out) for t in tasks if done.has(t)]
    failed = [t["key"] for t in tasks if not done.has(t)]
    summary = summarize(records)
    text = summary_markdown(name, summary, failed)
    (out / "summary.md").write_text(text + "\n")
    (out / "summary.json").write_text(json.dumps(
        {"reproduction": name, "options": options, "summary": summary, "failed": failed},
        indent=1))
    return {"summary": summary, "records": records, "failed": failed, "text": text}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--seeds``, ``--grid``, ``--jobs`` and ``--scheduler`` to ``reproduce``."""
    group = parser.add_argument_group("sweeps (records and a mean ± std summary in --out)")
    group.add_argument("--seeds", type=parse_seeds, help="run once per seed, e.g. 0-4 or 0,2,5")
    group.add_argument("--grid", type=parse_grid_item, nargs="+", metavar="NAME=V1,V2",
                       help="also sweep these parameters, e.g. T=8,16,32 k=0,1 ("
                       + "; ".join(f"{n}: {', '.join(r.grid)}" for n, r in REGISTRY.items()
                                   if r.grid) + ")")
    group.add_argument("--jobs", type=parse_jobs, help="worker processes on this machine (joblib)")
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run the tasks on this Dask cluster")


def requested(args: argparse.Namespace) -> bool:
    """Whether the ``reproduce`` arguments ask for a sweep."""
    return any(getattr(args, k) is not None for k in ("seeds", "grid", "jobs", "scheduler"))


def run_from_args(args: argparse.Namespace) -> int:
    """Run the sweep the ``reproduce`` arguments describe; print the summary.

    Returns 0, or 1 if some task did not finish.
    """
    grid = dict(args.grid or [])
    if len(grid) != len(args.grid or []):
        raise ValueError("--grid: a parameter is given twice")
    result = run_sweep(args.name, args.seeds or [args.seed], Path(args.out), grid,
                       epochs=args.epochs, retrain=args.retrain, quick=args.quick,
                       jobs=args.jobs or 1, scheduler=args.scheduler,
                       log=lambda line: print(line, flush=True))
    print(result["text"])
    return 1 if result["failed"] else 0
