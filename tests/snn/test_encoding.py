"""Input encoders: analog switch-off, Poisson rates and seeds, regular counts, latency times."""

import numpy as np
import pytest

from snnlite.snn.encoding import (
    ENCODERS,
    ConstantInput,
    analog,
    bernoulli,
    get_encoder,
    latency,
    poisson,
    poisson_process,
    poisson_process_events,
    poisson_stream,
    regular,
)

X = np.array([[0.0, 0.25, 0.5], [1.0, -0.5, 0.75]])  # (B=2, 3)


# --- analog ----------------------------------------------------------------------------------

def test_analog_is_lazy_and_switches_off():
    inp = analog(X, T=5, t_in=2)
    assert isinstance(inp, ConstantInput)
    assert inp.value is X and inp.t_in == 2 and inp.steps_on == 2
    assert inp.shape == (5, 2, 3) and inp.dtype == np.float64 and inp.ndim == 3 and len(inp) == 5
    full = np.asarray(inp)
    assert full.shape == (5, 2, 3)
    np.testing.assert_array_equal(full[:2], [X, X])
    assert not full[2:].any()
    np.testing.assert_array_equal(inp.materialize(), full)
    assert inp[1] is X and not inp[2].any() and not inp[-1].any()
    assert np.asarray(inp, dtype=np.float32).dtype == np.float32


def test_analog_defaults():
    inp = analog(np.array([[1, -1]]), T=3)  # integers: only {-1, 0, 1} (see test_boundary_snn)
    assert inp.t_in is None and inp.steps_on == 3 and inp.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(inp), np.ones((3, 1, 1)) * [[1, -1]])
    assert analog(X, T=3, t_in=10).steps_on == 3
    assert not np.asarray(analog(X, T=3, t_in=0)).any()


def test_analog_errors():
    inp = analog(X, T=3)
    with pytest.raises(IndexError):
        inp[3]
    with pytest.raises(TypeError):
        inp[0:2]
    with pytest.raises(ValueError, match="copy"):
        np.array(inp, copy=False)
    with pytest.raises(ValueError, match="t_in"):
        analog(X, T=3, t_in=-1)


# --- poisson / bernoulli -------------------------------------------------------------------

def test_poisson_rate_sign_and_seed():
    x = np.array([[0.0, 0.1, 0.5, -0.3, 1.0, 1.0, -1.0]])  # |x| > 1 raises (test_boundary_snn)
    s = poisson(x, T=20000, rng=0)
    assert s.shape == (20000, 1, 7) and s.dtype == np.int8
    np.testing.assert_allclose(s.mean(axis=0)[0], [0, 0.1, 0.5, -0.3, 1, 1, -1], atol=0.015)
    assert set(np.unique(s[:, 0, 3])) == {-1, 0}  # negative inputs give negative spikes
    np.testing.assert_array_equal(s, poisson(x, T=20000, rng=0))
    np.testing.assert_array_equal(s, poisson(x, T=20000, rng=np.random.default_rng(0)))
    assert not np.array_equal(s, poisson(x, T=20000, rng=1))
    assert bernoulli is poisson


def test_poisson_unsigned():
    s = poisson(np.full((2, 500), 0.2), T=50, rng=3, signed=False)
    assert set(np.unique(s)) == {0, 1}
    assert abs(s.mean() - 0.2) < 0.01
    with pytest.raises(ValueError, match="negative"):
        poisson(X, T=4, signed=False)


# --- regular -------------------------------------------------------------------------------

def test_regular_hand():
    s = regular([[0.5, 0.25, 1.0, 0.0, 0.0, 1.0]], T=4)  # signed/out of range: test_boundary_snn
    assert s.shape == (4, 1, 6) and s.dtype == np.int8
    assert s[:, 0].T.tolist() == [[0, 1, 0, 1], [0, 0, 0, 1], [1, 1, 1, 1], [0] * 4, [0] * 4,
                                  [1] * 4]


@pytest.mark.parametrize("T", [1, 7, 50, 333])
def test_regular_counts_are_floor(T):
    r = np.random.default_rng(T).random((3, 40))
    s = regular(r, T)
    assert set(np.unique(s)) <= {0, 1}
    np.testing.assert_array_equal(s.sum(axis=0), np.floor(T * r))
    np.testing.assert_array_equal(s.cumsum(axis=0)[T // 2], np.floor((T // 2 + 1) * r))


# --- latency -------------------------------------------------------------------------------

def test_latency_hand():
    # T = 5: step = round((1 - x) * 4); x = 0.5 -> 2, x = 0.9 -> round(0.4) = 0,
    # x = 0.6 -> round(1.6) = 2, x = 0.125 -> round(3.5) = 4 (half to even), x <= 0 silent
    x = np.array([[1.0, 0.5, 0.9, 0.6, 0.125, 0.0, 0.0, 1.0]])  # signed: test_boundary_snn
    s = latency(x, T=5)
    assert s.shape == (5, 1, 8) and s.dtype == np.int8
    assert s.sum(axis=0)[0].tolist() == [1, 1, 1, 1, 1, 0, 0, 1]
    assert s.argmax(axis=0)[0].tolist() == [0, 2, 0, 2, 4, 0, 0, 0]


def test_latency_threshold_and_single_step():
    s = latency([0.1, 0.3], T=11, threshold=0.2)
    assert s.sum(axis=0).tolist() == [0, 1] and s[7, 1] == 1
    np.testing.assert_array_equal(latency([[0.2, 0.0]], T=1), [[[1, 0]]])


# --- poisson_process ---------------------------------------------------------------------------

def _process_reference(lam, T, seed):
    """The Poisson process written out with NumPy draws: counts, then a uniform step per spike."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(lam)
    inputs = np.repeat(np.arange(lam.size), counts.ravel())
    steps = rng.integers(0, T, size=inputs.size, dtype=np.int64)
    dense = np.zeros((T, lam.size), np.int64)
    for i, t in zip(inputs, steps, strict=True):
        dense[t, i] += 1
    return dense.reshape((T, *lam.shape)), counts


@pytest.mark.parametrize("duration", [None, 0.35])
def test_poisson_process_makes_the_documented_draws(duration):
    rates = np.random.default_rng(7).uniform(0.0, 3.0, (2, 3, 4)) * (20.0 if duration else 1.0)
    T = 9
    lam = rates * (T if duration is None else duration)
    expected, counts = _process_reference(lam, T, 11)
    sign = np.where(np.arange(24).reshape(2, 3, 4) % 5 == 0, -1, 1)  # negative rates: -1 spikes
    signed = poisson_process(rates * sign, T, rng=11, duration=duration)
    np.testing.assert_array_equal(signed, expected * sign)
    s = get_encoder("poisson_process")(rates, T, rng=11, signed=False, duration=duration)
    assert s.dtype == np.float32 and s.shape == (T, 2, 3, 4)
    np.testing.assert_array_equal(s, expected)
    np.testing.assert_array_equal(s.sum(axis=0), counts)
    assert (s > 1).any()  # several spikes of one input may share a step
    ptr, idx = poisson_process_events(rates, T, rng=11, duration=duration)
    assert ptr.shape == (T + 1,) and ptr[-1] == idx.size == counts.sum()
    for t in range(T):  # the event form lists the same spikes, step by step
        np.testing.assert_array_equal(np.bincount(idx[ptr[t]:ptr[t + 1]], minlength=24),
                                      expected[t].ravel())


def test_poisson_process_rate_and_errors():
    s = poisson_process(np.full((1, 2000), 0.2), T=50, rng=0)
    assert abs(s.sum(axis=0).mean() - 10.0) < 0.3
    assert "poisson_process" in ENCODERS
    with pytest.raises(ValueError, match="negative values"):
        poisson_process([[0.5, -0.1]], 4, signed=False)
    for bad in (0.0, -1.0, np.inf, True):
        with pytest.raises(ValueError, match="duration"):
            poisson_process([[0.5]], 4, duration=bad)
    with pytest.raises(ValueError, match="unscaled"):
        poisson_process(np.full((1, 3), 200, np.uint8), 4)


# --- common validation ---------------------------------------------------------------------

@pytest.mark.parametrize("encode", [analog, poisson, regular, latency, poisson_process])
def test_bad_arguments(encode):
    for T in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="T must"):
            encode(X, T)
    with pytest.raises(ValueError, match="batch axis"):
        encode(0.5, 4)
    with pytest.raises(ValueError, match="NaN"):
        encode([[0.5, np.nan]], 4)


def test_poisson_keeps_the_batch_of_empty_samples():
    """Found by the boundary property test: samples with no element, ``x (1, 0)``, came back
    as ``(T, 0, 0)`` (the batch was inferred by dividing by the sample size)."""
    x = np.zeros((3, 0))
    assert poisson(x, 2, rng=0).shape == (2, 3, 0)
    assert poisson_stream(x, 2, rng=0).shape == (2, 3, 0)
