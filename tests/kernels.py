"""Shared test helper: the interpreted (pure Python) version of a Numba kernel."""


def python(kernel):
    """The interpreted kernel (the kernel itself when NUMBA_DISABLE_JIT=1)."""
    return getattr(kernel, "py_func", kernel)
