"""Input encoders: turn an image batch ``x`` of shape ``(B, ...)`` into ``T`` steps of input.

Every encoder has the signature ``encoder(x, T, *, rng=None, **options)`` and returns a
time-first sequence ``(T, B, ...)``; :data:`ENCODERS` lists them by name and
:func:`get_encoder` looks one up (what ``SpikingNetwork.run(encoder=...)`` and the BPTT
:class:`~snnlite.learn.time_axis.Encoder` use):

=============== ============================================ ==============================
encoder         step ``t`` (``t = 0 .. T-1``)                 output
=============== ============================================ ==============================
analog          ``x`` while ``t < t_in``, then 0              :class:`ConstantInput` (lazy)
poisson         ``sign(x) * 1[u < |x|]``, ``u ~ U[0, 1)``     int8 in {-1, 0, 1}
bernoulli       the same function as ``poisson``
regular         ``sign(x) (floor((t+1) r) - floor(t r))``,    int8 in {-1, 0, 1}
                ``r = |x|``
latency         one spike ``sign(x)`` at                      int8 in {-1, 0, 1}
                ``round((1 - |x|) (T - 1))``
poisson_process ``Poisson(|x| T)`` spikes per input, at       float32 counts with the sign
                uniform steps (several may share a step);     of ``x``
                :func:`poisson_process_events`: as events
=============== ============================================ ==============================

Analog (current) input removes rate-coding noise (spec §3.4); Poisson/Bernoulli rate coding is
Panda et al.'s input (§4.1).

Input rules, the same for every encoder: ``x`` is real-valued and finite, with a batch axis.
The spike encoders read ``x`` as signed rates in ``[-1, 1]`` (a negative input gives -1
spikes; ``signed=False`` demands ``x >= 0`` and gives {0, 1}); values outside raise instead of
being clipped (``poisson_process`` reads ``x`` as signed rates, unbounded). Integer
arrays are accepted only with values in {-1, 0, 1}: an integer array with larger values is
almost always an unscaled image (uint8 0-255), which would saturate every encoder,
so it raises a ValueError pointing to :func:`snnlite.datasets.to_float`.

Adding an encoder: write ``f(x, T, *, rng=None, ...)`` here (validate ``x`` with
:func:`snnlite._validate.check_input`) and add it to :data:`ENCODERS`.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

from snnlite._validate import as_rng, check_input, check_int, check_steps
from snnlite.snn.constant_input import ConstantInput
from snnlite.snn.fast_bernoulli import draw_key, rate_p24
from snnlite.snn.poisson_input import PoissonInput
from snnlite.snn.poisson_process import poisson_process, poisson_process_events

__all__ = ["ENCODERS", "RATE_CODES", "ConstantInput", "analog", "bernoulli", "get_encoder",
           "latency", "poisson", "poisson_process", "poisson_process_events", "poisson_stream",
           "regular"]


def _check_rates(x, signed: bool, name: str = "x") -> np.ndarray:
    """``x`` checked by :func:`~snnlite._validate.check_input`, in [-1, 1] (signed) or [0, 1]."""
    x = check_input(x, name)
    if not x.size:
        return x
    lo, hi = x.min(), x.max()
    if not signed and lo < 0:
        raise ValueError(f"{name} has negative values (min {lo}); use signed=True or inputs "
                         f"in [0, 1]")
    if lo < -1 or hi > 1:
        expected = "[-1, 1] (signed rates)" if signed else "[0, 1]"
        raise ValueError(f"{name} must be spike probabilities in {expected}, got values in "
                         f"[{lo}, {hi}]; scale the input (images: snnlite.datasets.to_float)")
    return x


def analog(x, T: int, *, rng=None, t_in: int | None = None) -> ConstantInput:
    """Analog (current) coding: the same input ``x`` at every step, off after ``t_in`` steps.

    Parameters
    ----------
    x : (B, ...) array_like
        Input batch, any finite real values (integers, only {-1, 0, 1}, become float32).
    T : int
        Number of steps, ``>= 1``.
    rng : ignored
        Analog coding is deterministic; accepted so that every encoder has one signature.
    t_in : int, optional
        Input is on for steps ``t < t_in`` and zero after (input shut-down, B14); ``None``
        keeps it on.

    Returns
    -------
    ConstantInput
        Lazy ``(T, B, ...)`` sequence; ``.value`` is ``x``.

    Raises
    ------
    TypeError, ValueError
        If ``T < 1``, ``t_in < 0``, or ``x`` breaks the input rules (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> inp = analog([[0.5, 1.0]], T=3, t_in=2)
    >>> inp.shape
    (3, 1, 2)
    >>> np.asarray(inp)[:, 0, 0].tolist()
    [0.5, 0.5, 0.0]
    """
    T = check_steps(T)
    x = check_input(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    return ConstantInput(x, T, None if t_in is None else check_int("t_in", t_in, 0))


def poisson(x, T: int, *, rng=None, signed: bool = True, dtype=np.int8) -> np.ndarray:
    """Rate (Poisson/Bernoulli) coding: per step a spike with probability ``|x|`` (§4.1).

    ``spike[t] = sign(x) * 1[u_t < |x|]`` with ``u_t ~ U[0, 1)`` drawn independently per
    step and element, at float32 resolution (2**-24), from a counter-based generator keyed by
    one draw of ``rng`` (see :mod:`snnlite.snn.fast_bernoulli`).

    Parameters
    ----------
    x : (B, ...) array_like
        Spike probabilities in [-1, 1]; with ``signed`` negative values (mean/std-normalised
        inputs) give -1 spikes.
    T : int
        Number of steps, ``>= 1``.
    rng : Generator, int or None
        Random source (same seed, same spikes).
    signed : bool, default True
        Give spikes the sign of ``x``. When False, ``x`` must be in [0, 1].
    dtype : data-type, default int8
        Of the result (float32 for spikes that feed a matrix product directly).

    Returns
    -------
    (T, B, ...) array in {-1, 0, 1} ({0, 1} when unsigned).

    Raises
    ------
    TypeError, ValueError
        If ``T < 1``, ``x`` breaks the input rules (module docstring) or lies outside
        [-1, 1] ([0, 1] when unsigned): probabilities are never clipped.

    Examples
    --------
    >>> import numpy as np
    >>> s = poisson(np.full((1, 1000), 0.25), T=40, rng=0)
    >>> s.shape, s.dtype
    ((40, 1, 1000), dtype('int8'))
    >>> bool(abs(s.mean() - 0.25) < 0.01)
    True
    """
    return poisson_stream(x, T, rng=rng, signed=signed).materialize(dtype)


def poisson_stream(x, T: int, *, rng=None, signed: bool = True) -> PoissonInput:
    """:func:`poisson`'s spikes as a lazy :class:`PoissonInput` (same checks, same spikes).

    The first layer's event path draws them inside its kernel instead of storing ``(T, B, ...)``
    (:func:`snnlite.snn.event_synapse.poisson_event_linear`); ``.materialize(dtype)`` gives
    the array :func:`poisson` returns for the same ``rng``.
    """
    T = check_steps(T)
    x = _check_rates(x, signed)
    p = np.abs(x).astype(np.float32 if x.dtype in (np.float16, np.float32) else np.float64)
    sign = np.sign(x).astype(np.int8) if signed else np.ones(x.shape, np.int8)
    return PoissonInput(draw_key(as_rng(rng)), rate_p24(p), np.ascontiguousarray(sign).ravel(),
                        T, x.shape)


bernoulli = poisson


def regular(x, T: int, *, rng=None, signed: bool = True) -> np.ndarray:
    """Deterministic rate coding: evenly spaced spikes, ``floor(T |x|)`` of them after ``T`` steps.

    With ``r = |x|`` the spike at step ``t = 1 .. T`` is
    ``sign(x) (floor(t r) - floor((t - 1) r))``, so the count after ``t`` steps is
    ``floor(t r)`` exactly (computed in float64).

    Parameters
    ----------
    x : (B, ...) array_like
        Rates in [-1, 1]; negative rates give -1 spikes (``signed=False``: [0, 1] only).
    T : int
        Number of steps, ``>= 1``.
    rng : ignored
        Deterministic; accepted so that every encoder has one signature.
    signed : bool, default True
        Allow negative rates (spikes carry the sign of ``x``).

    Returns
    -------
    (T, B, ...) int8 array in {-1, 0, 1}.

    Raises
    ------
    TypeError, ValueError
        If ``T < 1``, ``x`` breaks the input rules (module docstring) or lies outside
        [-1, 1] ([0, 1] when unsigned).

    Examples
    --------
    >>> regular([0.5, -0.25], T=4)[:, 0].tolist(), regular([0.5, -0.25], T=4)[:, 1].tolist()
    ([0, 1, 0, 1], [0, 0, 0, -1])
    """
    T = check_steps(T)
    x = _check_rates(x, signed).astype(np.float64)
    t = np.arange(T + 1, dtype=np.float64).reshape((T + 1,) + (1,) * x.ndim)
    spikes = np.diff(np.floor(t * np.abs(x)), axis=0).astype(np.int8)
    return spikes * np.sign(x).astype(np.int8)


def latency(x, T: int, *, rng=None, signed: bool = True, threshold: float = 0.0) -> np.ndarray:
    """Time-to-first-spike coding: one spike per input, earlier for larger ``|x|`` (linear map).

    An input with ``|x| > threshold`` spikes once, with value ``sign(x)``, at step index
    ``t = round((1 - |x|) * (T - 1))`` (0-based; ``|x| = 1`` fires at ``t = 0``, a tiny
    ``|x|`` at ``t = T - 1``); inputs ``|x| <= threshold`` never spike. Ties are rounded half
    to even (``np.rint``, like Python's ``round``).

    Parameters
    ----------
    x : (B, ...) array_like
        Intensities in [-1, 1] ([0, 1] when unsigned).
    T : int
        Number of steps, ``>= 1``.
    rng : ignored
        Deterministic; accepted so that every encoder has one signature.
    signed : bool, default True
        Allow negative intensities (their spike is -1).
    threshold : float, default 0.0
        In [0, 1]: inputs with ``|x|`` at or below it are silent.

    Returns
    -------
    (T, B, ...) int8 array in {-1, 0, 1}, at most one spike per input.

    Notes
    -----
    The spike times depend on ``T``: the first ``t`` steps of a ``T``-step code are not a
    ``t``-step code, so ``accuracy_per_step()[t - 1]`` of a ``T``-step run is not the accuracy
    of a ``t``-step run.

    Raises
    ------
    TypeError, ValueError
        If ``T < 1``, ``x`` breaks the input rules (module docstring) or lies outside
        [-1, 1] ([0, 1] when unsigned), or ``threshold`` is not a number in [0, 1].

    Examples
    --------
    >>> s = latency([1.0, 0.5, 0.0, -0.5], T=5)
    >>> s.argmax(axis=0).tolist(), s.sum(axis=0).tolist()
    ([0, 2, 0, 0], [1, 1, 0, -1])
    """
    T = check_steps(T)
    x = _check_rates(x, signed).astype(np.float64)
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) \
            or not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be a number in [0, 1], got {threshold!r}")
    r = np.abs(x).ravel()
    fire = r > threshold
    step = np.rint((1.0 - r) * (T - 1)).astype(np.intp)
    out = np.zeros((T, x.size), dtype=np.int8)
    out[step[fire], np.flatnonzero(fire)] = np.sign(x.ravel()[fire])
    return out.reshape((T, *x.shape))


#: The encoders whose spike count over ``T`` steps follows ``x`` (about ``T x``): rate codes
#: (``latency`` codes ``x`` in the spike time instead).
RATE_CODES = ("analog", "poisson", "bernoulli", "regular", "poisson_process")

#: Every encoder by name; each is called as ``encoder(x, T, rng=rng, **options)``.
ENCODERS: dict[str, Callable] = {"analog": analog, "poisson": poisson, "bernoulli": bernoulli,
                                 "regular": regular, "latency": latency,
                                 "poisson_process": poisson_process}


def get_encoder(encoder: str | Callable) -> Callable:
    """The encoder named ``encoder`` in :data:`ENCODERS`, or ``encoder`` itself if callable.

    A callable must follow the contract ``f(x, T, *, rng=None, ...) -> (T, B, ...)``.

    Raises
    ------
    ValueError
        If ``encoder`` is a string that names no encoder (the message lists the names).
    TypeError
        If it is neither a string nor a callable.

    Examples
    --------
    >>> get_encoder("regular")([0.5], T=2, rng=0).ravel().tolist()
    [0, 1]
    """
    if callable(encoder):
        return encoder
    if not isinstance(encoder, str):
        raise TypeError(f"encoder must be a name in {sorted(ENCODERS)} or a callable "
                        f"f(x, T, *, rng=None), got {type(encoder).__name__}")
    if encoder not in ENCODERS:
        raise ValueError(f"encoder must be one of {sorted(ENCODERS)} or a callable, "
                         f"got {encoder!r}")
    return ENCODERS[encoder]
