"""Spiking neuron models: one file each, a Numba scan kernel, and the ANN rate they approximate.

Every model follows the contract of :mod:`snnlite.neurons.base` (``init_state``, ``scan``,
``rate``).
"""

from .base import Neuron
from .burst_encoder import BurstEncoder
from .dynamic_threshold import DynamicThreshold
from .if_neuron import IF
from .lif import LIF
from .multispike_if import MultiSpikeIF
from .qffs import QFFS

__all__ = ["IF", "LIF", "MultiSpikeIF", "QFFS", "BurstEncoder", "DynamicThreshold", "Neuron"]
