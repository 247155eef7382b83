"""Differentiable NumPy layers, losses, optimizers and the training loop.

This package is both the ANN side of every conversion and the synapse layer of every
spiking network (a spiking layer's input current is an ``nn`` op applied to spikes).
"""

from .activation import ClippedReLU, Flatten, ReLU
from .linear import Linear
from .loss import log_softmax, softmax_cross_entropy
from .module import Module, Parameter, Sequential

__all__ = [
    "ClippedReLU", "Flatten", "Linear", "Module", "Parameter", "ReLU", "Sequential",
    "log_softmax", "softmax_cross_entropy",
]
