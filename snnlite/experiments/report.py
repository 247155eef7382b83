"""What every reproduction repeats: its report files, "cached weights or train", the quick subset.

A reproduction ``snnlite/experiments/<name>.py`` writes ``<name>.md`` (the human-readable
tables) and ``<name>.json`` (the same numbers for programs, and the results a sweep records,
see :mod:`~snnlite.experiments.sweep`) into its output folder, with :func:`write_report`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["QUICK_TEST", "cached", "quick_subset", "write_json", "write_report"]

#: Test images evaluated by ``--quick`` (the first ones of the test set).
QUICK_TEST = 1000


def write_json(out: Path, stem: str, data: Any) -> None:
    """Write ``data`` to ``out/<stem>.json`` (indent 1; values JSON cannot hold as ``str``)."""
    (Path(out) / f"{stem}.json").write_text(json.dumps(data, indent=1, default=str))


def write_report(out: Path, stem: str, text: str, data: Any) -> str:
    """Write ``text`` to ``out/<stem>.md`` and ``data`` to ``out/<stem>.json``; return ``text``.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_report(folder, "demo", "| a |\\n|---|\\n| 1 |", {"a": 1})[:3]
    '| a'
    >>> json.loads((folder / "demo.json").read_text())
    {'a': 1}
    """
    (Path(out) / f"{stem}.md").write_text(text + "\n")
    write_json(out, stem, data)
    return text


def quick_subset(x: np.ndarray, y: np.ndarray, quick: bool,
                 n: int = QUICK_TEST) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` samples of ``x, y`` when ``quick``, else ``x, y`` unchanged."""
    return (x[:n], y[:n]) if quick else (x, y)


def cached(path: Path, make: Callable[[], Any], load: Callable[[Path], Any],
           save: Callable[[Any, Path], None], retrain: bool = False) -> Any:
    """``load(path)`` if ``path`` exists (and not ``retrain``); else ``make()``, saved there.

    Parameters
    ----------
    path : Path
        Cache file (usually weights in the reproduction's output folder).
    make : callable
        ``make()`` trains and returns the object.
    load, save : callable
        ``load(path) -> object`` and ``save(object, path)``.
    retrain : bool
        Ignore (and overwrite) an existing file.
    """
    path = Path(path)
    if path.exists() and not retrain:
        return load(path)
    result = make()
    save(result, path)
    return result
