"""How a spiking layer computes its synaptic current: the fastest path its input allows.

:func:`synaptic_current` is the one place a :class:`~snnlite.snn.layers.SpikingLayer` turns
its input into a current. For int8 spikes it avoids casting the whole spike tensor to float:

* an :class:`~snnlite.snn.event_conv.IntegerConv2d` synapse scatters the int8 kernel of each
  spike into int32 accumulators (the all-integer network, exact);
* a ``Conv2d`` or ``Sequential(AvgPool2d, Conv2d)`` synapse writes its im2col patches
  straight from the spikes (:func:`snnlite.nn.pool_im2col.pooled_conv`), then one product;
* anything else runs the synapse's own ops on the input cast to the run's dtype.

Every path gives the module path's current bit for bit (tests/snn/test_synapse_paths.py).
"""

from __future__ import annotations

import numpy as np

from ..nn.module import Module
from ..nn.pool_im2col import pooled_conv, pooled_conv_ops
from .event_conv import IntegerConv2d

__all__ = ["synapse_path", "synaptic_current"]


def synapse_path(synapse: Module, x: np.ndarray, amplitude: float = 1.0) -> str:
    """The path :func:`synaptic_current` takes: ``"integer events"``, ``"patches"`` or
    ``"module"``."""
    spikes = x.ndim == 4 and x.dtype == np.int8
    if spikes and isinstance(synapse, IntegerConv2d) and synapse.events \
            and float(amplitude).is_integer():
        return "integer events"
    if spikes and pooled_conv_ops(synapse) is not None:
        return "patches"
    return "module"


def synaptic_current(synapse: Module, x: np.ndarray, dtype, amplitude: float = 1.0
                     ) -> np.ndarray:
    """``amplitude * synapse(x)`` for a batch of rows ``x`` ``(R, ...)``.

    The result has the run's ``dtype`` (the common dtype with the weights), or ``int32`` on
    the integer event path.
    """
    path = synapse_path(synapse, x, amplitude)
    if path == "integer events":
        out = synapse.event_current(x)
    elif path == "patches":
        out = pooled_conv(pooled_conv_ops(synapse), x, dtype)
    else:
        out = synapse.forward(x.astype(dtype, copy=False))
    if amplitude != 1.0:
        out *= out.dtype.type(amplitude)
    return out
