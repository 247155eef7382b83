"""Figures: spike rasters, membrane traces, accuracy-latency curves, ANN-vs-SNN response curves,
receptive fields and per-layer bar charts.

Every function draws into ``ax`` (a new figure when ``ax`` is None) and returns the Axes; nothing
here calls ``plt.show()``. Positive spikes are blue, negative spikes red. Invalid input raises
``ValueError`` naming the argument. :func:`savefig` writes a figure to disk and closes it.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.ticker import FuncFormatter, MaxNLocator

__all__ = ["raster", "membrane", "accuracy_vs_time", "response_curve", "receptive_fields",
           "bars", "savefig"]

POSITIVE_COLOR = "tab:blue"
NEGATIVE_COLOR = "tab:red"
GUIDE_COLOR = "0.35"  # thresholds, references, ideal lines


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 3.5)) -> Axes:
    """Return ``ax`` (or the Axes of a new figure) with the package's light style applied."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _time_major(x, name: str, dtype=None) -> np.ndarray:
    """``x`` as ``(T, N)``: ``(T,)`` becomes ``(T, 1)``, ``(T, ...)`` is flattened per step."""
    x = np.asarray(x, dtype=dtype)
    if x.ndim == 0:
        raise ValueError(f"{name} must be time-first (T,) or (T, N, ...), got a scalar")
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:]))) if x.ndim > 1 else x[:, None]


def _select(neurons, n: int) -> np.ndarray:
    """Validate ``neurons`` (indices into ``n`` neurons; None = all) as a 1-D int array."""
    if neurons is None:
        return np.arange(n)
    idx = np.atleast_1d(np.asarray(neurons))
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"neurons must be a 1-D sequence of integer indices, got {neurons!r}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"neurons must be in [0, {n}), got values in [{idx.min()}, {idx.max()}]")
    return idx


def _label(ax: Axes, xlabel: str, ylabel: str | None, title: str | None) -> Axes:
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def raster(spikes, ax: Axes | None = None, neurons=None, max_neurons: int | None = None,
           dt: float = 1.0, title: str | None = None) -> Axes:
    """Spike raster: one tick per spike at ``(t * dt, neuron)``.

    Parameters
    ----------
    spikes : array_like, shape (T, N) or (T, ...)
        int8 spikes in {-1, 0, +1}, flattened per step to ``N`` neurons. Positive values are
        drawn blue, negative red (with a legend, only when negative spikes are present).
    ax : Axes, optional
        Where to draw; a new figure when None.
    neurons : sequence of int, optional
        Indices into ``N`` of the neurons to show, on rows ``0, 1, ...`` in this order (the y
        tick labels show the original indices).
    max_neurons : int, optional
        Show at most this many of the selected neurons, evenly spaced (deterministic).
    dt : float
        Duration of one step.
    title : str, optional
        Axes title.

    Returns
    -------
    Axes

    Examples
    --------
    >>> s = np.zeros((10, 4), np.int8); s[2, 1] = 1; s[5, 3] = -1
    >>> [c.get_label() for c in raster(s).collections]
    ['+1 spike', '-1 spike']
    """
    s = _time_major(spikes, "spikes")
    if max_neurons is not None and max_neurons < 1:
        raise ValueError(f"max_neurons must be a positive int, got {max_neurons!r}")
    if not dt > 0:
        raise ValueError(f"dt must be positive, got {dt!r}")
    idx = _select(neurons, s.shape[1])
    if max_neurons is not None and idx.size > max_neurons:
        idx = idx[np.unique(np.linspace(0, idx.size - 1, max_neurons).round().astype(int))]
    s = s[:, idx]
    rows = max(idx.size, 1)
    ax = _axes(ax)
    size = float(np.clip((250.0 / rows) ** 2, 4.0, 64.0))
    for mask, color, label in ((s > 0, POSITIVE_COLOR, "+1 spike"),
                               (s < 0, NEGATIVE_COLOR, "-1 spike")):
        t, row = np.nonzero(mask)
        if t.size:
            ax.scatter(t * dt, row, marker="|", s=size, c=color, linewidths=1.0, label=label)
    if not ax.collections:
        ax.text(0.5, 0.5, "no spikes", transform=ax.transAxes, ha="center", color=GUIDE_COLOR)
    elif np.any(s < 0):
        ax.legend(loc="upper right", fontsize="small")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # row r shows neuron idx[r]
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda y, _: str(idx[int(y)]) if y == int(y) and 0 <= y < idx.size else ""))
    ax.set_xlim(-0.5 * dt, (max(s.shape[0], 1) - 0.5) * dt)
    ax.set_ylim(-0.5, rows - 0.5)
    return _label(ax, "time step" if dt == 1.0 else "time", "neuron", title)


def _threshold(value, T: int, idx: np.ndarray, n: int, name: str) -> np.ndarray | None:
    """A threshold argument as ``(T, k)`` for the selected neurons (``(1, k)`` if constant)."""
    if value is None:
        return None
    v = np.asarray(value, dtype=float)
    if v.ndim == 0:
        v = v.reshape(1, 1)
    elif v.ndim == 1 and v.shape[0] in (n, T):  # per neuron wins over time-varying if n == T
        v = v[None, :] if v.shape[0] == n else v[:, None]
    elif not (v.ndim == 2 and v.shape[0] == T and v.shape[1] in (1, n)):
        raise ValueError(f"{name} must be a scalar, ({n},) per neuron, or ({T},), ({T}, 1), "
                         f"({T}, {n}) over time; got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite")
    return np.broadcast_to(v[:, idx] if v.shape[1] == n else v, (v.shape[0], idx.size))


def membrane(trace, spikes=None, threshold=None, ax: Axes | None = None, neurons=None,
             labels: Sequence[str] | None = None, lower_threshold=None,
             title: str | None = None) -> Axes:
    """Membrane potential(s) as step-wise lines (step ``t`` spans ``[t, t + 1)``).

    Parameters
    ----------
    trace : array_like, shape (T,) or (T, N)
        Membrane potential (float) after each step.
    spikes : array_like, shape like ``trace``, optional
        Spikes in {-1, 0, +1}, marked on the trace: ``^`` in the line colour for +1, red ``v``
        for -1.
    threshold : float or array_like, optional
        Firing threshold, dashed: a scalar, per neuron ``(N,)``, or time-varying (dynamic
        threshold) ``(T,)``/``(T, 1)`` shared or ``(T, N)``, drawn as a step line. A 1-D array
        of length ``N`` is read as per neuron, even when ``N == T``.
    ax : Axes, optional
        Where to draw; a new figure when None.
    neurons : sequence of int, optional
        Columns of ``trace`` (and of ``spikes`` and per-neuron thresholds) to draw.
    labels : sequence of str, optional
        One legend label per drawn neuron.
    lower_threshold : float or array_like, optional
        Negative-spike threshold, same forms as ``threshold``, drawn dash-dotted.
    title : str, optional
        Axes title.

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = membrane([0.0, 0.4, 0.8, 0.2, 0.6], spikes=[0, 0, 0, 1, 0], threshold=1.0)
    >>> float(ax.lines[1].get_ydata()[0])
    1.0
    """
    v = _time_major(trace, "trace", float)
    T, n = v.shape
    if v.size == 0:
        raise ValueError(f"trace must have at least one step and one neuron, got {v.shape}")
    idx = _select(neurons, n)
    v = v[:, idx]
    if labels is not None and len(labels) != idx.size:
        raise ValueError(f"labels must have {idx.size} entries (one per drawn neuron), "
                         f"got {len(labels)}")
    guides = [(_threshold(value, T, idx, n, name), name.replace("_", " "), style)
              for value, name, style in ((threshold, "threshold", "--"),
                                         (lower_threshold, "lower_threshold", "-."))]
    if spikes is not None:
        s = _time_major(spikes, "spikes")
        if s.shape != (T, n):
            raise ValueError(f"spikes must have the shape of trace {np.shape(trace)}, "
                             f"got {np.shape(spikes)}")
        s = s[:, idx]
    ax = _axes(ax)
    t = np.arange(T + 1)
    colors = [ax.step(t, np.append(v[:, j], v[-1, j]), where="post", lw=1.5,
                      label=None if labels is None else labels[j])[0].get_color()
              for j in range(idx.size)]
    for th, name, style in guides:
        if th is None:
            continue
        shared = not np.any(th != th[:, :1])
        for j in range(1 if shared else idx.size):
            kw = dict(ls=style, lw=1.0, color=GUIDE_COLOR if shared else colors[j],
                      label=name if j == 0 else None)
            if th.shape[0] == 1:
                ax.axhline(th[0, j], **kw)
            else:
                ax.step(t, np.append(th[:, j], th[-1, j]), where="post", **kw)
    for j in range(idx.size if spikes is not None else 0):
        for sign, marker, color, name in ((1, "^", colors[j], "spike"),
                                          (-1, "v", NEGATIVE_COLOR, "negative spike")):
            ts = np.flatnonzero(s[:, j] * sign > 0)
            if ts.size:
                ax.plot(ts + 0.5, v[ts, j], ls="none", marker=marker, ms=6, color=color,
                        label=name)
    handles, names = ax.get_legend_handles_labels()
    unique: dict = {}  # one legend entry per name: spike markers are labelled for every neuron
    for name, handle in zip(names, handles, strict=True):
        unique.setdefault(name, handle)
    if unique:
        ax.legend(unique.values(), unique.keys(), fontsize="small")
    return _label(ax, "time step", "membrane potential", title)


def accuracy_vs_time(curves, ax: Axes | None = None, reference: Mapping[str, float] | None = None,
                     xlabel: str = "time step", steps=None, title: str | None = None) -> Axes:
    """Accuracy, in percent, against the number of simulated time steps.

    Parameters
    ----------
    curves : mapping of str to array_like, or array_like
        Accuracy in [0, 1] after steps ``1..T`` (1-D), one line per entry; a single array
        draws one unlabelled line.
    ax : Axes, optional
        Where to draw; a new figure when None.
    reference : mapping of str to float, optional
        Dashed horizontal lines in [0, 1], e.g. ``{"ANN": 0.991}``, labelled with the value.
    xlabel : str
        x-axis label.
    steps : array_like, optional
        x positions shared by all curves instead of ``1..T`` (e.g. the T values of a sweep).
    title : str, optional
        Axes title.

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = accuracy_vs_time({"SNN": [0.5, 0.8, 0.9]}, reference={"ANN": 0.92})
    >>> len(ax.lines)
    2
    """
    named = dict(curves) if isinstance(curves, Mapping) else {None: curves}
    reference = dict(reference or {})
    if not named:
        raise ValueError("curves must contain at least one curve")
    lines = []
    for name, acc in named.items():
        acc = np.asarray(acc, dtype=float)
        what = "curves" if name is None else f"curves[{name!r}]"
        if acc.ndim != 1 or acc.size == 0:
            raise ValueError(f"{what} must be a non-empty 1-D array, got shape {acc.shape}")
        if not np.all((acc >= 0) & (acc <= 1)):
            raise ValueError(f"{what} must hold accuracies in [0, 1] (not percent)")
        x = np.arange(1, acc.size + 1) if steps is None else np.asarray(steps)
        if x.shape != acc.shape:
            raise ValueError(f"steps has shape {x.shape} but {what} has shape {acc.shape}")
        lines.append((x, 100 * acc, name))
    for name, value in reference.items():
        if not 0 <= value <= 1:
            raise ValueError(f"reference[{name!r}] must be in [0, 1], got {value!r}")
    ax = _axes(ax)
    for x, y, name in lines:
        ax.plot(x, y, lw=1.5, label=name)
    for i, (name, value) in enumerate(reference.items()):
        color = GUIDE_COLOR if len(reference) == 1 else f"C{(len(lines) + i) % 10}"
        ax.axhline(100 * value, ls="--", lw=1.0, color=color, label=f"{name} ({100 * value:.2f}%)")
    if reference or None not in named:
        ax.legend(fontsize="small")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _label(ax, xlabel, "accuracy (%)", title)


def response_curve(ann_activation, snn_count, ax: Axes | None = None, T: int | None = None,
                   ideal: bool = True, scale: float = 1.0, max_points: int = 20_000,
                   title: str | None = None, xlabel: str = "ANN activation") -> Axes:
    """Scatter of ANN activation against SNN spike count (or rate), one point per neuron.

    Parameters
    ----------
    ann_activation : array_like, any shape
        ANN activations.
    snn_count : array_like, same size
        Net spike counts (+1 spikes minus -1 spikes) of the corresponding spiking neurons.
    ax : Axes, optional
        Where to draw; a new figure when None.
    T : int, optional
        Number of time steps; when given, y is the rate ``count / T``.
    ideal : bool
        Draw the ideal response ``y = scale * x``, dashed.
    scale : float
        Slope of the ideal line: e.g. ``1 / threshold`` for rates of an IF neuron, ``1`` when
        activations are quantized levels and y is a count.
    max_points : int
        Draw at most this many points: a fixed-seed random subset (deterministic).
    title : str, optional
        Axes title.

    xlabel : str
        Label of the x axis (for example "quantized ANN level").

    Returns
    -------
    Axes

    Examples
    --------
    >>> a = np.linspace(0, 1, 11)
    >>> response_curve(a, np.round(a * 8), T=8).get_ylabel()
    'SNN rate (spikes / step)'
    """
    x = np.asarray(ann_activation, dtype=float).ravel()
    y = np.asarray(snn_count, dtype=float).ravel()
    if x.size != y.size or x.size == 0:
        raise ValueError(f"ann_activation and snn_count must be non-empty and of equal size, "
                         f"got sizes {x.size} and {y.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("ann_activation and snn_count must be finite")
    if T is not None and T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")
    if max_points < 1:
        raise ValueError(f"max_points must be positive, got {max_points!r}")
    if x.size > max_points:
        keep = np.sort(np.random.default_rng(0).choice(x.size, max_points, replace=False))
        x, y = x[keep], y[keep]
    y = y if T is None else y / T
    ax = _axes(ax, figsize=(4.5, 4.0))
    ax.scatter(x, y, s=6, alpha=0.3, color=POSITIVE_COLOR, linewidths=0)
    if ideal:
        ends = np.array([x.min(), x.max()])
        ax.plot(ends, scale * ends, ls="--", lw=1.0, color=GUIDE_COLOR, label="ideal")
        ax.legend(fontsize="small")
    ylabel = "SNN spike count" if T is None else "SNN rate (spikes / step)"
    return _label(ax, xlabel, ylabel, title)


def receptive_fields(weights, shape: tuple[int, int] = (28, 28), ax: Axes | None = None,
                     n: int | None = None, cmap: str = "hot_r", ncols: int | None = None) -> Axes:
    """Tile the rows of a weight matrix into one image grid (e.g. STDP receptive fields).

    Parameters
    ----------
    weights : array_like, shape (K, prod(shape))
        One row per output neuron; each tile is scaled to its own [min, max].
    shape : tuple of int
        ``(H, W)`` of one field.
    ax : Axes, optional
        Where to draw; a new figure when None.
    n : int, optional
        Show the first ``n`` rows (default all ``K``).
    cmap : str
        Matplotlib colour map.
    ncols : int, optional
        Tiles per grid row (default ``ceil(sqrt(n))``).

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = receptive_fields(np.random.default_rng(0).random((10, 784)))
    >>> ax.images[0].get_array().shape  # 3 x 4 tiles of 28 x 28, 1-pixel gaps
    (86, 115)
    """
    w = np.asarray(weights, dtype=float)
    h, wd = shape
    if w.ndim != 2 or w.shape[1] != h * wd or w.shape[0] == 0:
        hint = "; pass weights.T" if w.ndim == 2 and w.shape[0] == h * wd else ""
        raise ValueError(f"weights must be (K, {h * wd}) for shape={shape}, got {w.shape}{hint}")
    n = w.shape[0] if n is None else n
    ncols = int(np.ceil(np.sqrt(n))) if ncols is None else ncols
    if not 1 <= n <= w.shape[0] or ncols < 1:
        raise ValueError(f"n must be in [1, {w.shape[0]}] and ncols positive, "
                         f"got n={n!r}, ncols={ncols!r}")
    nrows = -(-n // ncols)
    lo, hi = w[:n].min(axis=1, keepdims=True), w[:n].max(axis=1, keepdims=True)
    tiles = np.full((nrows * ncols, h + 1, wd + 1), np.nan)  # NaN = 1-pixel gap, empty tiles
    tiles[:n, :h, :wd] = ((w[:n] - lo) / np.where(hi > lo, hi - lo, 1.0)).reshape(n, h, wd)
    grid = tiles.reshape(nrows, ncols, h + 1, wd + 1).transpose(0, 2, 1, 3)
    grid = grid.reshape(nrows * (h + 1), ncols * (wd + 1))[:-1, :-1]
    ax = _axes(ax, figsize=(ncols + 0.5, nrows + 0.5))
    ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    return ax


def bars(table: Mapping[str, Sequence[float]], ax: Axes | None = None, stacked: bool = True,
         layers: Sequence[str] | None = None, ylabel: str | None = None,
         title: str | None = None) -> Axes:
    """Per-layer bars by category (noise breakdowns, spike counts per layer ...).

    Parameters
    ----------
    table : mapping of str to array_like
        Category -> one value per layer; all entries have the same length ``L``.
    ax : Axes, optional
        Where to draw; a new figure when None.
    stacked : bool
        One bar per layer with the categories stacked (negative values stack downwards);
        otherwise categories side by side.
    layers : sequence of str, optional
        ``L`` layer names for the x ticks (default ``"1" .. "L"``).
    ylabel, title : str, optional
        y-axis label and title.

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = bars({"clip": [0.1, 0.2], "quant": [0.3, 0.1]}, layers=["fc1", "fc2"])
    >>> len(ax.patches)
    4
    """
    values = {name: np.asarray(v, dtype=float) for name, v in table.items()}
    if not values:
        raise ValueError("table must contain at least one category")
    L = next(iter(values.values())).size
    for name, v in values.items():
        if v.ndim != 1 or v.size != L or L == 0:
            raise ValueError(f"table[{name!r}] must be 1-D with {L or 'at least one'} value(s), "
                             f"one per layer; got shape {v.shape}")
    layers = [str(i + 1) for i in range(L)] if layers is None else list(layers)
    if len(layers) != L:
        raise ValueError(f"layers must have {L} names, got {len(layers)}")
    ax = _axes(ax)
    x = np.arange(L)
    width = 0.8 if stacked else 0.8 / len(values)
    up, down = np.zeros(L), np.zeros(L)
    for i, (name, v) in enumerate(values.items()):
        if stacked:
            ax.bar(x, v, width, bottom=np.where(v >= 0, up, down), label=name)
            up, down = up + np.maximum(v, 0), down + np.minimum(v, 0)
        else:
            ax.bar(x - 0.4 + (i + 0.5) * width, v, width, label=name)
    ax.set_xticks(x, layers)
    ax.legend(fontsize="small")
    return _label(ax, "layer", ylabel, title)


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
