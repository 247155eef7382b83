"""The ``snnlite`` command: ``demo``, ``reproduce NAME``, ``bench``, ``info``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .experiments.registry import REGISTRY

__all__ = ["main"]


def _demo(args) -> int:
    from .experiments.demo import run_demo

    run_demo(Path(args.out), T=args.T)
    return 0


def _reproduce(args) -> int:
    from .experiments import sweep

    if sweep.requested(args):
        return sweep.run_from_args(args)
    module = REGISTRY[args.name].load()
    module.main(out=Path(args.out), epochs=args.epochs, seed=args.seed, retrain=args.retrain,
                quick=args.quick)
    return 0


def _bench(args) -> int:
    from .experiments.bench import run_bench

    run_bench(args.workloads, repeats=args.repeats)
    return 0


def _info(args) -> int:
    import platform

    import numba
    import numpy as np

    from . import __version__
    from .datasets import data_dirs

    print(f"snnlite {__version__}  python {platform.python_version()}  numpy {np.__version__}  "
          f"numba {numba.__version__}")
    print("dataset search path:", *map(str, data_dirs("mnist")), sep="\n  ")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``snnlite`` command."""
    from .experiments import sweep

    parser = argparse.ArgumentParser(prog="snnlite", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="convert the bundled LeNet and simulate the MNIST sample")
    demo.add_argument("--out", default="snnlite-demo", help="output folder for the figures")
    demo.add_argument("-T", type=int, default=32, help="time steps to simulate")
    demo.set_defaults(func=_demo)

    rep = sub.add_parser("reproduce", help="run a named reproduction on the full dataset")
    rep.add_argument("name", choices=sorted(REGISTRY), help="; ".join(
        f"{name}: {r.description} ({r.minutes} on 2 cores)" for name, r in REGISTRY.items()))
    rep.add_argument("--out", default="snnlite-results", help="output folder")
    rep.add_argument("--epochs", type=int, default=None, help="training epochs (default: the "
                     "reproduction's own)")
    rep.add_argument("--seed", type=int, default=0)
    rep.add_argument("--retrain", action="store_true", help="train even if weights are cached")
    rep.add_argument("--quick", action="store_true",
                     help="panda-fashion, stdp-mnist: tiny budgets (a smoke test); "
                     "classic-, qffs-mnist: only 1 000 test images (models not shipped "
                     "or cached in --out are still trained); zou-mnist: k = 0 trained for 1 "
                     "epoch on 5 000 images per seed, 1 000 test images")
    sweep.add_arguments(rep)
    rep.set_defaults(func=_reproduce)

    bench = sub.add_parser("bench", help="time the standard workloads")
    bench.add_argument("workloads", nargs="*", help="subset to run (default: all)")
    bench.add_argument("--repeats", type=int, default=3)
    bench.set_defaults(func=_bench)

    info = sub.add_parser("info", help="versions and dataset search path")
    info.set_defaults(func=_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``snnlite`` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
