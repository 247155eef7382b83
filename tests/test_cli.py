"""The ``snnlite`` command: argument parsing and the cheap sub-commands."""

import inspect

import pytest

from snnlite.cli import build_parser, main
from snnlite.experiments.registry import REGISTRY as REPRODUCTIONS


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
