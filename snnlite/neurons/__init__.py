"""Spiking neuron models: one file each, its update written once, and what it approximates.

Every model follows the contract of :mod:`snnlite.neurons.base`: a compiled per-step function
``<model>_step`` (``if_step``, ``lif_step``, ``qffs_step``, ``dynamic_threshold_step``,
``burst_encoder_step``, ``multispike_if_step``, ``adaptive_lif_step``, the Diehl & Cook
phase functions) that every loop advancing the model calls, the scan kernel looping
it, and a class with ``init_state``, ``scan`` and ``rate``; trainable models (IF, LIF, QFFS)
add their surrogate-gradient backward pass (:mod:`snnlite.neurons.surrogate`).
"""

from .adaptive_lif import AdaptiveLIF
from .base import Neuron
from .burst_encoder import BurstEncoder
from .diehl_cook import DiehlCookExcitatory, DiehlCookInhibitory
from .dynamic_threshold import DynamicThreshold
from .if_neuron import IF
from .lif import LIF
from .multispike_if import MultiSpikeIF
from .qffs import QFFS

__all__ = ["IF", "LIF", "QFFS", "AdaptiveLIF", "BurstEncoder", "DiehlCookExcitatory",
           "DiehlCookInhibitory", "DynamicThreshold", "MultiSpikeIF", "Neuron"]
