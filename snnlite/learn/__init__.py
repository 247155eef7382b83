"""Learning in the spiking domain: surrogate-gradient BPTT, STDP rules and networks.

The surrogate functions live with the neurons (:mod:`snnlite.neurons.surrogate`); they are
exported here too, next to the BPTT module that takes them.
"""

from snnlite.neurons.surrogate import ArcTan, FastSigmoid, Sigmoid, Surrogate, Triangle

from .agd import to_agd
from .bptt import Spiking
from .time_axis import Encoder, PoissonEncoder, Repeat, SumOverTime

__all__ = [
    "ArcTan", "Encoder", "FastSigmoid", "PoissonEncoder", "Repeat", "Sigmoid", "Spiking",
    "SumOverTime", "Surrogate", "Triangle", "to_agd",
]
