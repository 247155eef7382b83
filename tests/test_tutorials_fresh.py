"""The committed tutorials carry outputs made by their current code (``tutorials/refresh.py``).

The notebooks themselves are executed by nbmake (``python -m pytest tutorials/``); here we only
check what was committed: the stored hash of the code cells matches the code, every code cell
was run once, in order, without error, the figures are there, and the stated run time is the
measured one (the idle 2-core estimate of refresh.py) and under 30 s.
"""

import importlib.util
import json
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
MAX_SECONDS = 30

_spec = importlib.util.spec_from_file_location("refresh", TUTORIALS / "refresh.py")
refresh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refresh)


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_tutorial_is_checked():
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_come_from_the_current_code(path):
    nb = load(path)
    stored = nb["metadata"].get(refresh.KEY, {})
    hint = f"run: python tutorials/refresh.py {path.stem}"
    assert stored.get("code_sha256") == refresh.code_hash(nb), f"{path.name}: stale; {hint}"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), \
        f"{path.name}: not run top to bottom in one kernel; {hint}"
    outputs = [o for c in code for o in c["outputs"]]
    assert outputs, f"{path.name}: no outputs; {hint}"
    assert not [o for o in outputs if o["output_type"] == "error"]
    draws = any("plot." in "".join(c["source"]) or "plt." in "".join(c["source"]) for c in code)
    figures = sum("image/png" in o.get("data", {}) for o in outputs)
    assert figures > 0 or not draws, f"{path.name}: draws figures but none is stored"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_states_its_measured_run_time(path):
    nb = load(path)
    times = nb["metadata"][refresh.KEY]
    seconds = times["run_seconds"]
    assert seconds == refresh.two_core_seconds(times) >= times["main_seconds"]
    assert refresh.stated_runtime(nb) == refresh.runtime_line(seconds)
    assert seconds < MAX_SECONDS, f"{path.name} runs {seconds} s (limit {MAX_SECONDS} s)"


def test_hash_follows_code_cells_only():
    nb = {"cells": [{"cell_type": "markdown", "source": ["# title"]},
                    {"cell_type": "code", "source": ["x = 1\n", "print(x)"]}]}
    before = refresh.code_hash(nb)
    nb["cells"][0]["source"] = ["# another title"]
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "text": "1"}]
    assert refresh.code_hash(nb) == before  # markdown and outputs do not count
    nb["cells"][1]["source"] = ["x = 2\n", "print(x)"]
    assert refresh.code_hash(nb) != before
    nb["cells"].append({"cell_type": "code", "source": [""]})
    assert refresh.code_hash(nb) != refresh.code_hash({"cells": nb["cells"][:2]})


def test_runtime_line_round_trip():
    nb = {"cells": [{"cell_type": "markdown",
                     "source": "# 01\n\nText.\n\n" + refresh.runtime_line(12.4)}]}
    assert refresh.stated_runtime(nb) == "*Runs in about 12 s on a 2-core machine.*"
    assert refresh.runtime_line(0.2) == "*Runs in about 1 s on a 2-core machine.*"
