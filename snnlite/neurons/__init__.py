"""Spiking neuron models: one file each, a Numba scan kernel, and the ANN rate they approximate.

Every model follows the contract of :mod:`snnlite.neurons.base` (``init_state``, ``scan``,
``rate``).
"""

from .base import Neuron
from .if_neuron import IF
from .lif import LIF

__all__ = ["IF", "LIF", "Neuron"]
