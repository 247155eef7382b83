"""Spiking neuron models: one file each, a Numba scan kernel, and the ANN rate they approximate.

Every model follows the contract of :mod:`snnlite.neurons.base` (``init_state``, ``scan``,
``rate``).
"""

from .adaptive_lif import AdaptiveLIF
from .base import Neuron
from .burst_encoder import BurstEncoder
from .diehl_cook import DiehlCookExcitatory, DiehlCookInhibitory
from .dynamic_threshold import DynamicThreshold
from .if_neuron import IF
from .lif import LIF
from .qffs import QFFS

__all__ = ["IF", "LIF", "QFFS", "BurstEncoder", "DynamicThreshold", "Neuron",
           "AdaptiveLIF", "DiehlCookExcitatory", "DiehlCookInhibitory"]
