"""The QFFS neuron of Li, Ma & Furber 2022 (Algorithm 1; B14-B16).

An IF neuron with reset by subtraction and three switchable additions that suppress
"occasional noise" (spec ``seeds-spec.md`` §3.4, §3.5): a 0.5 threshold pre-charge, a cap on
the net spike count and negative spikes. Per step ``t`` (``th`` the threshold, ``Z`` the net
spike count)::

    V(t) <- V(t-1) + I(t)                                           (B14) integrate
    z(t)  = +1  if V(t) >= th  and  Z(t-1) < Z_max                  (B15) spike (cap)
            -1  if V(t) < 0    and  Z(t-1) > 0   (negative=True)          negative spike
             0  otherwise
    V(t) <- V(t) - th * z(t)                                        (B14) -th / +th
    Z(t)  = Z(t-1) + z(t)                                           (B16) net count

``V(0) = th / 2`` with ``precharge=True`` (else 0), ``Z(0) = 0``; ``Z_max = inf`` when
``z_max`` is None. The two spike conditions exclude each other because ``th > 0``.
Switching off ``precharge``, ``negative`` or the cap gives the ablations of §6.1.

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
    scan_buffers,
)
from snnlite.neurons.surrogate import HEAVISIDE, Surrogate, pseudo_derivative, spike_value

__all__ = ["QFFS", "qffs_step", "qffs_surrogate_backward"]

_NO_CAP = np.iinfo(np.int32).max  # Z_max of an uncapped neuron: Z is int32


@njit(inline="always")
def qffs_step(v, z, i, threshold, z_max, negative, kind, param):
    """One QFFS step of one neuron (Algorithm 1, B14-B16): the update, written once.

    Parameters
    ----------
    v, z : float, int (or float)
        Membrane potential and net spike count ``Z`` before the step.
    i : float
        Input current ``I(t)``.
    threshold : float
        ``th`` (in ``v``'s dtype).
    z_max : int
        Cap on ``Z`` (``2**31 - 1`` for no cap).
    negative : bool
        Whether negative spikes are allowed.
    kind, param : int, float
        Surrogate code and parameter (:mod:`snnlite.neurons.surrogate`): the scan passes
        ``HEAVISIDE``; the smooth sigmoid of gradient checks makes both spikes smooth (the
        negative one is ``1 - Theta(V)``, i.e. ``V < 0``).

    Returns
    -------
    v_pre, v, z, s
        Potential before the reset, potential and count after the step, spike in {-1, 0, 1}.
    """
    v_pre = in_dtype_of(v + i, v)  # B14: integrate
    up = spike_value(kind, param, v_pre, threshold) if z < z_max else 0.0  # B15: below cap
    down = 1.0 - spike_value(kind, param, v_pre, 0.0) if negative and z > 0 else 0.0  # B15
    s = in_dtype_of(up - down, v_pre)  # B15: the two conditions exclude each other (th > 0)
    if s == 0.0:
        return v_pre, v_pre, z + s, s
    return v_pre, v_pre - threshold * s, z + s, s  # B14: -th / +th;  B16: Z += z


@njit
def _qffs_scan(current, v, z, threshold, z_max, negative, spikes, trace, trace_pre):
    """Advance QFFS neurons over ``T`` steps (:func:`qffs_step` per neuron and step), in place.

    Parameters
    ----------
    current : (T, N) float array
        Input current ``I(t)`` per step and neuron.
    v : (N,) float array
        Membrane potential; updated in place.
    z : (N,) int32 array
        Net spike count ``Z``; updated in place.
    threshold : float scalar
        ``th`` (same dtype as ``v``, so that compiled and interpreted runs agree bit for bit).
    z_max : int
        Cap on ``Z`` (``2**31 - 1`` for no cap).
    negative : bool
        Whether negative spikes are allowed.
    spikes : (T, N) int8 array
        Output; every entry is written (-1, 0 or +1).
    trace, trace_pre : (T, N) float arrays or (0, N) arrays
        Membrane potential after / before the reset of each step; ``trace.shape[0] == 0``
        means "not recorded".
    """
    record, record_pre = trace.shape[0] > 0, trace_pre.shape[0] > 0
    for t in range(current.shape[0]):
        for n in range(current.shape[1]):
            v_pre, v[n], z[n], s = qffs_step(v[n], z[n], current[t, n], threshold, z_max,
                                             negative, HEAVISIDE, 0.0)
            spikes[t, n] = s
            if record:
                trace[t, n] = v[n]
            if record_pre:
                trace_pre[t, n] = v_pre


@njit
def _qffs_surrogate_forward(current, v, z, threshold, z_max, negative, kind, param, spikes,
                            v_pre, z_pre):
    """BPTT forward pass: :func:`qffs_step` over ``(T, N)`` with surrogate ``kind``, in place.

    ``v`` and ``z`` (N,) float arrays are the potential and the net count (a sum of smooth
    spikes for the sigmoid), updated in place; ``spikes``, ``v_pre`` and ``z_pre`` (T, N)
    receive the spikes, the potentials before the reset and the counts before the step (the
    cap and the negative spike's condition, needed by the backward pass).
    """
    for t in range(current.shape[0]):
        for n in range(current.shape[1]):
            z_pre[t, n] = z[n]
            v_pre[t, n], v[n], z[n], spikes[t, n] = qffs_step(
                v[n], z[n], current[t, n], threshold, z_max, negative, kind, param)


@njit
def qffs_surrogate_backward(grad_s, u, z_pre, threshold, z_max, negative, kind, param, detach,
                            grad_i):
    """Reverse-time scan of BPTT through QFFS neurons: ``dL/dI`` from ``dL/ds`` (B14, B15, C4).

    The spike is ``s = 1[Z < Z_max] Theta(u - th) - 1[neg, Z > 0] (1 - Theta(u))``; the count
    conditions are constants of the step (no gradient). With ``s'`` the surrogate at ``u - th``
    plus, where a negative spike is possible, the surrogate of the negative spike at ``u``
    (the same pseudo-derivative, centred on 0)::

        ds/du    = 1[Z < Z_max] sigma'(u - th) + 1[neg, Z > 0] sigma'(u)
        dv/du    = 1 - th * ds/du          (v = u - th s, B14; 1 when detached)
        g_u[t]   = dL/ds[t] * ds/du + g_v[t] * dv/du
        dL/dI[t] = g_u[t];   g_v[t-1] = g_u[t]          (no leak)

    Parameters
    ----------
    grad_s : (T, N) float array
        Gradient of the loss with respect to the spikes.
    u, z_pre : (T, N) float arrays
        Potentials before the reset and counts before each step, from the forward pass.
    threshold, z_max, negative, kind, param
        As in :func:`qffs_step`.
    detach : bool
        Drop the reset's dependence on the spike.
    grad_i : (T, N) float array
        Output: gradient with respect to the input current.
    """
    T, N = u.shape
    g_v = np.zeros(N, u.dtype)  # gradient reaching v[t] from step t + 1
    for k in range(T):
        t = T - 1 - k  # reverse time
        for n in range(N):
            ds = 0.0
            if z_pre[t, n] < z_max:  # B15: positive spike possible
                ds += pseudo_derivative(kind, param, u[t, n], threshold)  # C4
            if negative and z_pre[t, n] > 0:  # B15: negative spike possible, step at V = 0
                ds += pseudo_derivative(kind, param, u[t, n] + threshold, threshold)
            dv_du = 1.0 if detach else 1.0 - threshold * ds
            g_u = grad_s[t, n] * ds + g_v[n] * dv_du
            grad_i[t, n] = g_u
            g_v[n] = g_u


class QFFS(Neuron):
    """QFFS neuron (Algorithm 1, B14-B16): IF with pre-charge, spike cap and negative spikes.

    Parameters
    ----------
    threshold : float, default 1.0
        Firing threshold ``th > 0`` (B19: ``th = (2**b - 1) * s`` after conversion).
    z_max : int or None, default None
        Cap ``Z_max >= 0`` on the net spike count (B20: ``2**b - 1``); None means no cap.
    precharge : bool, default True
        Start from ``V(0) = th / 2`` (turns the count into a rounding of the input), else 0.
    negative : bool, default True
        Allow negative spikes (when ``V < 0`` and ``Z > 0``).

    Raises
    ------
    ValueError
        If ``threshold`` is not a finite number > 0 or ``z_max`` is not None or an integer
        in ``[0, 2**31 - 1]``.
    TypeError
        If ``precharge`` or ``negative`` is not a bool.

    Notes
    -----
    State: ``{"v": (N,) float, "z": (N,) int32}`` (``z`` is the net count ``Z``). Spikes are
    ``int8`` in {-1, 0, +1}. The neuron always resets by subtraction. See the module
    docstring for the update and :meth:`level` for the count it converges to.

    Examples
    --------
    Spec §6.2, row ``u = 0.5``: ``th = 0.75``, ``Z_max = 3``, input for 3 steps, 3 silent.

    >>> import numpy as np
    >>> neuron = QFFS(threshold=0.75, z_max=3)
    >>> state = neuron.init_state(1, 1, dtype=np.float64)
    >>> neuron.scan(np.array([[0.5]] * 3 + [[0.0]] * 3), state)[:, 0].tolist()
    [1, 0, 1, 0, 0, 0]
    >>> int(state["z"][0]), float(state["v"][0]), int(neuron.level(3 * 0.5))
    (2, 0.375, 2)
    """

    def __init__(self, threshold: float = 1.0, z_max: int | None = None,
                 precharge: bool = True, negative: bool = True):
        self.threshold = check_float("threshold", threshold, positive=True)
        if z_max is not None and (isinstance(z_max, bool) or not isinstance(
                z_max, (int, np.integer)) or not 0 <= z_max <= _NO_CAP):
            raise ValueError(f"z_max must be None or an integer in [0, {_NO_CAP}], "
                             f"got {z_max!r}")
        for name, flag in (("precharge", precharge), ("negative", negative)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {flag!r}")
        self.z_max = None if z_max is None else int(z_max)
        self.precharge, self.negative = bool(precharge), bool(negative)

    @property
    def v_init(self) -> float:
        """``V(0)``: ``th / 2`` with pre-charge, else 0."""
        return 0.5 * self.threshold if self.precharge else 0.0

    def __repr__(self) -> str:
        return (f"QFFS(threshold={self.threshold}, z_max={self.z_max}, "
                f"precharge={self.precharge}, negative={self.negative})")

    def init_state(self, batch: int, shape, dtype=np.float32) -> dict:
        """Fresh state ``{"v": full(N, v_init), "z": zeros(N, int32)}``.

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
        return {"v": np.full(n, self.v_init, dtype=check_dtype(dtype)),
                "z": np.zeros(n, dtype=np.int32)}

    def scan(
        self, current: np.ndarray, state: dict, trace: np.ndarray | None = None,
        trace_pre: np.ndarray | None = None,
    ) -> np.ndarray:
        """Advance over ``T`` steps; ``state`` is updated in place.

        Parameters
        ----------
        current : (T, N) float array
            Input current per step (B14, ``I(t)``).
        state : dict
            ``{"v": (N,) float, "z": (N,) int32}`` from :meth:`init_state`.
        trace : (T, N) float array, optional
            If given, receives the membrane potential after each step (after reset).
        trace_pre : (T, N) float array, optional
            If given, receives the membrane potential before the reset (``V(t-1) + I(t)``,
            the quantity B15 compares with the thresholds).

        Returns
        -------
        spikes : (T, N) int8 array in {-1, 0, +1}
        """
        current, spikes, trace, trace_pre = scan_buffers(current, state, trace, "v", trace_pre)
        v = state["v"]
        _qffs_scan(current, v, state["z"], v.dtype.type(self.threshold), self._z_max(),
                   self.negative, spikes, trace, trace_pre)
        return spikes

    trainable = True

    def _z_max(self) -> int:
        return _NO_CAP if self.z_max is None else self.z_max

    def surrogate_forward(self, current: np.ndarray, surrogate: Surrogate, batch: int = 1,
                          shape=None) -> tuple[np.ndarray, dict]:
        """BPTT forward pass from a fresh state (pre-charge, ``Z = 0``; see the contract).

        Parameters
        ----------
        current : (T, N) float array
            Input current; its dtype is the dtype of the pass.
        surrogate : Surrogate
            Only the smooth ``Sigmoid`` changes the forward spikes (both signs).
        batch, shape : int, tuple of int, optional
            The population's layout (ignored: these neurons do not interact).

        Returns
        -------
        spikes : (T, N) float array in {-1, 0, 1} (smooth values for the sigmoid)
        tape : dict
            ``{"v_pre": (T, N), "z_pre": (T, N)}`` for :meth:`surrogate_backward`.
        """
        n = current.shape[1]
        v = np.full(n, self.v_init, dtype=current.dtype)
        z = np.zeros(n, dtype=current.dtype)
        spikes, v_pre, z_pre = (np.empty_like(current) for _ in range(3))
        _qffs_surrogate_forward(current, v, z, current.dtype.type(self.threshold),
                                self._z_max(), self.negative, surrogate.kind, surrogate.param,
                                spikes, v_pre, z_pre)
        return spikes, {"v_pre": v_pre, "z_pre": z_pre}

    def surrogate_backward(self, grad_spikes: np.ndarray, tape: dict, surrogate: Surrogate,
                           detach_reset: bool = False) -> np.ndarray:
        """``dL/dI`` ``(T, N)`` from ``dL/ds`` ``(T, N)`` (:func:`qffs_surrogate_backward`)."""
        u = tape["v_pre"]
        grad_i = np.empty_like(u)
        qffs_surrogate_backward(grad_spikes, u, tape["z_pre"], u.dtype.type(self.threshold),
                                self._z_max(), self.negative, surrogate.kind,
                                surrogate.param, bool(detach_reset), grad_i)
        return grad_i

    def rate(self, current) -> np.ndarray:
        """Long-run spikes per step for a constant current ``I`` per step: ``clip(I / th, 0, 1)``.

        The contract's rate (:mod:`snnlite.neurons.base`), as for the IF neuron with reset by
        subtraction. The quantity a converted QFFS network is built around is the final count
        of a finite input, :meth:`level`.

        Parameters
        ----------
        current : array_like of float
            Constant input current per step, any shape.

        Returns
        -------
        float64 array of the same shape, values in [0, 1].
        """
        return np.clip(np.asarray(current, dtype=np.float64) / self.threshold, 0.0, 1.0)

    def level(self, total_current) -> np.ndarray:
        """Final net count ``Z`` after the input stops and the neuron has settled.

        For a neuron that received the total current ``S = sum_t I(t)`` and then enough
        silent steps::

            Z = clip(floor(S / th + 1/2), 0, Z_max)   with pre-charge (round half up)
            Z = clip(floor(S / th), 0, Z_max)         without

        This is the quantized ANN level of §3.6 (``S = T_in * u``, ``th = T_in * s`` gives
        ``round_half_up(u / s)``), the count that property tests compare simulations with.

        Parameters
        ----------
        total_current : array_like of float
            Total input current ``S`` of each neuron, any shape.

        Returns
        -------
        int64 array of the same shape.

        Notes
        -----
        Silent steps only move ``V`` towards ``[0, th)``, one spike per step, so the neuron
        settles after at most about ``|V| / th + 1`` of them; then ``V = V(0) + S - th Z``
        with ``0 <= V < th`` unless ``Z`` is at 0 or at the cap, which is the formula above.
        Without negative spikes the settled count is only bounded below by it: a neuron that
        fired early and received negative input later ends with ``V < 0`` and too many
        spikes (occasional noise, §3.4; spec §6.1 example B). The formula assumes no tie:
        when ``S / th + V(0) / th`` is an integer, floating-point sums decide.
        """
        s = np.asarray(total_current, dtype=np.float64)
        count = np.floor((s + self.v_init) / self.threshold)
        upper = np.inf if self.z_max is None else self.z_max
        return np.clip(count, 0, upper).astype(np.int64)
