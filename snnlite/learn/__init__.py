"""Learning in the spiking domain: surrogate-gradient BPTT, STDP rules and networks."""

from .agd import to_agd
from .bptt import Spiking
from .surrogate import ArcTan, FastSigmoid, Sigmoid, Surrogate, Triangle
from .time_axis import PoissonEncoder, Repeat, SumOverTime

__all__ = [
    "ArcTan", "FastSigmoid", "PoissonEncoder", "Repeat", "Sigmoid", "Spiking", "SumOverTime",
    "Surrogate", "Triangle", "to_agd",
]
