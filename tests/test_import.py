"""``import snnlite`` is light: sub-packages load lazily and nothing is compiled."""

import subprocess
import sys


def test_import_loads_neither_numba_nor_subpackages():
    code = ("import sys, snnlite; "
            "print(sorted(m for m in sys.modules if m.startswith(('numba', 'snnlite.', "
            "'matplotlib'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_subpackages_load_on_first_use():
    import snnlite

    assert snnlite.nn.Linear is not None
    assert "snnlite.nn" in sys.modules
    assert "nn" in dir(snnlite)
