"""Integrate-and-fire (IF) neuron: the neuron of rate-based ANN -> SNN conversion (B9).

Per step ``t`` (spec ``seeds-spec.md`` §3.3, B9, with ``th`` the threshold)::

    V(t) <- V(t-1) + I(t)                  integrate (no leak)
    z(t)  = 1[V(t) >= th]                  at most one spike per step, z in {0, 1}
    V(t) <- V(t) - th * z(t)               reset="subtract" (B9, the lossless default)
            0 where z(t) = 1               reset="zero"     (loses the supra-threshold excess)
            V(t)                           reset="none"     (never reset)

``V(0) = v_init`` (pre-charge, e.g. ``th / 2`` turns the IF floor into a rounding, §3.4).

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np

from snnlite._jit import njit
from snnlite._validate import check_dtype, check_float
from snnlite.neurons.base import (
    Neuron,
    in_dtype_of,
    n_neurons,
    reset_code,
    reset_potential,
    scan_buffers,
)
from snnlite.neurons.lif import lif_surrogate_backward
from snnlite.neurons.surrogate import HEAVISIDE, Surrogate, spike_value

__all__ = ["IF", "if_step"]


@njit(inline="always")
def if_step(v, i, threshold, reset, kind, param):
    """One IF step of one neuron (B9): the update, written once.

    Parameters
    ----------
    v, i : float
        Membrane potential before the step and input current ``I(t)``.
    threshold : float
        ``th`` (in ``v``'s dtype).
    reset : int
        Reset code, see :data:`snnlite.neurons.base.RESET_MODES` (0 subtract, 1 zero, 2 none).
    kind, param : int, float
        Surrogate code and parameter (:mod:`snnlite.neurons.surrogate`): the scan passes
        ``HEAVISIDE``; only the smooth sigmoid of gradient checks changes the spike.

    Returns
    -------
    v_pre, v, s
        Potential before the reset, potential after the step, spike.
    """
    v_pre = in_dtype_of(v + i, v)  # B9: integrate
    s = spike_value(kind, param, v_pre, threshold)  # B9: z = Theta(V - th)
    return v_pre, reset_potential(v_pre, s, threshold, reset), s  # B9: V - th z (subtract)


@njit
def _if_scan(current, v, threshold, reset, spikes, trace, trace_pre):
    """Advance IF neurons over ``T`` steps (:func:`if_step` per neuron and step), in place.

    Parameters
    ----------
    current : (T, N) float array
        Input current ``I(t)`` per step and neuron.
    v : (N,) float array
        Membrane potential; updated in place (state in, state out).
    threshold : float scalar
        ``th`` (same dtype as ``v``, so that compiled and interpreted runs agree bit for bit).
    reset : int
        Reset code (0 subtract, 1 zero, 2 none).
    spikes : (T, N) int8 array
        Output; every entry is written (0 or 1).
    trace, trace_pre : (T, N) float arrays or (0, N) arrays
        Membrane potential after / before the reset of each step; ``trace.shape[0] == 0``
        means "not recorded".
    """
    record, record_pre = trace.shape[0] > 0, trace_pre.shape[0] > 0
    for t in range(current.shape[0]):
        for n in range(current.shape[1]):
            v_pre, v[n], s = if_step(v[n], current[t, n], threshold, reset, HEAVISIDE, 0.0)
            spikes[t, n] = s
            if record:
                trace[t, n] = v[n]
            if record_pre:
                trace_pre[t, n] = v_pre


@njit
def _if_surrogate_forward(current, v, threshold, reset, kind, param, spikes, v_pre):
    """BPTT forward pass: :func:`if_step` over ``(T, N)`` with surrogate ``kind``, in place.

    ``v`` (N,) is the potential, updated in place; ``spikes`` and ``v_pre`` (T, N) float
    arrays receive the spikes (0/1, or the smooth value) and the potentials before the reset.
    """
    for t in range(current.shape[0]):
        for n in range(current.shape[1]):
            v_pre[t, n], v[n], spikes[t, n] = if_step(v[n], current[t, n], threshold, reset,
                                                      kind, param)


class IF(Neuron):
    """Integrate-and-fire neuron (B9) with a choice of reset.

    Parameters
    ----------
    threshold : float, default 1.0
        Firing threshold ``th > 0``.
    reset : {"subtract", "zero", "none"}, default "subtract"
        What a spike does to ``V``: subtract ``th`` (B9), set it to 0, or nothing.
    v_init : float, default 0.0
        Initial membrane potential ``V(0)`` (pre-charge; ``0.5 * threshold`` makes the spike
        count a rounding of the accumulated input instead of a floor, §3.4).

    Raises
    ------
    ValueError
        If ``threshold <= 0`` or is not finite, ``v_init`` is not finite, or ``reset`` is
        unknown.

    Notes
    -----
    State: ``{"v": (N,) float}``. Spikes are ``int8`` in {0, 1}. See the module docstring for
    the update equations and :mod:`snnlite.neurons.base` for the contract.

    Examples
    --------
    >>> import numpy as np
    >>> neuron = IF(threshold=1.0)
    >>> state = neuron.init_state(1, (1,), dtype=np.float64)
    >>> neuron.scan(np.array([[0.75], [0.75], [0.75]]), state)[:, 0].tolist()
    [0, 1, 1]
    >>> float(state["v"][0])
    0.25
    """

    def __init__(self, threshold: float = 1.0, reset: str = "subtract", v_init: float = 0.0):
        self.threshold = check_float("threshold", threshold, positive=True)
        self._reset = reset_code(reset)
        self.reset = reset
        self.v_init = check_float("v_init", v_init)

    def __repr__(self) -> str:
        return f"IF(threshold={self.threshold}, reset={self.reset!r}, v_init={self.v_init})"

    def init_state(self, batch: int, shape, dtype=np.float32) -> dict:
        """Fresh state ``{"v": full(N, v_init)}`` with ``N = batch * prod(shape)``.

        Parameters
        ----------
        batch : int
            Number of samples.
        shape : int or tuple of int
            Per-sample population shape, e.g. ``(C, H, W)``.
        dtype : floating dtype, default float32
            Dtype of the membrane potential.
        """
        n = n_neurons(batch, shape)
        return {"v": np.full(n, self.v_init, dtype=check_dtype(dtype))}

    def scan(
        self, current: np.ndarray, state: dict, trace: np.ndarray | None = None,
        trace_pre: np.ndarray | None = None,
    ) -> np.ndarray:
        """Advance over ``T`` steps; ``state`` is updated in place.

        Parameters
        ----------
        current : (T, N) float array
            Input current per step. Sums are formed in the promoted dtype of ``current`` and
            ``v`` and stored in ``v``'s dtype.
        state : dict
            ``{"v": (N,) float}`` from :meth:`init_state`.
        trace : (T, N) float array, optional
            If given, receives the membrane potential after each step (after reset).
        trace_pre : (T, N) float array, optional
            If given, receives the membrane potential before the reset of each step.

        Returns
        -------
        spikes : (T, N) int8 array in {0, 1}
        """
        current, spikes, trace, trace_pre = scan_buffers(current, state, trace, "v", trace_pre)
        v = state["v"]
        _if_scan(current, v, v.dtype.type(self.threshold), self._reset, spikes, trace, trace_pre)
        return spikes

    trainable = True

    def surrogate_forward(self, current: np.ndarray, surrogate: Surrogate, batch: int = 1,
                          shape=None) -> tuple[np.ndarray, dict]:
        """BPTT forward pass from a fresh state (contract, :mod:`snnlite.neurons.base`).

        Parameters
        ----------
        current : (T, N) float array
            Input current; its dtype is the dtype of the pass.
        surrogate : Surrogate
            Only the smooth ``Sigmoid`` changes the forward spike.
        batch, shape : int, tuple of int, optional
            The population's layout (ignored: these neurons do not interact).

        Returns
        -------
        spikes : (T, N) float array
        tape : dict
            ``{"v_pre": (T, N), "spikes": (T, N)}`` for :meth:`surrogate_backward`.
        """
        v = np.full(current.shape[1], self.v_init, dtype=current.dtype)
        spikes, v_pre = np.empty_like(current), np.empty_like(current)
        _if_surrogate_forward(current, v, current.dtype.type(self.threshold), self._reset,
                              surrogate.kind, surrogate.param, spikes, v_pre)
        return spikes, {"v_pre": v_pre, "spikes": spikes}

    def surrogate_backward(self, grad_spikes: np.ndarray, tape: dict, surrogate: Surrogate,
                           detach_reset: bool = False) -> np.ndarray:
        """``dL/dI`` ``(T, N)`` from ``dL/ds`` ``(T, N)``: the LIF backward pass with leak 1."""
        u = tape["v_pre"]
        grad_i, dt = np.empty_like(u), u.dtype.type
        lif_surrogate_backward(grad_spikes, u, tape["spikes"], dt(1.0), dt(self.threshold),
                               self._reset, surrogate.kind, surrogate.param,
                               bool(detach_reset), grad_i)
        return grad_i

    def rate(self, current) -> np.ndarray:
        """Long-run spikes per step for a constant current ``I`` per step (exact).

        * ``subtract``: ``clip(I / th, 0, 1)`` — the ANN quantity of B8/B9 (a clipped ReLU).
        * ``zero``: ``1 / ceil(th / I)`` for ``I > 0`` (after a reset, ``V = n * I`` first
          reaches ``th`` at ``n = ceil(th / I)``), else 0.
        * ``none``: 1 for ``I > 0`` (``V`` grows without bound and stays above ``th``), 0 for
          ``I < 0``; for ``I == 0``, ``V`` stays at ``v_init``: 1 if ``v_init >= th`` else 0.

        Parameters
        ----------
        current : array_like of float
            Constant input current per step, any shape.

        Returns
        -------
        float64 array of the same shape, values in [0, 1].

        Notes
        -----
        The simulated rate equals these values in exact arithmetic; in floating point the
        ``zero`` period may differ by one step when ``th / I`` is within rounding of an integer.
        """
        i = np.asarray(current, dtype=np.float64)
        th = self.threshold
        if self.reset == "subtract":
            return np.clip(i / th, 0.0, 1.0)
        if self.reset == "zero":
            with np.errstate(over="ignore"):  # th / tiny I = inf gives the right rate, 0
                return np.where(i > 0, 1.0 / np.ceil(th / np.where(i > 0, i, 1.0)), 0.0)
        at_rest = 1.0 if self.v_init >= th else 0.0
        return np.where(i > 0, 1.0, np.where(i == 0, at_rest, 0.0))
