"""The one Numba wrapper every snnlite kernel uses, and where compiled kernels are cached.

Kernels are plain Python loops over NumPy arrays decorated with :func:`njit`. They are
compiled on first call (never at import) and cached on disk (``cache=True``), so the second
Python session starts fast. With ``NUMBA_DISABLE_JIT=1`` Numba returns the undecorated
function and every kernel runs, slowly and identically, as plain Python; this is how the
test-suite checks that the compiled and the interpreted kernels agree.

The on-disk cache never goes inside the installed package (files pip does not know about
would survive ``pip uninstall`` and shadow a later install; a system-wide install is
read-only). It goes to :func:`kernel_cache_dir`: ``$NUMBA_CACHE_DIR`` when the user set it,
otherwise ``$XDG_CACHE_HOME/snnlite/numba`` (default ``~/.cache/snnlite/numba``) on Linux,
``~/Library/Caches/snnlite/numba`` on macOS and ``%LOCALAPPDATA%\\snnlite\\numba`` on
Windows. If that directory cannot be created or written, kernels are compiled without a
disk cache (with a warning) rather than cached elsewhere.

Kernels marked ``parallel=True`` split their outer loop over the CPU cores. Numba's default
OpenMP threads *spin* for a while after each parallel loop, and on a 2-core laptop they then
steal the cores from the BLAS threads of the next matrix product: ``snnlite bench W4`` took
39 ms per step with spinning threads and 18 ms with sleeping ones. So, unless the user chose
otherwise, idle OpenMP threads sleep (``OMP_WAIT_POLICY=PASSIVE``, read when Numba first
starts its thread pool, i.e. at the first parallel kernel call).
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

__all__ = ["CACHE_DIR_FROM_ENV", "kernel_cache_dir", "njit", "prange"]


def _user_cache_root() -> Path:
    """The platform's per-user cache directory (no dependency on ``platformdirs``)."""
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return Path(local) if local else Path.home() / "AppData" / "Local"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # XDG: ignore relative


def kernel_cache_dir() -> Path:
    """The directory Numba caches compiled snnlite kernels in (see the module docstring).

    Examples
    --------
    >>> kernel_cache_dir().parts[-2:]  # doctest: +SKIP
    ('snnlite', 'numba')
    """
    user = os.environ.get("NUMBA_CACHE_DIR")
    return Path(user).expanduser() if user else _user_cache_root() / "snnlite" / "numba"


def _writable(directory: Path) -> bool:
    """Create ``directory`` if needed and check a file can be written in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


_CACHE_DIR = kernel_cache_dir()
#: Whether the user chose the cache directory with ``NUMBA_CACHE_DIR`` (before snnlite set it).
CACHE_DIR_FROM_ENV = bool(os.environ.get("NUMBA_CACHE_DIR"))
# Numba picks a function's cache locator when it is decorated, from numba.config.CACHE_DIR,
# which it reads from the environment at import (and again whenever a NUMBA_* variable
# changes). So: the variable before the import; the config value if the user imported Numba
# first (changing the environment then would make Numba re-read, and reset, its config).
if "numba" not in sys.modules:
    os.environ["NUMBA_CACHE_DIR"] = str(_CACHE_DIR)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402

numba.config.CACHE_DIR = str(_CACHE_DIR)
_CACHE = _writable(_CACHE_DIR)
if not _CACHE:
    warnings.warn(f"snnlite: cannot write the kernel cache directory {_CACHE_DIR}; kernels "
                  "are compiled in every session. Set NUMBA_CACHE_DIR to a writable "
                  "directory.", RuntimeWarning, stacklevel=2)

prange = numba.prange


def njit(func=None, **options):
    """Compile ``func`` with ``numba.njit(cache=True, **options)``.

    Usable bare (``@njit``) or with options (``@njit(parallel=True)``). The cache lives in
    :func:`kernel_cache_dir`, never inside the package; when that directory is not writable
    ``cache`` defaults to False.

    Parameters
    ----------
    func : callable, optional
        The kernel to compile.
    **options
        Extra options for :func:`numba.njit` (``cache=True`` unless given).

    Returns
    -------
    callable
        The lazily compiled dispatcher (or ``func`` itself under ``NUMBA_DISABLE_JIT=1``).
    """
    options.setdefault("cache", _CACHE)
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)
