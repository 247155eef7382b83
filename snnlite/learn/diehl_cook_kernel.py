"""Numba kernels of the Diehl & Cook (2015) network: one presentation per call, event-driven.

One call of :func:`present` simulates ``n_steps`` steps of ``dt`` (a presentation followed by
its rest) of the network of :mod:`snnlite.learn.diehl_cook`. The order inside one step follows
the clock cycle of Brian 1, which Diehl & Cook used; the neuron phases (1, 2, 4) are the
compiled functions of the neuron models :class:`~snnlite.neurons.DiehlCookExcitatory` and
:class:`~snnlite.neurons.DiehlCookInhibitory` (equations in :mod:`snnlite.neurons.diehl_cook`),
each step a small function inlined into :func:`present`::

    1. state update          _decay_learning_state (learning: theta, post1, post2 decay),
                             _advance_neurons (membranes, conductances, refractory counters)
    2. threshold             _threshold: exc v > v_thresh_e - theta_offset + theta,
                                         inh v > v_thresh_i
    3. propagation and plasticity (only the inputs that spike this step are touched):
         _deliver_input      input i spikes: ge_e[:] += W[i, :]
                             learning: pre_i = 1 ;  W[i, :] -= nu_pre * post1[:]        clip >= 0
         _excitatory_spikes  exc k spikes: ge_i[k] += w_ei                     (one-to-one)
                             learning: W[:, k] += nu_post * pre[:] * post2[k]   clip <= w_max
                                       (post2 read before it is set), then post1[k] = post2[k] = 1
         _lateral_inhibition inh k spikes: gi_e[m] += w_ie for every m != k     (all-to-others)
    4. reset                 _reset: exc v = v_reset_e, refractory, learning: theta += theta_plus;
                             inh v = v_reset_i, refractory.

The presynaptic trace is nearest-spike (``pre = 1`` at a spike) and decays exactly,
``pre = exp(-(t - t_last) dt / tau_pre)``; it is evaluated lazily from the step of the last
spike of each input (``last_pre``) through a lookup table, so silent inputs cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from snnlite._jit import njit
from snnlite.neurons.diehl_cook import (
    DiehlCookExcitatory,
    DiehlCookInhibitory,
    ExcitatoryConstants,
    InhibitoryConstants,
    countdown,
    excitatory_decay,
    excitatory_fires,
    excitatory_membrane,
    excitatory_reset,
    inhibitory_decay,
    inhibitory_fires,
    inhibitory_membrane,
    inhibitory_reset,
    theta_decay,
)
from snnlite.snn.events import pack_events  # the CSR input form :func:`present` reads

__all__ = ["DiehlCookParams", "KernelConstants", "NetworkConstants", "pack_events", "present",
           "pre_trace_table"]


class NetworkConstants(NamedTuple):
    """Constants of the connections and of the plasticity, as :func:`present` reads them."""

    dt: float         # ms
    w_ei: float       # exc k -> inh k
    w_ie: float       # inh k -> every exc m != k
    nu_pre: float
    nu_post: float
    w_max: float
    tau_post1: float  # ms
    tau_post2: float  # ms


class KernelConstants(NamedTuple):
    """Everything :func:`present` reads: both neuron populations and the network."""

    exc: ExcitatoryConstants
    inh: InhibitoryConstants
    net: NetworkConstants


@dataclass(frozen=True)
class DiehlCookParams:
    """Hyper-parameters of the Diehl & Cook network (units: ms, mV, Hz; conductances are
    dimensionless, in units of the leak conductance).

    Source of each value in brackets, from the authors' Brian 1 code
    (github.com/peter-u-diehl/stdp-mnist): [code] = ``Diehl&Cook_spiking_MNIST.py``,
    [gen] = ``Diehl&Cook_MNIST_random_conn_generator.py``; [paper] = Diehl & Cook (2015),
    Front. Comput. Neurosci. 9:99.
    """

    dt: float = 0.5                 # [code] defaultclock dt = 0.5 ms
    t_present: float = 350.0        # [code] single_example_time; [paper] 350 ms
    t_rest: float = 150.0           # [code] resting_time; [paper] 150 ms
    rate_divisor: float = 8.0       # [code] rate = pixel / 8 * input_intensity (Hz)
    intensity: float = 2.0          # [code] start input_intensity -> pixel/4, <= 63.75 Hz
    min_spikes: int = 5             # [code] re-present with intensity + 1 if < 5 exc spikes
    max_intensity_raises: int = 32  # snnlite safeguard ([code] loops until >= 5 spikes)
    tau_e: float = 100.0            # [code] exc membrane time constant
    tau_i: float = 10.0             # [code] inh membrane time constant
    tau_ge: float = 1.0             # [code] dge/dt = -ge / (1 ms)
    tau_gi: float = 2.0             # [code] dgi/dt = -gi / (2 ms)
    v_rest_e: float = -65.0         # [code]
    v_reset_e: float = -65.0        # [code]
    v_thresh_e: float = -52.0       # [code] threshold v > theta - offset + v_thresh_e
    v_rest_i: float = -60.0         # [code]
    v_reset_i: float = -45.0        # [code]
    v_thresh_i: float = -40.0       # [code]
    v_init_e: float = -105.0        # [code] v_rest_e - 40 mV at start
    v_init_i: float = -100.0        # [code] v_rest_i - 40 mV at start
    e_exc: float = 0.0              # [code] I_synE = ge * (0 mV - v)
    e_inh_e: float = -100.0         # [code] exc: I_synI = gi * (-100 mV - v)
    e_inh_i: float = -85.0          # [code] inh (no inh->inh synapses are used, kept for record)
    refrac_e: float = 5.0           # [code] refrac_e
    refrac_i: float = 2.0           # [code] refrac_i
    theta_init: float = 20.0        # [code] theta = 20 mV at start of training
    theta_offset: float = 20.0      # [code] offset = 20 mV, in training and test alike
    theta_plus: float = 0.05        # [code] theta_plus_e
    tau_theta: float = 1e7          # [code] tc_theta (theta decays during training only)
    w_ei: float = 10.4              # [gen] weight['ei'], exc k -> inh k
    w_ie: float = 17.0              # [gen] weight['ie'], inh k -> every exc m != k
    w_init_low: float = 0.003       # [gen] (rand + 0.01) * 0.3
    w_init_high: float = 0.303      # [gen]
    w_max: float = 1.0              # [code] wmax_ee
    norm_total: float = 78.0        # [code] weight['ee_input']: column sum before each image
    nu_pre: float = 1e-4            # [code] nu_ee_pre: w -= nu_pre * post1 at a pre spike
    nu_post: float = 1e-2           # [code] nu_ee_post: w += nu_post * pre * post2 at a post spike
    tau_pre: float = 20.0           # [code] tc_pre_ee
    tau_post1: float = 20.0         # [code] tc_post_1_ee
    tau_post2: float = 40.0         # [code] tc_post_2_ee

    def steps(self, ms: float) -> int:
        """Number of ``dt`` steps in ``ms`` milliseconds (rounded)."""
        return int(round(ms / self.dt))

    def excitatory(self, adaptive: bool = True) -> DiehlCookExcitatory:
        """The excitatory neuron model with these parameters (``adaptive``: theta learns)."""
        return DiehlCookExcitatory(
            dt=self.dt, tau=self.tau_e, tau_ge=self.tau_ge, tau_gi=self.tau_gi,
            v_rest=self.v_rest_e, v_reset=self.v_reset_e, v_thresh=self.v_thresh_e,
            v_init=self.v_init_e, e_exc=self.e_exc, e_inh=self.e_inh_e, refractory=self.refrac_e,
            theta_init=self.theta_init, theta_offset=self.theta_offset,
            theta_plus=self.theta_plus, tau_theta=self.tau_theta, adaptive=adaptive)

    def inhibitory(self) -> DiehlCookInhibitory:
        """The inhibitory neuron model with these parameters."""
        return DiehlCookInhibitory(
            dt=self.dt, tau=self.tau_i, tau_ge=self.tau_ge, v_rest=self.v_rest_i,
            v_reset=self.v_reset_i, v_thresh=self.v_thresh_i, v_init=self.v_init_i,
            e_exc=self.e_exc, refractory=self.refrac_i)

    def packed(self) -> KernelConstants:
        """The constants :func:`present` reads (named tuples of floats)."""
        net = NetworkConstants(self.dt, self.w_ei, self.w_ie, self.nu_pre, self.nu_post,
                               self.w_max, self.tau_post1, self.tau_post2)
        return KernelConstants(self.excitatory().constants, self.inhibitory().constants, net)

    def validate(self) -> None:
        """Raise ``ValueError`` for values the simulation cannot use."""
        for name in ("dt", "t_present", "tau_e", "tau_i", "tau_ge", "tau_gi", "tau_theta",
                     "tau_pre", "tau_post1", "tau_post2", "rate_divisor", "w_max", "norm_total"):
            if not getattr(self, name) > 0:
                raise ValueError(f"params.{name} must be > 0, got {getattr(self, name)!r}")
        if self.dt >= min(self.tau_ge, self.tau_gi, self.tau_i):
            raise ValueError(f"params.dt={self.dt} must be smaller than tau_ge, tau_gi and tau_i "
                             "(forward Euler)")
        if self.t_rest < 0 or self.min_spikes < 0 or self.max_intensity_raises < 0:
            raise ValueError("params.t_rest, min_spikes and max_intensity_raises must be >= 0")
        if not 0 <= self.w_init_low <= self.w_init_high <= self.w_max:
            raise ValueError("params need 0 <= w_init_low <= w_init_high <= w_max, got "
                             f"{self.w_init_low}, {self.w_init_high}, {self.w_max}")


def pre_trace_table(dt: float, tau_pre: float, length: int = 4096) -> np.ndarray:
    """``exp(-k dt / tau_pre)`` for ``k = 0 .. length-1`` (the trace is 0 beyond the table).

    With the defaults (0.5 ms, 20 ms) the last entry is ``exp(-102)``: truncation changes
    nothing a float64 weight can register.
    """
    return np.exp(-np.arange(length) * (dt / tau_pre))


# -- the steps of one presentation step, in order (each inlined into :func:`present`) -------
# (small loops over few arrays: LLVM vectorises them without many alias checks)
@njit(inline="always")
def _decay_learning_state(theta, post1, post2, ce, d1, d2):
    """Phase 1, learning only: theta decays (neuron model), the post traces decay exactly."""
    for k in range(theta.shape[0]):
        theta[k] = theta_decay(theta[k], ce)
        post1[k] *= d1
        post2[k] *= d2


@njit(inline="always")
def _advance_neurons(v_e, ge_e, gi_e, ref_e, v_i, ge_i, ref_i, ce, ci):
    """Phase 1, both populations: membranes, conductances, refractory counters."""
    n = v_e.shape[0]
    for k in range(n):
        v_e[k] = excitatory_membrane(v_e[k], ge_e[k], gi_e[k], ref_e[k], ce)
    for k in range(n):
        ge_e[k], gi_e[k] = excitatory_decay(ge_e[k], gi_e[k], ce)
    for k in range(n):
        v_i[k] = inhibitory_membrane(v_i[k], ge_i[k], ref_i[k], ci)
    for k in range(n):
        ge_i[k] = inhibitory_decay(ge_i[k], ci)
    for k in range(n):
        ref_e[k] = countdown(ref_e[k])
        ref_i[k] = countdown(ref_i[k])


@njit(inline="always")
def _threshold(v_e, ref_e, theta, v_i, ref_i, ce, ci, s_e, s_i):
    """Phase 2: the numbers of exc and inh spikes; the flags ``s_e``, ``s_i`` are set only
    when there are spikes (they are False on entry)."""
    n = v_e.shape[0]
    n_se = 0
    n_si = 0
    for k in range(n):  # branch-free count first: most steps have no spike
        n_se += excitatory_fires(v_e[k], ref_e[k], theta[k], ce)
        n_si += inhibitory_fires(v_i[k], ref_i[k], ci)
    if n_se + n_si > 0:
        for k in range(n):
            s_e[k] = excitatory_fires(v_e[k], ref_e[k], theta[k], ce)
            s_i[k] = inhibitory_fires(v_i[k], ref_i[k], ci)
    return n_se, n_si


@njit(inline="always")
def _deliver_input(w, ge_e, post1, last_pre, idx, first, stop, tg, learn, nu_pre):
    """Phase 3, input events ``idx[first:stop]``: ``ge_e += W[i]``; learning: the pre trace of
    ``i`` restarts and ``W[i] -= nu_pre * post1`` (clipped at 0)."""
    n = ge_e.shape[0]
    for e in range(first, stop):
        i = idx[e]
        for k in range(n):
            ge_e[k] += w[i, k]
        if learn:
            last_pre[i] = tg
            for k in range(n):
                wk = w[i, k] - nu_pre * post1[k]
                w[i, k] = wk if wk > 0.0 else 0.0


@njit(inline="always")
def _potentiate(w, k, a, last_pre, tg, table, w_max):
    """Phase 3, learning, exc ``k`` spiked: ``W[:, k] += a * pre`` (clipped at ``w_max``), with
    the nearest-spike pre trace read from ``table`` by the age of each input's last spike."""
    n_table = table.shape[0]
    for i in range(w.shape[0]):
        lag = tg - last_pre[i]
        if lag < n_table:
            wk = w[i, k] + a * table[lag]
            w[i, k] = wk if wk < w_max else w_max


@njit(inline="always")
def _excitatory_spikes(w, s_e, ge_i, post1, post2, last_pre, tg, count, counts, learn, table,
                       cn):
    """Phase 3, every exc spike: its inh partner's ``ge += w_ei``, the count; learning:
    potentiation with ``post2`` read before both post traces are set to 1."""
    for k in range(s_e.shape[0]):
        if not s_e[k]:
            continue
        ge_i[k] += cn.w_ei
        if count:
            counts[k] += 1
        if learn:
            _potentiate(w, k, cn.nu_post * post2[k], last_pre, tg, table, cn.w_max)
            post1[k] = 1.0
            post2[k] = 1.0


@njit(inline="always")
def _lateral_inhibition(gi_e, s_i, n_si, w_ie):
    """Phase 3: every inh spike adds ``w_ie`` to ``gi`` of every exc neuron but its partner."""
    for k in range(gi_e.shape[0]):
        gi_e[k] += w_ie * (n_si - s_i[k])


@njit(inline="always")
def _reset(s_e, v_e, ref_e, theta, s_i, v_i, ref_i, ce, ci, learn):
    """Phase 4 of the neurons that spiked (neuron models)."""
    for k in range(s_e.shape[0]):
        if s_e[k]:
            v_e[k], ref_e[k], theta[k] = excitatory_reset(theta[k], ce, learn)
        if s_i[k]:
            v_i[k], ref_i[k] = inhibitory_reset(ci)


@njit(inline="always")
def _record_and_clear(t, s_e, s_i, rec, rec_e, rec_i, any_spike):
    """The step's spikes into the rasters (when recorded); then the flags are cleared."""
    if rec:
        for k in range(s_e.shape[0]):
            rec_e[t, k] = s_e[k]
            rec_i[t, k] = s_i[k]
    if any_spike:
        for k in range(s_e.shape[0]):
            s_e[k] = False
            s_i[k] = False


@njit(error_model="numpy")  # no zero-division branch (divisors >= 1): the loops vectorise
def present(w, v_e, ge_e, gi_e, ref_e, theta, v_i, ge_i, ref_i, post1, post2, last_pre,
            ptr, idx, n_steps, n_count, t0, p, table, learn, counts, rec_e, rec_i):
    """Simulate ``n_steps`` steps of the network; every state array is updated in place.

    Parameters
    ----------
    w : (n_input, N) float64 array, C-contiguous
        Input-to-excitatory weights ``W`` (learned when ``learn``).
    v_e, ge_e, gi_e, theta, post1, post2 : (N,) float64 arrays
        Excitatory membrane (mV), conductances, adaptive threshold (mV), post traces.
    ref_e, ref_i : (N,) int64 arrays
        Remaining refractory steps.
    v_i, ge_i : (N,) float64 arrays
        Inhibitory membrane (mV) and excitatory conductance.
    last_pre : (n_input,) int64 array
        Global step of each input's last spike (very negative: never).
    ptr, idx : CSR input events (:mod:`snnlite.snn.events`, for example from the encoder
        :func:`~snnlite.snn.poisson_process.poisson_process_events`); steps ``>= n_steps``
        are ignored.
    n_steps : int
        Steps to simulate.
    n_count : int
        Excitatory spikes of steps ``< n_count`` are counted (the presentation, not the rest).
    t0 : int
        Global index of the first step (for the pre traces).
    p : KernelConstants
        :meth:`DiehlCookParams.packed`.
    table : (L,) float64 array
        :func:`pre_trace_table`.
    learn : bool
        STDP, theta growth and decay on (training) or off (frozen network).
    counts : (N,) int64 array
        Incremented by the counted excitatory spikes.
    rec_e, rec_i : (n_steps, N) int8 arrays or (0, N)
        Spike rasters, written when they have ``n_steps`` rows.

    Returns
    -------
    int
        Inhibitory spikes of steps ``< n_count`` (all neurons).
    """
    ce, ci, cn = p.exc, p.inh, p.net
    d1, d2 = np.exp(-cn.dt / cn.tau_post1), np.exp(-cn.dt / cn.tau_post2)
    n = w.shape[1]
    rec = rec_e.shape[0] == n_steps
    s_e = np.zeros(n, dtype=np.bool_)
    s_i = np.zeros(n, dtype=np.bool_)
    n_ev_steps = ptr.shape[0] - 1
    n_inh = 0
    for t in range(n_steps):
        tg = t0 + t
        if learn:
            _decay_learning_state(theta, post1, post2, ce, d1, d2)
        _advance_neurons(v_e, ge_e, gi_e, ref_e, v_i, ge_i, ref_i, ce, ci)
        n_se, n_si = _threshold(v_e, ref_e, theta, v_i, ref_i, ce, ci, s_e, s_i)
        if t < n_ev_steps:
            _deliver_input(w, ge_e, post1, last_pre, idx, ptr[t], ptr[t + 1], tg, learn,
                           cn.nu_pre)
        if n_se > 0:
            _excitatory_spikes(w, s_e, ge_i, post1, post2, last_pre, tg, t < n_count, counts,
                               learn, table, cn)
        if n_si > 0:
            _lateral_inhibition(gi_e, s_i, n_si, cn.w_ie)
            if t < n_count:
                n_inh += n_si
        if n_se + n_si > 0:
            _reset(s_e, v_e, ref_e, theta, s_i, v_i, ref_i, ce, ci, learn)
        _record_and_clear(t, s_e, s_i, rec, rec_e, rec_i, n_se + n_si > 0)
    return n_inh
