"""The ``snnlite`` command: argument parsing and the cheap sub-commands."""

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from snnlite.cli import build_parser, main
from snnlite.experiments.registry import REGISTRY as REPRODUCTIONS

REPO = Path(__file__).resolve().parents[1]


def test_info_prints_versions_and_search_path(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SNNLITE_DATA", str(tmp_path))
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "snnlite" in out and str(tmp_path / "mnist") in out


def test_parser_knows_every_reproduction():
    parser = build_parser()
    for name in REPRODUCTIONS:
        args = parser.parse_args(["reproduce", name, "--quick", "--epochs", "2"])
        assert args.name == name and args.quick and args.epochs == 2
    with pytest.raises(SystemExit):
        parser.parse_args(["reproduce", "imagenet"])
    assert parser.parse_args(["demo"]).T == 32


@pytest.mark.parametrize("name", sorted(REPRODUCTIONS))
def test_every_reproduction_main_takes_the_cli_arguments(name, tmp_path):
    # the keywords cli._reproduce passes; binding only, nothing runs
    module = REPRODUCTIONS[name].load()
    inspect.signature(module.main).bind(out=tmp_path, epochs=2, seed=0, retrain=False,
                                        quick=True)


def test_reproduce_parses_the_sweep_options():
    from snnlite.experiments import sweep

    parser = build_parser()
    args = parser.parse_args(["reproduce", "zou-mnist", "--seeds", "0-2", "--grid", "T=8,16",
                              "k=0,1", "--jobs", "2", "--quick"])
    assert args.seeds == [0, 1, 2] and args.jobs == 2 and args.scheduler is None
    assert args.grid == [("T", ["8", "16"]), ("k", ["0", "1"])]
    assert sweep.requested(args)
    assert not sweep.requested(parser.parse_args(["reproduce", "zou-mnist", "--seed", "3"]))
    args = parser.parse_args(["reproduce", "qffs-mnist", "--scheduler", "tcp://10.0.0.1:8786"])
    assert sweep.requested(args) and args.scheduler == "tcp://10.0.0.1:8786"
    for bad in (["--seeds", "2-1"], ["--grid", "T"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["reproduce", "zou-mnist", *bad])


# --- user errors: one line on stderr, exit status 2, no traceback ---------------------------

def _one_line_error(capsys, status: int, *names: str) -> str:
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for name in names:
        assert name in err, (name, err)
    return err


@pytest.mark.parametrize("argv, names", [
    (["demo", "-T", "-3"], ["-T", "-3"]),
    (["demo", "-T", "abc"], ["-T", "'abc'"]),
    (["demo", "-T", "0"], ["-T", "positive"]),
    (["bench", "W9"], ["unknown workload 'W9'", "W1, W2, W4, train-lenet"]),
    (["bench", "--repeats", "0"], ["--repeats", "got 0"]),
    (["bench", "--repeats", "two"], ["--repeats", "'two'"]),
    (["reproduce", "imagenet"], ["'imagenet'", "classic-mnist"]),
    (["reproduce", "zou-mnist", "--epochs", "0"], ["--epochs"]),
    (["reproduce", "zou-mnist", "--seed", "-1"], ["--seed", "-1"]),
    (["frobnicate"], ["'frobnicate'", "demo"]),
    ([], ["COMMAND"]),
])
def test_bad_option_values_are_one_line(capsys, argv, names):
    _one_line_error(capsys, main(argv), *names)


@pytest.fixture
def not_a_folder(tmp_path):
    """An --out that cannot be created: its parent is a file (fails as root too)."""
    (tmp_path / "file").write_text("x")
    return str(tmp_path / "file" / "out")


def test_unwritable_out_fails_before_simulating(capsys, monkeypatch, not_a_folder):
    import snnlite.experiments.demo as demo

    def simulate(*args, **kwargs):
        raise AssertionError("the demo ran although --out is unwritable")

    monkeypatch.setattr(demo, "run_demo", simulate)
    _one_line_error(capsys, main(["demo", "--out", not_a_folder]), "--out", not_a_folder)


def test_unwritable_out_of_reproduce_fails_before_running(capsys, monkeypatch, not_a_folder):
    from snnlite.experiments.registry import Reproduction

    never = Reproduction("no.such.module", "never imported", "0 s")
    monkeypatch.setitem(REPRODUCTIONS, "classic-mnist", never)
    _one_line_error(capsys, main(["reproduce", "classic-mnist", "--out", not_a_folder]),
                    "--out", "Not a directory")


def test_missing_dataset_is_one_line(capsys, monkeypatch, tmp_path):
    import snnlite.datasets.idx as idx

    def offline(url, dest):
        raise OSError("network unreachable")

    monkeypatch.delenv("SNNLITE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(idx, "_fetch_url", offline)
    status = main(["reproduce", "classic-mnist", "--quick", "--out", str(tmp_path / "out")])
    err = _one_line_error(capsys, status, "mnist", "not found", "network unreachable",
                          str(tmp_path / ".cache" / "snnlite" / "mnist"))
    assert err.startswith("snnlite reproduce: error:")


def test_library_value_errors_are_one_line(capsys, monkeypatch, tmp_path):
    import snnlite.experiments.bench as bench

    def bad(names, repeats):
        raise ValueError("repeats must be >= 1\n(a two-line message)")

    monkeypatch.setattr(bench, "run_bench", bad)
    _one_line_error(capsys, main(["bench", "W1"]), "repeats must be >= 1 (a two-line message)")


def test_debug_shows_the_traceback(monkeypatch, not_a_folder):
    with pytest.raises(OSError, match="--out"):
        main(["demo", "--debug", "--out", not_a_folder])
    with pytest.raises(OSError, match="--out"):
        main(["--debug", "demo", "--out", not_a_folder])


def _cli(*argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "snnlite.cli", *argv], capture_output=True,
                          text=True, env=env, cwd=REPO)


def test_console_errors_in_a_subprocess(not_a_folder):
    done = _cli("demo", "--out", not_a_folder)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"snnlite demo: error: --out {not_a_folder}: cannot write")
    done = _cli("bench", "--repeats", "0")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    debug = _cli("demo", "--debug", "--out", not_a_folder)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


# --- help texts ------------------------------------------------------------------------------

def _help(capsys, *argv: str) -> str:
    assert main([*argv, "--help"]) == 0
    return capsys.readouterr().out


def test_help_is_plain_text_and_describes_the_options(capsys):
    from snnlite.experiments.bench import WORKLOADS

    texts = {cmd: _help(capsys, *cmd.split()) for cmd in ("", "demo", "reproduce", "bench",
                                                          "info")}
    for text in texts.values():
        assert "``" not in text and ":func:" not in text and ":class:" not in text
    for command in ("demo", "reproduce", "bench", "info"):
        assert command in texts[""]
    lines = texts["reproduce"].splitlines()
    for name in REPRODUCTIONS:  # one line each, with its typical run time
        line = [x for x in lines if x.strip().startswith(name + " ")]
        assert len(line) == 1 and "about" in line[0], name
    lines = texts["bench"].splitlines()
    for name in WORKLOADS:
        assert len([x for x in lines if x.strip().startswith(name + " ")]) == 1, name
    assert "--repeats REPEATS  timed runs per workload" in texts["bench"]
    assert re.search(r"--seed SEED\s+seed of every random choice", texts["reproduce"])


# --- info --------------------------------------------------------------------------------------

def test_info_lists_every_dataset_and_the_kernel_cache(capsys, monkeypatch, tmp_path):
    from snnlite._jit import kernel_cache_dir

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SNNLITE_DATA", str(tmp_path))
    (tmp_path / "mnist").mkdir()  # a corrupted training split, no test split
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (tmp_path / "mnist" / name).write_bytes(b"not the original file")
    assert main(["info"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"kernel cache: {kernel_cache_dir()}" in lines
    at = {title: lines.index(next(x for x in lines if x.startswith(f"  {title}: ")))
          for title in ("MNIST", "Fashion-MNIST", "CIFAR-10")}
    for title, folder in (("MNIST", "mnist"), ("Fashion-MNIST", "fashion-mnist"),
                          ("CIFAR-10", "cifar10")):
        assert str(tmp_path / folder) in lines[at[title]]
        assert str(tmp_path / "home" / ".cache" / "snnlite" / folder) in lines[at[title]]
    mnist = lines[at["MNIST"] + 1]
    assert "train: FOUND BUT UNUSABLE" in mnist and "checksum mismatch" in mnist
    assert "test: not found" in mnist
    for title in ("Fashion-MNIST", "CIFAR-10"):
        assert lines[at[title] + 1].strip() == "train: not found; test: not found"


def test_info_verifies_the_real_datasets(capsys, monkeypatch, tmp_path):
    data = Path(os.environ.get("SNNLITE_DATA") or REPO.parent / "shared" / "data")
    data = data if data.is_absolute() else REPO / data
    if not (data / "mnist").is_dir():
        pytest.skip("needs the real MNIST files in $SNNLITE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SNNLITE_DATA", str(data))
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert ("train: found, checksums verified (60000 images); test: found, checksums verified "
            "(10000 images)") in out


# --- the demo's energy line ------------------------------------------------------------------

class _Report:
    def __init__(self, ann: float, snn: float):
        self.energy = {"energy_ann": ann, "energy_snn": snn}

    def total(self, key: str) -> float:
        return self.energy[key]


def test_demo_energy_is_per_correct_classification():
    from snnlite.experiments.demo import _energy_per_correct

    text = _energy_per_correct(_Report(12e-6, 4e-6), ann=1.0, snn=0.5, T=8, n_classes=10)
    # ANN 12 uJ / 1.0 = 12 uJ per correct answer; SNN 4 uJ / 0.5 = 8 uJ: 1.5x less
    assert "ANN 12 uJ (100.0 % correct), SNN 8 uJ (50.0 % correct at T=8)" in text
    assert text.endswith("the SNN needs 1.5x less")
    # SNN 9 uJ / 0.5 = 18 uJ against 12 uJ: 1.5x more, even though per *sample* it is cheaper
    text = _energy_per_correct(_Report(12e-6, 9e-6), ann=1.0, snn=0.5, T=8, n_classes=10)
    assert text.endswith("the SNN needs 1.5x more")


def test_demo_makes_no_energy_claim_at_chance_level():
    from snnlite.experiments.demo import _energy_per_correct

    text = _energy_per_correct(_Report(10e-6, 1e-6), ann=0.99, snn=0.09, T=1, n_classes=10)
    assert "no energy comparison" in text and "9.0 % correct" in text
    assert "less" not in text and "efficien" not in text


def test_run_bench_checks_repeats_before_running():
    from snnlite.experiments.bench import run_bench

    with pytest.raises(ValueError, match="repeats must be >= 1.*got 0"):
        run_bench(["W1"], repeats=0)
    with pytest.raises(TypeError, match="repeats must be an integer >= 1, got float"):
        run_bench(["W1"], repeats=1.5)
    with pytest.raises(ValueError, match=r"unknown workloads \['W9'\]"):
        run_bench(["W9"])


@pytest.mark.parametrize("jobs", ["0", "-2", "two"])
def test_bad_jobs_is_one_line(capsys, jobs):
    status = main(["reproduce", "zou-mnist", "--quick", "--seeds", "0", "--jobs", jobs])
    _one_line_error(capsys, status, "--jobs")
