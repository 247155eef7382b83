"""Spiking networks: layers (synapse + neuron), encoders, readout, engines, results."""

from .context import SpikeCounts
from .count_readout import CountReadout
from .encoding import ConstantInput, analog, bernoulli, latency, poisson, regular
from .layers import Readout, Reshape, SpikingLayer, split_bias
from .leaky_readout import LeakyReadout
from .maxpool import EventMaxPool
from .network import SpikingNetwork
from .residual import Residual
from .result import SimulationResult

__all__ = [
    "ConstantInput", "CountReadout", "Readout", "Reshape", "Residual", "SimulationResult",
    "LeakyReadout", "SpikeCounts",
    "SpikingLayer", "SpikingNetwork", "analog", "bernoulli", "latency", "poisson", "regular",
    "split_bias",
    "EventMaxPool",
]
