"""One task of a sweep, as a worker process runs it: its own Numba cache, the run, its record.

Numba's on-disk cache is not safe when several processes compile the same kernel into one
directory at once, so a worker process (``--jobs``, Dask) first claims a cache directory of
its own, ``<base>/sweep-worker-<i>``: the lowest ``i`` whose lock file no living process
holds (an exclusive ``flock``, released when the process ends). ``base`` is the worker's
``NUMBA_CACHE_DIR``, else ``~/.cache/snnlite/numba``. A worker started later reuses a free
directory, so the compiled kernels survive from one sweep to the next. The claim sets
``NUMBA_CACHE_DIR`` before the reproduction is imported (this module imports neither numba
nor the kernels).

A task is a plain dict (see :func:`snnlite.experiments.sweep.make_tasks`); :func:`run_task`
returns its record, a JSON-ready dict.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import platform
import socket
import sys
import time
import traceback
from pathlib import Path

__all__ = ["claim_cache_dir", "run_task", "versions"]

_CLAIMED: dict[str, object] = {}  # this process's claim: {"dir": str, "lock": open file}


def _default_base() -> Path:
    env = os.environ.get("NUMBA_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "snnlite" / "numba"


def claim_cache_dir(base: Path | None = None) -> tuple[Path, object]:
    """Claim a Numba cache directory no other living process uses.

    Parameters
    ----------
    base : Path, optional
        Parent folder (default: ``NUMBA_CACHE_DIR`` or ``~/.cache/snnlite/numba``).

    Returns
    -------
    directory : Path
        ``base / f"sweep-worker-{i}"`` (created).
    lock : file object
        Holds the claim while open; closing it (or the process ending) releases it.
    """
    base = _default_base() if base is None else Path(base)
    base.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # no flock (Windows): one directory per process
        directory = base / f"sweep-worker-pid{os.getpid()}"
        directory.mkdir(exist_ok=True)
        return directory, None
    i = 0
    while True:
        lock = open(base / f"sweep-worker-{i}.lock", "w")  # held open: the claim
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            i += 1
            continue
        directory = base / f"sweep-worker-{i}"
        directory.mkdir(exist_ok=True)
        return directory, lock


def _use_own_cache() -> str:
    """Claim this process's cache directory once and point Numba at it; return it."""
    if "dir" not in _CLAIMED:
        directory, _CLAIMED["lock"] = claim_cache_dir()
        _CLAIMED["dir"] = str(directory)
        os.environ["NUMBA_CACHE_DIR"] = _CLAIMED["dir"]
        if "numba" in sys.modules:  # kernels decorated from now on use it too
            sys.modules["numba"].core.config.CACHE_DIR = _CLAIMED["dir"]
    return _CLAIMED["dir"]


def versions() -> dict:
    """Versions of snnlite, NumPy, Numba and Python (for a run's record)."""
    import numba
    import numpy

    from .. import __version__

    return {"snnlite": __version__, "numpy": numpy.__version__, "numba": numba.__version__,
            "python": platform.python_version()}


def run_task(task: dict) -> dict:
    """Run one reproduction task and return its record (never raises for a failed run).

    The reproduction's ``main(out=run_dir, seed=task_seed, **options, **kwargs)`` runs with
    its printed output and progress bars sent to ``run_dir/log.txt``; its results are the
    JSON report it writes (``run_dir/<stem>.json``).

    Returns
    -------
    dict
        ``task``'s identity (``reproduction``, ``key``, ``index``, ``seed``, ``task_seed``,
        ``params``, ``options``), ``status`` ("ok" or "failed"), ``results`` (or ``error``,
        a traceback), ``versions``, ``seconds`` and ``worker`` (host, pid, Numba cache).
    """
    start = time.perf_counter()
    cache = _use_own_cache() if task["own_cache"] else os.environ.get("NUMBA_CACHE_DIR")
    record = {k: task[k] for k in ("reproduction", "key", "index", "seed", "task_seed",
                                   "params", "options")}
    run_dir = Path(task["run_dir"])
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        module = importlib.import_module(task["module"])
        with open(run_dir / "log.txt", "w") as log, contextlib.redirect_stdout(log), \
                contextlib.redirect_stderr(log):
            module.main(out=run_dir, seed=task["task_seed"], **task["options"],
                        **task["kwargs"])
        record.update(status="ok", results=json.loads((run_dir / f"{task['stem']}.json")
                                                      .read_text()))
    except Exception:  # a failed run is reported in its record, the sweep goes on
        record.update(status="failed", error=traceback.format_exc())
    record.update(versions=versions(), seconds=time.perf_counter() - start,
                  worker={"host": socket.gethostname(), "pid": os.getpid(),
                          "numba_cache_dir": cache})
    return record
