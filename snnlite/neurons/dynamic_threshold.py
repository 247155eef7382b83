"""Hidden neuron of Zou et al. 2024 with dynamic threshold adaptation (A9-A12), float or int64.

Per step ``t`` (spec ``seeds-spec.md`` §2.5; ``d > 0`` the step and ``b0`` the base, both per
channel; ``c`` the net spike count, ``c(0) = 0``; ``m`` the potential, ``m(0) = 0``)::

    m  <- m + I(t)                         (A9)  accumulate; m is never reset
    mh  = max(m, b0)                       (A10) clamp: no negative spike while c = 0
    z   = +1 if mh > b0 + (c + 1) d        (A11) strict ">" at the upper threshold
          -1 if mh < b0 + c d - eps              the lower threshold, with a tolerance eps
           0 otherwise
    c  <- c + z                            (A12) both thresholds move by z d

Equivalently (§2.5, property 2) ``V = m - (b0 + c d)`` is an IF neuron with pre-charge
``-b0``, threshold ``d``, reset by subtraction after ``+1`` and by addition after ``-1``, and a
negative spike iff ``V < -eps`` and ``c > 0``. Once the input stops, ``c`` moves by one per step
towards ``c* = max(0, ceil((m - b0) / d) - 1)`` (property 3, :meth:`DynamicThreshold.level`),
whatever the order in which the input arrived.

Integer mode (A7, scale ``S``): ``d_int = round(S d)``, ``b0_int = round(S (b0 + d)) - d_int``,
the increments are ``S I`` (integers, since ``I`` is: ternary weights times +-1 spikes, or the
encoder's amplitude ``2^K``), and every quantity of the kernel is an ``int64``.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import math

import numpy as np

from snnlite._jit import njit
from snnlite._validate import check_dtype, check_float
from snnlite.neurons.base import (
    Neuron,
    channel_param,
    check_current,
    expand_channels,
    in_dtype_of,
    per_channel,
    short_repr,
)

__all__ = ["DynamicThreshold", "dynamic_threshold_step"]

_INT_LIMIT = 2.0**62  # |values| allowed in int64 arithmetic (headroom for sums)


@njit(inline="always")
def dynamic_threshold_step(m, c, i, d, b0, eps):
    """One step of one dynamic-threshold neuron (A9-A12): the update, written once.

    The same source serves float and integer mode (A7): Numba compiles it once per dtype.

    Parameters
    ----------
    m, c : float (or int64), int
        Accumulated potential and net spike count before the step.
    i : float (or int64)
        Input current ``I(t)`` (``S I(t)`` in integer mode).
    d, b0, eps : float (or int64)
        Threshold step, base and the lower threshold's tolerance, in ``m``'s dtype.

    Returns
    -------
    m_pre, m, c, z
        ``m`` before the (absent) reset and after the step (the same value), the new count
        and the spike.
    """
    m = in_dtype_of(m + i, m)  # A9: accumulate; m is never reset
    mh = max(m, b0)  # A10: clamp
    z = 0
    if mh > b0 + (c + 1) * d:  # A11: upper threshold (strict)
        z = 1
    elif mh < b0 + c * d - eps:  # A11: lower threshold
        z = -1
    return m, m, c + z, z  # A12: both thresholds move by z d


def _dt_scan_source(current, m, c, d, b0, eps, spikes, trace, trace_pre):
    """Advance dynamic-threshold neurons over ``T`` steps (A9-A12), in place.

    One source, two compiled kernels: :func:`_dt_scan` (float mode) and :func:`_dt_scan_int`
    (integer mode, every argument an integer), both looping :func:`dynamic_threshold_step`.

    Parameters
    ----------
    current : (T, N) float (int64) array
        Input current ``I(t)`` (scaled increments ``S I(t)`` in integer mode).
    m : (N,) float (int64) array
        Accumulated potential; updated in place.
    c : (N,) int32 array
        Net spike count (>= 0); updated in place.
    d, b0 : (N,) float (int64) arrays
        Per-neuron step and base (``d_int``, ``b0_int`` in integer mode), ``m``'s dtype.
    eps : float scalar (int)
        Tolerance of the lower threshold (``floor(S eps)`` in integer mode).
    spikes : (T, N) int8 array
        Output; every entry is written (-1, 0 or 1).
    trace, trace_pre : (T, N) arrays of ``m``'s dtype, or (0, N) arrays
        ``m`` after each step, and before the reset (the same values: ``m`` is never reset);
        zero rows means "not recorded".
    """
    record, record_pre = trace.shape[0] > 0, trace_pre.shape[0] > 0
    for t in range(current.shape[0]):
        for n in range(current.shape[1]):
            m_pre, m[n], c[n], z = dynamic_threshold_step(m[n], c[n], current[t, n], d[n],
                                                          b0[n], eps)
            spikes[t, n] = z
            if record:
                trace[t, n] = m[n]
            if record_pre:
                trace_pre[t, n] = m_pre


# Two dispatchers of one source, so the integer kernel's compiled signatures are all-integer.
_dt_scan = njit(_dt_scan_source)
_dt_scan_int = njit(_dt_scan_source)


def _scaled_integers(name: str, x, scale: int) -> np.ndarray:
    """``scale * x`` as int64, for an ``x`` that holds integers (any dtype).

    Raises
    ------
    ValueError
        If ``x`` has non-finite or non-integral values, or ``scale * x`` is too large for
        int64 arithmetic.
    """
    x = np.asarray(x)
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x) | (np.rint(x) != x)
        if np.any(bad):
            raise ValueError(f"{name} must hold integers in integer mode (ternary weights "
                             f"times +-1 spikes, or integer amplitudes); got {x[bad][0]!r}")
    elif x.dtype.kind not in "iub":
        raise ValueError(f"{name} must be a numeric array, got dtype {x.dtype}")
    if x.size and np.max(np.abs(x)) * float(scale) > _INT_LIMIT:
        raise ValueError(f"{name} * scale exceeds the int64 range ({_INT_LIMIT:.0e})")
    return x.astype(np.int64) * np.int64(scale)


class DynamicThreshold(Neuron):
    """Zou et al.'s hidden neuron: never-reset potential, thresholds that follow the count.

    Parameters
    ----------
    d : float or (C,) array_like
        Threshold step ``d > 0`` (A4: ``sigma' / gamma`` after BN folding), per channel.
    b0 : float or (C,) array_like
        Threshold base ("bound", A5); the ``n``-th spike needs ``m > b0 + n d``.
    eps : float, default 1e-5
        Tolerance of the lower threshold (A11), ``0 <= eps < min(d)``.
    integer : bool, default False
        Integer mode (A7): ``int64`` state and thresholds, integral currents scaled by ``scale``.
    scale : int, default 10_000
        ``S`` of A7 (integer mode only).

    Attributes
    ----------
    d_int, b0_int : int64 arrays (0-D or (C,)), or None
        ``round(S d)`` and ``round(S (b0 + d)) - d_int`` (A7); None in float mode.
    eps_int : int or None
        ``floor(S eps)`` (integer mode), see Notes; None in float mode.

    Raises
    ------
    ValueError
        If ``d <= 0``, a parameter is not finite or has more than one axis, ``d`` and ``b0``
        have different channel counts, ``eps`` is outside ``[0, min(d))``, ``scale`` is not a
        positive integer, or (integer mode) ``S d`` rounds to 0 or the thresholds overflow.

    Notes
    -----
    State: ``{"m", "c", "d", "b0"}``, each ``(N,)``: ``m`` in the state dtype (``int64`` in
    integer mode, in units of ``1/S``), ``c`` ``int32``, and the per-neuron ``d``, ``b0`` (or
    ``d_int``, ``b0_int``) expanded from the per-channel values along ``shape[0]``. Spikes are
    ``int8`` in {-1, 0, +1}. The trace records ``m`` (``V = m - (b0 + c d)`` is the IF view).

    Ties (§1): the upper comparison is strict, so a potential exactly on ``b0 + n d`` does not
    give the ``n``-th spike (half-down), and a count that came from above stays on it, because
    ``m < b0 + n d - eps`` is false: exact ties are the one place where the final count depends
    on the arrival order. In integer mode ``m`` and the thresholds are integers, so the float
    rule ``m < theta - S eps`` is exactly ``m < theta - floor(S eps)``: ``eps_int = floor(S
    eps)``, which is 0 for the default ``eps = 1e-5`` with any ``S < 10^5`` (as in the authors'
    code, which compares integers with ``theta - 1e-5``). Integer mode then adds no tolerance
    and reproduces the float spikes whenever ``S d`` and ``S (b0 + d)`` are integers.

    Examples
    --------
    §6.1 of the spec, example B (the late inhibition is corrected by negative spikes):

    >>> import numpy as np
    >>> neuron = DynamicThreshold(d=1.0, b0=-0.5)
    >>> state = neuron.init_state(1, 1, dtype=np.float64)
    >>> current = np.array([1.0] * 8 + [-2.0] * 2 + [0.0] * 4)[:, None]
    >>> neuron.scan(current, state)[:, 0].tolist()
    [1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, 0, 0]
    >>> int(state["c"][0]), float(state["m"][0])
    (4, 4.0)
    """

    def __init__(self, d, b0, eps: float = 1e-5, integer: bool = False, scale: int = 10_000):
        self.d = channel_param("d", d, positive=True)
        self.b0 = channel_param("b0", b0)
        if self.d.ndim and self.b0.ndim and self.d.size != self.b0.size:
            raise ValueError(f"d and b0 must have the same number of channels, "
                             f"got {self.d.size} and {self.b0.size}")
        self.eps = check_float("eps", eps)
        if not 0.0 <= self.eps < self.d.min():
            raise ValueError(f"eps must be in [0, min(d)) = [0, {self.d.min()}), got {eps!r}")
        if isinstance(scale, bool) or int(scale) != scale or scale < 1:
            raise ValueError(f"scale must be a positive integer, got {scale!r}")
        self.scale = int(scale)
        self.integer = bool(integer)
        self.d_int = self.b0_int = self.eps_int = None
        if self.integer:
            if np.max(self.scale * (np.abs(self.b0) + 2 * self.d)) > _INT_LIMIT:
                raise ValueError(f"scale * (|b0| + 2 d) exceeds the int64 range ({_INT_LIMIT:.0e})")
            self.d_int = np.rint(self.scale * self.d).astype(np.int64)  # A7
            self.b0_int = np.rint(self.scale * (self.b0 + self.d)).astype(np.int64) - self.d_int
            if np.any(self.d_int < 1):
                raise ValueError(f"scale * d must round to >= 1, got d = {self.d.min()} with "
                                 f"scale = {self.scale}; increase scale")
            self.eps_int = math.floor(self.scale * self.eps)

    def __repr__(self) -> str:
        mode = f", integer=True, scale={self.scale}" if self.integer else ""
        return (f"DynamicThreshold(d={short_repr(self.d)}, b0={short_repr(self.b0)}, "
                f"eps={self.eps}{mode})")

    def init_state(self, batch: int, shape, dtype=np.float32) -> dict:
        """Fresh state: ``m = 0``, ``c = 0`` and the per-neuron ``d``, ``b0``.

        Parameters
        ----------
        batch : int
            Number of samples.
        shape : int or tuple of int
            Per-sample population shape, channels first (``(C,)`` or ``(C, H, W)``).
        dtype : floating dtype, default float32
            Dtype of ``m``, ``d``, ``b0`` in float mode; ignored in integer mode (``int64``).

        Raises
        ------
        ValueError
            If the parameters are per-channel and ``shape[0]`` is not their length.
        """
        if self.integer:
            dtype, d, b0 = np.dtype(np.int64), self.d_int, self.b0_int
        else:
            dtype, d, b0 = check_dtype(dtype), self.d, self.b0
        d_full = expand_channels("d", d, batch, shape, dtype)
        return {
            "m": np.zeros(d_full.shape, dtype=dtype),
            "c": np.zeros(d_full.shape, dtype=np.int32),
            "d": d_full,
            "b0": expand_channels("b0", b0, batch, shape, dtype),
        }

    def scan(
        self, current: np.ndarray, state: dict, trace: np.ndarray | None = None,
        trace_pre: np.ndarray | None = None,
    ) -> np.ndarray:
        """Advance over ``T`` steps (A9-A12); ``state`` is updated in place.

        Parameters
        ----------
        current : (T, N) array
            Input current per step. In integer mode it must hold integers (any dtype); the
            kernel receives ``S * current`` as ``int64``.
        state : dict
            From :meth:`init_state` of a neuron in the same mode.
        trace : (T, N) float array, optional
            Receives ``m`` after each step (in integer mode ``m_int / S``, the float units).
        trace_pre : (T, N) float array, optional
            Receives ``m`` before the reset: the same values, since ``m`` is never reset.

        Returns
        -------
        spikes : (T, N) int8 array in {-1, 0, +1}

        Raises
        ------
        ValueError
            For a bad shape, or non-integral / too large currents in integer mode.
        TypeError
            If the state's dtype does not match the mode.
        """
        current = check_current(current, state, trace, trace_pre)
        m = state["m"]
        if (m.dtype == np.int64) != self.integer:
            raise TypeError(f"state m has dtype {m.dtype}, which does not match "
                            f"integer={self.integer}; use this neuron's init_state")
        spikes = np.empty(current.shape, dtype=np.int8)
        if self.integer:
            current = _scaled_integers("current", current, self.scale)  # A7
            traces = [np.empty((0 if buffer is None else current.shape[0], current.shape[1]),
                               dtype=np.int64) for buffer in (trace, trace_pre)]
            _dt_scan_int(current, m, state["c"], state["d"], state["b0"], self.eps_int,
                         spikes, *traces)
            for buffer, scaled in zip((trace, trace_pre), traces, strict=True):
                if buffer is not None:
                    buffer[...] = scaled / self.scale
            return spikes
        empty = np.empty((0, current.shape[1]), dtype=m.dtype)
        _dt_scan(current, m, state["c"], state["d"], state["b0"], m.dtype.type(self.eps),
                 spikes, empty if trace is None else trace,
                 empty if trace_pre is None else trace_pre)
        return spikes

    def _step(self) -> np.ndarray:
        """The threshold step in current units (``d_int / S`` in integer mode)."""
        return self.d_int / self.scale if self.integer else self.d

    def rate(self, current, axis: int = 0) -> np.ndarray:
        """Long-run net spikes per step for a constant current ``I`` per step: ``clip(I/d, 0, 1)``.

        ``m = t I`` grows and ``c`` follows ``c*`` (which rises by ``I / d`` per step) at up to
        one spike per step; for ``I <= 0``, ``c`` returns to 0.

        Parameters
        ----------
        current : array_like of float
            Constant current per step, any shape (channels on ``axis`` when the parameters are
            per-channel).
        axis : int, default 0
            Channel axis of ``current`` (0 for a per-sample ``(C, ...)`` array, 1 for a batch).

        Returns
        -------
        float64 array of the shape of ``current``, values in [0, 1].
        """
        i = np.asarray(current, dtype=np.float64)
        return np.clip(i / per_channel(self._step(), i, axis), 0.0, 1.0)

    def level(self, total_current, axis: int = 0) -> np.ndarray:
        """Final count once the input stops: ``c* = max(0, ceil((m - b0) / d) - 1)`` (§2.5).

        ``m`` is the total input; ``c`` then moves by one per step towards ``c*`` whatever the
        order of the input. In integer mode ``c*`` is computed exactly from ``S m``, ``d_int``
        and ``b0_int``. At an exact tie ``m = b0 + n d`` a count arriving from above stays at
        ``n`` instead of ``c* = n - 1`` (see the class Notes).

        Parameters
        ----------
        total_current : array_like
            Total input ``m`` per neuron (integers in integer mode).
        axis : int, default 0
            Channel axis when the parameters are per-channel.

        Returns
        -------
        int32 array of the shape of ``total_current``.
        """
        if self.integer:
            m = _scaled_integers("total_current", total_current, self.scale)
            d, b0 = per_channel(self.d_int, m, axis), per_channel(self.b0_int, m, axis)
            levels = -((b0 - m) // d) - 1  # ceil((m - b0) / d) - 1 in integers
        else:
            m = np.asarray(total_current, dtype=np.float64)
            d, b0 = per_channel(self.d, m, axis), per_channel(self.b0, m, axis)
            levels = np.ceil((m - b0) / d) - 1
        return np.maximum(levels, 0).astype(np.int32)
