"""Residual blocks in the spiking domain.

The addition of a residual block happens in the *current* domain (QFFS, spec §3.6,
INFERRED residual handling): the shortcut's spikes, times their amplitude, join the input
current of the post-addition neuron population::

    I_post(t) = a_branch * W_last s_branch(t) + a_in * shortcut(s_in(t)) + bias(t)

so that, summed over time, the post-addition neuron integrates exactly what the ANN's
``ReLU(f(x) + x)`` adds before its activation.
"""

from __future__ import annotations

import numpy as np

from ..nn.module import Module
from .encoding import ConstantInput
from .layer import Layer
from .layers import SpikingLayer

__all__ = ["Residual"]


class Residual(Layer):
    """A block ``post_neuron( branch(x) + shortcut(x) )``.

    Parameters
    ----------
    branch : list of layers
        The main path; its last element must be a :class:`SpikingLayer`, whose neuron is the
        post-addition population.
    shortcut : nn.Module, optional
        Linear op on the block input (for example a 1x1 ``Conv2d`` with stride); identity
        when None.
    name : str, optional
        Block name; inner layers are named ``<name>.<i>``.
    """

    def __init__(self, branch: list, shortcut: Module | None = None, name: str | None = None):
        if not branch or not isinstance(branch[-1], SpikingLayer):
            raise ValueError("the last layer of a residual branch must be a SpikingLayer")
        self.branch, self.shortcut, self.name = list(branch), shortcut, name
        self.in_amplitude = 1.0

    @property
    def amplitude(self) -> float:
        return self.branch[-1].amplitude

    def children(self) -> list[Layer]:
        """The branch's layers, in simulation order."""
        return self.branch

    def chain(self, amplitude: float) -> float:
        """Set the amplitude of the incoming spikes; return that of the outgoing ones."""
        self.in_amplitude = amplitude
        for layer in self.branch:
            amplitude = layer.chain(amplitude)
        return amplitude

    def _shortcut(self, x: np.ndarray, dtype) -> np.ndarray:
        x = x.astype(dtype, copy=False)
        out = x.copy() if self.shortcut is None else self.shortcut.forward(x)
        if self.in_amplitude != 1.0:
            out *= out.dtype.type(self.in_amplitude)
        return out

    def forward_seq(self, x, ctx) -> np.ndarray:
        h = x
        for layer in self.branch[:-1]:
            h = layer.forward_seq(h, ctx)
        last = self.branch[-1]
        current = last.current_seq(h, ctx)
        if isinstance(x, ConstantInput):
            current[: x.steps_on] += ctx.cache(self, "shortcut",
                                               lambda: self._shortcut(x.value, current.dtype))
        else:
            flat = self._shortcut(x.reshape((-1,) + x.shape[2:]), current.dtype)
            current += flat.reshape(current.shape)
        return last.integrate_seq(current, ctx)

    def forward_step(self, x, t: int, ctx) -> np.ndarray:
        h = x
        for layer in self.branch[:-1]:
            h = layer.forward_step(h, t, ctx)
        last = self.branch[-1]
        current = last.current_step(h, t, ctx)
        if isinstance(x, ConstantInput):
            if t < x.steps_on:
                current += ctx.cache(self, "shortcut",
                                     lambda: self._shortcut(x.value, current.dtype))
        else:
            current += self._shortcut(x, current.dtype)
        return last.integrate_step(current, t, ctx)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.branch)
        return f"Residual({self.name}: [{inner}] + {self.shortcut or 'identity'})"
