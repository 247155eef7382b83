"""Charts of results: accuracy against time steps, ANN-vs-SNN response curves, per-layer bars and
receptive-field grids."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

from ._base import GUIDE_COLOR, POSITIVE_COLOR, axes, integer_ticks, label

__all__ = ["accuracy_vs_time", "response_curve", "receptive_fields", "bars"]

CHANCE_COLOR = "0.6"


def accuracy_vs_time(curves, ax: Axes | None = None, reference: Mapping[str, float] | None = None,
                     xlabel: str = "time step", steps=None, title: str | None = None,
                     n_classes: int | None = None) -> Axes:
    """Accuracy, in percent, against the number of simulated time steps, with chance level.

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
    n_classes : int, optional
        Number of classes: a dashed grey line marks chance level ``1 / n_classes``, labelled
        (the accuracy of guessing; a curve near it has learned nothing).

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = accuracy_vs_time({"SNN": [0.5, 0.8, 0.9]}, reference={"ANN": 0.92}, n_classes=10)
    >>> [line.get_label() for line in ax.lines]
    ['SNN', 'ANN (92.00%)', 'chance, 1/10 (10.00%)']
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
    if n_classes is not None and (isinstance(n_classes, bool) or not isinstance(
            n_classes, (int, np.integer)) or n_classes < 2):
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    ax = axes(ax)
    for x, y, name in lines:
        ax.plot(x, y, lw=1.5, label=name)
    for i, (name, value) in enumerate(reference.items()):
        color = GUIDE_COLOR if len(reference) == 1 else f"C{(len(lines) + i) % 10}"
        ax.axhline(100 * value, ls="--", lw=1.0, color=color, label=f"{name} ({100 * value:.2f}%)")
    if n_classes is not None:
        ax.axhline(100 / n_classes, ls="--", lw=1.0, color=CHANCE_COLOR,
                   label=f"chance, 1/{n_classes} ({100 / n_classes:.2f}%)")
    if reference or n_classes is not None or None not in named:
        ax.legend(fontsize="small")
    integer_ticks(ax.xaxis)
    return label(ax, xlabel, "accuracy (%)", title)


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
    ax = axes(ax, figsize=(4.5, 4.0))
    ax.scatter(x, y, s=6, alpha=0.3, color=POSITIVE_COLOR, linewidths=0)
    if ideal:
        ends = np.array([x.min(), x.max()])
        ax.plot(ends, scale * ends, ls="--", lw=1.0, color=GUIDE_COLOR, label="ideal")
        ax.legend(fontsize="small")
    ylabel = "SNN spike count" if T is None else "SNN rate (spikes / step)"
    return label(ax, xlabel, ylabel, title)


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
    ax = axes(ax, figsize=(ncols + 0.5, nrows + 0.5))
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
    ax = axes(ax)
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
    return label(ax, "layer", ylabel, title)

