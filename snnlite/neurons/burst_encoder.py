"""Encoding-layer neuron of Zou et al. 2024: a burst of up to ``t_enc`` spikes (A8).

The scaled image current is presented only at the first step (later steps get zero current,
so ``m`` stays constant). The threshold rises by ``d1`` at every step whether or not the
neuron fired. Per step ``t = 1, 2, ...`` (1-based, counted per neuron across ``scan`` calls;
spec ``seeds-spec.md`` §2.4)::

    m      <- m + I(t)                     m(0) = 0: m is the current of step 1
    theta_t = b01 + t d1                   (A8)
    z_t     = 1[m >= theta_t]  for t <= t_enc,  0 afterwards   (non-strict ">=")

The spec writes ``max(m, b01) >= theta_t``; since ``theta_t > b01`` the clamp never changes
the result. The neuron emits a contiguous burst of
``n = clip(floor((m - b01) / d1), 0, t_enc)`` spikes at steps ``1..n`` (a thermometer code;
:meth:`BurstEncoder.level`); with ``b01 = -d1 / 2`` this is ``round_half_up(m / d1)`` clipped
to ``[0, t_enc]``, the first-layer ANN activation (A2). The spike amplitude ``2^K`` is the
layer's, not the neuron's.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np

from snnlite._jit import njit
from snnlite._validate import check_dtype
from snnlite.neurons.base import (
    Neuron,
    channel_param,
    expand_channels,
    in_dtype_of,
    per_channel,
    scan_buffers,
    short_repr,
)

__all__ = ["BurstEncoder", "burst_encoder_step"]


@njit(inline="always")
def burst_encoder_step(m, step, i, d1, b01, t_enc):
    """One step of one encoding neuron (A8): the update, written once.

    Parameters
    ----------
    m, step : float, int
        Membrane potential and steps already taken before this step.
    i : float
        Input current (the image current at step 1, zeros afterwards).
    d1, b01 : float
        Threshold step and base (in ``m``'s dtype).
    t_enc : int
        Length of the encoding window.

    Returns
    -------
    m_pre, m, step, s
        ``m`` before the (absent) reset and after the step (the same value), the new step
        count and the spike.
    """
    m = in_dtype_of(m + i, m)  # m(0) = 0: m is the current of step 1
    step += 1
    s = 1 if step <= t_enc and m >= b01 + step * d1 else 0  # A8: theta_t = b01 + t d1
    return m, m, step, s


@njit
def _burst_scan(current, m, step, d1, b01, t_enc, spikes, trace, trace_pre):
    """Advance encoding neurons over ``T`` steps (:func:`burst_encoder_step`), in place.

    Parameters
    ----------
    current : (T, N) float array
        Input current (the image current at step 1, zeros afterwards).
    m : (N,) float array
        Membrane potential; updated in place.
    step : (N,) int32 array
        Steps already taken; updated in place (so the threshold schedule survives split scans).
    d1, b01 : (N,) float arrays
        Per-neuron threshold step and base (same dtype as ``m``).
    t_enc : int
        Length of the encoding window.
    spikes : (T, N) int8 array
        Output; every entry is written (0 or 1).
    trace, trace_pre : (T, N) float arrays or (0, N) arrays
        ``m`` after each step, and before the reset (the same values: ``m`` is never reset);
        zero rows means "not recorded".
    """
    record, record_pre = trace.shape[0] > 0, trace_pre.shape[0] > 0
    for t in range(current.shape[0]):
        for n in range(current.shape[1]):
            m_pre, m[n], step[n], s = burst_encoder_step(m[n], step[n], current[t, n], d1[n],
                                                         b01[n], t_enc)
            spikes[t, n] = s
            if record:
                trace[t, n] = m[n]
            if record_pre:
                trace_pre[t, n] = m_pre


class BurstEncoder(Neuron):
    """Zou et al.'s encoding neuron: a rising threshold turns ``m`` into a burst of spikes (A8).

    Parameters
    ----------
    d1 : float or (C,) array_like
        Threshold step ``d1 > 0`` (A6), per channel.
    b01 : float or (C,) array_like
        Threshold base (A6); the ``t``-th spike needs ``m >= b01 + t d1``.
    t_enc : int, default 4
        Encoding window ``T_enc = 2^k0 B`` (4 in the paper): no spike after step ``t_enc``.

    Raises
    ------
    ValueError
        If ``d1 <= 0``, a parameter is not finite or has more than one axis, ``d1`` and
        ``b01`` have different channel counts, or ``t_enc`` is not a positive integer.

    Notes
    -----
    State: ``{"m", "step", "d1", "b01"}``, each ``(N,)``: ``m`` in the state dtype, ``step``
    ``int32`` (steps taken), and the per-neuron parameters expanded along ``shape[0]``.
    Spikes are ``int8`` in {0, 1}. The trace records ``m``. Input after step 1 is integrated
    too; the spec's encoder receives none (present the image with one input step).

    Examples
    --------
    §6.4 of the spec (``d1 = 1``, ``b01 = -0.5``: thresholds 0.5, 1.5, 2.5, 3.5):

    >>> import numpy as np
    >>> encoder = BurstEncoder(d1=1.0, b01=-0.5)
    >>> state = encoder.init_state(1, 1, dtype=np.float64)
    >>> encoder.scan(np.array([[2.3], [0], [0], [0], [0], [0]]), state)[:, 0].tolist()
    [1, 1, 0, 0, 0, 0]
    >>> encoder.level([2.3, 5.0, 0.5]).tolist()
    [2, 4, 1]
    """

    def __init__(self, d1, b01, t_enc: int = 4):
        self.d1 = channel_param("d1", d1, positive=True)
        self.b01 = channel_param("b01", b01)
        if self.d1.ndim and self.b01.ndim and self.d1.size != self.b01.size:
            raise ValueError(f"d1 and b01 must have the same number of channels, "
                             f"got {self.d1.size} and {self.b01.size}")
        if isinstance(t_enc, bool) or int(t_enc) != t_enc or t_enc < 1:
            raise ValueError(f"t_enc must be a positive integer, got {t_enc!r}")
        self.t_enc = int(t_enc)

    def __repr__(self) -> str:
        return (f"BurstEncoder(d1={short_repr(self.d1)}, b01={short_repr(self.b01)}, "
                f"t_enc={self.t_enc})")

    def init_state(self, batch: int, shape, dtype=np.float32) -> dict:
        """Fresh state: ``m = 0``, ``step = 0`` and the per-neuron ``d1``, ``b01``.

        Parameters
        ----------
        batch : int
            Number of samples.
        shape : int or tuple of int
            Per-sample population shape, channels first (``(C, H, W)``).
        dtype : floating dtype, default float32
            Dtype of ``m``, ``d1``, ``b01``.

        Raises
        ------
        ValueError
            If the parameters are per-channel and ``shape[0]`` is not their length.
        """
        dtype = check_dtype(dtype)
        d1 = expand_channels("d1", self.d1, batch, shape, dtype)
        return {
            "m": np.zeros(d1.shape, dtype=dtype),
            "step": np.zeros(d1.shape, dtype=np.int32),
            "d1": d1,
            "b01": expand_channels("b01", self.b01, batch, shape, dtype),
        }

    def scan(
        self, current: np.ndarray, state: dict, trace: np.ndarray | None = None,
        trace_pre: np.ndarray | None = None,
    ) -> np.ndarray:
        """Advance over ``T`` steps (A8); ``state`` is updated in place.

        Parameters
        ----------
        current : (T, N) float array
            Input current per step (the image current at the first step of the run).
        state : dict
            From :meth:`init_state`.
        trace : (T, N) float array, optional
            Receives ``m`` after each step.
        trace_pre : (T, N) float array, optional
            Receives ``m`` before the reset: the same values, since ``m`` is never reset.

        Returns
        -------
        spikes : (T, N) int8 array in {0, 1}
        """
        current, spikes, trace, trace_pre = scan_buffers(current, state, trace, "m", trace_pre)
        m = state["m"]
        _burst_scan(current, m, state["step"], state["d1"], state["b01"], self.t_enc, spikes,
                    trace, trace_pre)
        return spikes

    def level(self, current, axis: int = 0) -> np.ndarray:
        """Burst length ``n = clip(floor((m - b01) / d1), 0, t_enc)`` for the step-1 current ``m``.

        Parameters
        ----------
        current : array_like of float
            The current ``m`` of step 1, any shape (channels on ``axis`` when per-channel).
        axis : int, default 0
            Channel axis of ``current`` (0 for a per-sample ``(C, ...)`` array, 1 for a batch).

        Returns
        -------
        int32 array of the shape of ``current``.
        """
        m = np.asarray(current, dtype=np.float64)
        d1, b01 = per_channel(self.d1, m, axis), per_channel(self.b01, m, axis)
        return np.clip(np.floor((m - b01) / d1), 0, self.t_enc).astype(np.int32)

    def rate(self, current, axis: int = 0) -> np.ndarray:
        """Spikes per step over the encoding window: ``level(current) / t_enc``.

        The encoder approximates the first-layer activation ``y1 = level`` in ``[0, t_enc]``
        (A2); after the window it is silent, so this is the rate over steps ``1..t_enc``.

        Parameters
        ----------
        current : array_like of float
            The current ``m`` of step 1.
        axis : int, default 0
            Channel axis of ``current`` when the parameters are per-channel.

        Returns
        -------
        float64 array of the shape of ``current``, values in [0, 1].
        """
        return self.level(current, axis) / self.t_enc
