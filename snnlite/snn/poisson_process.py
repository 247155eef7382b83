"""Poisson-process coding: ``Poisson(|x| * duration)`` spikes per input at uniform steps.

The input of Diehl & Cook (2015): each input draws its number of spikes over the window, then
a uniform step for each spike (:func:`~snnlite.snn.events.poisson_process_draws`), so an
input may spike several times in one step and the cost follows the spikes. Two forms of one
encoder: :func:`poisson_process_events` gives CSR events (what event-driven loops read),
:func:`poisson_process` the dense ``(T, B, ...)`` counts; both make the same random draws.
It is registered in :data:`snnlite.snn.encoding.ENCODERS` as ``"poisson_process"``.
"""

from __future__ import annotations

import numbers

import numpy as np

from snnlite._validate import as_rng, check_input, check_steps
from snnlite.snn.events import events_to_dense, pack_events, poisson_process_draws

__all__ = ["poisson_process", "poisson_process_events"]


def poisson_process_events(x, T: int, *, rng=None, signed: bool = True,
                           duration: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`poisson_process` as CSR events ``(ptr, idx)``: the form event-driven loops read.

    ``idx[ptr[t]:ptr[t+1]]`` are the flat indices (into ``x.ravel()``, sample-major) of the
    inputs spiking at step ``t``, once per spike (:mod:`snnlite.snn.events`); an event's sign
    is ``sign(x[idx])``. Same arguments, same random draws and the same spikes as
    :func:`poisson_process`, without the dense ``(T, B, ...)`` array; the Diehl & Cook
    network feeds it to its loop.

    Returns
    -------
    ptr : (T + 1,) int64 array
    idx : (K,) int64 array
    """
    T = check_steps(T)
    x = check_input(x).astype(np.float64, copy=False)
    if not signed and x.size and x.min() < 0:
        raise ValueError(f"x has negative values (min {x.min()}); use signed=True or "
                         f"non-negative rates")
    if duration is None:
        duration = T
    elif isinstance(duration, bool) or not isinstance(duration, numbers.Real) \
            or not np.isfinite(duration) or duration <= 0:
        raise ValueError(f"duration must be a finite number > 0, got {duration!r}")
    ev_idx, ev_step = poisson_process_draws(np.abs(x) * duration, T, as_rng(rng))
    return pack_events(ev_idx, ev_step, T)


def poisson_process(x, T: int, *, rng=None, signed: bool = True,
                    duration: float | None = None, dtype=np.float32) -> np.ndarray:
    """Poisson-process coding: ``Poisson(|x| * duration)`` spikes per input at uniform steps.

    Each input draws its number of spikes over the window, then a uniform step for each
    spike (:func:`~snnlite.snn.events.poisson_process_draws`); unlike :func:`poisson` an
    input may spike several times in one step, and the cost follows the spikes. This is the
    input of Diehl & Cook (2015) (:mod:`snnlite.learn.diehl_cook`).

    Parameters
    ----------
    x : (B, ...) array_like
        Firing rates (float): expected spikes per unit of time; a negative rate gives -1
        spikes (``signed=False``: rates ``>= 0`` only). Not bounded by 1.
    T : int
        Number of steps, ``>= 1``.
    rng : Generator, int or None
        Random source (same seed, same spikes).
    signed : bool, default True
        Give spikes the sign of ``x``.
    duration : float, optional
        Length of the ``T``-step window in the time unit of ``x``; default ``T`` (``x`` is
        then the expected spikes per step). Diehl & Cook: ``x`` in Hz, ``duration`` in s.
    dtype : data-type, default float32
        Of the result. Counts above 1 are not spikes in {-1, 0, 1}: as an integer array the
        network's input check would take them for an unscaled image, so they are floats.

    Returns
    -------
    (T, B, ...) array of (signed) spike counts per step.

    Raises
    ------
    TypeError, ValueError
        If ``T < 1``, ``x`` breaks the input rules (module docstring) or is negative when
        unsigned, or ``duration`` is not a finite number > 0.

    Examples
    --------
    >>> s = poisson_process(np.full((1, 1000), 0.5), T=20, rng=0)
    >>> s.shape, s.dtype, bool(abs(s.sum(axis=0).mean() - 10.0) < 0.5)
    ((20, 1, 1000), dtype('float32'), True)
    """
    x = np.asarray(x)
    ptr, idx = poisson_process_events(x, T, rng=rng, signed=signed, duration=duration)
    counts = events_to_dense(ptr, idx, x.size, dtype=dtype)
    if signed:
        counts *= np.sign(check_input(x)).astype(dtype).reshape(-1)
    return counts.reshape((len(ptr) - 1, *x.shape))
