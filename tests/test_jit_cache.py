"""Compiled kernels are cached in a per-user directory, never inside the installed package.

Each test copies the package to a fresh folder (as ``pip install .`` would), runs one
compiled kernel in a subprocess with its own HOME, and looks where Numba wrote its
``.nbi`` (index) and ``.nbc`` (code) files.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snnlite import _jit

PACKAGE = Path(_jit.__file__).resolve().parent
# compiles and runs the IF scan once, then prints the cache directory snnlite chose
KERNEL = ("import numpy as np; from snnlite.neurons import IF; from snnlite._jit import "
          "kernel_cache_dir; n = IF(); s = n.scan(np.full((3, 2), 0.5), n.init_state(1, 2)); "
          "assert s[:, 0].tolist() == [0, 1, 0], s; print(kernel_cache_dir())")


def _install_copy(site: Path) -> Path:
    """Copy the package (sources only) into ``site``, like a fresh install."""
    target = site / "snnlite"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__", "*.nb?"))
    return target


def _cache_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".nbi", ".nbc"))


def _run(site: Path, home: Path, **env) -> str:
    """Run KERNEL with ``site`` first on the path and ``home`` as HOME; return its stdout."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PYTHONPATH", "NUMBA_DISABLE_JIT")}
    base.update(HOME=str(home), PYTHONPATH=str(site), **env)
    done = subprocess.run([sys.executable, "-c", KERNEL], capture_output=True, text=True,
                          env=base, cwd=home)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_default_cache_is_under_xdg_cache_home_not_the_package(tmp_path):
    package = _install_copy(tmp_path / "site")
    xdg = tmp_path / "xdg"
    printed = _run(tmp_path / "site", tmp_path, XDG_CACHE_HOME=str(xdg))
    assert Path(printed) == xdg / "snnlite" / "numba"
    assert _cache_files(xdg / "snnlite" / "numba")  # index and code of the IF scan
    assert _cache_files(package) == []


def test_default_cache_without_xdg_is_dot_cache_in_home(tmp_path):
    package = _install_copy(tmp_path / "site")
    printed = _run(tmp_path / "site", tmp_path)
    assert Path(printed) == tmp_path / ".cache" / "snnlite" / "numba"
    assert _cache_files(tmp_path / ".cache" / "snnlite" / "numba")
    assert _cache_files(package) == []


def test_numba_cache_dir_is_respected(tmp_path):
    package = _install_copy(tmp_path / "site")
    chosen, xdg = tmp_path / "chosen", tmp_path / "xdg"
    printed = _run(tmp_path / "site", tmp_path, NUMBA_CACHE_DIR=str(chosen),
                   XDG_CACHE_HOME=str(xdg))
    assert Path(printed) == chosen
    assert _cache_files(chosen)
    assert not xdg.exists() and _cache_files(package) == []


def _read_only(command: list[str], site: Path) -> list[str]:
    """``command`` run where ``site`` cannot be written (``chmod a-w`` binds all but root)."""
    if os.geteuid() != 0:
        return command
    # root ignores permissions: use a read-only bind mount in a private mount namespace
    probe = ["unshare", "--mount", "true"]
    if shutil.which("unshare") is None or subprocess.run(probe, capture_output=True).returncode:
        pytest.skip("running as root without mount namespaces: cannot make a read-only install")
    script = ('mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"')
    return ["unshare", "--mount", "sh", "-c", script, str(site), *command]


def test_read_only_install_works_and_still_caches(tmp_path):
    # a system-wide install (a course server): the package folder cannot be written
    site = tmp_path / "site"
    package = _install_copy(site)
    for path in [site, *site.rglob("*")]:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    probe = (f"from pathlib import Path\ntry:\n    Path({str(package)!r}, 'probe').touch()\n"
             "except OSError:\n    pass\nelse:\n    raise SystemExit('package is writable')\n"
             + KERNEL)
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "NUMBA_DISABLE_JIT")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(site))
    try:
        done = subprocess.run(_read_only([sys.executable, "-c", probe], site),
                              capture_output=True, text=True, env=env, cwd=tmp_path)
    finally:
        for path in [site, *site.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert done.returncode == 0, done.stderr
    assert "cannot write" not in done.stderr
    assert _cache_files(tmp_path / ".cache" / "snnlite" / "numba")
    assert _cache_files(package) == []


@pytest.mark.parametrize("platform, env, expected", [
    ("linux", {"XDG_CACHE_HOME": "/x/cache"}, "/x/cache/snnlite/numba"),
    ("linux", {"XDG_CACHE_HOME": "relative"}, "{home}/.cache/snnlite/numba"),
    ("linux", {}, "{home}/.cache/snnlite/numba"),
    ("darwin", {"XDG_CACHE_HOME": "/x/cache"}, "{home}/Library/Caches/snnlite/numba"),
    ("win32", {"LOCALAPPDATA": "/x/local"}, "/x/local/snnlite/numba"),
    ("win32", {}, "{home}/AppData/Local/snnlite/numba"),
    ("linux", {"NUMBA_CACHE_DIR": "/mine", "XDG_CACHE_HOME": "/x"}, "/mine"),
])
def test_kernel_cache_dir_per_platform(monkeypatch, tmp_path, platform, env, expected):
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _jit.kernel_cache_dir() == Path(expected.format(home=tmp_path))
