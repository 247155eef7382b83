"""Leaky integrate-and-fire (LIF) neuron of Panda, Aketi & Roy 2020 (C2, C3).

Per step ``t`` (spec ``seeds-spec.md`` §4.2, with ``v_th`` the threshold)::

    if ref > 0:                             refractory: input ignored, no leak, no spike
        ref <- ref - 1                      (V is held at its post-reset value)
    else:
        V[t] = alpha * V[t-1] + I[t]        (C2)  alpha = exp(-dt / tau_m)
        S[t] = 1[V[t] >= v_th]              (C3)  at most one spike per step, S in {0, 1}
        V[t] <- V[t] - v_th * S[t]          reset="subtract" (soft, the default)
                0 where S[t] = 1            reset="zero"     (hard)
                V[t]                        reset="none"
        ref <- refractory where S[t] = 1

So with ``refractory = r`` a spike at step ``t`` silences the neuron during steps
``t+1 .. t+r``; it integrates again (from the held potential) at step ``t+r+1``.
``V(0) = v_init``.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import math

import numpy as np

from snnlite._jit import njit
from snnlite._validate import check_dtype, check_float, check_int
from snnlite.neurons.base import (
    Neuron,
    in_dtype_of,
    n_neurons,
    reset_code,
    reset_potential,
    scan_buffers,
)
from snnlite.neurons.surrogate import HEAVISIDE, Surrogate, pseudo_derivative_row, spike_value

__all__ = ["LIF", "lif_step", "lif_surrogate_backward"]

_RATE_CHUNK = 256  # steps simulated per kernel call by the numerical ``rate``


@njit(inline="always")
def lif_step(v, ref, i, alpha, threshold, reset, refractory, kind, param):
    """One LIF step of one neuron (C2, C3): the update, written once.

    Parameters
    ----------
    v, ref : float, int
        Membrane potential and remaining refractory steps before the step.
    i : float
        Input current ``I[t]``.
    alpha, threshold : float
        Decay factor and ``v_th`` (in ``v``'s dtype).
    reset, refractory : int
        Reset code (0 subtract, 1 zero, 2 none) and steps of silence after a spike.
    kind, param : int, float
        Surrogate code and parameter (:mod:`snnlite.neurons.surrogate`): the scan passes
        ``HEAVISIDE``; only the smooth sigmoid of gradient checks changes the spike.

    Returns
    -------
    v_pre, v, ref, s
        Potential before the reset, potential and refractory count after the step, spike.
    """
    if ref > 0:
        return v, v, ref - 1, 0.0  # refractory: V held, input ignored, no spike
    v_pre = in_dtype_of(alpha * v + i, v)  # C2: V[t] = alpha V[t-1] + I[t]
    s = spike_value(kind, param, v_pre, threshold)  # C3: S[t] = Theta(V[t] - v_th)
    return (v_pre, reset_potential(v_pre, s, threshold, reset),  # reset (soft/hard/none)
            refractory if s == 1.0 else 0, s)  # a spike starts the refractory period


@njit
def _lif_scan(current, v, ref, alpha, threshold, reset, refractory, spikes, trace, trace_pre):
    """Advance LIF neurons over ``T`` steps (:func:`lif_step` per neuron and step), in place.

    Parameters
    ----------
    current : (T, N) float array
        Input current ``I[t]`` per step and neuron.
    v : (N,) float array
        Membrane potential; updated in place.
    ref : (N,) int32 array
        Remaining refractory steps; updated in place.
    alpha, threshold : float scalars
        Decay factor in (0, 1] and ``v_th`` (same dtype as ``v``).
    reset, refractory : int
        Reset code (0 subtract, 1 zero, 2 none) and steps of silence after a spike.
    spikes : (T, N) int8 array
        Output; every entry is written (0 or 1).
    trace, trace_pre : (T, N) float arrays or (0, N) arrays
        Membrane potential after / before the reset of each step (the held potential while
        refractory); zero rows means "not recorded".
    """
    record, record_pre = trace.shape[0] > 0, trace_pre.shape[0] > 0
    for t in range(current.shape[0]):
        for n in range(current.shape[1]):
            v_pre, v[n], ref[n], s = lif_step(v[n], ref[n], current[t, n], alpha, threshold,
                                              reset, refractory, HEAVISIDE, 0.0)
            spikes[t, n] = s
            if record:
                trace[t, n] = v[n]
            if record_pre:
                trace_pre[t, n] = v_pre


@njit
def _lif_surrogate_forward(current, v, alpha, threshold, reset, kind, param, spikes, v_pre):
    """BPTT forward pass: :func:`lif_step` over ``(T, N)`` with surrogate ``kind``, in place.

    ``v`` (N,) is the potential, updated in place; ``spikes`` and ``v_pre`` (T, N) float
    arrays receive the spikes (0/1, or the smooth value) and the potentials before the reset.
    The refractory period is 0 (it has no gradient).
    """
    for t in range(current.shape[0]):
        for n in range(current.shape[1]):
            v_pre[t, n], v[n], _, spikes[t, n] = lif_step(v[n], 0, current[t, n], alpha,
                                                          threshold, reset, 0, kind, param)


@njit
def lif_surrogate_backward(grad_s, u, spikes, alpha, threshold, reset, kind, param, detach,
                           grad_i):
    """Reverse-time scan of BPTT through IF/LIF neurons: ``dL/dI`` from ``dL/ds`` (C4).

    With ``u = v_pre``, ``s'`` the surrogate ``dS/dV`` at ``u[t]`` (C4) and ``g_v[t]`` the
    gradient reaching ``v[t]`` from step ``t + 1``::

        dv[t]/du[t] = 1 - v_th * s'              reset="subtract"
                      (1 - s[t]) - u[t] * s'     reset="zero"
                      1                          reset="none"
        g_u[t]   = dL/ds[t] * s' + g_v[t] * dv[t]/du[t]
        dL/dI[t] = g_u[t];   g_v[t-1] = alpha * g_u[t]           (through the leak)

    ``detach`` drops the reset's dependence on ``s`` (the ``s'`` terms of ``dv/du``).

    Parameters
    ----------
    grad_s : (T, N) float array
        Gradient of the loss with respect to the spikes.
    u, spikes : (T, N) float arrays
        Potentials before the reset and spikes of the forward pass.
    alpha, threshold, reset, kind, param
        Leak factor (1 for IF), ``v_th``, reset code and the surrogate's code and parameter.
    detach : bool
        Drop the reset's dependence on the spike.
    grad_i : (T, N) float array
        Output: gradient with respect to the input current.
    """
    T, N = u.shape
    g_v = np.zeros(N, u.dtype)  # gradient reaching v[t] from step t + 1
    ds = np.empty(N, u.dtype)
    dv_du = np.ones(N, u.dtype)  # stays 1 for reset="none" or detached subtraction
    for k in range(T):
        t = T - 1 - k  # reverse time (a descending range compiles to a slower loop)
        pseudo_derivative_row(kind, param, u[t], threshold, ds)  # C4
        if reset == 0 and not detach:
            for i in range(N):
                dv_du[i] = 1.0 - threshold * ds[i]
        elif reset == 1:
            for i in range(N):
                dv_du[i] = 1.0 - spikes[t, i] - (0.0 if detach else u[t, i] * ds[i])
        for i in range(N):
            g_u = grad_s[t, i] * ds[i] + g_v[i] * dv_du[i]
            grad_i[t, i] = g_u
            g_v[i] = alpha * g_u  # through the leak


class LIF(Neuron):
    """Leaky integrate-and-fire neuron (C2, C3) with reset choice and refractory period.

    Parameters
    ----------
    alpha : float, optional
        Decay per step, in (0, 1]; ``alpha = 1`` is the IF neuron. Default 0.99 (the top of
        the paper's range 0.95-0.99) when neither ``alpha`` nor ``tau`` is given.
    tau : float, optional
        Membrane time constant ``tau_m > 0``; then ``alpha = exp(-dt / tau)`` (C2). Give
        ``alpha`` or ``tau``, not both.
    dt : float, default 1.0
        Step length (same unit as ``tau``); only used with ``tau``.
    threshold : float, default 1.0
        Firing threshold ``v_th > 0``.
    reset : {"subtract", "zero", "none"}, default "subtract"
        Soft reset (subtract ``v_th``), hard reset (to 0), or no reset.
    v_init : float, default 0.0
        Initial membrane potential.
    refractory : int, default 0
        Steps after a spike during which the neuron ignores its input, does not leak and
        cannot spike (``V`` stays at its post-reset value).

    Raises
    ------
    ValueError
        For both ``alpha`` and ``tau``, ``alpha`` outside (0, 1], ``tau <= 0``, ``dt <= 0``,
        ``threshold <= 0``, a non-finite ``v_init``, an unknown ``reset``, or a negative or
        non-integer ``refractory``.

    Notes
    -----
    State: ``{"v": (N,) float, "ref": (N,) int32}``. Spikes are ``int8`` in {0, 1}. The
    update is written out in the module docstring.

    Examples
    --------
    §6.6 of the spec (alpha 0.75, v_th 1, I = 0.5, soft reset):

    >>> import numpy as np
    >>> neuron = LIF(alpha=0.75)
    >>> state = neuron.init_state(1, 1, dtype=np.float64)
    >>> neuron.scan(np.full((8, 1), 0.5), state)[:, 0].tolist()
    [0, 0, 1, 0, 0, 1, 0, 0]
    >>> float(state["v"][0])
    0.999969482421875
    """

    def __init__(
        self,
        alpha: float | None = None,
        tau: float | None = None,
        dt: float = 1.0,
        threshold: float = 1.0,
        reset: str = "subtract",
        v_init: float = 0.0,
        refractory: int = 0,
    ):
        if alpha is not None and tau is not None:
            raise ValueError(f"give alpha or tau, not both (got alpha={alpha}, tau={tau})")
        self.tau = None if tau is None else check_float("tau", tau, positive=True)
        self.dt = check_float("dt", dt, positive=True)
        if self.tau is not None:
            alpha = math.exp(-self.dt / self.tau)
        self.alpha = 0.99 if alpha is None else float(alpha)
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
        self.threshold = check_float("threshold", threshold, positive=True)
        self._reset = reset_code(reset)
        self.reset = reset
        self.v_init = check_float("v_init", v_init)
        self.refractory = check_int("refractory", refractory, 0)

    def __repr__(self) -> str:
        return (
            f"LIF(alpha={self.alpha}, threshold={self.threshold}, reset={self.reset!r}, "
            f"v_init={self.v_init}, refractory={self.refractory})"
        )

    def init_state(self, batch: int, shape, dtype=np.float32) -> dict:
        """Fresh state ``{"v": full(N, v_init), "ref": zeros(N, int32)}``.

        Parameters
        ----------
        batch : int
            Number of samples.
        shape : int or tuple of int
            Per-sample population shape; ``N = batch * prod(shape)``.
        dtype : floating dtype, default float32
            Dtype of the membrane potential.
        """
        n = n_neurons(batch, shape)
        return {
            "v": np.full(n, self.v_init, dtype=check_dtype(dtype)),
            "ref": np.zeros(n, dtype=np.int32),
        }

    def scan(
        self, current: np.ndarray, state: dict, trace: np.ndarray | None = None,
        trace_pre: np.ndarray | None = None,
    ) -> np.ndarray:
        """Advance over ``T`` steps; ``state`` is updated in place.

        Parameters
        ----------
        current : (T, N) float array
            Input current per step.
        state : dict
            ``{"v": (N,) float, "ref": (N,) int32}`` from :meth:`init_state`.
        trace : (T, N) float array, optional
            If given, receives the membrane potential after each step (after reset).
        trace_pre : (T, N) float array, optional
            If given, receives the membrane potential before the reset of each step (while
            refractory: the held potential).

        Returns
        -------
        spikes : (T, N) int8 array in {0, 1}
        """
        current, spikes, trace, trace_pre = scan_buffers(current, state, trace, "v", trace_pre)
        v = state["v"]
        dt = v.dtype.type
        _lif_scan(current, v, state["ref"], dt(self.alpha), dt(self.threshold), self._reset,
                  self.refractory, spikes, trace, trace_pre)
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
        if self.refractory:
            raise ValueError("BPTT needs refractory=0 (a refractory period has no gradient)")
        dt = current.dtype.type
        v = np.full(current.shape[1], self.v_init, dtype=current.dtype)
        spikes, v_pre = np.empty_like(current), np.empty_like(current)
        _lif_surrogate_forward(current, v, dt(self.alpha), dt(self.threshold), self._reset,
                               surrogate.kind, surrogate.param, spikes, v_pre)
        return spikes, {"v_pre": v_pre, "spikes": spikes}

    def surrogate_backward(self, grad_spikes: np.ndarray, tape: dict, surrogate: Surrogate,
                           detach_reset: bool = False) -> np.ndarray:
        """``dL/dI`` ``(T, N)`` from ``dL/ds`` ``(T, N)`` (:func:`lif_surrogate_backward`)."""
        u = tape["v_pre"]
        grad_i, dt = np.empty_like(u), u.dtype.type
        lif_surrogate_backward(grad_spikes, u, tape["spikes"], dt(self.alpha),
                               dt(self.threshold), self._reset, surrogate.kind,
                               surrogate.param, bool(detach_reset), grad_i)
        return grad_i

    def rate(self, current, n_steps: int = 4096) -> np.ndarray:
        """Long-run spikes per step for a constant current ``I`` per step.

        * ``zero``: from ``V = 0`` the potential after ``n`` steps is the geometric sum
          ``I (1 - alpha^n) / (1 - alpha)`` (``n I`` when ``alpha = 1``); with ``n`` the first
          step where it reaches ``v_th``, the neuron is periodic with period
          ``n + refractory``: rate ``1 / (n + refractory)``, or 0 if ``I / (1 - alpha) <= v_th``.
        * ``none``: ``V`` tends to ``L = I / (1 - alpha)``; if ``L > v_th`` it fires at every
          step it is allowed to: rate ``1 / (1 + refractory)``, else 0 (for ``L == v_th``: fires
          iff ``v_init >= v_th``; with ``alpha = 1``, ``L`` is ``+-inf`` or ``v_init``).
        * ``subtract``: no closed form — the rate is a devil's staircase in ``I`` (the map
          ``V -> alpha V + I - v_th 1[...]`` is a *contracted rotation*). It is computed
          numerically: the kernel is run from ``v_init`` for ``n_steps`` burn-in steps, then the
          spikes of the next ``n_steps`` steps are counted. Accurate to about
          ``1 / n_steps`` (more for rates with very long periods).

        Parameters
        ----------
        current : array_like of float
            Constant input current per step, any shape.
        n_steps : int, default 4096
            Counting window of the numerical ``subtract`` rate.

        Returns
        -------
        float64 array of the same shape, values in [0, 1].
        """
        i = np.asarray(current, dtype=np.float64)
        a, th, r = self.alpha, self.threshold, self.refractory
        if self.reset == "subtract":
            return self._simulated_rate(i, n_steps)
        if a == 1.0:
            limit = np.where(i > 0, np.inf, np.where(i < 0, -np.inf, self.v_init))
        else:
            limit = i / (1.0 - a)
        if self.reset == "none":
            fires = (limit > th) | ((limit == th) & (self.v_init >= th))
            return np.where(fires, 1.0 / (1 + r), 0.0)
        fires = limit > th
        safe = np.where(fires, i, 1.0)  # avoids log/divide warnings where it never fires
        if a == 1.0:
            with np.errstate(over="ignore"):  # th / tiny I = inf gives the right rate, 0
                n = np.ceil(th / safe)
        else:
            n = np.ceil(np.log1p(-th * (1.0 - a) / safe) / math.log(a))
        return np.where(fires, 1.0 / (np.maximum(n, 1.0) + r), 0.0)

    def _simulated_rate(self, i: np.ndarray, n_steps: int) -> np.ndarray:
        """Spikes per step counted over ``n_steps`` after ``n_steps`` burn-in (float64)."""
        n_steps = check_int("n_steps", n_steps)
        flat = i.ravel()
        state = self.init_state(1, flat.size, dtype=np.float64)
        chunk = np.broadcast_to(flat, (_RATE_CHUNK, flat.size)).copy()
        spikes = np.empty(chunk.shape, dtype=np.int8)
        empty = np.empty((0, flat.size))
        count = np.zeros(flat.size, dtype=np.int64)
        for done in range(0, 2 * int(n_steps), _RATE_CHUNK):
            steps = min(_RATE_CHUNK, 2 * int(n_steps) - done)
            _lif_scan(chunk[:steps], state["v"], state["ref"], self.alpha, self.threshold,
                      self._reset, self.refractory, spikes[:steps], empty, empty)
            first = max(int(n_steps) - done, 0)  # steps of this chunk still in the burn-in
            count += spikes[first:steps].sum(axis=0, dtype=np.int64)
        return (count / int(n_steps)).reshape(i.shape)
