"""Spike rasters and membrane traces: what a population and a single neuron do at each step.

Steps are numbered from 0, as in the arrays: step ``t`` of a raster and of a membrane trace with
``trace_pre`` is drawn at ``x = t``, so the two line up on a shared x axis.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from ._base import (
    GUIDE_COLOR,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    axes,
    integer_ticks,
    label,
    select,
    time_major,
)

__all__ = ["raster", "membrane"]

#: Raster tick limits in points: length (one row tall when rows allow) and line width (one step
#: wide when steps allow). The lower limits keep every spike visible at 1 000+ neurons or steps.
TICK_LENGTH = (3.0, 8.0)
TICK_WIDTH = (0.8, 1.5)
RASTERIZE_ABOVE = 5_000  # spikes; larger rasters are stored as an image in PDF/SVG output


def tick_size(ax: Axes, rows: int, steps: int) -> tuple[float, float]:
    """Length and line width (points) of a raster tick: about one row tall and one step wide.

    Both are clipped to :data:`TICK_LENGTH` and :data:`TICK_WIDTH`, so a tick stays visible
    when the rows (or steps) are thinner than a pixel; it then covers several rows.
    """
    box = ax.get_window_extent()
    points = 72.0 / ax.figure.dpi  # display pixels -> points
    length = np.clip(0.9 * box.height * points / max(rows, 1), *TICK_LENGTH)
    width = np.clip(0.5 * box.width * points / max(steps, 1), *TICK_WIDTH)
    return float(length), float(width)


def raster(spikes, ax: Axes | None = None, neurons=None, max_neurons: int | None = None,
           dt: float = 1.0, title: str | None = None) -> Axes:
    """Spike raster: one vertical tick per spike at ``(t * dt, neuron)``.

    Ticks are about one row tall and one step wide, but never smaller than
    :data:`TICK_LENGTH` / :data:`TICK_WIDTH` points, so single spikes stay visible at 1 000+
    neurons; above :data:`RASTERIZE_ABOVE` spikes they are rasterized in vector output.

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
    s = time_major(spikes, "spikes")
    if max_neurons is not None and max_neurons < 1:
        raise ValueError(f"max_neurons must be a positive int, got {max_neurons!r}")
    if not dt > 0:
        raise ValueError(f"dt must be positive, got {dt!r}")
    idx = select(neurons, s.shape[1])
    if max_neurons is not None and idx.size > max_neurons:
        idx = idx[np.unique(np.linspace(0, idx.size - 1, max_neurons).round().astype(int))]
    s = s[:, idx]
    rows = max(idx.size, 1)
    ax = axes(ax)
    length, width = tick_size(ax, rows, s.shape[0])
    for mask, color, name in ((s > 0, POSITIVE_COLOR, "+1 spike"),
                              (s < 0, NEGATIVE_COLOR, "-1 spike")):
        t, row = np.nonzero(mask)
        if t.size:
            ax.scatter(t * dt, row, marker="|", s=length ** 2, c=color, linewidths=width,
                       label=name, rasterized=t.size > RASTERIZE_ABOVE)
    if not ax.collections:
        ax.text(0.5, 0.5, "no spikes", transform=ax.transAxes, ha="center", color=GUIDE_COLOR)
    elif np.any(s < 0):
        ax.legend(loc="upper right", fontsize="small")
    integer_ticks(ax.yaxis)  # row r shows neuron idx[r]
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda y, _: str(idx[int(y)]) if y == int(y) and 0 <= y < idx.size else ""))
    if dt == 1.0:
        integer_ticks(ax.xaxis)  # one tick suffices: T = 1
    ax.set_xlim(-0.5 * dt, (max(s.shape[0], 1) - 0.5) * dt)
    ax.set_ylim(-0.5, rows - 0.5)
    return label(ax, "time step" if dt == 1.0 else "time", "neuron", title)


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
             title: str | None = None, trace_pre=None) -> Axes:
    """Membrane potential of one or a few neurons, with their threshold and spikes.

    Which potential is drawn:

    * with ``trace_pre`` (what a lecture wants): the classic sawtooth. Step ``t`` is drawn at
      ``x = t``: the line rises to the potential *before* the reset, ``trace_pre[t]``, which
      reaches the threshold where the neuron fires (the spike is marked there), then drops to
      the potential *after* the reset, ``trace[t]``, where the next step starts. A network
      records both with ``record={"layer": ("spikes", "v", "v_pre")}`` (``result.v`` and
      ``result.v_pre``); a neuron fills both with ``scan(current, state, trace, trace_pre)``.
    * without it: ``trace`` alone, as steps (step ``t`` spans ``[t, t + 1)``, spikes marked at
      ``t + 0.5``). This post-reset potential is the :math:`V(t)` the papers' equations name;
      it never shows the crossing (a neuron seems to fire from below its threshold).

    Parameters
    ----------
    trace : array_like, shape (T,) or (T, N)
        Membrane potential (float) after each step, after the reset.
    spikes : array_like, shape like ``trace``, optional
        Spikes in {-1, 0, +1}, marked on the line: ``^`` in the line colour for +1, red ``v``
        for -1 (at the pre-reset potential when ``trace_pre`` is given).
    threshold : float or array_like, optional
        Firing threshold, dashed: a scalar, per neuron ``(N,)``, or time-varying (dynamic
        threshold) ``(T,)``/``(T, 1)`` shared or ``(T, N)``, drawn as a step line. A 1-D array
        of length ``N`` is read as per neuron, even when ``N == T``.
    ax : Axes, optional
        Where to draw; a new figure when None.
    neurons : sequence of int, optional
        Columns of ``trace`` (and of ``trace_pre``, ``spikes`` and per-neuron thresholds) to
        draw.
    labels : sequence of str, optional
        One legend label per drawn neuron (default ``"neuron i"`` with its column index).
    lower_threshold : float or array_like, optional
        Negative-spike threshold, same forms as ``threshold``, drawn dash-dotted.
    title : str, optional
        Axes title.
    trace_pre : array_like, shape like ``trace``, optional
        Membrane potential at each step before the reset; selects the sawtooth drawing.

    Returns
    -------
    Axes

    Examples
    --------
    An IF neuron (threshold 1, reset by subtraction) with input 0.4 per step fires at step 2:

    >>> ax = membrane([0.4, 0.8, 0.2], spikes=[0, 0, 1], threshold=1.0, trace_pre=[0.4, 0.8, 1.2])
    >>> ax.lines[0].get_xydata().tolist()  # (x, V): up to 1.2 at step 2, then reset to 0.2
    [[0.0, 0.4], [0.0, 0.4], [1.0, 0.8], [1.0, 0.8], [2.0, 1.2], [2.0, 0.2]]
    >>> ax.lines[0].get_label(), ax.lines[2].get_xydata().tolist()  # the spike at the crossing
    ('neuron 0', [[2.0, 1.2]])
    """
    v = time_major(trace, "trace", float)
    T, n = v.shape
    if v.size == 0:
        raise ValueError(f"trace must have at least one step and one neuron, got {v.shape}")
    idx = select(neurons, n)
    pre = None if trace_pre is None else time_major(trace_pre, "trace_pre", float)
    if pre is not None and pre.shape != (T, n):
        raise ValueError(f"trace_pre must have the shape of trace {np.shape(trace)}, "
                         f"got {np.shape(trace_pre)}")
    if labels is not None and len(labels) != idx.size:
        raise ValueError(f"labels must have {idx.size} entries (one per drawn neuron), "
                         f"got {len(labels)}")
    names = [f"neuron {i}" for i in idx] if labels is None else list(labels)
    guides = [(_threshold(value, T, idx, n, name), name.replace("_", " "), style)
              for value, name, style in ((threshold, "threshold", "--"),
                                         (lower_threshold, "lower_threshold", "-."))]
    if spikes is not None:
        s = time_major(spikes, "spikes")
        if s.shape != (T, n):
            raise ValueError(f"spikes must have the shape of trace {np.shape(trace)}, "
                             f"got {np.shape(spikes)}")
        s = s[:, idx]
    v = v[:, idx]
    ax = axes(ax)
    steps = np.arange(T)
    if pre is None:  # post-reset potential, held over each step
        edges = np.arange(T + 1)
        colors = [ax.step(edges, np.append(v[:, j], v[-1, j]), where="post", lw=1.5,
                          label=names[j])[0].get_color() for j in range(idx.size)]
        mark_x, mark_v = steps + 0.5, v
    else:  # sawtooth: up to the pre-reset potential at x = t, down to the post-reset one
        pre = pre[:, idx]
        colors = [ax.plot(np.repeat(steps, 2), np.column_stack([pre[:, j], v[:, j]]).ravel(),
                          lw=1.5, label=names[j])[0].get_color() for j in range(idx.size)]
        mark_x, mark_v = steps, pre
    for th, name, style in guides:
        if th is None:
            continue
        shared = not np.any(th != th[:, :1])
        for j in range(1 if shared else idx.size):
            kw = dict(ls=style, lw=1.0, color=GUIDE_COLOR if shared else colors[j],
                      label=name if j == 0 else None)
            if th.shape[0] == 1:
                ax.axhline(th[0, j], **kw)
            elif pre is None:
                ax.step(np.arange(T + 1), np.append(th[:, j], th[-1, j]), where="post", **kw)
            else:  # the threshold step t compares with, centred on x = t
                ax.step(steps, th[:, j], where="mid", **kw)
    for j in range(idx.size if spikes is not None else 0):
        for sign, marker, color, name in ((1, "^", colors[j], "spike"),
                                          (-1, "v", NEGATIVE_COLOR, "negative spike")):
            ts = np.flatnonzero(s[:, j] * sign > 0)
            if ts.size:
                ax.plot(mark_x[ts], mark_v[ts, j], ls="none", marker=marker, ms=6, color=color,
                        label=name)
    handles, entries = ax.get_legend_handles_labels()
    unique: dict = {}  # one legend entry per name: spike markers are labelled for every neuron
    for name, handle in zip(entries, handles, strict=True):
        unique.setdefault(name, handle)
    ax.legend(unique.values(), unique.keys(), fontsize="small", ncols=1 + (len(unique) > 6))
    integer_ticks(ax.xaxis)
    return label(ax, "time step", "membrane potential", title)
