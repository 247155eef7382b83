"""Counter-based Bernoulli draws: SplitMix64 reference values, exact thresholds, statistics."""

import numpy as np
import pytest
from kernels import python

from snnlite.snn.encoding import poisson
from snnlite.snn.fast_bernoulli import _spikes_kernel, bernoulli_spikes, splitmix64

MASK = 2**64 - 1


def splitmix64_reference(key: int, i: int) -> int:
    """SplitMix64 in Python integers (Steele, Lea & Flood 2014)."""
    z = (key + (i + 1) * 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def test_splitmix64_matches_published_and_reference_values():
    # the reference implementation's first output from seed 1234567
    assert int(splitmix64(np.uint64(1234567), np.uint64(0))) == 6457827717110365317
    for key in (0, 1234567, MASK):
        for i in (0, 1, 2, 1000, 2**40):
            assert int(splitmix64(np.uint64(key), np.uint64(i))) == splitmix64_reference(key, i)


def test_spike_is_exactly_top_24_bits_below_p():
    """Each element compares its own hash's top 24 bits with p * 2**24 (no other draw)."""
    rng = np.random.default_rng(7)
    p = rng.random((3, 5))
    sign = np.where(rng.random((3, 5)) < 0.5, -1, 1).astype(np.int8)
    T = 4
    key = int(np.random.default_rng(11).integers(0, 2**64, dtype=np.uint64))
    spikes = bernoulli_spikes(p, sign, T, np.random.default_rng(11))
    flat_p, flat_s = p.ravel(), sign.ravel()
    for t in range(T):
        for j in range(p.size):
            u24 = splitmix64_reference(key, t * p.size + j) >> 40
            expected = flat_s[j] if u24 < flat_p[j] * 2**24 else 0
            assert spikes.reshape(T, -1)[t, j] == expected


def test_interpreted_kernel_equals_compiled():
    p24 = np.random.default_rng(0).random(6) * 2**24
    sign = np.ones(6, np.int8)
    compiled, interpreted = np.empty((3, 6), np.int8), np.empty((3, 6), np.int8)
    _spikes_kernel(np.uint64(99), p24, sign, compiled)
    with np.errstate(over="ignore"):
        python(_spikes_kernel)(np.uint64(99), p24, sign, interpreted)
    np.testing.assert_array_equal(compiled, interpreted)


@pytest.mark.parametrize("p", [0.0, 0.01, 0.3, 0.5, 0.97, 1.0])
def test_rates_are_binomial(p):
    n, T = 2000, 50
    s = poisson(np.full((1, n), p), T, rng=3)
    k = int(s.sum())
    sd = np.sqrt(n * T * p * (1 - p))
    assert abs(k - n * T * p) <= 5 * sd  # 0 and 1 are exact
    if p in (0.0, 1.0):
        assert k == n * T * p


def test_steps_and_neighbours_uncorrelated():
    s = poisson(np.full((1, 4000), 0.5), 200, rng=1).astype(np.float64)[:, 0]  # (T, n)
    z = (s - 0.5) / 0.5
    assert abs((z[1:] * z[:-1]).mean()) < 0.01  # consecutive steps
    assert abs((z[:, 1:] * z[:, :-1]).mean()) < 0.01  # neighbouring inputs


def test_seeded_calls_repeat_and_successive_calls_differ():
    x = np.full((2, 50), 0.4)
    np.testing.assert_array_equal(poisson(x, 10, rng=5), poisson(x, 10, rng=5))
    rng = np.random.default_rng(5)
    assert not np.array_equal(poisson(x, 10, rng=rng), poisson(x, 10, rng=rng))


def test_float_output_equals_int8_output():
    x = np.array([[0.2, -0.7, 0.0, 1.0]])  # 1.3 is no probability: raises (test_boundary_snn)
    ints = poisson(x, 30, rng=2)
    floats = poisson(x, 30, rng=2, dtype=np.float32)
    assert floats.dtype == np.float32 and ints.dtype == np.int8
    np.testing.assert_array_equal(floats, ints.astype(np.float32))
    assert set(np.unique(ints[:, 0, 1])) <= {-1, 0} and (ints[:, 0, 3] == 1).all()
