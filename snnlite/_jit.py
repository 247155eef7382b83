"""The one Numba wrapper every snnlite kernel uses.

Kernels are plain Python loops over NumPy arrays decorated with :func:`njit`. They are
compiled on first call (never at import) and cached on disk (``cache=True``), so the second
Python session starts fast. With ``NUMBA_DISABLE_JIT=1`` Numba returns the undecorated
function and every kernel runs, slowly and identically, as plain Python; this is how the
test-suite checks that the compiled and the interpreted kernels agree.

Kernels marked ``parallel=True`` split their outer loop over the CPU cores. Numba's default
OpenMP threads *spin* for a while after each parallel loop, and on a 2-core laptop they then
steal the cores from the BLAS threads of the next matrix product: ``snnlite bench W4`` took
39 ms per step with spinning threads and 18 ms with sleeping ones. So, unless the user chose
otherwise, idle OpenMP threads sleep (``OMP_WAIT_POLICY=PASSIVE``, read when Numba first
starts its thread pool, i.e. at the first parallel kernel call).
"""

from __future__ import annotations

import os

import numba

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["njit", "prange"]

prange = numba.prange


def njit(func=None, **options):
    """Compile ``func`` with ``numba.njit(cache=True, **options)``.

    Usable bare (``@njit``) or with options (``@njit(parallel=True)``).

    Parameters
    ----------
    func : callable, optional
        The kernel to compile.
    **options
        Extra options for :func:`numba.njit` (``cache=True`` is always set).

    Returns
    -------
    callable
        The lazily compiled dispatcher (or ``func`` itself under ``NUMBA_DISABLE_JIT=1``).
    """
    options.setdefault("cache", True)
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)
