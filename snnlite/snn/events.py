"""Spike events in CSR form (the input of event-driven loops) and the Poisson process making them.

A window of ``T`` steps over ``n`` inputs holds its spikes as two arrays: ``ptr`` ``(T + 1,)``
and ``idx`` ``(K,)``, the events of step ``t`` being the input indices ``idx[ptr[t]:ptr[t+1]]``
(an input that spikes twice in a step appears twice). A loop that only touches the inputs
that spike (the Diehl & Cook network, :mod:`snnlite.learn.diehl_cook_kernel`) reads this form;
:func:`events_to_dense` gives the ``(T, n)`` count raster for plots and dense paths.

The encoder :func:`snnlite.snn.encoding.poisson_process` validates its input and draws here.
"""

from __future__ import annotations

import numpy as np

from snnlite._jit import njit

__all__ = ["events_to_dense", "pack_events", "poisson_process_draws"]


@njit
def pack_events(ev_idx, ev_step, n_steps):
    """Counting-sort input events by step into CSR form.

    Parameters
    ----------
    ev_idx : (K,) int array
        Input index of each event.
    ev_step : (K,) int array
        Step of each event, in ``[0, n_steps)``.
    n_steps : int
        Number of steps.

    Returns
    -------
    ptr : (n_steps + 1,) int64 array
        Events of step ``t`` are ``idx[ptr[t]:ptr[t+1]]``.
    idx : (K,) int64 array
        Input indices ordered by step (stable: original order within a step).
    """
    ptr = np.zeros(n_steps + 1, dtype=np.int64)
    for e in range(ev_step.shape[0]):
        ptr[ev_step[e] + 1] += 1
    for t in range(n_steps):
        ptr[t + 1] += ptr[t]
    fill = ptr[:-1].copy()
    idx = np.empty(ev_step.shape[0], dtype=np.int64)
    for e in range(ev_step.shape[0]):
        s = ev_step[e]
        idx[fill[s]] = ev_idx[e]
        fill[s] += 1
    return ptr, idx


def poisson_process_draws(lam: np.ndarray, T: int, rng: np.random.Generator
                          ) -> tuple[np.ndarray, np.ndarray]:
    """A Poisson process over ``T`` steps: a count per input, then a uniform step per spike.

    Two draws, in this order: ``n ~ Poisson(lam)`` for every input (C order over ``lam``),
    then ``step ~ U{0 .. T-1}`` for each of the ``K = sum(n)`` spikes (inputs in order). One
    draw per spike instead of one per step and input, so its cost follows the spikes.

    Parameters
    ----------
    lam : float64 array, any shape
        Expected spikes of each input over the window (``>= 0``, finite; not checked here).
    T : int
        Steps of the window.
    rng : Generator

    Returns
    -------
    ev_idx, ev_step : (K,) int64 arrays
        Flat input index (into ``lam.ravel()``) and step of every spike, grouped by input.
    """
    counts = rng.poisson(lam)
    ev_idx = np.repeat(np.arange(lam.size, dtype=np.int64), counts.ravel())
    ev_step = rng.integers(0, T, size=ev_idx.shape[0], dtype=np.int64)
    return ev_idx, ev_step


def events_to_dense(ptr: np.ndarray, idx: np.ndarray, n: int, n_steps: int | None = None,
                    dtype=np.int32) -> np.ndarray:
    """The ``(n_steps, n)`` count raster of CSR events (steps past the events' stay 0).

    Parameters
    ----------
    ptr, idx : CSR events (module docstring) over ``len(ptr) - 1`` steps
    n : int
        Number of inputs.
    n_steps : int, optional
        Rows of the raster, ``>= len(ptr) - 1`` (default ``len(ptr) - 1``).
    dtype : data-type, default int32

    Examples
    --------
    >>> ptr, idx = pack_events(np.array([2, 0, 2]), np.array([1, 0, 1]), 2)
    >>> events_to_dense(ptr, idx, 3).tolist()
    [[1, 0, 0], [0, 0, 2]]
    """
    steps = len(ptr) - 1
    out = np.zeros((steps if n_steps is None else n_steps, n), dtype)
    np.add.at(out, (np.repeat(np.arange(steps), np.diff(ptr)), idx), 1)
    return out
