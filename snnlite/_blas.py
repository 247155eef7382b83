"""Take OpenBLAS's idle worker threads off the cores before a parallel Numba kernel.

After a multi-threaded matrix product, OpenBLAS (the BLAS bundled with NumPy's wheels) keeps
its worker threads spinning for about ``2**28`` cycles (~0.1 s), waiting for the next call. A
parallel Numba kernel started in that window shares the cores with them and runs up to 2x
slower. This is what happens in a BPTT step whose first layer is event-driven while the
others use BLAS (W4 on two cores: 17 ms per step instead of 11).

:func:`release_blas_threads` stops those threads with OpenBLAS's own ``blas_thread_shutdown_``
(what OpenBLAS calls before a ``fork``); the next product that needs them starts them again
(~0.1 ms). Products keep their number of threads, so their results do not change. It only
acts when NumPy's OpenBLAS is found and has more than one thread, and while the process runs a
single Python thread (with more, another thread could be inside BLAS: nothing is done). Setting
``OPENBLAS_THREAD_TIMEOUT=4`` before NumPy is imported has the same effect for a whole process.
"""

from __future__ import annotations

import ctypes
import threading
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["release_blas_threads"]

_THREAD_COUNT = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                 "openblas_get_num_threads")


@cache
def _openblas():
    """``(shutdown, thread_count)`` of the OpenBLAS in NumPy's wheel, or None if not found."""
    package = Path(np.__file__).parent
    for path in sorted([*package.parent.glob("numpy.libs/*openblas*"),
                        *package.glob(".dylibs/*openblas*")]):
        try:
            lib = ctypes.CDLL(str(path))  # already loaded by NumPy: the same library
        except OSError:
            continue
        count = next((getattr(lib, name) for name in _THREAD_COUNT if hasattr(lib, name)), None)
        if hasattr(lib, "blas_thread_shutdown_") and count is not None:
            return lib.blas_thread_shutdown_, count
    return None


def release_blas_threads() -> bool:
    """Stop OpenBLAS's (possibly spinning) worker threads; True if it did.

    Call it right before a parallel Numba kernel. Returns False, doing nothing, if NumPy does
    not use a bundled OpenBLAS, if it runs one thread, or if other Python threads are alive.
    """
    found = _openblas()
    if found is None or threading.active_count() > 1:
        return False
    shutdown, thread_count = found
    if thread_count() <= 1:
        return False
    shutdown()
    return True
