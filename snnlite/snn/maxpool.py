"""Event-based max pooling of spike trains (QFFS Algorithm 2; B3-B7).

Max pooling of an ANN picks the largest activation of each window. In a converted SNN the
activation is the final net spike count ``Z_T`` of each input (spec ``seeds-spec.md`` §1), so
the exact target is ``M_T = maxpool(Z_T)`` (B3). A per-step max over the window's *spikes*
(``naive=True``) does not deliver it: it lets through one spike per step whenever any input
spikes, counting the spikes of different inputs as if they came from one (spec §6.5: 4 output
spikes where the target is 2). The event version keeps the running net count ``C`` of every
input and emits the change of the window maximum::

    C(t)   = C(t-1) + z_in(t)                C(0) = 0        running counts
    M(t)   = maxpool(C(t))                   M(0) = 0        (B4)
    z_out(t) = M(t) - M(t-1)                                 (B5)
    sum_{t=1..T} z_out(t) = M(T) - M(0) = maxpool(Z_T)       (B6-B7, telescoping)

``z_out`` is ternary: every ``C_i`` changes by at most 1 per step and
``|max_i a_i - max_i b_i| <= max_i |a_i - b_i|``, so ``|M(t) - M(t-1)| <= 1``, an integer.
It is negative when the window's leading count drops (negative input spikes). Output spikes
carry the amplitude of the input spikes (one threshold per layer).

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ..nn.im2col import as_pair, output_size
from .encoding import ConstantInput
from .layer import Layer

__all__ = ["EventMaxPool"]


def _require_spikes(x) -> None:
    """Raise TypeError unless ``x`` is an int8 spike array (analog input has no max-pool)."""
    if isinstance(x, ConstantInput):
        raise TypeError("EventMaxPool needs spikes, got analog input (ConstantInput): max "
                        "pooling of analog input is not a spiking operation; put the pool "
                        "after a spiking layer")
    if not isinstance(x, np.ndarray) or x.dtype != np.int8:
        raise TypeError(f"EventMaxPool needs int8 spikes, got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")


@njit
def _event_maxpool_scan(spikes, counts, m_prev, kh, kw, sh, sw, naive, out):
    """Pool ``T`` steps of spikes (Algorithm 2, B4-B5), updating the state in place.

    Parameters
    ----------
    spikes : (T, B, C, H, W) int8 array
        Input spikes in {-1, 0, +1}.
    counts : (B, C, H, W) int32 array
        Running net count ``C`` of every input; updated in place.
    m_prev : (B, C, OH, OW) int32 array
        Window maximum ``M(t-1)`` of the previous step; updated in place.
    kh, kw, sh, sw : int
        Window height and width, vertical and horizontal stride.
    naive : bool
        Emit the per-step maximum of the window's spikes instead (``counts`` and ``m_prev``
        are then left untouched).
    out : (T, B, C, OH, OW) int8 array
        Output spikes; every entry is written.
    """
    T, B, C, H, W = spikes.shape
    OH, OW = out.shape[3], out.shape[4]
    for t in range(T):
        for b in range(B):
            for c in range(C):
                if naive:
                    for oh in range(OH):
                        for ow in range(OW):
                            m = spikes[t, b, c, oh * sh, ow * sw]
                            for i in range(kh):
                                for j in range(kw):
                                    m = max(m, spikes[t, b, c, oh * sh + i, ow * sw + j])
                            out[t, b, c, oh, ow] = m
                    continue
                for h in range(H):
                    for w in range(W):
                        counts[b, c, h, w] += spikes[t, b, c, h, w]  # C(t) = C(t-1) + z_in(t)
                for oh in range(OH):
                    for ow in range(OW):
                        m = counts[b, c, oh * sh, ow * sw]
                        for i in range(kh):
                            for j in range(kw):
                                m = max(m, counts[b, c, oh * sh + i, ow * sw + j])  # B4
                        out[t, b, c, oh, ow] = m - m_prev[b, c, oh, ow]  # B5
                        m_prev[b, c, oh, ow] = m


class EventMaxPool(Layer):
    """Event-based max pooling layer for spike trains (Algorithm 2, B3-B7).

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window height and width.
    stride : int, (int, int) or None
        Step between windows; None means ``kernel_size`` (non-overlapping). Overlapping
        windows are supported; there is no padding.
    naive : bool, default False
        Per-step maximum of the window's spikes instead of the event rule. **Wrong** for
        spikes (its total is not the max of the counts, spec §6.5); for comparison only.
    name : str, optional
        Name used in results (the network assigns ``layer<i>`` when omitted).

    Raises
    ------
    ValueError
        If ``kernel_size`` or ``stride`` is not a positive int or pair of ints.
    TypeError
        If ``naive`` is not a bool.

    Notes
    -----
    Shapes: spikes ``(T, B, C, H, W)`` int8 in {-1, 0, +1} -> ``(T, B, C, OH, OW)`` int8 in
    {-1, 0, +1}, ``OH = (H - kh) // sh + 1``. State (kept per run in the
    :class:`~snnlite.snn.context.RunContext`, so both engines give identical spikes):
    ``{"counts": (B, C, H, W) int32, "m_prev": (B, C, OH, OW) int32}``. The output spikes
    inherit the amplitude of the input spikes. Analog input cannot be pooled here: put the
    pool after a spiking layer.

    Examples
    --------
    Spec §6.5: a 2x2 window over inputs n1 n2 / n3 n4, T = 6.

    >>> import numpy as np
    >>> z = np.array([[1, 0, 1, 0, 0, 0], [0, 1, 1, 1, -1, 0], [1, 1, 0, 0, 0, -1],
    ...               [0] * 6], np.int8).T.reshape(6, 1, 1, 2, 2)
    >>> pool = EventMaxPool(2)
    >>> pool.scan(z, pool.init_state(1, (1, 2, 2)))[:, 0, 0, 0, 0].tolist()
    [1, 1, 0, 1, -1, 0]
    >>> naive = EventMaxPool(2, naive=True)
    >>> naive.scan(z, naive.init_state(1, (1, 2, 2)))[:, 0, 0, 0, 0].tolist()
    [1, 1, 1, 1, 0, 0]
    """

    records = ("spikes",)

    def __init__(self, kernel_size, stride=None, naive: bool = False, name: str | None = None):
        self.kernel_size = as_pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride")
        if not isinstance(naive, (bool, np.bool_)):
            raise TypeError(f"naive must be a bool, got {naive!r}")
        self.naive, self.name = bool(naive), name

    def chain(self, amplitude: float) -> float:
        """Set the amplitude of the incoming spikes; the outgoing ones carry the same."""
        self.in_amplitude = self.amplitude = float(amplitude)
        return self.amplitude

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, int, int]:
        """Per-sample output shape ``(C, OH, OW)`` for an input ``(C, H, W)``.

        Raises
        ------
        ValueError
            If ``shape`` is not ``(C, H, W)`` or ``(H, W)`` is smaller than the window.
        """
        if len(shape) != 3:
            raise ValueError(f"EventMaxPool expects per-sample spikes (C, H, W), got {shape}")
        return (shape[0],) + output_size(shape[1:], self.kernel_size, self.stride)

    def init_state(self, batch: int, shape: tuple[int, ...]) -> dict:
        """Fresh state: zero counts ``(B, C, H, W)`` and zero maxima ``(B, C, OH, OW)``."""
        out = self.output_shape(tuple(shape))
        return {"counts": np.zeros((batch, *shape), np.int32),
                "m_prev": np.zeros((batch, *out), np.int32)}

    def scan(self, spikes: np.ndarray, state: dict) -> np.ndarray:
        """Pool ``T`` steps of spikes; ``state`` is updated in place.

        Calling ``scan`` once per step gives the same output as one call over all steps.

        Parameters
        ----------
        spikes : (T, B, C, H, W) int8 array
            Input spikes in {-1, 0, +1}.
        state : dict
            From :meth:`init_state` for this batch and shape.

        Returns
        -------
        (T, B, C, OH, OW) int8 array in {-1, 0, +1}

        Raises
        ------
        TypeError
            If ``spikes`` is analog input or not an int8 array.
        ValueError
            If ``spikes`` is not 5-D, does not match the state, or has values outside
            {-1, 0, 1}.
        """
        _require_spikes(spikes)
        counts, m_prev = state["counts"], state["m_prev"]
        if spikes.ndim != 5 or spikes.shape[1:] != counts.shape:
            raise ValueError(f"spikes must have shape (T, {', '.join(map(str, counts.shape))})"
                             f", got {spikes.shape}")
        if spikes.size and (spikes.min() < -1 or spikes.max() > 1):
            raise ValueError("spikes must be in {-1, 0, 1}, got values in "
                             f"[{spikes.min()}, {spikes.max()}]")
        out = np.empty((spikes.shape[0],) + m_prev.shape, np.int8)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        _event_maxpool_scan(np.ascontiguousarray(spikes), counts, m_prev, kh, kw, sh, sw,
                            self.naive, out)
        return out

    def forward_seq(self, x, ctx) -> np.ndarray:
        """Layer-major: pool all ``T`` steps ``(T, B, C, H, W)`` at once; count the output."""
        _require_spikes(x)
        state = ctx.state(self, lambda: self.init_state(x.shape[1], x.shape[2:]))
        out = self.scan(x, state)
        ctx.observe(self, out, None)
        return out

    def forward_step(self, x, t: int, ctx) -> np.ndarray:
        """Step-major: pool one step ``(B, C, H, W)`` at 0-based step ``t``."""
        _require_spikes(x)
        state = ctx.state(self, lambda: self.init_state(x.shape[0], x.shape[1:]))
        out = self.scan(x[None], state)
        ctx.observe(self, out, None, t)
        return out[0]

    def __repr__(self) -> str:
        naive = ", naive=True" if self.naive else ""
        return (f"EventMaxPool({self.name}: kernel_size={self.kernel_size}, "
                f"stride={self.stride}{naive})")
