"""Spiking networks: layers (synapse + neuron), encoders, readouts, engines, results."""

from .context import SpikeCounts
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
from .layer import Layer
from .layers import Reshape, SpikingLayer, split_bias
from .maxpool import EventMaxPool
from .network import SpikingNetwork
from .readouts import CountReadout, LeakyReadout, Readout, StochMaxReadout
from .residual import Residual
from .result import SimulationResult

__all__ = [
    "ENCODERS", "ConstantInput", "CountReadout", "EventMaxPool", "Layer", "LeakyReadout",
    "Readout", "Reshape", "Residual", "SimulationResult", "SpikeCounts", "SpikingLayer",
    "SpikingNetwork", "StochMaxReadout", "analog", "bernoulli", "get_encoder", "latency",
    "poisson", "poisson_process", "regular", "split_bias",
]
