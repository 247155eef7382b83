"""Bernoulli spike draws from a counter-based generator (SplitMix64), in parallel.

Rate coding (§4.1) draws one uniform number per step and input: millions per batch (2.5 M
for a T = 25 step of 128 MNIST images), which made NumPy's sequential generator the largest
cost of a BPTT step after the matrix products. A *counter-based* generator has no sequential
state: the ``i``-th number is a hash of ``(key, i)``, so any thread can compute any element.
We use SplitMix64 (Steele, Lea & Flood 2014; the seeding generator of Java and of the
xoshiro family), whose ``i``-th output from seed ``key`` is::

    z = key + (i + 1) * 0x9E3779B97F4A7C15          (mod 2**64)
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    z = z ^ (z >> 31)

and take its top 24 bits as a float32-resolution uniform ``u = (z >> 40) * 2**-24`` (the
resolution of ``rng.random(dtype=np.float32)``). A spike is ``u < p``, compared exactly as
``(z >> 40) < p * 2**24`` (scaling by a power of two is exact). The ``key`` of each call
is one 64-bit number drawn from the caller's :class:`numpy.random.Generator`, so a seed
still fixes every spike, and consecutive calls differ. The kernel splits the time steps over
the cores; no element depends on which core computed it.
"""

from __future__ import annotations

import numpy as np

from snnlite._jit import njit, prange

__all__ = ["bernoulli_hit", "bernoulli_spikes", "draw_key", "rate_p24", "splitmix64",
           "spikes_from_key"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@njit
def splitmix64(key, i):
    """The ``i``-th SplitMix64 output (0-based) from seed ``key`` (uint64 arithmetic)."""
    z = key + (i + np.uint64(1)) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit
def bernoulli_hit(key, k, p24):
    """Whether element ``k`` spikes: the top 24 bits of SplitMix64 output ``k`` are < ``p24``."""
    return (splitmix64(key, k) >> np.uint64(40)) < p24


@njit(parallel=True)
def _spikes_kernel(key, p24, sign, out, t0=0):
    """``out[t, j] = sign[j]`` where the 24-bit uniform of element ``(t0+t)*N + j`` is
    < ``p24[j]`` (``t0``: the step index of ``out[0]``)."""
    n = out.shape[1]
    for t in prange(out.shape[0]):
        for j in range(n):
            hit = bernoulli_hit(key, np.uint64((t0 + t) * n + j), p24[j])
            out[t, j] = sign[j] if hit else 0


def draw_key(rng: np.random.Generator) -> np.uint64:
    """The 64-bit key of one call: one draw of ``rng``."""
    return np.uint64(rng.integers(0, 2**64, dtype=np.uint64))


def rate_p24(p: np.ndarray) -> np.ndarray:
    """Probabilities ``p`` scaled to the 24-bit comparison, flat (exact: a power of two)."""
    return np.ascontiguousarray(p).ravel() * 2**24


def spikes_from_key(key: np.uint64, p24: np.ndarray, sign: np.ndarray, T: int,
                    dtype=np.int8, t0: int = 0) -> np.ndarray:
    """Steps ``t0 .. t0+T-1`` ``(T, N)`` of stream ``key`` for flat ``p24``, ``sign`` ``(N,)``."""
    out = np.empty((T, p24.size), dtype)
    with np.errstate(over="ignore"):  # wrap-around is intended (matters only uncompiled)
        _spikes_kernel(key, p24, np.ascontiguousarray(sign, np.int8).ravel(), out, t0)
    return out


def bernoulli_spikes(p: np.ndarray, sign: np.ndarray, T: int, rng: np.random.Generator,
                     dtype=np.int8) -> np.ndarray:
    """``T`` Bernoulli draws per element: ``sign`` with probability ``p``, else 0.

    Parameters
    ----------
    p : (B, ...) float array in [0, 1]
        Spike probabilities.
    sign : (B, ...) int8 array
        Value of a spike (1, or -1 for negative inputs).
    T : int
        Steps.
    rng : numpy.random.Generator
        Supplies the call's 64-bit key (advanced by one draw).
    dtype : data-type, default int8
        Of the result (float32 saves a conversion when the spikes feed a matrix product).

    Returns
    -------
    (T, B, ...) array of ``dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> s = bernoulli_spikes(np.full((1, 4000), 0.25), np.ones((1, 4000), np.int8), 10,
    ...                      np.random.default_rng(0))
    >>> s.shape, bool(abs(s.mean() - 0.25) < 0.01)
    ((10, 1, 4000), True)
    """
    out = spikes_from_key(draw_key(rng), rate_p24(p), sign, T, dtype)
    return out.reshape((T, *p.shape))
