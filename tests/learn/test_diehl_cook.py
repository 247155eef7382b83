"""Diehl & Cook network: the Numba step kernel against a slow NumPy reference written from the
equations (identical spikes), inhibition, theta growth, intensity raising, normalisation,
label assignment, determinism, save/load and argument errors. Small nets, a few images."""

import math

import numpy as np
import pytest

from snnlite.datasets import load_mnist_sample
from snnlite.learn.diehl_cook import DiehlCook, DiehlCookParams
from snnlite.learn.diehl_cook_kernel import pack_events, pre_trace_table, present


@pytest.fixture(scope="module")
def digits():
    x, y, _, _ = load_mnist_sample()
    return x[:40], y[:40]


def reference(w, inp, n_count, p: DiehlCookParams, learn, state):
    """Slow NumPy version of one presentation, from the equations in the kernel's docstring.

    ``inp`` is the (T, 784) input raster; ``state`` a dict of arrays updated in place, with a
    step-by-step decaying pre trace (the kernel evaluates it lazily from a table).
    """
    s = state
    dt = p.dt
    r_e, r_i = p.steps(p.refrac_e), p.steps(p.refrac_i)
    T, n = inp.shape[0], w.shape[1]
    rec_e = np.zeros((T, n), np.int8)
    rec_i = np.zeros((T, n), np.int8)
    counts = np.zeros(n, np.int64)
    for t in range(T):
        if learn:
            s["theta"] -= dt / p.tau_theta * s["theta"]
            s["post1"] *= math.exp(-dt / p.tau_post1)
            s["post2"] *= math.exp(-dt / p.tau_post2)
            s["pre"] *= math.exp(-dt / p.tau_pre)
        free = s["ref_e"] == 0
        v, ge, gi = s["v_e"], s["ge_e"], s["gi_e"]
        step = np.minimum(dt / p.tau_e, 1 / (1 + ge + gi))  # Euler, clamped at v_inf
        dv = step * ((p.v_rest_e - v) + ge * (p.e_exc - v) + gi * (p.e_inh_e - v))
        s["v_e"] = np.where(free, v + dv, v)
        s["ref_e"] = np.where(free, 0, s["ref_e"] - 1)
        s["ge_e"] *= 1 - dt / p.tau_ge
        s["gi_e"] *= 1 - dt / p.tau_gi
        free_i = s["ref_i"] == 0
        v, ge = s["v_i"], s["ge_i"]
        step = np.minimum(dt / p.tau_i, 1 / (1 + ge))
        s["v_i"] = np.where(free_i, v + step * ((p.v_rest_i - v) + ge * (p.e_exc - v)), v)
        s["ref_i"] = np.where(free_i, 0, s["ref_i"] - 1)
        s["ge_i"] *= 1 - dt / p.tau_ge
        se = (s["ref_e"] == 0) & (s["v_e"] > p.v_thresh_e + s["theta"] - p.theta_offset)
        si = (s["ref_i"] == 0) & (s["v_i"] > p.v_thresh_i)
        for i in np.flatnonzero(inp[t]):
            s["ge_e"] += w[i]
            if learn:
                s["pre"][i] = 1.0
                w[i] = np.maximum(w[i] - p.nu_pre * s["post1"], 0.0)
        for k in np.flatnonzero(se):
            s["ge_i"][k] += p.w_ei
            if learn:
                w[:, k] = np.minimum(w[:, k] + p.nu_post * s["pre"] * s["post2"][k], p.w_max)
                s["post1"][k] = s["post2"][k] = 1.0
        s["gi_e"] += p.w_ie * (si.sum() - si)
        s["v_e"][se], s["ref_e"][se] = p.v_reset_e, r_e
        s["v_i"][si], s["ref_i"][si] = p.v_reset_i, r_i
        if learn:
            s["theta"][se] += p.theta_plus
        if t < n_count:
            counts += se
        rec_e[t], rec_i[t] = se, si
    return rec_e, rec_i, counts


def fresh(n, p, theta):
    z = np.zeros
    return dict(v_e=np.full(n, p.v_init_e), ge_e=z(n), gi_e=z(n), ref_e=z(n, np.int64),
                v_i=np.full(n, p.v_init_i), ge_i=z(n), ref_i=z(n, np.int64), post1=z(n),
                post2=z(n), theta=theta.copy(), last_pre=np.full(784, -(2**62), np.int64),
                pre=z(784))


@pytest.mark.parametrize("learn", [True, False])
def test_kernel_matches_reference(learn):
    p = DiehlCookParams(t_present=60.0, t_rest=20.0)
    n, n_present, T = 6, 120, 160
    rng = np.random.default_rng(3)
    w0 = rng.uniform(0.003, 0.303, (784, n))
    theta0 = 20.0 + rng.uniform(0, 2, n)
    ker, ref = fresh(n, p, theta0), fresh(n, p, theta0)
    w_k, w_r = w0.copy(), w0.copy()
    table = pre_trace_table(p.dt, p.tau_pre)
    for rep in range(2):  # two presentations: state carries over, global step t0 advances
        inp = np.zeros((T, 784), np.int8)
        inp[:n_present] = rng.random((n_present, 784)) < 0.01
        ev_step, ev_idx = np.nonzero(inp)
        ptr, idx = pack_events(ev_idx, ev_step, n_present)
        counts = np.zeros(n, np.int64)
        rec_e, rec_i = np.zeros((T, n), np.int8), np.zeros((T, n), np.int8)
        present(w_k, ker["v_e"], ker["ge_e"], ker["gi_e"], ker["ref_e"], ker["theta"],
                ker["v_i"], ker["ge_i"], ker["ref_i"], ker["post1"], ker["post2"],
                ker["last_pre"], ptr, idx, T, n_present, rep * T, p.packed(), table, learn,
                counts, rec_e, rec_i)
        r_e, r_i, r_counts = reference(w_r, inp, n_present, p, learn, ref)
        assert r_e.sum() > 3 and r_i.sum() > 3  # the test exercises spikes and inhibition
        np.testing.assert_array_equal(rec_e, r_e)
        np.testing.assert_array_equal(rec_i, r_i)
        np.testing.assert_array_equal(counts, r_counts)
        np.testing.assert_allclose(w_k, w_r, rtol=0, atol=1e-13)
        np.testing.assert_allclose(ker["theta"], ref["theta"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(ker["v_e"], ref["v_e"], rtol=0, atol=1e-9)
    assert learn == (not np.array_equal(w_k, w0))


def test_euler_step_clamped_at_equilibrium():
    """A volley of 20 inhibitory spikes (gi = 340): plain Euler would jump to
    v + 0.005*341*(v_inf - v), far below E_inh = -100 mV; the clamped step lands on v_inf."""
    p = DiehlCookParams()
    n = 3
    st = fresh(n, p, np.full(n, 20.0))
    st["v_e"][:] = -60.0
    st["gi_e"][:] = [340.0, 100.0, 0.0]
    st["ge_e"][:] = [0.0, 0.0, 2.0]
    ptr, idx = pack_events(np.zeros(0, np.int64), np.zeros(0, np.int64), 1)
    present(np.zeros((784, n)), st["v_e"], st["ge_e"], st["gi_e"], st["ref_e"], st["theta"],
            st["v_i"], st["ge_i"], st["ref_i"], st["post1"], st["post2"], st["last_pre"], ptr,
            idx, 1, 1, 0, p.packed(), pre_trace_table(p.dt, p.tau_pre), False,
            np.zeros(n, np.int64), np.zeros((0, n), np.int8), np.zeros((0, n), np.int8))
    v_inf = (-65.0 - 100.0 * 340.0) / 341.0
    assert st["v_e"][0] == pytest.approx(v_inf, abs=1e-12) and st["v_e"][0] > -100.0
    # below the clamp (0.005 * 101 < 1) it is Brian 1's forward Euler
    assert st["v_e"][1] == pytest.approx(-60.0 + 0.005 * ((-65 + 60) + 100 * (-100 + 60)))
    assert st["v_e"][2] == pytest.approx(-60.0 + 0.005 * ((-65 + 60) + 2 * 60))
    np.testing.assert_allclose(st["gi_e"], [255.0, 75.0, 0.0])  # Euler: x (1 - 0.5 ms / 2 ms)
    np.testing.assert_allclose(st["ge_e"], [0.0, 0.0, 1.0])  # x (1 - 0.5 ms / 1 ms)


def test_pack_events_orders_by_step():
    ptr, idx = pack_events(np.array([5, 1, 7, 2]), np.array([2, 0, 2, 1]), 4)
    np.testing.assert_array_equal(ptr, [0, 1, 2, 4, 4])
    np.testing.assert_array_equal(idx, [1, 2, 5, 7])


def test_input_events_make_the_previous_draws(digits):
    """The encoder "poisson_process" (event form) draws exactly what DiehlCook drew before it
    moved to the registry: the old code path, inlined (CHANGELOG's seeded results rely on it)."""
    x, _ = digits
    net = DiehlCook(4, rng=0)
    p = net.params
    n_present = p.steps(p.t_present)
    for intensity in (2.0, 5.0):
        pixels = x[3].reshape(784).astype(np.float64)
        old_rng, new_rng = np.random.default_rng(9), np.random.default_rng(9)
        lam = pixels * (intensity / p.rate_divisor) * (n_present * p.dt / 1000.0)
        n_spk = old_rng.poisson(lam)
        ev_idx = np.repeat(np.arange(784, dtype=np.int64), n_spk)
        ev_step = old_rng.integers(0, n_present, size=ev_idx.shape[0], dtype=np.int64)
        ptr_old, idx_old = pack_events(ev_idx, ev_step, n_present)
        ptr, idx = net._events(pixels, intensity, new_rng)
        np.testing.assert_array_equal(ptr, ptr_old)
        np.testing.assert_array_equal(idx, idx_old)
        assert old_rng.random() == new_rng.random()  # and no draw more or less
        assert idx.size > 100


def test_inhibition_makes_few_neurons_fire(digits):
    x, _ = digits
    res = {}
    for w_ie in (17.0, 0.0):
        net = DiehlCook(30, DiehlCookParams(w_ie=w_ie), rng=0).init_weights()
        res[w_ie] = net.run_sample(x[0])
    active_inh = (res[17.0]["counts"] > 0).sum()
    active_free = (res[0.0]["counts"] > 0).sum()
    assert active_inh <= 10 and active_free == 30  # untrained: without inhibition all fire
    assert res[0.0]["counts"].sum() > 5 * res[17.0]["counts"].sum()
    # every excitatory spike is relayed by its own inhibitory neuron (one-to-one, w_ei = 10.4)
    exc, inh = res[17.0]["exc"], res[17.0]["inh"]
    np.testing.assert_array_equal(exc[:-1].sum(0), inh[1:].sum(0))


def test_theta_grows_by_theta_plus_per_spike(digits):
    x, _ = digits
    net = DiehlCook(10, DiehlCookParams(tau_theta=1e30), rng=1).init_weights()
    out = net.run_sample(x[1], learn=True)
    n_spk = out["exc"].sum(axis=0)  # presentation and rest
    assert n_spk.sum() >= 5
    np.testing.assert_allclose(net.theta_, 20.0 + 0.05 * n_spk, rtol=0, atol=1e-12)
    frozen = net.theta_.copy()
    net.run_sample(x[2], learn=False)
    np.testing.assert_array_equal(net.theta_, frozen)


def test_intensity_raised_below_five_spikes(digits):
    x, _ = digits
    net = DiehlCook(10, rng=0).init_weights()
    faint = np.full((28, 28), 3, np.uint8)  # rate 0.75 Hz per input at intensity 2
    out = net.run_sample(faint)
    assert out["attempts"] > 1
    assert out["intensity"] == 2.0 + out["attempts"] - 1
    assert out["counts"].sum() >= 5
    bright = net.run_sample(x[0])
    assert bright["attempts"] == 1 and bright["intensity"] == 2.0
    capped = DiehlCook(10, DiehlCookParams(max_intensity_raises=0), rng=0).init_weights()
    out = capped.run_sample(faint)
    assert out["attempts"] == 1 and out["counts"].sum() < 5


def test_input_rates(digits):
    # pixel / 4 Hz over 350 ms: a full-white image gives 63.75 * 0.35 spikes per input on average
    net = DiehlCook(4, rng=0).init_weights()
    out = net.run_sample(np.full((28, 28), 255, np.uint8))
    per_input = out["input"].sum(axis=0)
    assert per_input.mean() == pytest.approx(63.75 * 0.35, rel=0.02)
    assert out["input"][700:].sum() == 0  # rest: no input


def test_fit_normalises_and_is_deterministic(digits):
    x, y = digits
    a = DiehlCook(12, rng=5).fit(x[:6], progress=False)
    b = DiehlCook(12, rng=5).fit(x[:6], progress=False)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_allclose(a.weights_.sum(axis=0), 78.0, rtol=1e-12)
    assert a.weights_.min() >= 0 and a.weights_.max() <= 1.0
    assert np.all(a.theta_ >= 20.0 * (1 - 0.5 / 1e7) ** 8000) and a.theta_.max() > 20.0
    assert a.weights_.flags.c_contiguous and a.weights_.shape == (784, 12)
    assert a.timing_["fit_samples"] == 6 and a.timing_["fit_presentations"] >= 6


def test_partial_fit_in_any_split_equals_fit(digits):
    """Learning one image at a time (state, theta and the normalisation carried over) gives
    bit for bit the weights of one fit() over the same images."""
    x, _ = digits
    whole = DiehlCook(12, rng=5).fit(x[:5], progress=False)
    parts = DiehlCook(12, rng=5).fit(x[:2], progress=False)
    parts.partial_fit(x[2]).partial_fit(x[3:5].reshape(2, 784))
    np.testing.assert_array_equal(parts.weights_, whole.weights_)
    np.testing.assert_array_equal(parts.theta_, whole.theta_)
    np.testing.assert_array_equal(parts.spike_counts_["exc"], whole.spike_counts_["exc"][3:])
    fresh = DiehlCook(12, rng=5)
    for image in x[:5]:  # an unfitted network starts with init_weights()
        fresh.partial_fit(image)
    np.testing.assert_array_equal(fresh.weights_, whole.weights_)
    np.testing.assert_allclose(fresh.weights_.sum(axis=0), 78.0, rtol=1e-12)


def test_start_from_given_weights(digits):
    x, _ = digits
    w0 = np.random.default_rng(0).uniform(0.0, 0.3, (784, 10))
    theta0 = np.linspace(20.0, 21.0, 10)
    net = DiehlCook(weights=w0, theta=theta0, rng=2)
    assert net.n_neurons == 10
    net.partial_fit(x[0])
    assert not np.array_equal(net.weights_, w0) and net.theta_.min() >= 20.0 * (1 - 1e-4)
    ref = DiehlCook(10, rng=2)  # the same start set by hand (no draw for weights): same learning
    ref.weights_, ref.theta_ = w0.copy(), theta0.copy()
    ref._present(ref._fresh_state(), x[0].reshape(784).astype(float), True, ref.rng)
    normalize = ref.weights_ * (78.0 / ref.weights_.sum(axis=0))
    np.testing.assert_allclose(net.weights_, normalize, rtol=1e-12)
    np.testing.assert_array_equal(net.theta_, ref.theta_)
    again = DiehlCook(weights=w0, theta=theta0, rng=2).fit(x[:1], progress=False)  # from w0 too
    np.testing.assert_allclose(again.weights_, normalize, rtol=1e-12)
    assert np.array_equal(w0, np.random.default_rng(0).uniform(0.0, 0.3, (784, 10)))  # a copy
    with pytest.raises(ValueError, match=r"weights must be .*\(784, 10\)"):
        DiehlCook(10, weights=w0[:, :5])
    with pytest.raises(ValueError, match="non-negative"):
        DiehlCook(weights=-w0)
    with pytest.raises(ValueError, match="theta"):
        DiehlCook(weights=w0, theta=theta0[:3])


def test_spike_counts_of_every_population(digits):
    x, _ = digits
    net = DiehlCook(10, rng=0).init_weights()
    out = net.run_sample(x[0])
    n_present = net.params.steps(net.params.t_present)
    assert out["n_input"] == out["input"].sum() > 100
    assert out["n_exc"] == out["exc"][:n_present].sum() == out["counts"].sum() >= 5
    assert out["n_inh"] == out["inh"][:n_present].sum() > 0
    net.partial_fit(x[:3])
    counts = net.spike_counts_
    assert all(counts[k].shape == (3,) for k in ("input", "exc", "inh", "attempts"))
    assert (counts["exc"] >= 5).all() and (counts["inh"] > 0).all()
    assert (counts["input"] > 100).all() and (counts["attempts"] >= 1).all()


@pytest.mark.parametrize("scale", [1 / 255, 1 / 255 / 255])
def test_images_in_zero_one_scale_raise(digits, scale):
    x, y = digits
    net = DiehlCook(4, rng=0)
    wrong = x[:3] * scale  # 0-1 floats (or binarised) where pixels 0-255 are expected
    for call in (lambda: net.fit(wrong, progress=False), lambda: net.partial_fit(wrong[0]),
                 lambda: net.init_weights().run_sample(wrong[0]),
                 lambda: net.responses(wrong), lambda: net.evaluate(wrong, y[:3])):
        with pytest.raises(ValueError, match=r"\[0, 1\].*images \* 255"):
            call()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        net.fit((x[:3] > 128).astype(np.uint8), progress=False)  # binarised digits


def test_assign_and_predict_from_counts():
    net = DiehlCook(4, rng=0).init_weights()
    counts = np.array([[5, 0, 1, 0], [4, 0, 0, 0], [0, 3, 0, 0], [0, 0, 6, 0]])
    labels = np.array([7, 7, 2, 3])
    net.assign_labels(None, labels, counts=counts)
    np.testing.assert_array_equal(net.assignments_, [7, 2, 3, -1])
    np.testing.assert_allclose(net.class_rates_[7], [4.5, 0, 0.5, 0])
    pred = net.predict_counts(np.array([[0, 1, 0, 9], [2, 0, 3, 0], [1, 1, 0, 0]]))
    np.testing.assert_array_equal(pred, [2, 3, 2])  # tie of classes 2 and 7 -> lowest


def test_small_training_beats_chance(digits):
    x, y = digits
    net = DiehlCook(20, rng=0).fit(x[:30], progress=False)
    net.assign_labels(x[:30], y[:30])
    assert net.evaluate(x[:30], y[:30]) > 0.3  # 10 % is chance


def test_save_load(tmp_path, digits):
    x, y = digits
    net = DiehlCook(8, DiehlCookParams(nu_post=0.02), rng=0).fit(x[:3], progress=False)
    net.assign_labels(None, y[:3], counts=np.eye(3, 8))
    net.save(tmp_path / "dc.npz")
    back = DiehlCook.load(tmp_path / "dc.npz")
    np.testing.assert_array_equal(back.weights_, net.weights_)
    np.testing.assert_array_equal(back.theta_, net.theta_)
    np.testing.assert_array_equal(back.assignments_, net.assignments_)
    assert back.params == net.params and back.n_neurons == 8


def test_errors(digits):
    x, y = digits
    with pytest.raises(ValueError, match="n_neurons"):
        DiehlCook(1)
    with pytest.raises(TypeError, match="DiehlCookParams"):
        DiehlCook(4, params={"dt": 0.5})
    with pytest.raises(ValueError, match="dt"):
        DiehlCook(4, DiehlCookParams(dt=2.0))
    net = DiehlCook(4)
    with pytest.raises(RuntimeError, match="not fitted"):
        net.predict(x[:2])
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        net.fit(x[:2, :10], progress=False)
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        net.fit(-np.ones((2, 784)), progress=False)
    net.init_weights()
    with pytest.raises(RuntimeError, match="assign_labels"):
        net.predict_counts(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="labels"):
        net.assign_labels(None, y[:3] + 10, counts=np.zeros((3, 4)))
