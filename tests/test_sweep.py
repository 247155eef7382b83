"""Sweeps over seeds and grids (issue 15): records, summary, resume, determinism across
workers (in-process vs a local Dask cluster), own Numba cache per worker, dying workers.

The reproduction swept is ``tests/sweep_toy.py``, registered here under the name "toy"."""

import argparse
import json
import os
from pathlib import Path

import numpy as np
import pytest
import sweep_toy

from snnlite.cli import main
from snnlite.experiments import registry, sweep
from snnlite.experiments.sweep_worker import claim_cache_dir

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


@pytest.fixture(autouse=True)
def toy(monkeypatch):
    entry = registry.Reproduction("sweep_toy", "test-only toy", "1 s", {"T": ("T", int)})
    monkeypatch.setitem(registry.REGISTRY, "toy", entry)


@pytest.fixture(scope="module")
def worker_env(tmp_path_factory):
    """Worker processes import the toy from tests/ and cache kernels under a fresh folder."""
    base = tmp_path_factory.mktemp("numba")
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "NUMBA_CACHE_DIR")}
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS)])
    os.environ["NUMBA_CACHE_DIR"] = str(base)
    yield base
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def cluster(worker_env):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as local:
        yield local


def reproduce(out: Path, *extra: str) -> int:
    return main(["reproduce", "toy", "--out", str(out), *extra])


def records(out: Path) -> dict:
    return {p.stem: json.loads(p.read_text()) for p in (out / "records").glob("*.json")}


def without_run_details(recs: dict) -> dict:
    return {k: {f: v for f, v in r.items() if f not in ("seconds", "worker")}
            for k, r in recs.items()}


def ran(out: Path) -> list[str]:
    log = out / "ran.log"
    return log.read_text().split() if log.exists() else []


def test_parse_seeds_and_grid():
    assert sweep.parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert sweep.parse_seeds("3,0,7-8") == [3, 0, 7, 8]
    for bad in ("", "a", "4-2", "-1", "1,1", "0-2,2"):
        with pytest.raises(argparse.ArgumentTypeError, match="--seeds"):
            sweep.parse_seeds(bad)
    assert sweep.parse_grid_item("T=8,16,32") == ("T", ["8", "16", "32"])
    for bad in ("T", "T=", "T=8,,16", "=8", "T=8,8"):
        with pytest.raises(argparse.ArgumentTypeError, match="--grid"):
            sweep.parse_grid_item(bad)


def test_task_seeds_depend_on_seed_and_grid_point_only(tmp_path):
    opts = {"epochs": None, "retrain": False, "quick": False}
    tasks = sweep.make_tasks("toy", [0, 1], {"T": ["8", "16"]}, tmp_path, opts, False)
    assert [(t["seed"], t["params"]) for t in tasks] == [
        (0, {"T": 8}), (0, {"T": 16}), (1, {"T": 8}), (1, {"T": 16})]
    assert [t["kwargs"] for t in tasks] == [{"T": 8}, {"T": 16}] * 2
    assert len({t["task_seed"] for t in tasks}) == 4
    # the same (seed, point) in another sweep (other seeds, other grid values) keeps its seed
    other = sweep.make_tasks("toy", [5, 1], {"T": ["16", "4"]}, tmp_path, opts, False)
    assert other[2]["task_seed"] == tasks[3]["task_seed"]
    zou = sweep.make_tasks("zou-mnist", [0], {"k": ["1"]}, tmp_path, opts, False)
    assert zou[0]["kwargs"] == {"levels": (1,)} and zou[0]["params"] == {"k": 1}
    with pytest.raises(ValueError, match="--grid k: toy supports T"):
        sweep.make_tasks("toy", [0], {"k": ["1"]}, tmp_path, opts, False)
    with pytest.raises(ValueError, match="cannot read 'x'"):
        sweep.make_tasks("toy", [0], {"T": ["x"]}, tmp_path, opts, False)
    with pytest.raises(ValueError, match="supports no grid"):
        sweep.make_tasks("panda-fashion", [0], {"T": ["8"]}, tmp_path, opts, False)


def test_sweep_writes_records_and_summary_and_resumes(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert reproduce(out, "--seeds", "0-2", "--grid", "T=4,8") == 0
    recs = records(out)
    assert len(recs) == 6 and sorted(ran(out)) == sorted(recs)
    for key, rec in recs.items():
        assert rec["status"] == "ok" and rec["key"] == key
        assert set(rec["versions"]) == {"snnlite", "numpy", "numba", "python"}
        assert rec["seconds"] > 0 and rec["worker"]["pid"] == os.getpid()
        # the record holds exactly what the reproduction computes with the task's seed
        direct = sweep_toy.main(tmp_path / "direct" / "runs" / key, seed=rec["task_seed"],
                                **rec["params"])
        assert rec["results"] == direct
    summary = json.loads((out / "summary.json").read_text())["summary"]
    assert [g["params"] for g in summary] == [{"T": 4}, {"T": 8}]
    for group in summary:
        rates = [r["results"]["rate"] for r in recs.values() if r["params"] == group["params"]]
        last = [r["results"]["counts_per_step"][-1] for r in recs.values()
                if r["params"] == group["params"]]
        assert group["seeds"] == [0, 1, 2]
        assert group["metrics"]["rate"]["mean"] == pytest.approx(np.mean(rates))
        assert group["metrics"]["rate"]["std"] == pytest.approx(np.std(rates, ddof=1))
        assert group["metrics"]["counts_per_step[-1]"]["mean"] == pytest.approx(np.mean(last))
    text = capsys.readouterr().out
    assert "| rate | " in text and " ± " in text and (out / "summary.md").exists()
    # the same command again resumes: nothing runs, the summary is the same
    before = (out / "summary.json").read_text()
    assert reproduce(out, "--seeds", "0-2", "--grid", "T=4,8") == 0
    assert len(ran(out)) == 6 and "6 already done" in capsys.readouterr().out
    assert (out / "summary.json").read_text() == before
    # a record of other options is not silently reused
    # (the CLI reports it as one line and exits 2)
    assert reproduce(out, "--seeds", "0", "--grid", "T=4", "--quick") == 2
    assert "record of another sweep" in capsys.readouterr().err


def test_sweep_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="not both"):
        sweep.run_sweep("toy", [0], tmp_path, jobs=2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="jobs must be a positive int"):
        sweep.run_sweep("toy", [0], tmp_path, jobs=0)
    with pytest.raises(ValueError, match="unknown reproduction 'nope'"):
        sweep.run_sweep("nope", [0], tmp_path)


def test_failed_run_is_reported_and_retried_on_the_next_run(tmp_path, capsys):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "fail-once").touch()
    assert reproduce(out, "--seeds", "0-1") == 1
    assert len(records(out)) == 1
    failed = list((out / "failed").glob("*.json"))
    assert len(failed) == 1 and "fail-once" in json.loads(failed[0].read_text())["error"]
    assert "Failed" in capsys.readouterr().out
    assert reproduce(out, "--seeds", "0-1") == 0
    assert len(records(out)) == 2 and not list((out / "failed").glob("*.json"))
    assert len(ran(out)) == 2


def test_claimed_cache_dirs_are_exclusive_while_held(tmp_path):
    first, lock = claim_cache_dir(tmp_path)
    second, lock2 = claim_cache_dir(tmp_path)
    assert first != second and first.is_dir() and second.is_dir()
    lock.close()
    again, lock3 = claim_cache_dir(tmp_path)
    assert again == first
    lock2.close()
    lock3.close()


def assert_own_caches(recs: dict, base: Path, no_restarts: bool = False):
    """Each worker process compiled the toy's kernel into its own cache directory."""
    dirs = {}
    for rec in recs.values():
        worker = rec["worker"]
        assert worker["pid"] != os.getpid()
        dirs.setdefault(worker["numba_cache_dir"], set()).add(worker["pid"])
    for cache in dirs:
        assert Path(cache).parent == base and Path(cache).name.startswith("sweep-worker-")
        assert list(Path(cache).rglob("*_if_scan*.nbi")), f"no compiled kernel in {cache}"
    if no_restarts:  # then all workers lived at the same time: one pid per directory
        assert all(len(pids) == 1 for pids in dirs.values())


def test_records_do_not_depend_on_the_workers(tmp_path, cluster, worker_env):
    args = ("--seeds", "0-3", "--grid", "T=4,8")
    assert reproduce(tmp_path / "one", *args) == 0
    assert reproduce(tmp_path / "dask", *args, "--scheduler", cluster.scheduler_address) == 0
    one, dask = records(tmp_path / "one"), records(tmp_path / "dask")
    assert len(one) == 8 and without_run_details(one) == without_run_details(dask)
    assert_own_caches(dask, worker_env, no_restarts=True)
    assert len({r["worker"]["pid"] for r in dask.values()}) == 2


def test_a_dying_dask_worker_loses_only_its_task(tmp_path, cluster, worker_env):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "crash-once").touch()
    assert reproduce(out, "--seeds", "0-3", "--scheduler", cluster.scheduler_address) == 0
    assert not (out / "crash-once").exists()  # a worker did die
    assert len(records(out)) == 4 and sorted(ran(out)) == sorted(records(out))


def test_a_dying_local_worker_is_retried_and_the_sweep_resumes(tmp_path, worker_env, capsys):
    pytest.importorskip("joblib")
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "crash-once").touch()
    assert reproduce(out, "--seeds", "0-3", "--jobs", "2") == 0
    assert not (out / "crash-once").exists()
    assert "a worker process died" in capsys.readouterr().out
    recs = records(out)
    assert len(recs) == 4 and set(ran(out)) == set(recs)
    assert_own_caches(recs, worker_env)
    runs = len(ran(out))
    assert reproduce(out, "--seeds", "0-3", "--jobs", "2") == 0
    assert len(ran(out)) == runs and without_run_details(records(out)) == without_run_details(
        recs)
