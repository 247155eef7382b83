"""STDP learning rules as Numba kernels (spec ``seeds-spec.md`` §4.4 C5; Diehl & Cook 2015).

Every rule reads spike rasters ``pre (T, n_pre)`` and ``post (T, n_post)`` (int8, 0/1, one row
per step) and weights ``w (n_pre, n_post)`` (column ``j`` = the inputs of post neuron ``j``).
Times are in steps and time constants in steps (multiply by ``dt`` for ms). Inside a step the
order is always: traces decay; pre spikes (their trace jumps, depression); post spikes
(potentiation, then their trace jumps). So a pre and a post spike in the same step form a
*causal* pair with ``t_post - t_pre = 0`` (potentiation only).

Rules
-----
:func:`pair_stdp`
    Pair-based STDP with pre/post traces, additive or multiplicative, all-to-all or nearest.
:func:`panda_dw`, :func:`panda_stdp`
    Panda, Aketi & Roy (2020)'s rule C5: ``eta (exp(-(t_post - t_pre)/tau) - offset)``.
:func:`diehl_cook_dw`, :func:`diehl_cook_stdp`, :func:`normalize_columns`
    Diehl & Cook (2015): pre trace minus a target at each post spike, weight dependence,
    per-neuron weight normalisation. (The authors' code runs a different, triplet-like rule;
    that one lives in the network kernel, :mod:`snnlite.learn.diehl_cook_kernel`.)

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import math

import numpy as np

from snnlite._jit import njit

__all__ = ["diehl_cook_dw", "diehl_cook_stdp", "normalize_columns", "pair_stdp", "panda_dw",
           "panda_stdp"]


# ----------------------------------------------------------------------------- checks
def _rasters(pre, post, w=None):
    pre, post = np.asarray(pre), np.asarray(post)
    if pre.ndim != 2 or post.ndim != 2 or pre.shape[0] != post.shape[0]:
        raise ValueError("pre and post must be (T, n_pre) and (T, n_post) spike rasters with the "
                         f"same T, got {pre.shape} and {post.shape}")
    # on the original values: the int8 cast would wrap 256 to 0 and truncate 0.5 to 0
    if not (np.isin(pre, (0, 1)).all() and np.isin(post, (0, 1)).all()):
        raise ValueError("pre and post must hold spikes 0 or 1")
    pre = np.ascontiguousarray(pre, dtype=np.int8)
    post = np.ascontiguousarray(post, dtype=np.int8)
    if w is None:
        return pre, post, None
    w = np.array(w, dtype=np.float64)  # a copy: the kernels update it in place
    if w.shape != (pre.shape[1], post.shape[1]):
        raise ValueError(f"w must have shape (n_pre, n_post) = {(pre.shape[1], post.shape[1])}, "
                         f"got {w.shape}")
    return pre, post, w


def _positive(**kw):
    for name, value in kw.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")


# ----------------------------------------------------------------------------- pair-based
@njit
def _pair_kernel(pre, post, w, a_plus, a_minus, d_plus, d_minus, w_min, w_max, mult, nearest):
    n_pre, n_post = w.shape
    x = np.zeros(n_pre)
    y = np.zeros(n_post)
    for t in range(pre.shape[0]):
        for i in range(n_pre):
            x[i] *= d_plus
        for j in range(n_post):
            y[j] *= d_minus
        for i in range(n_pre):
            if pre[t, i] == 0:
                continue
            x[i] = 1.0 if nearest else x[i] + 1.0
            for j in range(n_post):  # depression by earlier post spikes
                f = (w[i, j] - w_min) if mult else 1.0
                w[i, j] = max(w_min, w[i, j] - a_minus * y[j] * f)
        for j in range(n_post):
            if post[t, j] == 0:
                continue
            for i in range(n_pre):  # potentiation by earlier (or simultaneous) pre spikes
                f = (w_max - w[i, j]) if mult else 1.0
                w[i, j] = min(w_max, w[i, j] + a_plus * x[i] * f)
            y[j] = 1.0 if nearest else y[j] + 1.0


def pair_stdp(pre, post, w, a_plus: float = 0.01, a_minus: float = 0.0105,
              tau_plus: float = 20.0, tau_minus: float = 20.0, w_min: float = 0.0,
              w_max: float = 1.0, multiplicative: bool = False, nearest: bool = False):
    """Pair-based STDP with exponential pre and post traces (Song et al. 2000; Morrison 2008).

    ::

        x_i <- x_i exp(-1/tau_plus),  y_j <- y_j exp(-1/tau_minus)        every step
        pre spike of i:   x_i <- x_i + 1   (all-to-all)   or   x_i <- 1   (nearest)
                          w_ij <- w_ij - a_minus * y_j * f_-(w_ij)        for every j
        post spike of j:  w_ij <- w_ij + a_plus  * x_i * f_+(w_ij)        for every i
                          y_j <- y_j + 1   (all-to-all)   or   y_j <- 1   (nearest)

    additive: ``f_+ = f_- = 1`` (hard bounds: the result is clipped to ``[w_min, w_max]``);
    multiplicative (weight-dependent, soft bounds): ``f_+ = w_max - w``, ``f_- = w - w_min``.
    For one pair at distance ``d = t_post - t_pre`` steps, additive gives
    ``+a_plus exp(-d/tau_plus)`` for ``d >= 0`` and ``-a_minus exp(d/tau_minus)`` for ``d < 0``.
    "nearest" is the symmetric nearest-spike scheme: each spike pairs only with the latest
    spike of the other side.

    Parameters
    ----------
    pre : (T, n_pre) array of 0/1
    post : (T, n_post) array of 0/1
    w : (n_pre, n_post) array
        Initial weights (not modified).
    a_plus, a_minus : float
        Potentiation and depression amplitudes (``>= 0``).
    tau_plus, tau_minus : float
        Trace time constants in steps (``> 0``).
    w_min, w_max : float
        Weight bounds.
    multiplicative : bool
        Weight-dependent updates instead of additive ones.
    nearest : bool
        Nearest-spike pairing instead of all-to-all.

    Returns
    -------
    (n_pre, n_post) float64 array
        The weights after the ``T`` steps.

    Examples
    --------
    >>> import numpy as np
    >>> pre = np.array([[1], [0], [0]]); post = np.array([[0], [0], [1]])
    >>> w = pair_stdp(pre, post, [[0.5]], a_plus=0.1, tau_plus=2.0)
    >>> bool(np.isclose(w[0, 0], 0.5 + 0.1 * np.exp(-1.0)))
    True
    """
    pre, post, w = _rasters(pre, post, w)
    _positive(tau_plus=tau_plus, tau_minus=tau_minus)
    if a_plus < 0 or a_minus < 0 or not w_min < w_max:
        raise ValueError("need a_plus >= 0, a_minus >= 0 and w_min < w_max, got "
                         f"{a_plus}, {a_minus}, {w_min}, {w_max}")
    _pair_kernel(pre, post, w, float(a_plus), float(a_minus), math.exp(-1.0 / tau_plus),
                 math.exp(-1.0 / tau_minus), float(w_min), float(w_max), bool(multiplicative),
                 bool(nearest))
    return w


# ----------------------------------------------------------------------------- Panda (C5)
@njit
def panda_dw(dt, eta, tau, offset):
    """Weight change of Panda et al.'s STDP rule for one pre/post pair (C5).

    ::

        dw = eta * (exp(-dt / tau) - offset),   dt = t_post - t_pre >= 0      (C5)

    Potentiation when the pre spike closely precedes the post spike
    (``dt < -tau * log(offset)``), depression when it is far away. A pre neuron that has not
    fired (or fired only after the post spike, ``dt < 0``) is treated as ``dt = +inf``, which
    gives ``dw = -eta * offset`` (INFERRED, spec §4.4). Stable API, callable from other Numba
    kernels.

    Parameters
    ----------
    dt : float
        ``t_post - t_pre`` in steps (or ms, in the units of ``tau``); ``inf`` for "no pre spike".
    eta : float
        Learning rate.
    tau : float
        Time constant of the potentiation window (same units as ``dt``).
    offset : float
        ``STDP_offset``: the depression target subtracted from the exponential.

    Returns
    -------
    float
        ``dw``.
    """
    if dt < 0.0 or math.isinf(dt):  # missing or later pre spike: dt = +inf (INFERRED §4.4)
        return -eta * offset
    return eta * (math.exp(-dt / tau) - offset)  # C5


@njit
def _panda_kernel(pre, post, dw, eta, tau, offset):
    n_pre, n_post = dw.shape
    last = np.full(n_pre, -1)
    for t in range(pre.shape[0]):
        for i in range(n_pre):
            if pre[t, i] != 0:
                last[i] = t
        for j in range(n_post):
            if post[t, j] == 0:
                continue
            for i in range(n_pre):
                d = math.inf if last[i] < 0 else float(t - last[i])
                dw[i, j] += panda_dw(d, eta, tau, offset)


def panda_stdp(pre, post, eta: float = 1e-3, tau: float = 10.0, offset: float = 0.3):
    """Accumulated C5 weight change of one presentation (or a batch, averaged), spec §4.4.

    At every step ``t`` where post neuron ``j`` fires, for every pre neuron ``i`` with last
    spike at ``t_i <= t`` (a pre spike in the same step counts, ``dt = 0``)::

        dW_ij += eta * (exp(-(t - t_i) / tau) - offset)        (C5; no pre spike yet: -eta*offset)

    The caller applies ``w = clip(w + dW, w_min, w_max)`` (spec §4.4 pseudo-code). Defaults
    are the spec's *illustrative* values (η = 1e-3, τ = 10 steps, offset = 0.3, §7).

    Parameters
    ----------
    pre : (T, n_pre) or (T, B, n_pre) array of 0/1
    post : (T, n_post) or (T, B, n_post) array of 0/1
        With a batch axis, ``dW`` is the mean over the ``B`` samples.
    eta, tau, offset : float
        See :func:`panda_dw`.

    Returns
    -------
    (n_pre, n_post) float64 array
        ``dW``.
    """
    pre, post = np.asarray(pre), np.asarray(post)
    if pre.ndim == 2 and post.ndim == 2:
        pre, post = pre[:, None], post[:, None]
    if pre.ndim != 3 or post.ndim != 3 or pre.shape[:2] != post.shape[:2]:
        raise ValueError("pre and post must be (T, n) or (T, B, n) rasters with equal T and B, "
                         f"got {pre.shape} and {post.shape}")
    _positive(tau=tau)
    dw = np.zeros((pre.shape[2], post.shape[2]))
    for b in range(pre.shape[1]):
        p, q, _ = _rasters(pre[:, b], post[:, b])
        _panda_kernel(p, q, dw, float(eta), float(tau), float(offset))
    return dw / pre.shape[1]


# ----------------------------------------------------------------------------- Diehl & Cook
@njit
def diehl_cook_dw(x_pre, w, eta, x_tar, w_max, mu):
    """Diehl & Cook (2015) weight change at a post spike (their eq. for ``dw``).

    ::

        dw = eta * (x_pre - x_tar) * (w_max - w) ** mu

    ``x_pre`` is the presynaptic trace at the post spike; ``x_tar`` the target value of the
    trace (inputs that rarely precede post spikes are depressed); ``mu`` sets the weight
    dependence (``mu = 0``: additive).
    """
    return eta * (x_pre - x_tar) * (w_max - w) ** mu


@njit
def _dc_kernel(pre, post, w, eta, x_tar, d_pre, w_max, mu, nearest):
    n_pre, n_post = w.shape
    x = np.zeros(n_pre)
    for t in range(pre.shape[0]):
        for i in range(n_pre):
            x[i] *= d_pre
            if pre[t, i] != 0:
                x[i] = 1.0 if nearest else x[i] + 1.0
        for j in range(n_post):
            if post[t, j] == 0:
                continue
            for i in range(n_pre):
                wn = w[i, j] + diehl_cook_dw(x[i], w[i, j], eta, x_tar, w_max, mu)
                w[i, j] = min(w_max, max(0.0, wn))


def diehl_cook_stdp(pre, post, w, eta: float = 0.01, x_tar: float = 0.4, tau_pre: float = 40.0,
                    w_max: float = 1.0, mu: float = 0.2, nearest: bool = True):
    """The Diehl & Cook (2015) rule over a spike raster.

    ::

        x_i <- x_i exp(-1/tau_pre) every step;  pre spike: x_i <- 1 (nearest) or x_i + 1
        post spike of j:  w_ij <- clip(w_ij + eta (x_i - x_tar) (w_max - w_ij)^mu, 0, w_max)

    Defaults: ``eta = nu_ee_post = 0.01``, ``tau_pre = 20 ms = 40`` steps of 0.5 ms, and
    ``x_tar = 0.4``, ``mu = 0.2``, the values of ``STDP_offset`` and ``exp_ee_pre`` in the
    authors' code (defined there but not used by the rule it runs: INFERRED to be the paper's
    ``x_tar`` and ``mu``). Normalise the columns afterwards with :func:`normalize_columns`.

    Parameters
    ----------
    pre : (T, n_pre) array of 0/1
    post : (T, n_post) array of 0/1
    w : (n_pre, n_post) array
        Initial weights in ``[0, w_max]`` (not modified).
    eta, x_tar, w_max, mu : float
        See :func:`diehl_cook_dw`.
    tau_pre : float
        Presynaptic trace time constant, in steps.
    nearest : bool
        Trace reset to 1 (nearest spike, as in the authors' code) or incremented by 1.

    Returns
    -------
    (n_pre, n_post) float64 array
    """
    pre, post, w = _rasters(pre, post, w)
    _positive(tau_pre=tau_pre, w_max=w_max)
    if mu < 0 or np.any(w < 0) or np.any(w > w_max):
        raise ValueError(f"need mu >= 0 and 0 <= w <= w_max={w_max}, got mu={mu}, "
                         f"w in [{w.min()}, {w.max()}]")
    _dc_kernel(pre, post, w, float(eta), float(x_tar), math.exp(-1.0 / tau_pre), float(w_max),
               float(mu), bool(nearest))
    return w


@njit
def normalize_columns(w, total):
    """Scale each column of ``w`` in place so that it sums to ``total`` (Diehl & Cook 2015).

    ``w[:, k] *= total / sum_i w[i, k]``; a column that sums to 0 is left unchanged.

    Parameters
    ----------
    w : (n_pre, n_post) float array
        Weights; column ``k`` holds the inputs of post neuron ``k``.
    total : float
        Target sum of every column (78 for 784 inputs in Diehl & Cook's code).
    """
    n_pre, n_post = w.shape
    s = np.zeros(n_post, dtype=w.dtype)
    for i in range(n_pre):
        for k in range(n_post):
            s[k] += w[i, k]
    for k in range(n_post):
        s[k] = total / s[k] if s[k] > 0 else 1.0
    for i in range(n_pre):
        for k in range(n_post):
            w[i, k] *= s[k]
