"""Numba kernels of the Diehl & Cook (2015) network: one presentation per call, event-driven.

One call of :func:`present` simulates ``n_steps`` steps of ``dt`` (a presentation followed by
its rest) of the network of :mod:`snnlite.learn.diehl_cook`. The order inside one step follows
the clock cycle of Brian 1, which Diehl & Cook used (state update, threshold, propagation and
plasticity, reset)::

    1. state update. Membranes: forward Euler, as Brian 1 chose for these non-linear equations,
       with the step clamped so that v never passes its momentary equilibrium, unless refractory:
         excitatory:  F = (v_rest_e - v) + ge (E_exc - v) + gi (E_inh_e - v),  g = 1 + ge + gi
                      v <- v + min(dt/tau_e, 1/g) * F
         inhibitory:  F = (v_rest_i - v) + ge (E_exc - v),  g = 1 + ge
                      v <- v + min(dt/tau_i, 1/g) * F
       F / g = v_inf - v, so the plain Euler step (dt/tau) F = (dt/tau) g (v_inf - v) overshoots
       v_inf when (dt/tau) g > 1; the clamp then lands on v_inf. It acts only on inhibitory
       volleys (gi > 199, i.e. >= 12 inhibitory spikes in one step); unclamped, they make v
       oscillate around E_inh with growing amplitude, fire the whole layer and blow up theta.
       Conductances (dimensionless): forward Euler as in Brian 1,
         ge *= 1 - dt/tau_ge ;  gi *= 1 - dt/tau_gi   (the integral of one jump w is w*tau)
       learning only: theta -= dt/tau_theta * theta ;  post1, post2 decay exactly
    2. threshold:  exc spike if v > v_thresh_e + theta - theta_offset ;  inh spike if v > v_thresh_i
    3. propagation (only the inputs that spike this step are touched):
         input i spikes: ge_e[:] += W[i, :]
                         learning: pre_i = 1 ;  W[i, :] -= nu_pre * post1[:]        clip >= 0
         exc k spikes:   ge_i[k] += w_ei                                  (one-to-one)
                         learning: W[:, k] += nu_post * pre[:] * post2[k]   clip <= w_max
                                   (post2 read before it is set), then post1[k] = post2[k] = 1
         inh k spikes:   gi_e[m] += w_ie for every m != k           (all-to-others)
    4. reset: exc v = v_reset_e, refractory r_e steps, learning: theta += theta_plus;
              inh v = v_reset_i, refractory r_i steps.

A neuron that spikes at step t is refractory (v held, input ignored) during steps t+1..t+r.
The presynaptic trace is nearest-spike (``pre = 1`` at a spike) and decays exactly,
``pre = exp(-(t - t_last) dt / tau_pre)``; it is evaluated lazily from the step of the last
spike of each input (``last_pre``) through a lookup table, so silent inputs cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from snnlite._jit import njit

__all__ = ["N_PARAMS", "DiehlCookParams", "pack_events", "present", "pre_trace_table"]


# Indices of the scalar parameters packed into the float64 vector ``p`` the kernel reads
# (module-level ints, which Numba freezes as constants).
DT = 0
TAU_E = 1
TAU_I = 2
TAU_GE = 3
TAU_GI = 4
V_REST_E = 5
V_RESET_E = 6
V_THRESH_E = 7
V_REST_I = 8
V_RESET_I = 9
V_THRESH_I = 10
E_EXC = 11
E_INH_E = 12
E_INH_I = 13
THETA_OFFSET = 14
THETA_PLUS = 15
TAU_THETA = 16
W_EI = 17
W_IE = 18
NU_PRE = 19
NU_POST = 20
W_MAX = 21
TAU_POST1 = 22
TAU_POST2 = 23
REF_E = 24
REF_I = 25
N_PARAMS = 26


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

    def packed(self) -> np.ndarray:
        """The float64 vector :func:`present` reads (indices: this module's constants)."""
        p = np.zeros(N_PARAMS)
        for f in fields(self):  # the kernel's index constants are the upper-case field names
            idx = globals().get(f.name.upper())
            if isinstance(idx, int):
                p[idx] = getattr(self, f.name)
        p[REF_E] = self.steps(self.refrac_e)
        p[REF_I] = self.steps(self.refrac_i)
        return p

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


@njit
def pack_events(ev_idx, ev_step, n_steps):
    """Counting-sort input events by step into CSR form.

    Parameters
    ----------
    ev_idx : (K,) int array
        Input index of each event.
    ev_step : (K,) int array
        Step of each event, in ``[0, n_steps)``.
    n_steps : int
        Number of steps.

    Returns
    -------
    ptr : (n_steps + 1,) int64 array
        Events of step ``t`` are ``idx[ptr[t]:ptr[t+1]]``.
    idx : (K,) int64 array
        Input indices ordered by step (stable: original order within a step).
    """
    ptr = np.zeros(n_steps + 1, dtype=np.int64)
    for e in range(ev_step.shape[0]):
        ptr[ev_step[e] + 1] += 1
    for t in range(n_steps):
        ptr[t + 1] += ptr[t]
    fill = ptr[:-1].copy()
    idx = np.empty(ev_step.shape[0], dtype=np.int64)
    for e in range(ev_step.shape[0]):
        s = ev_step[e]
        idx[fill[s]] = ev_idx[e]
        fill[s] += 1
    return ptr, idx


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
    ptr, idx : CSR input events from :func:`pack_events` (steps ``>= n_steps`` are ignored).
    n_steps : int
        Steps to simulate.
    n_count : int
        Excitatory spikes of steps ``< n_count`` are counted (the presentation, not the rest).
    t0 : int
        Global index of the first step (for the pre traces).
    p : (N_PARAMS,) float64 array
        Parameters, at the indices named by this module's constants (``DT``, ``TAU_E`` ...).
    table : (L,) float64 array
        :func:`pre_trace_table`.
    learn : bool
        STDP, theta growth and decay on (training) or off (frozen network).
    counts : (N,) int64 array
        Incremented by the counted excitatory spikes.
    rec_e, rec_i : (n_steps, N) int8 arrays or (0, N)
        Spike rasters, written when they have ``n_steps`` rows.
    """
    n_in, n = w.shape
    dt = p[DT]
    a_e, a_i = dt / p[TAU_E], dt / p[TAU_I]
    d_ge, d_gi = 1.0 - dt / p[TAU_GE], 1.0 - dt / p[TAU_GI]
    d_theta = dt / p[TAU_THETA]
    d1, d2 = np.exp(-dt / p[TAU_POST1]), np.exp(-dt / p[TAU_POST2])
    v_rest_e, v_rest_i, e_exc = p[V_REST_E], p[V_REST_I], p[E_EXC]
    e_inh_e = p[E_INH_E]
    thr_e, thr_i = p[V_THRESH_E] - p[THETA_OFFSET], p[V_THRESH_I]
    w_ei, w_ie, nu_pre, nu_post, w_max = p[W_EI], p[W_IE], p[NU_PRE], p[NU_POST], p[W_MAX]
    r_e, r_i = int(p[REF_E]), int(p[REF_I])
    v_reset_e, v_reset_i, theta_plus = p[V_RESET_E], p[V_RESET_I], p[THETA_PLUS]
    n_table = table.shape[0]
    rec = rec_e.shape[0] == n_steps
    s_e = np.zeros(n, dtype=np.bool_)
    s_i = np.zeros(n, dtype=np.bool_)
    n_ev_steps = ptr.shape[0] - 1
    for t in range(n_steps):
        tg = t0 + t
        # 1. state update and 2. threshold, branch-free (selects)
        if learn:
            for k in range(n):
                theta[k] -= d_theta * theta[k]
                post1[k] *= d1
                post2[k] *= d2
        # (small loops over few arrays: LLVM vectorises them without many alias checks)
        for k in range(n):
            ge, gi, v = ge_e[k], gi_e[k], v_e[k]
            f = (v_rest_e - v) + ge * (e_exc - v) + gi * (e_inh_e - v)
            q = 1.0 / (1.0 + ge + gi)
            vn = v + (a_e if a_e < q else q) * f
            v_e[k] = vn if ref_e[k] == 0 else v
        for k in range(n):
            ge_e[k] *= d_ge
            gi_e[k] *= d_gi
        for k in range(n):
            ge, v = ge_i[k], v_i[k]
            f = (v_rest_i - v) + ge * (e_exc - v)
            q = 1.0 / (1.0 + ge)
            vn = v + (a_i if a_i < q else q) * f
            v_i[k] = vn if ref_i[k] == 0 else v
        for k in range(n):
            ge_i[k] *= d_ge
        for k in range(n):
            ref_e[k] = ref_e[k] - 1 if ref_e[k] > 0 else 0
            ref_i[k] = ref_i[k] - 1 if ref_i[k] > 0 else 0
        n_se = 0
        n_si = 0
        for k in range(n):
            n_se += (ref_e[k] == 0) & (v_e[k] > thr_e + theta[k])
            n_si += (ref_i[k] == 0) & (v_i[k] > thr_i)
        if n_se + n_si > 0:
            for k in range(n):
                s_e[k] = (ref_e[k] == 0) & (v_e[k] > thr_e + theta[k])
                s_i[k] = (ref_i[k] == 0) & (v_i[k] > thr_i)
        # 3. propagation and plasticity; inputs first (only those that spike)
        if t < n_ev_steps:
            for e in range(ptr[t], ptr[t + 1]):
                i = idx[e]
                for k in range(n):
                    ge_e[k] += w[i, k]
                if learn:
                    last_pre[i] = tg
                    for k in range(n):
                        wk = w[i, k] - nu_pre * post1[k]
                        w[i, k] = wk if wk > 0.0 else 0.0
        if n_se > 0:
            for k in range(n):
                if not s_e[k]:
                    continue
                ge_i[k] += w_ei
                if t < n_count:
                    counts[k] += 1
                if learn:
                    a = nu_post * post2[k]
                    for i in range(n_in):
                        lag = tg - last_pre[i]
                        if lag < n_table:
                            wk = w[i, k] + a * table[lag]
                            w[i, k] = wk if wk < w_max else w_max
                    post1[k] = 1.0
                    post2[k] = 1.0
        if n_si > 0:
            for k in range(n):
                gi_e[k] += w_ie * (n_si - s_i[k])
        # 4. reset (only on steps with spikes); then clear the spike flags
        if n_se + n_si > 0:
            for k in range(n):
                if s_e[k]:
                    v_e[k] = v_reset_e
                    ref_e[k] = r_e
                    if learn:
                        theta[k] += theta_plus
                if s_i[k]:
                    v_i[k] = v_reset_i
                    ref_i[k] = r_i
        if rec:
            for k in range(n):
                rec_e[t, k] = s_e[k]
                rec_i[t, k] = s_i[k]
        if n_se + n_si > 0:
            for k in range(n):
                s_e[k] = False
                s_i[k] = False
