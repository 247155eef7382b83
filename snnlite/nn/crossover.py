"""The choice between the dense and the event path: its names and the crossover density.

The event path (:mod:`snnlite.nn.event_linear`) costs time in proportion to the non-zero
inputs, the dense product does not; the automatic choice of a spiking layer
(:mod:`snnlite.snn.path_choice`) and of :class:`~snnlite.nn.Linear` under BPTT takes the
event path for inputs whose density (fraction of non-zero entries) is below
:func:`crossover`.

The crossover is measured by ``snnlite bench --scaling`` on this machine and stored in
``<kernel cache>/../event_crossover.json``; without a measurement it is
:data:`DEFAULT_CROSSOVER`. ``SNNLITE_EVENT_CROSSOVER`` (a number) overrides both.
"""

from __future__ import annotations

import json
import os

from .._jit import kernel_cache_dir

__all__ = ["DEFAULT_CROSSOVER", "PATHS", "check_path", "crossover", "crossover_file",
           "store_crossover"]

#: The accepted values of ``path`` (``SpikingLayer(path=...)``, ``Linear(path=...)``).
PATHS = ("auto", "dense", "event")

#: Density below which ``"auto"`` takes the event path when nothing was measured (the
#: event path adds ~1e10 synapses/s per core, the dense product ~5e10 multiply-adds/s).
DEFAULT_CROSSOVER = 0.2
_measured: dict = {}


def check_path(path) -> str:
    """``path`` if it is one of :data:`PATHS`, else a ValueError naming it."""
    if path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}, got {path!r}")
    return path


def crossover_file():
    """Where ``snnlite bench --scaling`` stores the measured crossover density."""
    return kernel_cache_dir().parent / "event_crossover.json"


def crossover() -> float:
    """The density below which the automatic choice takes the event path (module docstring)."""
    env = os.environ.get("SNNLITE_EVENT_CROSSOVER")
    if env:
        return float(env)
    if "value" not in _measured:
        try:
            _measured["value"] = float(json.loads(crossover_file().read_text())["crossover"])
        except (OSError, ValueError, KeyError, TypeError):
            _measured["value"] = DEFAULT_CROSSOVER
    return _measured["value"]


def store_crossover(value: float) -> None:
    """Store a measured crossover density (used by later sessions and this one)."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"crossover must be a density in [0, 1], got {value}")
    try:
        crossover_file().parent.mkdir(parents=True, exist_ok=True)
        crossover_file().write_text(json.dumps({"crossover": float(value)}))
    except OSError:
        pass  # not writable: the value still holds for this session
    _measured["value"] = float(value)
