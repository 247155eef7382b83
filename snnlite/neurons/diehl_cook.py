"""The conductance-based LIF neurons of Diehl & Cook (2015): excitatory (adaptive threshold
``theta``) and inhibitory.

Units: ms, mV; conductances are dimensionless (in units of the leak conductance). Values and
rules follow the authors' Brian 1 code ([code], see :mod:`snnlite.learn.diehl_cook`). One step
of ``dt`` follows Brian 1's clock cycle, in four phases::

    1. state update (forward Euler, as Brian 1; held while refractory):
         excitatory:  F = (v_rest - v) + ge (E_exc - v) + gi (E_inh - v),  g = 1 + ge + gi
         inhibitory:  F = (v_rest - v) + ge (E_exc - v),                    g = 1 + ge
         v <- v + min(dt/tau, 1/g) * F     (clamped: never past the momentary v_inf = v + F/g)
         ge *= 1 - dt/tau_ge ;  gi *= 1 - dt/tau_gi ;  ref <- max(ref - 1, 0)
         adaptive only:  theta -= dt/tau_theta * theta
    2. threshold:  spike if ref == 0 and v > v_thresh - theta_offset + theta  (inhibitory: v_thresh)
    3. propagation: the input arrives (ge += excitatory, gi += inhibitory input)
    4. reset:  v <- v_reset ;  ref <- refractory steps ;  adaptive only: theta += theta_plus

A spike at step ``t`` makes the neuron refractory (``v`` held, input integrated into the
conductances only) during steps ``t+1 .. t+r``. With the default parameters the clamp acts
only on inhibitory volleys (excitatory ``ge + gi > 199``); plain Euler then oscillates around
``E_inh`` with a growing amplitude.

Each phase is one small compiled function below. :func:`excitatory_step` and
:func:`inhibitory_step` compose them for one neuron (the scans of :class:`DiehlCookExcitatory`
and :class:`DiehlCookInhibitory` loop them over ``(T, N)``); the fused network loop
(:mod:`snnlite.learn.diehl_cook_kernel`) calls the phases in its own loops, with the network's
propagation and plasticity in phase 3. In a :class:`~snnlite.snn.SpikingNetwork` the current
``I`` of step ``t`` is phase 3: ``I > 0`` is added to ``ge``, ``-I`` (``I < 0``) to ``gi``, so it
acts on ``v`` from step ``t + 1`` on.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from snnlite._jit import njit
from snnlite._validate import check_dtype, check_float
from snnlite.neurons.base import Neuron, n_neurons, scan_buffers

__all__ = [
    "DiehlCookExcitatory", "DiehlCookInhibitory", "ExcitatoryConstants", "InhibitoryConstants",
    "countdown", "excitatory_decay", "excitatory_fires", "excitatory_membrane",
    "excitatory_reset", "excitatory_step", "inhibitory_decay", "inhibitory_fires",
    "inhibitory_membrane", "inhibitory_reset", "inhibitory_step", "theta_decay",
]


class ExcitatoryConstants(NamedTuple):
    """Per-step constants of the excitatory neurons, as the compiled functions read them."""

    a: float           # dt / tau_e
    v_rest: float      # mV
    e_exc: float       # mV
    e_inh: float       # mV
    d_ge: float        # 1 - dt / tau_ge
    d_gi: float        # 1 - dt / tau_gi
    threshold: float   # v_thresh - theta_offset (mV; theta is added)
    v_reset: float     # mV
    refractory: int    # steps
    d_theta: float     # dt / tau_theta
    theta_plus: float  # mV


class InhibitoryConstants(NamedTuple):
    """Per-step constants of the inhibitory neurons."""

    a: float           # dt / tau_i
    v_rest: float
    e_exc: float
    d_ge: float        # 1 - dt / tau_ge
    threshold: float   # v_thresh
    v_reset: float
    refractory: int    # steps


# -- phase 1: state update ------------------------------------------------------------------
@njit(inline="always")
def _euler(v, drive, g, a):
    """``v + min(a, 1/g) * drive``: forward Euler that never passes ``v_inf = v + drive/g``."""
    q = 1.0 / g
    return v + (a if a < q else q) * drive


@njit(inline="always")
def excitatory_membrane(v, ge, gi, ref, c):
    """Phase 1, membrane of an excitatory neuron (held while ``ref > 0``)."""
    vn = _euler(v, (c.v_rest - v) + ge * (c.e_exc - v) + gi * (c.e_inh - v), 1.0 + ge + gi, c.a)
    return vn if ref == 0 else v


@njit(inline="always")
def inhibitory_membrane(v, ge, ref, c):
    """Phase 1, membrane of an inhibitory neuron (no inhibitory conductance)."""
    vn = _euler(v, (c.v_rest - v) + ge * (c.e_exc - v), 1.0 + ge, c.a)
    return vn if ref == 0 else v


@njit(inline="always")
def excitatory_decay(ge, gi, c):
    """Phase 1, conductances of an excitatory neuron (forward Euler, as Brian 1)."""
    return ge * c.d_ge, gi * c.d_gi


@njit(inline="always")
def inhibitory_decay(ge, c):
    """Phase 1, excitatory conductance of an inhibitory neuron."""
    return ge * c.d_ge


@njit(inline="always")
def countdown(ref):
    """Phase 1, refractory counter: one step less, not below 0."""
    return ref - 1 if ref > 0 else 0


@njit(inline="always")
def theta_decay(theta, c):
    """Phase 1, adaptive threshold (learning only): ``theta -= dt/tau_theta * theta``."""
    return theta - c.d_theta * theta


# -- phase 2: threshold ---------------------------------------------------------------------
@njit(inline="always")
def excitatory_fires(v, ref, theta, c):
    """Phase 2: ``ref == 0 and v > v_thresh - theta_offset + theta``."""
    return (ref == 0) & (v > c.threshold + theta)


@njit(inline="always")
def inhibitory_fires(v, ref, c):
    """Phase 2: ``ref == 0 and v > v_thresh``."""
    return (ref == 0) & (v > c.threshold)


# -- phase 4: reset ---------------------------------------------------------------------------
@njit(inline="always")
def excitatory_reset(theta, c, adaptive):
    """Phase 4 of a spiking excitatory neuron: ``(v_reset, refractory, theta [+ theta_plus])``."""
    return c.v_reset, c.refractory, (theta + c.theta_plus if adaptive else theta)


@njit(inline="always")
def inhibitory_reset(c):
    """Phase 4 of a spiking inhibitory neuron: ``(v_reset, refractory)``."""
    return c.v_reset, c.refractory


# -- one neuron, one step (phase 3 = the input current) ---------------------------------------
@njit(inline="always")
def _synaptic_input(ge, gi, i):
    """Phase 3 of the stand-alone neuron: ``I > 0`` excites (``ge``), ``I < 0`` inhibits."""
    if i > 0:
        return ge + i, gi
    if i < 0:
        return ge, gi - i
    return ge, gi


@njit(inline="always")
def excitatory_step(v, ge, gi, ref, theta, i, c, adaptive):
    """One step of an excitatory neuron: ``(v_pre, v, ge, gi, ref, theta, s)``.

    ``v_pre`` is the potential before the reset; ``adaptive`` turns the theta decay and
    growth on (Diehl & Cook train with it and test without).
    """
    if adaptive:
        theta = theta_decay(theta, c)
    v = excitatory_membrane(v, ge, gi, ref, c)
    ge, gi = excitatory_decay(ge, gi, c)
    ref = countdown(ref)
    s = excitatory_fires(v, ref, theta, c)
    ge, gi = _synaptic_input(ge, gi, i)
    v_pre = v
    if s:
        v, ref, theta = excitatory_reset(theta, c, adaptive)
    return v_pre, v, ge, gi, ref, theta, s


@njit(inline="always")
def inhibitory_step(v, ge, ref, i, c):
    """One step of an inhibitory neuron: ``(v_pre, v, ge, ref, s)``; ``I`` adds to ``ge``."""
    v = inhibitory_membrane(v, ge, ref, c)
    ge = inhibitory_decay(ge, c)
    ref = countdown(ref)
    s = inhibitory_fires(v, ref, c)
    ge += i
    v_pre = v
    if s:
        v, ref = inhibitory_reset(c)
    return v_pre, v, ge, ref, s


@njit
def _excitatory_scan(current, v, ge, gi, ref, theta, c, adaptive, spikes, trace, trace_pre):
    """:func:`excitatory_step` over ``(T, N)`` (see :meth:`DiehlCookExcitatory.scan`)."""
    record, record_pre = trace.shape[0] > 0, trace_pre.shape[0] > 0
    for t in range(current.shape[0]):
        for k in range(current.shape[1]):
            v_pre, v[k], ge[k], gi[k], ref[k], theta[k], s = excitatory_step(
                v[k], ge[k], gi[k], ref[k], theta[k], current[t, k], c, adaptive)
            spikes[t, k] = s
            if record:
                trace[t, k] = v[k]
            if record_pre:
                trace_pre[t, k] = v_pre


@njit
def _inhibitory_scan(current, v, ge, ref, c, spikes, trace, trace_pre):
    """:func:`inhibitory_step` over ``(T, N)`` (see :meth:`DiehlCookInhibitory.scan`)."""
    record, record_pre = trace.shape[0] > 0, trace_pre.shape[0] > 0
    for t in range(current.shape[0]):
        for k in range(current.shape[1]):
            v_pre, v[k], ge[k], ref[k], s = inhibitory_step(v[k], ge[k], ref[k], current[t, k], c)
            spikes[t, k] = s
            if record:
                trace[t, k] = v[k]
            if record_pre:
                trace_pre[t, k] = v_pre


def _steps(name: str, ms: float, dt: float) -> int:
    """``ms`` in steps of ``dt`` (rounded), checked ``>= 0``."""
    if not ms >= 0:
        raise ValueError(f"{name} must be >= 0 ms, got {ms!r}")
    return int(round(ms / dt))


def _set_floats(neuron, **values) -> None:
    """``neuron.<name> = value`` for every value, checked finite."""
    for name, value in values.items():
        setattr(neuron, name, check_float(name, value))


class DiehlCookInhibitory(Neuron):
    """Inhibitory conductance-based LIF neuron of Diehl & Cook (module docstring).

    Parameters
    ----------
    dt : float, default 0.5
        Step (ms).
    tau : float, default 10
        Membrane time constant (ms).
    tau_ge : float, default 1
        Decay of the excitatory conductance (ms).
    v_rest, v_reset, v_thresh, v_init : float, default -60, -45, -40, -100
        Potentials (mV).
    e_exc : float, default 0
        Excitatory reversal potential (mV).
    refractory : float, default 2
        Refractory period (ms).

    Notes
    -----
    State ``{"v", "ge": (N,) float, "ref": (N,) int64}``; spikes ``int8`` in {0, 1}. The
    defaults are the [code]'s (:class:`~snnlite.learn.diehl_cook.DiehlCookParams`).
    """

    def __init__(self, dt: float = 0.5, tau: float = 10.0, tau_ge: float = 1.0,
                 v_rest: float = -60.0, v_reset: float = -45.0, v_thresh: float = -40.0,
                 v_init: float = -100.0, e_exc: float = 0.0, refractory: float = 2.0):
        self.dt = check_float("dt", dt, positive=True)
        self.tau = check_float("tau", tau, positive=True)
        self.tau_ge = check_float("tau_ge", tau_ge, positive=True)
        if self.dt >= min(self.tau, self.tau_ge):
            raise ValueError(f"dt={dt} must be smaller than tau and tau_ge (forward Euler)")
        _set_floats(self, v_rest=v_rest, v_reset=v_reset, v_thresh=v_thresh, v_init=v_init,
                    e_exc=e_exc, refractory=refractory)
        self.constants = InhibitoryConstants(
            self.dt / self.tau, self.v_rest, self.e_exc, 1.0 - self.dt / self.tau_ge,
            self.v_thresh, self.v_reset, _steps("refractory", self.refractory, self.dt))

    def __repr__(self) -> str:
        return f"DiehlCookInhibitory({self.constants})"

    def init_state(self, batch: int, shape, dtype=np.float64) -> dict:
        """Fresh state: ``v = v_init``, no conductance, not refractory."""
        n, dtype = n_neurons(batch, shape), check_dtype(dtype)
        return {"v": np.full(n, self.v_init, dtype), "ge": np.zeros(n, dtype),
                "ref": np.zeros(n, np.int64)}

    def scan(self, current: np.ndarray, state: dict, trace: np.ndarray | None = None,
             trace_pre: np.ndarray | None = None) -> np.ndarray:
        """Advance over ``T`` steps, in place; ``current`` ``(T, N)`` adds to ``ge``.

        Returns spikes ``(T, N)`` int8; ``trace`` / ``trace_pre`` receive ``v`` after / before
        the reset.
        """
        current, spikes, trace, trace_pre = scan_buffers(current, state, trace, "v", trace_pre)
        _inhibitory_scan(current, state["v"], state["ge"], state["ref"], self.constants, spikes,
                         trace, trace_pre)
        return spikes


class DiehlCookExcitatory(Neuron):
    """Excitatory conductance-based LIF neuron with adaptive threshold (module docstring).

    Parameters
    ----------
    dt : float, default 0.5
        Step (ms).
    tau, tau_ge, tau_gi : float, default 100, 1, 2
        Membrane and conductance time constants (ms).
    v_rest, v_reset, v_thresh, v_init : float, default -65, -65, -52, -105
        Potentials (mV).
    e_exc, e_inh : float, default 0, -100
        Reversal potentials (mV).
    refractory : float, default 5
        Refractory period (ms).
    theta_init, theta_offset, theta_plus : float, default 20, 20, 0.05
        Initial adaptive threshold, its constant offset and rise per spike (mV).
    tau_theta : float, default 1e7
        Decay of theta (ms).
    adaptive : bool, default True
        theta decays and grows (training); False keeps it fixed (Diehl & Cook's test phase).

    Notes
    -----
    State ``{"v", "ge", "gi", "theta": (N,) float, "ref": (N,) int64}``; spikes ``int8`` in
    {0, 1}. The defaults are the [code]'s.

    Examples
    --------
    A constant excitatory input pulls ``v`` up from ``v_init`` until it fires:

    >>> import numpy as np
    >>> neuron = DiehlCookExcitatory(theta_init=0.0)
    >>> state = neuron.init_state(1, 1)
    >>> spikes = neuron.scan(np.full((400, 1), 0.5), state)
    >>> int(spikes.sum()) > 0, float(state["theta"][0]) > 0
    (True, True)
    """

    def __init__(self, dt: float = 0.5, tau: float = 100.0, tau_ge: float = 1.0,
                 tau_gi: float = 2.0, v_rest: float = -65.0, v_reset: float = -65.0,
                 v_thresh: float = -52.0, v_init: float = -105.0, e_exc: float = 0.0,
                 e_inh: float = -100.0, refractory: float = 5.0, theta_init: float = 20.0,
                 theta_offset: float = 20.0, theta_plus: float = 0.05, tau_theta: float = 1e7,
                 adaptive: bool = True):
        self.dt = check_float("dt", dt, positive=True)
        self.tau = check_float("tau", tau, positive=True)
        self.tau_ge = check_float("tau_ge", tau_ge, positive=True)
        self.tau_gi = check_float("tau_gi", tau_gi, positive=True)
        self.tau_theta = check_float("tau_theta", tau_theta, positive=True)
        if self.dt >= min(self.tau, self.tau_ge, self.tau_gi):
            raise ValueError(f"dt={dt} must be smaller than tau, tau_ge and tau_gi "
                             "(forward Euler)")
        _set_floats(self, v_rest=v_rest, v_reset=v_reset, v_thresh=v_thresh, v_init=v_init,
                    e_exc=e_exc, e_inh=e_inh, refractory=refractory, theta_init=theta_init,
                    theta_offset=theta_offset, theta_plus=theta_plus)
        if not isinstance(adaptive, (bool, np.bool_)):
            raise TypeError(f"adaptive must be a bool, got {adaptive!r}")
        self.adaptive = bool(adaptive)
        self.constants = ExcitatoryConstants(
            self.dt / self.tau, self.v_rest, self.e_exc, self.e_inh, 1.0 - self.dt / self.tau_ge,
            1.0 - self.dt / self.tau_gi, self.v_thresh - self.theta_offset, self.v_reset,
            _steps("refractory", self.refractory, self.dt), self.dt / self.tau_theta,
            self.theta_plus)

    def __repr__(self) -> str:
        return f"DiehlCookExcitatory({self.constants}, adaptive={self.adaptive})"

    def init_state(self, batch: int, shape, dtype=np.float64) -> dict:
        """Fresh state: ``v = v_init``, ``theta = theta_init``, no conductance."""
        n, dtype = n_neurons(batch, shape), check_dtype(dtype)
        return {"v": np.full(n, self.v_init, dtype), "ge": np.zeros(n, dtype),
                "gi": np.zeros(n, dtype), "theta": np.full(n, self.theta_init, dtype),
                "ref": np.zeros(n, np.int64)}

    def scan(self, current: np.ndarray, state: dict, trace: np.ndarray | None = None,
             trace_pre: np.ndarray | None = None) -> np.ndarray:
        """Advance over ``T`` steps, in place; ``current`` ``(T, N)``: ``I > 0`` adds to ``ge``,
        ``-I`` to ``gi``.

        Returns spikes ``(T, N)`` int8; ``trace`` / ``trace_pre`` receive ``v`` after / before
        the reset.
        """
        current, spikes, trace, trace_pre = scan_buffers(current, state, trace, "v", trace_pre)
        _excitatory_scan(current, state["v"], state["ge"], state["gi"], state["ref"],
                         state["theta"], self.constants, self.adaptive, spikes, trace, trace_pre)
        return spikes
