"""What every figure of :mod:`snnlite.plot` shares: colours, a fresh Axes, input checks, savefig."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.ticker import MaxNLocator

__all__ = ["POSITIVE_COLOR", "NEGATIVE_COLOR", "GUIDE_COLOR", "axes", "integer_ticks", "label",
           "savefig", "select", "time_major"]

POSITIVE_COLOR = "tab:blue"
NEGATIVE_COLOR = "tab:red"
GUIDE_COLOR = "0.35"  # thresholds, references, ideal lines


def axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 3.5)) -> Axes:
    """Return ``ax`` (or the Axes of a new figure) with the package's light style applied."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def time_major(x, name: str, dtype=None) -> np.ndarray:
    """``x`` as ``(T, N)``: ``(T,)`` becomes ``(T, 1)``, ``(T, ...)`` is flattened per step."""
    x = np.asarray(x, dtype=dtype)
    if x.ndim == 0:
        raise ValueError(f"{name} must be time-first (T,) or (T, N, ...), got a scalar")
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:]))) if x.ndim > 1 else x[:, None]


def select(neurons, n: int) -> np.ndarray:
    """Validate ``neurons`` (indices into ``n`` neurons; None = all) as a 1-D int array."""
    if neurons is None:
        return np.arange(n)
    idx = np.atleast_1d(np.asarray(neurons))
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"neurons must be a 1-D sequence of integer indices, got {neurons!r}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"neurons must be in [0, {n}), got values in [{idx.min()}, {idx.max()}]")
    return idx


def integer_ticks(axis) -> None:
    """Ticks of ``axis`` (``ax.xaxis`` / ``ax.yaxis``) at integers only, even if one fits."""
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def label(ax: Axes, xlabel: str, ylabel: str | None, title: str | None) -> Axes:
    """Set the axis labels and the title (when given); return ``ax``."""
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def savefig(ax_or_fig: Axes | FigureBase, path: str | Path, dpi: int = 120) -> Path:
    """Save the figure holding ``ax_or_fig`` to ``path`` (creating folders) and close it.

    Parameters
    ----------
    ax_or_fig : Axes or Figure
        The figure, or any Axes on it.
    path : str or Path
        Output file; the format follows the suffix (``.png``, ``.pdf``, ``.svg`` ...).
    dpi : int
        Resolution of raster formats.

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> from snnlite.plot import raster
    >>> savefig(raster(np.eye(5, dtype=np.int8)), Path(tempfile.mkdtemp()) / "r.png").exists()
    True
    """
    if not isinstance(ax_or_fig, (Axes, FigureBase)):
        raise TypeError(f"ax_or_fig must be a matplotlib Axes or Figure, got {type(ax_or_fig)}")
    fig = ax_or_fig if isinstance(ax_or_fig, Figure) else ax_or_fig.figure
    fig = fig if isinstance(fig, Figure) else fig.figure  # a SubFigure's root figure
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
