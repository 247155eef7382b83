"""Which synapse path computes a layer's current: dense (one BLAS product) or event-driven.

A :class:`~snnlite.snn.layers.SpikingLayer` whose synapse is an ``nn.Linear`` has two ways to
compute its current from spikes (DESIGN: "two synapse paths, one answer"): the dense product
``a_in * x @ W.T``, whose cost does not depend on the input, and the event path
(:mod:`snnlite.nn.event_linear`), whose cost grows with the number of non-zero inputs.
``path="auto"`` measures the density of each chunk of input (the fraction of non-zero entries;
for a lazy Poisson input, its mean rate) and takes the event path below :func:`crossover`.
Narrow layers keep the same rule: W1's 1000 -> 10 readout at 5 % density costs the same on
both paths, and avoiding its BLAS call keeps BLAS's spinning threads from taking the cores
from the next chunk's event kernel (W1: 1 289 vs 833 samples/s measured side by side).

The crossover is measured by ``snnlite bench --scaling`` on this machine and stored in
``<kernel cache>/../event_crossover.json``; without a measurement it is
:data:`DEFAULT_CROSSOVER`. ``SNNLITE_EVENT_CROSSOVER`` (a number) overrides both.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .._jit import kernel_cache_dir
from ..nn.event_linear import event_linear
from ..nn.linear import Linear
from .constant_input import ConstantInput
from .event_synapse import poisson_event_linear
from .poisson_input import PoissonInput

__all__ = ["DEFAULT_CROSSOVER", "PATHS", "check_path", "crossover", "crossover_file",
           "linear_current", "store_crossover"]

#: The accepted values of ``SpikingLayer(path=...)``.
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


def _density(x) -> float:
    if isinstance(x, PoissonInput):
        return x.rate
    return np.count_nonzero(x) / x.size if x.size else 0.0


def linear_current(layer, x, ctx) -> np.ndarray | None:
    """``a_in * x @ W.T`` of ``layer`` by the event path, ``(steps, B, n_out)``; or None
    when the dense path is to be used (``path="dense"``, a non-Linear synapse, analog input,
    or ``"auto"`` with a density at or above :func:`crossover`).

    A :class:`PoissonInput` on the dense path is materialised (and counted) here, so the
    caller gets ``None`` only for plain arrays; for a Poisson input it then returns the dense
    current itself.
    """
    path = layer.path
    linear = isinstance(layer.synapse, Linear)
    if isinstance(x, ConstantInput) or (not linear and not isinstance(x, PoissonInput)):
        return None
    if path == "auto" and linear:
        path = "event" if _density(x) < crossover() else "dense"
    if not linear or path == "dense":
        if not isinstance(x, PoissonInput):
            layer.path_log["dense"] += 1
            return None
        x = x.materialize()  # the dense path needs the spike array
        layer.path_log["dense"] += 1
        flat = layer._synaptic(x.reshape((-1,) + x.shape[2:]), ctx.dtype)
        return flat.reshape(x.shape[:2] + flat.shape[1:])
    WT = ctx.weight_view(layer, "weights_input_major",
                   lambda: np.ascontiguousarray(layer.synapse.weight.data.T, dtype=ctx.dtype))
    layer.path_log["event"] += 1
    if isinstance(x, PoissonInput):
        return poisson_event_linear(x, WT, layer.in_amplitude, x.counts)
    flat = event_linear(x.reshape(-1, x.shape[-1]), WT, layer.in_amplitude)
    return flat.reshape(x.shape[:-1] + (WT.shape[1],))
