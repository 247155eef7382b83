"""The ``snnlite`` command: ``demo``, ``reproduce NAME``, ``bench``, ``info``.

A user error (a bad option value, an output folder that cannot be written, a missing dataset,
an invalid argument rejected by the library) prints one line to stderr and exits with status
2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .experiments.registry import REGISTRY

__all__ = ["main"]

_DATASETS = {"MNIST": "mnist", "Fashion-MNIST": "fashion-mnist", "CIFAR-10": "cifar10"}
#: Exceptions that mean "the user asked for something that cannot be done": one line, exit 2.
USER_ERRORS = (ValueError, TypeError, OSError)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: ``prog: error: message``."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _int_at_least(low: int, expected: str):
    """An argparse ``type`` accepting integers >= ``low`` (``expected`` words the rule)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1, "a positive integer")
_seed = _int_at_least(0, "an integer >= 0")


def _workload(name: str) -> str:
    from .experiments.bench import WORKLOADS

    if name not in WORKLOADS:
        raise argparse.ArgumentTypeError(f"unknown workload {name!r}; choose from "
                                         + ", ".join(WORKLOADS))
    return name


def _writable_out(out: str) -> Path:
    """``out`` as a directory we can write (created if needed), else OSError naming it."""
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise OSError(f"--out {out}: cannot write output files there "
                      f"({err.strerror or err})") from err
    return path


def _demo(args) -> int:
    from .experiments.demo import run_demo

    run_demo(_writable_out(args.out), T=args.T)
    return 0


def _reproduce(args) -> int:
    from .experiments import sweep

    out = _writable_out(args.out)
    if sweep.requested(args):
        return sweep.run_from_args(args)
    module = REGISTRY[args.name].load()
    module.main(out=out, epochs=args.epochs, seed=args.seed, retrain=args.retrain,
                quick=args.quick)
    return 0


def _bench(args) -> int:
    from .experiments.bench import run_bench

    if args.scaling:
        from .experiments.bench_scaling import run_scaling

        run_scaling(args.out, repeats=args.repeats)
        return 0
    run_bench(args.workloads, repeats=args.repeats)
    return 0


def _dataset_status(name: str, split: str) -> str:
    """Whether ``split`` of dataset ``name`` is found and verified, using the loaders."""
    from .datasets import load_cifar10, load_fashion_mnist, load_mnist

    loader = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist,
              "cifar10": load_cifar10}[name]
    try:
        x, _ = loader(split, download=False)
    except FileNotFoundError:
        return f"{split}: not found"
    except (OSError, ValueError) as err:
        return f"{split}: FOUND BUT UNUSABLE: {' '.join(str(err).split())}"
    check = "checksums verified" if name != "cifar10" else "records read (no published checksums)"
    return f"{split}: found, {check} ({len(x)} images)"


def _info(args) -> int:
    import platform

    import numba
    import numpy as np

    from . import __version__
    from ._jit import CACHE_DIR_FROM_ENV, kernel_cache_dir
    from .datasets import data_dirs

    print(f"snnlite {__version__}  python {platform.python_version()}  numpy {np.__version__}  "
          f"numba {numba.__version__}")
    print(f"kernel cache: {kernel_cache_dir()}"
          + (" (from NUMBA_CACHE_DIR)" if CACHE_DIR_FROM_ENV else ""))
    print("datasets (directories searched in order; SNNLITE_DATA="
          f"{os.environ.get('SNNLITE_DATA', '(not set)')}):")
    for title, name in _DATASETS.items():
        print(f"  {title}: " + ", ".join(map(str, data_dirs(name))))
        print("    " + "; ".join(_dataset_status(name, split) for split in ("train", "test")))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``snnlite`` command."""
    from .experiments.bench import SUMMARIES

    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the full traceback of an error")
    parser = _Parser(prog="snnlite", parents=[debug],
                     description="snnlite: a CPU-only spiking-neural-network simulator and "
                     "teaching kit (NumPy + Numba).",
                     epilog="'snnlite COMMAND --help' describes each command.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[debug], help="convert the shipped LeNet and "
                          "simulate the bundled MNIST sample (under 30 s)",
                          description="Convert the shipped LeNet (99.9 % normalisation, IF "
                          "neurons), simulate the 1 000 bundled MNIST test digits, print the "
                          "accuracy per time step and the spike and energy counts, and write "
                          "three figures.")
    demo.add_argument("--out", default="snnlite-demo",
                      help="folder for the figures, created if needed (default: %(default)s)")
    demo.add_argument("-T", type=_positive_int, default=32,
                      help="time steps to simulate (default: %(default)s)")
    demo.set_defaults(func=_demo)

    from .experiments import sweep

    lines = [f"  {name:<14} {r.description} ({r.minutes})" for name, r in REGISTRY.items()]
    rep = sub.add_parser("reproduce", parents=[debug],
                         help="run a named reproduction on the full dataset",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Run a named reproduction on the full dataset(s) and "
                         "write its report and figures to --out.",
                         epilog="reproductions (run times on a 2-core machine, default "
                         "settings):\n" + "\n".join(lines))
    rep.add_argument("name", choices=sorted(REGISTRY), metavar="NAME",
                     help="one of: " + ", ".join(sorted(REGISTRY)))
    rep.add_argument("--out", default="snnlite-results",
                     help="output folder, created if needed (default: %(default)s)")
    rep.add_argument("--epochs", type=_positive_int, default=None,
                     help="training epochs (default: the reproduction's own)")
    rep.add_argument("--seed", type=_seed, default=0,
                     help="seed of every random choice: weight initialisation, data order, "
                     "Poisson spikes (default: %(default)s)")
    rep.add_argument("--retrain", action="store_true", help="train even if weights are cached")
    rep.add_argument("--quick", action="store_true",
                     help="panda-fashion, stdp-mnist: tiny budgets (a smoke test); "
                     "classic-, qffs-mnist: only 1 000 test images (models not shipped "
                     "or cached in --out are still trained); zou-mnist: k = 0 trained for 1 "
                     "epoch on 5 000 images per seed, 1 000 test images")
    sweep.add_arguments(rep)
    rep.set_defaults(func=_reproduce)

    lines = [f"  {name:<12} {text}" for name, text in SUMMARIES.items()]
    bench = sub.add_parser("bench", parents=[debug], help="time the standard workloads",
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="Time the standard workloads and compare each with "
                           "this machine's dense matrix-product floor.",
                           epilog="workloads:\n" + "\n".join(lines))
    bench.add_argument("workloads", nargs="*", type=_workload, metavar="WORKLOAD",
                       help="workloads to run (default: all)")
    bench.add_argument("--repeats", type=_positive_int, default=3,
                       help="timed runs per workload after one warm-up run; the fastest is "
                       "reported (default: %(default)s)")
    bench.add_argument("--scaling", action="store_true",
                       help="time W1 per sample against input density, T and batch size on "
                       "the dense and event paths; store the crossover density; write "
                       "scaling.md/.png to --out")
    bench.add_argument("--out", default="bench-scaling",
                       help="folder for --scaling's report (default: %(default)s)")
    bench.set_defaults(func=_bench)

    info = sub.add_parser("info", parents=[debug], help="versions, kernel cache, datasets",
                          description="Print the versions, the kernel cache directory, and "
                          "for each dataset where it is looked for and whether its files "
                          "were found and verified (reading full MNIST takes a moment).")
    info.set_defaults(func=_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``snnlite`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help (0) or a usage error, already printed (2)
        return done.code if isinstance(done.code, int) else 2
    if getattr(args, "debug", False):
        return args.func(args)
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except USER_ERRORS as err:
        message = " ".join(str(err).split()) or type(err).__name__
        print(f"snnlite {args.command}: error: {message} (--debug shows the traceback)",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"snnlite {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
