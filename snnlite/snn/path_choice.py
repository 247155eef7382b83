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

The crossover is measured by ``snnlite bench --scaling`` on this machine; it is stored and
read by :mod:`snnlite.nn.crossover` (re-exported here with :data:`PATHS` and
:func:`check_path`), which :class:`~snnlite.nn.Linear` shares.
"""

from __future__ import annotations

import numpy as np

from ..nn.crossover import (
    DEFAULT_CROSSOVER,
    PATHS,
    check_path,
    crossover,
    crossover_file,
    store_crossover,
)
from ..nn.event_linear import event_linear
from ..nn.linear import Linear
from .constant_input import ConstantInput
from .event_synapse import poisson_event_linear
from .poisson_input import PoissonInput

__all__ = ["DEFAULT_CROSSOVER", "PATHS", "check_path", "crossover", "crossover_file",
           "input_major", "linear_current", "store_crossover", "takes_event_path"]


def _density(x) -> float:
    if isinstance(x, PoissonInput):
        return x.rate
    return np.count_nonzero(x) / x.size if x.size else 0.0


def takes_event_path(layer, x) -> bool:
    """Whether ``layer`` computes its current from ``x`` on the event path (its ``path``,
    and for ``"auto"`` the density of ``x`` against :func:`crossover`)."""
    if isinstance(x, ConstantInput) or not isinstance(layer.synapse, Linear):
        return False
    if layer.path == "auto":
        return _density(x) < crossover()
    return layer.path == "event"


def input_major(layer, ctx) -> np.ndarray:
    """``layer``'s weights transposed to input-major ``(n_in, n_out)`` in the run's dtype,
    made once per run (:meth:`~snnlite.snn.context.RunContext.weight_view`)."""
    return ctx.weight_view(layer, "weights_input_major", lambda: np.ascontiguousarray(
        layer.synapse.weight.data.T, dtype=ctx.dtype))


def linear_current(layer, x, ctx) -> np.ndarray | None:
    """``a_in * x @ W.T`` of ``layer`` by the event path, ``(steps, B, n_out)``; or None
    when the dense path is to be used (``path="dense"``, a non-Linear synapse, analog input,
    or ``"auto"`` with a density at or above :func:`crossover`).

    A :class:`PoissonInput` on the dense path is materialised (and counted) here, so the
    caller gets ``None`` only for plain arrays; for a Poisson input it then returns the dense
    current itself.
    """
    linear = isinstance(layer.synapse, Linear)
    if isinstance(x, ConstantInput) or (not linear and not isinstance(x, PoissonInput)):
        return None
    if not takes_event_path(layer, x):
        if not isinstance(x, PoissonInput):
            layer.path_log["dense"] += 1
            return None
        x = x.materialize()  # the dense path needs the spike array
        layer.path_log["dense"] += 1
        flat = layer._synaptic(x.reshape((-1,) + x.shape[2:]), ctx.dtype)
        return flat.reshape(x.shape[:2] + flat.shape[1:])
    WT = input_major(layer, ctx)
    layer.path_log["event"] += 1
    if isinstance(x, PoissonInput):
        return poisson_event_linear(x, WT, layer.in_amplitude)
    flat = event_linear(x.reshape(-1, x.shape[-1]), WT, layer.in_amplitude)
    return flat.reshape(x.shape[:-1] + (WT.shape[1],))
