"""snnlite: a CPU-only spiking-neural-network simulator and teaching kit (NumPy + Numba).

Sub-packages are imported on first use, so ``import snnlite`` stays fast and never compiles
a kernel: ``snnlite.nn``, ``snnlite.neurons``, ``snnlite.snn``, ``snnlite.convert``,
``snnlite.learn``, ``snnlite.analysis``, ``snnlite.plot``, ``snnlite.datasets``.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {"nn", "neurons", "snn", "convert", "learn", "analysis", "plot", "datasets",
               "experiments"}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
