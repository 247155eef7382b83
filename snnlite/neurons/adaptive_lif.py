"""LIF neurons whose threshold is shared by the channels of a position and adapts (§4.4).

The competition mechanism of the convolutional STDP networks of Panda, Aketi & Roy 2020
(spec §4.4; the paper gives no details, this rule is ours). Per step ``t``, for every position
``p`` (one sample, one spatial location) and every channel ``o`` at ``p``::

    th[t, p]    = theta0 * (1 + a[t-1, p])                     shared by all channels o at p
    V[t, p, o]  = alpha * V[t-1, p, o] + I[t, p, o]            (C2)
    S[t, p, o]  = 1[V[t, p, o] >= th[t, p]]                    (C3)
    V[t, p, o] <- V[t, p, o] - th[t, p] * S[t, p, o]           soft reset
    a[t, p]     = beta * a[t-1, p] + adapt * sum_o S[t, p, o]  rises on every spike at p

So a spike of any channel at ``p`` raises the threshold of every channel at ``p`` (a soft
winner-take-all between feature maps) and the rise decays by ``beta`` per step. For one neuron
the update is the LIF update of :mod:`snnlite.neurons.lif` (C2, C3, soft reset, no refractory
period) against the momentary threshold ``th``; with ``adapt = 0`` the model *is* that LIF.

The channels are the axis ``channel_axis`` of the per-sample population shape: 0 in a
:class:`~snnlite.snn.SpikingNetwork` (``(C, H, W)``; for a dense ``(F,)`` layer every neuron of
a sample shares one threshold), -1 in the channels-last arrays of
:mod:`snnlite.learn.conv_stdp_net`, whose loops call the same kernel.

The model is trainable by BPTT (:class:`snnlite.learn.bptt.Spiking`): the same kernel runs
the forward pass with a surrogate code, and :func:`adaptive_lif_surrogate_backward`
differentiates the threshold adaptation too (a spike raises its position's threshold; the
gradient flows back through that rise and its decay), so smooth-spike gradients equal finite
differences.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np

from snnlite._jit import njit
from snnlite._validate import check_dtype, check_float, check_int
from snnlite.neurons.base import (
    SUBTRACT,
    Neuron,
    n_neurons,
    reset_potential,
    scan_buffers,
)
from snnlite.neurons.surrogate import HEAVISIDE, Surrogate, pseudo_derivative, spike_value

__all__ = ["AdaptiveLIF", "adaptive_lif_kernel", "adaptive_lif_step",
           "adaptive_lif_surrogate_backward"]

_RATE_CHUNK = 256  # steps simulated per kernel call by ``rate``


@njit(inline="always")
def adaptive_lif_step(v, i, alpha, th, kind=HEAVISIDE, param=0.0):
    """One neuron, one step: ``(v_pre, v, s)`` (C2, C3, soft reset) against threshold ``th``.

    ``v_pre`` is the potential before the reset, ``v`` after it, ``s`` the spike (1.0 or 0.0;
    the smooth sigmoid's value for the surrogate code ``kind`` ``SIGMOID``, gradient checks).
    """
    v_pre = alpha * v + i  # C2
    s = spike_value(kind, param, v_pre, th)  # C3: S = Theta(V - th)
    return v_pre, reset_potential(v_pre, s, th, SUBTRACT), s  # soft reset


@njit
def adaptive_lif_kernel(current, v, a, alpha, theta0, adapt, beta, kind, param, spikes, trace,
                        trace_pre, thresholds):
    """Advance the population over ``T`` steps (module docstring), in place.

    Neuron ``n = (g * C + o) * inner + q`` is channel ``o`` of position ``(g, q)``: ``g`` runs
    over the samples and the axes before the channel axis, ``q`` over the axes after it.

    Parameters
    ----------
    current : (T, N) float array
        Input current per step and neuron.
    v : (N,) float array
        Membrane potentials; updated in place.
    a : (G, inner) float array
        Threshold adaptation of every position; updated in place. ``C = N // a.size``.
    alpha, theta0, adapt, beta : float scalars (dtype of ``v``)
        Decay (C2), base threshold, rise per spike and decay per step of the adaptation.
    kind, param : int, float
        Surrogate code and parameter of the spike (:func:`adaptive_lif_step`): the scan
        passes ``HEAVISIDE``.
    spikes : (T, N) int8 or float array
        Output; every entry is written (0 or 1; smooth values for the sigmoid code).
    trace, trace_pre : (T, N) float arrays or (0, N) arrays
        Potential after / before the reset at each step; zero rows means "not recorded".
    thresholds : (T, G, inner) float array or (0, G, inner)
        The threshold ``th`` of each step and position (for BPTT); zero rows: not recorded.
    """
    n_outer, inner = a.shape
    n_ch = v.shape[0] // max(a.size, 1)
    record, record_pre = trace.shape[0] > 0, trace_pre.shape[0] > 0
    record_th = thresholds.shape[0] > 0
    for t in range(current.shape[0]):
        for g in range(n_outer):
            for q in range(inner):
                th = theta0 * (1.0 + a[g, q])
                if record_th:
                    thresholds[t, g, q] = th
                fired = 0.0
                for o in range(n_ch):
                    n = (g * n_ch + o) * inner + q
                    v_pre, v[n], s = adaptive_lif_step(v[n], current[t, n], alpha, th, kind,
                                                       param)
                    spikes[t, n] = s
                    fired += s
                    if record:
                        trace[t, n] = v[n]
                    if record_pre:
                        trace_pre[t, n] = v_pre
                a[g, q] = beta * a[g, q] + adapt * fired


@njit
def adaptive_lif_surrogate_backward(grad_s, u, spikes, thresholds, alpha, theta0, adapt, beta,
                                    kind, param, detach, grad_i):
    """Reverse-time scan of BPTT through :class:`AdaptiveLIF`: ``dL/dI`` from ``dL/ds`` (C4).

    The threshold adaptation is differentiated (a spike raises the threshold of every channel
    at its position; the gradient flows back through that). Per step ``t`` and position, with
    ``u`` the potential before the reset, ``th`` the step's threshold, ``s' = dS/du`` the
    surrogate at ``u - th`` (so ``dS/dth = -s'``), and ``g_v``, ``g_a`` the gradients reaching
    ``v[t]`` and ``a[t]`` from step ``t + 1``::

        G_s      = dL/ds + adapt * g_a - th * g_v      (s feeds the reset and the adaptation)
        g_u      = G_s * s' + g_v  = dL/dI[t];   g_v[t-1] = alpha * g_u
        g_th     = sum over the channels of (-G_s * s' - s * g_v)
        g_a[t-1] = beta * g_a + theta0 * g_th          (th = theta0 (1 + a[t-1]))

    ``detach`` drops the reset's dependence on the spike (the ``- th * g_v`` term).

    Parameters
    ----------
    grad_s, u, spikes : (T, N) float arrays
        Gradient with respect to the spikes; potentials before the reset and spikes of the
        forward pass.
    thresholds : (T, G, inner) float array
        Thresholds of the forward pass (its layout gives the positions, as in the kernel).
    alpha, theta0, adapt, beta, kind, param
        The model's parameters and the surrogate's code and parameter.
    detach : bool
        Drop the reset's dependence on the spike.
    grad_i : (T, N) float array
        Output: gradient with respect to the input current.
    """
    T, N = u.shape
    n_outer, inner = thresholds.shape[1], thresholds.shape[2]
    n_ch = N // max(n_outer * inner, 1)
    g_v = np.zeros(N, u.dtype)
    g_a = np.zeros((n_outer, inner), u.dtype)
    for k in range(T):
        t = T - 1 - k
        for g in range(n_outer):
            for q in range(inner):
                th = thresholds[t, g, q]
                g_th = 0.0
                for o in range(n_ch):
                    n = (g * n_ch + o) * inner + q
                    ds = pseudo_derivative(kind, param, u[t, n], th)  # C4
                    reset = 0.0 if detach else th * g_v[n]
                    g_spike = grad_s[t, n] + adapt * g_a[g, q] - reset
                    g_u = g_spike * ds + g_v[n]
                    g_th -= g_spike * ds + spikes[t, n] * g_v[n]
                    grad_i[t, n] = g_u
                    g_v[n] = alpha * g_u  # through the leak
                g_a[g, q] = beta * g_a[g, q] + theta0 * g_th


class AdaptiveLIF(Neuron):
    """LIF neurons (C2, C3, soft reset) with a threshold shared per position that adapts.

    Parameters
    ----------
    alpha : float, default 0.99
        Membrane decay per step, in (0, 1].
    threshold : float, default 1.0
        Base threshold ``theta0 > 0``.
    adapt : float, default 0.3
        Threshold rise per spike at the position, relative to ``theta0`` (``>= 0``).
    beta : float, default 0.8
        Decay per step of the rise, in [0, 1].
    channel_axis : int, default 0
        Axis of the per-sample population shape whose neurons share a threshold.

    Raises
    ------
    ValueError
        For a parameter outside its range.

    Notes
    -----
    State: ``{"v": (N,) float, "a": (G, inner) float}`` (see :func:`adaptive_lif_kernel`).
    Spikes are ``int8`` in {0, 1}. Trainable by BPTT (module docstring).

    Examples
    --------
    Two channels at one position, currents 1.0 and 0.6 (alpha 1, adapt 1, beta 0.5): the
    first spike raises the threshold of both channels to 2, so the second fires only later.

    >>> import numpy as np
    >>> neuron = AdaptiveLIF(alpha=1.0, threshold=1.0, adapt=1.0, beta=0.5)
    >>> state = neuron.init_state(1, (2, 1), dtype=np.float64)
    >>> neuron.scan(np.tile([1.0, 0.6], (3, 1)), state).tolist()
    [[1, 0], [0, 0], [1, 1]]
    """

    def __init__(self, alpha: float = 0.99, threshold: float = 1.0, adapt: float = 0.3,
                 beta: float = 0.8, channel_axis: int = 0):
        self.alpha = check_float("alpha", alpha)
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
        self.threshold = check_float("threshold", threshold, positive=True)
        self.adapt = check_float("adapt", adapt)
        if self.adapt < 0:
            raise ValueError(f"adapt must be >= 0, got {adapt!r}")
        self.beta = check_float("beta", beta)
        if not 0.0 <= self.beta <= 1.0:
            raise ValueError(f"beta must be in [0, 1], got {beta!r}")
        if isinstance(channel_axis, bool) or not isinstance(channel_axis, (int, np.integer)):
            raise TypeError(f"channel_axis must be an int, got {channel_axis!r}")
        self.channel_axis = int(channel_axis)

    def __repr__(self) -> str:
        return (f"AdaptiveLIF(alpha={self.alpha}, threshold={self.threshold}, "
                f"adapt={self.adapt}, beta={self.beta}, channel_axis={self.channel_axis})")

    def init_state(self, batch: int, shape, dtype=np.float32) -> dict:
        """Fresh state: ``v`` zeros ``(N,)``, ``a`` zeros ``(batch * outer, inner)``.

        ``outer`` / ``inner`` are the products of ``shape`` before / after ``channel_axis``.

        Raises
        ------
        ValueError
            If ``channel_axis`` is not an axis of ``shape``.
        """
        shape = (shape,) if np.isscalar(shape) else tuple(shape)
        n = n_neurons(batch, shape)
        if not -len(shape) <= self.channel_axis < len(shape):
            raise ValueError(f"channel_axis {self.channel_axis} is not an axis of the "
                             f"population shape {shape}")
        axis = self.channel_axis % len(shape)
        outer = int(batch) * int(np.prod(shape[:axis], dtype=np.int64))
        inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
        dtype = check_dtype(dtype)
        return {"v": np.zeros(n, dtype), "a": np.zeros((outer, inner), dtype)}

    def scan(self, current: np.ndarray, state: dict, trace: np.ndarray | None = None,
             trace_pre: np.ndarray | None = None) -> np.ndarray:
        """Advance over ``T`` steps; ``state`` is updated in place.

        Parameters
        ----------
        current : (T, N) float array
            Input current per step.
        state : dict
            From :meth:`init_state`.
        trace, trace_pre : (T, N) float arrays, optional
            If given, receive the potential after / before the reset at each step.

        Returns
        -------
        spikes : (T, N) int8 array in {0, 1}
        """
        current, spikes, trace, trace_pre = scan_buffers(current, state, trace, "v", trace_pre)
        v, a = state["v"], state["a"]
        dt = v.dtype.type
        adaptive_lif_kernel(current, v, a, dt(self.alpha), dt(self.threshold), dt(self.adapt),
                            dt(self.beta), HEAVISIDE, 0.0, spikes, trace, trace_pre,
                            np.empty((0, *a.shape), v.dtype))
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
        batch, shape : int, tuple of int
            The population's layout, as in :meth:`init_state` (``N = batch * prod(shape)``):
            it says which neurons share a threshold. Required.

        Returns
        -------
        spikes : (T, N) float array
        tape : dict
            ``{"v_pre", "spikes": (T, N), "thresholds": (T, G, inner)}`` for
            :meth:`surrogate_backward`.

        Raises
        ------
        ValueError
            If ``shape`` is missing or does not hold ``N`` neurons per ``batch``.
        """
        if shape is None:
            raise ValueError("AdaptiveLIF's BPTT pass needs the population layout (batch, "
                             "shape): its channels share a threshold")
        state = self.init_state(batch, shape, current.dtype)
        v, a = state["v"], state["a"]
        if v.size != current.shape[1]:
            raise ValueError(f"current has {current.shape[1]} neurons, the layout {batch} x "
                             f"{tuple(np.atleast_1d(shape))} has {v.size}")
        dt = current.dtype.type
        spikes, v_pre = np.empty_like(current), np.empty_like(current)
        thresholds = np.empty((current.shape[0], *a.shape), current.dtype)
        adaptive_lif_kernel(current, v, a, dt(self.alpha), dt(self.threshold), dt(self.adapt),
                            dt(self.beta), surrogate.kind, surrogate.param, spikes,
                            np.empty((0, v.size), v.dtype), v_pre, thresholds)
        return spikes, {"v_pre": v_pre, "spikes": spikes, "thresholds": thresholds}

    def surrogate_backward(self, grad_spikes: np.ndarray, tape: dict, surrogate: Surrogate,
                           detach_reset: bool = False) -> np.ndarray:
        """``dL/dI`` ``(T, N)`` from ``dL/ds`` (:func:`adaptive_lif_surrogate_backward`).

        The threshold adaptation is differentiated, not treated as a constant.
        """
        u = tape["v_pre"]
        grad_i, dt = np.empty_like(u), u.dtype.type
        adaptive_lif_surrogate_backward(grad_spikes, u, tape["spikes"], tape["thresholds"],
                                        dt(self.alpha), dt(self.threshold), dt(self.adapt),
                                        dt(self.beta), surrogate.kind, surrogate.param,
                                        bool(detach_reset), grad_i)
        return grad_i

    def rate(self, current, n_steps: int = 4096) -> np.ndarray:
        """Long-run spikes per step of a neuron alone at its position, constant current ``I``.

        No closed form (with ``adapt = 0`` it is the soft-reset LIF's devil's staircase): the
        neuron is simulated from rest for ``n_steps`` burn-in steps, then the spikes of the
        next ``n_steps`` steps are counted (float64).

        Parameters
        ----------
        current : array_like of float
            Constant input current per step, any shape.
        n_steps : int, default 4096
            Counting window.

        Returns
        -------
        float64 array of the same shape, values in [0, 1].
        """
        n_steps = check_int("n_steps", n_steps)
        i = np.asarray(current, dtype=np.float64)
        alone = AdaptiveLIF(self.alpha, self.threshold, self.adapt, self.beta, channel_axis=0)
        state = alone.init_state(1, (1, i.size), np.float64)  # one channel per position
        chunk = np.broadcast_to(i.ravel(), (_RATE_CHUNK, i.size)).copy()
        count = np.zeros(i.size, dtype=np.int64)
        for done in range(0, 2 * int(n_steps), _RATE_CHUNK):
            steps = min(_RATE_CHUNK, 2 * int(n_steps) - done)
            spikes = alone.scan(chunk[:steps], state)
            first = max(int(n_steps) - done, 0)  # steps of this chunk still in the burn-in
            count += spikes[first:].sum(axis=0, dtype=np.int64)
        return (count / int(n_steps)).reshape(i.shape)
