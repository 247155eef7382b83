"""Input encoders: turn an image batch ``x`` of shape ``(B, ...)`` into ``T`` steps of input.

Every encoder returns a time-first sequence ``(T, B, ...)``:

========== ============================================= =================================
encoder    step ``t`` (``t = 0 .. T-1``)                  output
========== ============================================= =================================
analog     ``x`` while ``t < t_in``, then 0               :class:`ConstantInput` (lazy)
poisson    ``sign(x) * 1[u < |x|]``, ``u ~ U[0, 1)``      int8 in {-1, 0, 1}
regular    ``floor((t+1) r) - floor(t r)``, ``r = x``     int8 in {0, 1}
latency    one spike at ``round((1 - x) (T - 1))``        int8 in {0, 1}
========== ============================================= =================================

Analog (current) input removes rate-coding noise (spec §3.4); Poisson/Bernoulli rate coding is
Panda et al.'s input (§4.1).
"""

from __future__ import annotations

import numpy as np

from snnlite.nn.init import as_rng
from snnlite.snn.fast_bernoulli import bernoulli_spikes

__all__ = ["ConstantInput", "analog", "bernoulli", "latency", "poisson", "regular"]


def check_steps(T) -> int:
    """Return ``T`` as an int >= 1 or raise ValueError."""
    if isinstance(T, bool) or int(T) != T or T < 1:
        raise ValueError(f"T must be an integer >= 1, got {T!r}")
    return int(T)


def _check_batch(x) -> np.ndarray:
    """Return ``x`` as a finite array with a batch axis (ndim >= 1) or raise ValueError."""
    x = np.asarray(x)
    if x.ndim < 1:
        raise ValueError(f"x must have a batch axis, shape (B, ...), got shape {x.shape}")
    if x.dtype.kind not in "biuf":
        raise ValueError(f"x must be real numbers, got dtype {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or inf")
    return x


class ConstantInput:
    """The sequence ``(T, B, ...)`` equal to ``x`` at steps ``t < t_in`` and 0 after, unstored.

    Parameters
    ----------
    x : (B, ...) float array
        The input current of every step.
    T : int
        Number of steps.
    t_in : int or None
        Steps with input (``None``: all ``T``); the spec's ``1[t <= T_in]`` (B14).

    Attributes
    ----------
    value : (B, ...) array
        ``x`` itself. The engine computes the first layer's current ``W x`` **once** from it
        and reuses it for the first ``steps_on`` steps (the input is zero afterwards).
    T, t_in : int, int or None
        As given.
    steps_on : int
        ``min(t_in, T)`` (``T`` when ``t_in`` is None).
    shape, dtype, ndim
        Those of the materialised array.

    Notes
    -----
    ``np.asarray(inp)`` or :meth:`materialize` builds the full ``(T, B, ...)`` array (costs
    ``T`` copies of ``x``); ``inp[t]`` returns step ``t`` alone.
    """

    def __init__(self, x: np.ndarray, T: int, t_in: int | None = None):
        self.value = x
        self.T = T
        self.t_in = t_in
        self.steps_on = T if t_in is None else min(t_in, T)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.T, *self.value.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def ndim(self) -> int:
        return self.value.ndim + 1

    def __len__(self) -> int:
        return self.T

    def __getitem__(self, t: int) -> np.ndarray:
        """Input at step ``t`` (an int, negative counts from the end): ``x`` or zeros."""
        if not isinstance(t, (int, np.integer)):
            raise TypeError(f"ConstantInput supports integer step indices only, got {t!r}")
        if not -self.T <= t < self.T:
            raise IndexError(f"step {t} out of range for T = {self.T}")
        return self.value if t % self.T < self.steps_on else np.zeros_like(self.value)

    def window(self, start: int, stop: int) -> ConstantInput:
        """The steps ``start .. stop-1`` as a ConstantInput of ``stop - start`` steps."""
        if not 0 <= start < stop <= self.T:
            raise IndexError(f"window [{start}, {stop}) out of range for T = {self.T}")
        return ConstantInput(self.value, stop - start, max(0, self.steps_on - start))

    def materialize(self) -> np.ndarray:
        """The full ``(T, B, ...)`` array."""
        out = np.zeros(self.shape, dtype=self.dtype)
        out[: self.steps_on] = self.value
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if copy is False:
            raise ValueError("ConstantInput cannot be converted to an array without a copy")
        out = self.materialize()
        return out if dtype is None else out.astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"ConstantInput(shape={self.shape}, dtype={self.dtype}, t_in={self.t_in})"


def analog(x, T: int, t_in: int | None = None) -> ConstantInput:
    """Analog (current) coding: the same input ``x`` at every step, off after ``t_in`` steps.

    Parameters
    ----------
    x : (B, ...) array_like
        Input batch (integers are converted to float32).
    T : int
        Number of steps, ``>= 1``.
    t_in : int, optional
        Input is on for steps ``t < t_in`` and zero after (input shut-down, B14); ``None``
        keeps it on.

    Returns
    -------
    ConstantInput
        Lazy ``(T, B, ...)`` sequence; ``.value`` is ``x``.

    Raises
    ------
    ValueError
        If ``T < 1``, ``t_in < 0``, or ``x`` has no batch axis or non-finite values.

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
    x = _check_batch(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    if t_in is not None and (isinstance(t_in, bool) or int(t_in) != t_in or t_in < 0):
        raise ValueError(f"t_in must be None or an integer >= 0, got {t_in!r}")
    return ConstantInput(x, T, None if t_in is None else int(t_in))


def poisson(x, T: int, rng=None, signed: bool = True, dtype=np.int8) -> np.ndarray:
    """Rate (Poisson/Bernoulli) coding: per step a spike with probability ``|x|`` (§4.1).

    ``spike[t] = sign(x) * 1[u_t < clip(|x|, 0, 1)]`` with ``u_t ~ U[0, 1)`` drawn
    independently per step and element, at float32 resolution (2**-24), from a counter-based
    generator keyed by one draw of ``rng`` (see :mod:`snnlite.snn.fast_bernoulli`).

    Parameters
    ----------
    x : (B, ...) array_like
        Input batch; with ``signed`` it may be negative (mean/std-normalised inputs).
    T : int
        Number of steps, ``>= 1``.
    rng : Generator, int or None
        Random source (same seed, same spikes).
    signed : bool, default True
        Give spikes the sign of ``x`` (-1 for negative inputs). When False, ``x`` must be
        ``>= 0``.
    dtype : data-type, default int8
        Of the result (float32 for spikes that feed a matrix product directly).

    Returns
    -------
    (T, B, ...) array in {-1, 0, 1} ({0, 1} when unsigned).

    Raises
    ------
    ValueError
        If ``T < 1``, ``x`` has no batch axis or non-finite values, or ``signed`` is False and
        ``x`` has negative values.

    Examples
    --------
    >>> import numpy as np
    >>> s = poisson(np.full((1, 1000), 0.25), T=40, rng=0)
    >>> s.shape, s.dtype
    ((40, 1, 1000), dtype('int8'))
    >>> bool(abs(s.mean() - 0.25) < 0.01)
    True
    """
    T = check_steps(T)
    x = _check_batch(x)
    if not signed and np.any(x < 0):
        raise ValueError("x has negative values; use signed=True or inputs >= 0")
    p = np.clip(np.abs(x), 0.0, 1.0)
    sign = np.sign(x).astype(np.int8) if signed else np.ones(x.shape, np.int8)
    return bernoulli_spikes(p, sign, T, as_rng(rng), dtype)


bernoulli = poisson


def regular(x, T: int) -> np.ndarray:
    """Deterministic rate coding: evenly spaced spikes, ``floor(T r)`` of them after ``T`` steps.

    With ``r = clip(x, 0, 1)`` the spike at step ``t = 1 .. T`` is
    ``floor(t r) - floor((t - 1) r)`` (in {0, 1}), so the count after ``t`` steps is
    ``floor(t r)`` exactly (computed in float64).

    Parameters
    ----------
    x : (B, ...) array_like
        Rates; values outside [0, 1] are clipped.
    T : int
        Number of steps, ``>= 1``.

    Returns
    -------
    (T, B, ...) int8 array in {0, 1}.

    Raises
    ------
    ValueError
        If ``T < 1`` or ``x`` has no batch axis or non-finite values.

    Examples
    --------
    >>> regular([0.5, 0.25], T=4)[:, 0].tolist(), regular([0.5, 0.25], T=4)[:, 1].tolist()
    ([0, 1, 0, 1], [0, 0, 0, 1])
    """
    T = check_steps(T)
    r = np.clip(_check_batch(x).astype(np.float64), 0.0, 1.0)
    t = np.arange(T + 1, dtype=np.float64).reshape((T + 1,) + (1,) * r.ndim)
    return np.diff(np.floor(t * r), axis=0).astype(np.int8)


def latency(x, T: int, threshold: float = 0.0) -> np.ndarray:
    """Time-to-first-spike coding: one spike per input, earlier for larger ``x`` (linear map).

    An input with ``x > threshold`` spikes once, at step index
    ``t = round((1 - clip(x, 0, 1)) * (T - 1))`` (0-based; ``x = 1`` fires at ``t = 0``, a
    tiny ``x`` at ``t = T - 1``); inputs ``x <= threshold`` never spike. Ties are rounded half
    to even (``np.rint``, like Python's ``round``).

    Parameters
    ----------
    x : (B, ...) array_like
        Intensities, normally in [0, 1].
    T : int
        Number of steps, ``>= 1``.
    threshold : float, default 0.0
        Inputs at or below it are silent.

    Returns
    -------
    (T, B, ...) int8 array in {0, 1}, at most one spike per input.

    Notes
    -----
    The spike times depend on ``T``: the first ``t`` steps of a ``T``-step code are not a
    ``t``-step code, so ``accuracy_per_step()[t - 1]`` of a ``T``-step run is not the accuracy
    of a ``t``-step run.

    Raises
    ------
    ValueError
        If ``T < 1``, ``x`` has no batch axis or non-finite values, or ``threshold`` is not a
        finite number.

    Examples
    --------
    >>> s = latency([1.0, 0.5, 0.0], T=5)
    >>> s.argmax(axis=0).tolist(), s.sum(axis=0).tolist()
    ([0, 2, 0], [1, 1, 0])
    """
    T = check_steps(T)
    x = _check_batch(x).astype(np.float64)
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    fire = (x > threshold).ravel()
    step = np.rint((1.0 - np.clip(x, 0.0, 1.0)) * (T - 1)).astype(np.intp).ravel()
    out = np.zeros((T, x.size), dtype=np.int8)
    out[step[fire], np.flatnonzero(fire)] = 1
    return out.reshape((T, *x.shape))
