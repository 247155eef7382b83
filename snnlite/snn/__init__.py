"""Spiking networks: layers (synapse + neuron), encoders, readout, engines, results."""

from .context import SpikeCounts
from .count_readout import CountReadout
from .encoding import (
    ENCODERS,
    ConstantInput,
    analog,
    bernoulli,
    get_encoder,
    latency,
    poisson,
    poisson_process,
    regular,
)
from .layers import Readout, Reshape, SpikingLayer, split_bias
from .leaky_readout import LeakyReadout
from .maxpool import EventMaxPool
from .network import SpikingNetwork
from .residual import Residual
from .result import SimulationResult

__all__ = [
    "ENCODERS", "ConstantInput", "CountReadout", "EventMaxPool", "LeakyReadout", "Readout",
    "Reshape", "Residual", "SimulationResult", "SpikeCounts", "SpikingLayer", "SpikingNetwork",
    "analog", "bernoulli", "get_encoder", "latency", "poisson", "poisson_process", "regular",
    "split_bias",
]
