"""The named reproductions of ``snnlite reproduce NAME``, in one table the CLI reads.

A new reproduction is one module ``snnlite/experiments/<module>.py`` with a
``main(out, epochs=None, seed=0, retrain=False, quick=False, ...)`` that writes its report with
:func:`~snnlite.experiments.report.write_report` (stem = the module's name), plus its test,
plus one :class:`Reproduction` line in :data:`REGISTRY`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

__all__ = ["REGISTRY", "Reproduction"]


@dataclass(frozen=True)
class Reproduction:
    """One named reproduction.

    Attributes
    ----------
    module : str
        Importable module with the ``main`` function.
    description : str
        One line for ``--help`` and the README.
    minutes : str
        Typical run time on a 2-core machine, full and ``--quick`` (estimates from the wall
        times in CHANGELOG.md, which were measured on a shared machine).
    grid : dict
        Parameters a sweep may vary (``--grid T=8,16``): grid name -> ``(main keyword,
        conversion of one value)``; for example ``"k": ("levels", lambda k: (int(k),))``.
    """

    module: str
    description: str
    minutes: str
    grid: dict[str, tuple[str, Callable[[str], Any]]] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        """File stem of the report (``<stem>.md``, ``<stem>.json``): the module's name."""
        return self.module.rsplit(".", 1)[-1]

    def load(self) -> ModuleType:
        """Import and return the module."""
        return importlib.import_module(self.module)


REGISTRY: dict[str, Reproduction] = {
    "classic-mnist": Reproduction(
        "snnlite.experiments.classic_mnist",
        "LeNet on MNIST, converted by data-based normalisation and threshold balancing",
        "about 1 h; quick about 10 min", {"T": ("T", int)}),
    "qffs-mnist": Reproduction(
        "snnlite.experiments.qffs_mnist",
        "2-bit QANN -> QFFS SNN: LeNet/MNIST with ablations, small ResNet/Fashion-MNIST",
        "about 1.5 h with the shipped QANNs; quick about 20 min", {"T": ("T", int)}),
    "zou-mnist": Reproduction(
        "snnlite.experiments.zou_mnist",
        "all-integer ternary LeNet for k = 0, 1, 2 (Zou et al.)",
        "about 1.5 h (k = 1, 2 trained); quick about 1 min",
        {"T": ("T", int), "k": ("levels", lambda k: (int(k),))}),
    "panda-fashion": Reproduction(
        "snnlite.experiments.panda_fashion",
        "Panda et al. on Fashion-MNIST: AGD, BackRes, stochmax, hybrid, conversion",
        "several hours; quick about 2 min"),
    "stdp-mnist": Reproduction(
        "snnlite.experiments.stdp_mnist",
        "Diehl & Cook and layer-wise conv STDP on MNIST and Fashion-MNIST",
        "several hours; quick about 1 min"),
}
