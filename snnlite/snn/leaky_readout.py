"""A non-spiking output layer whose potential leaks: the leaky-integrator (LI) readout.

The readout of many surrogate-gradient networks (snnTorch, Norse) and NIR's ``LI`` node.
Per step, with ``alpha`` the decay per step and ``I(t)`` the input current::

    V(t) = alpha * V(t-1) + I(t),    V(0) = 0

``alpha = 1`` is :class:`~snnlite.snn.layers.Readout`. The prediction at step ``t`` is the
argmax of ``V(t)``.
"""

from __future__ import annotations

import numpy as np

from ..nn.module import Module
from .layers import Readout

__all__ = ["LeakyReadout"]


class LeakyReadout(Readout):
    """Non-spiking output layer: ``V(t) = alpha V(t-1) + I(t)``, never reset.

    Parameters
    ----------
    synapse, bias, bias_steps, name
        As for :class:`~snnlite.snn.layers.Readout`.
    alpha : float
        Decay per step, in (0, 1].

    Raises
    ------
    ValueError
        If ``alpha`` is outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from snnlite import nn
    >>> from snnlite.snn import SpikingNetwork
    >>> lin = nn.Linear(1, 1, bias=False, dtype=np.float64)
    >>> lin.weight.data[...] = 1.0
    >>> net = SpikingNetwork([LeakyReadout(lin, alpha=0.5)])
    >>> net.run(np.ones((1, 1)), T=3, dtype=np.float64).outputs[:, 0, 0].tolist()
    [1.0, 1.5, 1.75]
    """

    def __init__(self, synapse: Module, alpha: float, *, bias: np.ndarray | None = None,
                 bias_steps: int | None = None, name: str | None = None):
        super().__init__(synapse, bias=bias, bias_steps=bias_steps, name=name)
        if not 0.0 < float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
        self.alpha = float(alpha)

    def forward_seq(self, x, ctx) -> np.ndarray:
        current = self.current_seq(x, ctx)
        carry = ctx.state(self, lambda: {"v": 0})
        alpha, v = current.dtype.type(self.alpha), carry["v"]
        for t in range(len(current)):  # the same operations, in order, as forward_step
            v = alpha * v + current[t]
            current[t] = v
        carry["v"] = current[-1].copy()
        return current

    def forward_step(self, x, t: int, ctx) -> np.ndarray:
        potential = ctx.state(self, lambda: {"v": 0})
        current = self.current_step(x, t, ctx)
        potential["v"] = current.dtype.type(self.alpha) * potential["v"] + current
        return potential["v"]

    def __repr__(self) -> str:
        return f"LeakyReadout({self.name}: {self.synapse!r}, alpha={self.alpha})"
