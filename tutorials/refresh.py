"""Re-execute tutorial notebooks in place, so their committed outputs come from the current code.

Usage (from anywhere, with ``SNNLITE_DATA`` set as for the tests)::

    python tutorials/refresh.py                 # every notebook in this folder
    python tutorials/refresh.py 04 07_surrogate  # notebooks whose name starts with these

Each notebook runs top to bottom in a fresh kernel, in this folder, importing snnlite from this
checkout, and is saved with its outputs. Its metadata ``"snnlite"`` records the SHA-256 of its
code cells (``code_sha256``) and the run time of its cells (kernel start excluded): wall-clock
(``wall_seconds``), CPU time of the whole kernel (``cpu_seconds``) and of its main thread
(``main_seconds``). The first cell's last line states ``run_seconds``, the time on an idle
2-core machine estimated without needing one: ``max(main_seconds, cpu_seconds / 2)``. The main
thread runs every cell and takes part in each parallel product, and two cores do at most two
seconds of CPU work per second; on a busy machine wall-clock time also counts other jobs.
``tests/test_tutorials_fresh.py`` fails when a notebook's code changed after its last refresh.
A cell error stops the refresh of that notebook and leaves the file untouched.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
KEY = "snnlite"
TIMEOUT = 600  # seconds per cell
RUNTIME = re.compile(r"\n*\*Runs in about \d+ s[^\n]*\*$")


def code_hash(nb) -> str:
    """SHA-256 of a notebook's code cells (their sources, in order)."""
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return hashlib.sha256(json.dumps(sources).encode()).hexdigest()


def runtime_line(seconds: float) -> str:
    """The sentence the first cell ends with, e.g. ``*Runs in about 12 s on a 2-core machine.*``."""
    return f"*Runs in about {max(1, round(seconds))} s on a 2-core machine.*"


def stated_runtime(nb) -> str | None:
    """The runtime sentence at the end of the first cell, or None."""
    found = RUNTIME.search("".join(nb["cells"][0]["source"]))
    return found.group(0).strip() if found else None


def cpu_times(process: psutil.Process) -> tuple[float, float]:
    """CPU seconds (user + system) of ``process``'s main thread and of the whole process."""
    main = next(t for t in process.threads() if t.id == process.pid)
    return main.user_time + main.system_time, sum(process.cpu_times()[:2])


def two_core_seconds(times: dict) -> float:
    """Run time on an idle 2-core machine: ``max(main_seconds, cpu_seconds / 2)``."""
    return round(max(times["main_seconds"], times["cpu_seconds"] / 2), 1)


def refresh(path: Path) -> dict:
    """Execute ``path`` in place, record hash and run times; return the ``"snnlite"`` metadata."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        kernel = psutil.Process(client.km.provisioner.process.pid)
        main, cpu, wall = *cpu_times(kernel), time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        main_end, cpu_end = cpu_times(kernel)
        wall = time.perf_counter() - wall
    client.set_widgets_metadata()
    main, cpu = main_end - main, cpu_end - cpu
    first = nb.cells[0]
    times = {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
             "main_seconds": round(main, 1)}
    times["run_seconds"] = two_core_seconds(times)
    first.source = RUNTIME.sub("", first.source).rstrip() + "\n\n" + runtime_line(
        times["run_seconds"])
    nb.metadata[KEY] = {"code_sha256": code_hash(nb), **times}
    nbformat.write(nb, path)
    return nb.metadata[KEY]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    args = parser.parse_args(argv)
    notebooks = sorted(HERE.glob("*.ipynb"))
    chosen = [p for p in notebooks if not args.names or any(p.name.startswith(n)
                                                           for n in args.names)]
    if not chosen:
        parser.error(f"no notebook starts with {args.names}; have {[p.name for p in notebooks]}")
    # the kernels import snnlite from this checkout: the outputs are those of its code
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(HERE.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    for path in chosen:
        print(f"{path.name}: ", end="", flush=True)
        times = refresh(path)
        print(f"{times['run_seconds']} s (wall-clock {times['wall_seconds']} s, "
              f"kernel CPU, all threads {times['cpu_seconds']} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
