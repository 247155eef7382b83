"""Multi-spike integrate-and-fire neuron: up to ``n`` spikes per step, reset by subtraction.

The IF neuron of Sinabs (``IAF`` / ``IAFSqueeze`` with its default ``MultiSpike`` spike
function and ``MembraneSubtract`` reset), the neuron of every graph Sinabs exports to NIR.
Per step ``t`` (``th`` the threshold, ``n`` = ``max_spikes``; a variant of B9)::

    V(t) <- V(t-1) + I(t)                            integrate (no leak)
    z(t)  = min(floor(V(t) / th), n)  if V(t) >= th  number of spikes this step, 0 <= z <= n
            0                          otherwise
    V(t) <- V(t) - th * z(t)                         reset by subtraction, once per spike

``V(0) = v_init``. With ``n = 1`` this is :class:`~snnlite.neurons.IF` with
``reset="subtract"``. Spikes are ``int8`` counts (``n <= 127``); the spike counters of
:mod:`snnlite.snn.context` add them by magnitude.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import math

import numpy as np

from snnlite._jit import njit
from snnlite._validate import check_dtype, check_float
from snnlite.neurons.base import (
    Neuron,
    in_dtype_of,
    n_neurons,
    scan_buffers,
)

__all__ = ["MultiSpikeIF", "multispike_if_step"]


@njit(inline="always")
def multispike_if_step(v, i, threshold, max_spikes):
    """One multi-spike IF step of one neuron (B9 with up to ``n`` spikes): written once.

    Parameters
    ----------
    v, i : float
        Membrane potential before the step and input current ``I(t)``.
    threshold : float
        ``th`` (in ``v``'s dtype).
    max_spikes : int
        ``n``, the most spikes per step.

    Returns
    -------
    v_pre, v, z
        Potential before the reset, potential after the step, number of spikes.
    """
    v_pre = in_dtype_of(v + i, v)  # integrate
    z = 0
    if v_pre >= threshold:  # z = min(floor(V / th), n)
        z = min(int(math.floor(v_pre / threshold)), max_spikes)
    return v_pre, in_dtype_of(v_pre - threshold * z, v), z  # subtract th once per spike


@njit
def _multispike_if_scan(current, v, threshold, max_spikes, spikes, trace, trace_pre):
    """Advance multi-spike IF neurons over ``T`` steps (:func:`multispike_if_step`), in place.

    Parameters
    ----------
    current : (T, N) float array
        Input current per step and neuron.
    v : (N,) float array
        Membrane potential; updated in place.
    threshold : float scalar
        ``th`` (same dtype as ``v``).
    max_spikes : int
        ``n``, the most spikes per step.
    spikes : (T, N) int8 array
        Output: the number of spikes of each neuron at each step.
    trace, trace_pre : (T, N) float arrays or (0, N) arrays
        Membrane potential after / before the reset of each step; zero rows means "not
        recorded".
    """
    record, record_pre = trace.shape[0] > 0, trace_pre.shape[0] > 0
    for t in range(current.shape[0]):
        for n in range(current.shape[1]):
            v_pre, v[n], spikes[t, n] = multispike_if_step(v[n], current[t, n], threshold,
                                                           max_spikes)
            if record:
                trace[t, n] = v[n]
            if record_pre:
                trace_pre[t, n] = v_pre


class MultiSpikeIF(Neuron):
    """Integrate-and-fire neuron emitting up to ``max_spikes`` spikes per step (Sinabs' IAF).

    Parameters
    ----------
    threshold : float, default 1.0
        Firing threshold ``th > 0``; each spike subtracts it once.
    max_spikes : int, default 127
        Most spikes per step, 1 to 127 (spikes are ``int8`` counts); charge above
        ``max_spikes * th`` stays in the membrane for the next steps. Sinabs' own default
        (no cap) is this neuron with the largest cap.
    v_init : float, default 0.0
        Initial membrane potential ``V(0)``.

    Raises
    ------
    ValueError
        If ``threshold <= 0`` or is not finite, ``max_spikes`` is not an integer in
        [1, 127], or ``v_init`` is not finite.

    Notes
    -----
    State: ``{"v": (N,) float}``. Spikes are ``int8`` in ``{0, ..., max_spikes}``. The update
    is written out in the module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> neuron = MultiSpikeIF(threshold=1.0, max_spikes=3)
    >>> state = neuron.init_state(1, 1, dtype=np.float64)
    >>> neuron.scan(np.array([[2.5], [0.25], [5.0]]), state)[:, 0].tolist()
    [2, 0, 3]
    >>> float(state["v"][0])
    2.75
    """

    def __init__(self, threshold: float = 1.0, max_spikes: int = 127, v_init: float = 0.0):
        self.threshold = check_float("threshold", threshold, positive=True)
        if isinstance(max_spikes, bool) or int(max_spikes) != max_spikes \
                or not 1 <= max_spikes <= 127:
            raise ValueError(f"max_spikes must be an integer in [1, 127], got {max_spikes!r}")
        self.max_spikes = int(max_spikes)
        self.v_init = check_float("v_init", v_init)

    def __repr__(self) -> str:
        return (f"MultiSpikeIF(threshold={self.threshold}, max_spikes={self.max_spikes}, "
                f"v_init={self.v_init})")

    def init_state(self, batch: int, shape, dtype=np.float32) -> dict:
        """Fresh state ``{"v": full(N, v_init)}`` with ``N = batch * prod(shape)``."""
        n = n_neurons(batch, shape)
        return {"v": np.full(n, self.v_init, dtype=check_dtype(dtype))}

    def scan(self, current: np.ndarray, state: dict, trace: np.ndarray | None = None,
             trace_pre: np.ndarray | None = None) -> np.ndarray:
        """Advance over ``T`` steps; ``state`` is updated in place.

        Parameters
        ----------
        current : (T, N) float array
            Input current per step.
        state : dict
            ``{"v": (N,) float}`` from :meth:`init_state`.
        trace : (T, N) float array, optional
            If given, receives the membrane potential after each step (after reset).
        trace_pre : (T, N) float array, optional
            If given, receives the membrane potential before the reset of each step.

        Returns
        -------
        spikes : (T, N) int8 array, the number of spikes per step in ``[0, max_spikes]``
        """
        current, spikes, trace, trace_pre = scan_buffers(current, state, trace, "v", trace_pre)
        v = state["v"]
        _multispike_if_scan(current, v, v.dtype.type(self.threshold), self.max_spikes,
                            spikes, trace, trace_pre)
        return spikes

    def rate(self, current) -> np.ndarray:
        """Long-run spikes per step for a constant current ``I`` per step (exact).

        ``clip(I / th, 0, max_spikes)``: subtraction keeps every unit of charge, so over
        ``T`` steps ``th * (spikes) = T I - V(T) + V(0)`` with ``V`` bounded while
        ``I <= max_spikes * th``; above that the neuron fires ``max_spikes`` every step.

        Parameters
        ----------
        current : array_like of float
            Constant input current per step, any shape.

        Returns
        -------
        float64 array of the same shape, values in ``[0, max_spikes]``.
        """
        i = np.asarray(current, dtype=np.float64)
        return np.clip(i / self.threshold, 0.0, float(self.max_spikes))
