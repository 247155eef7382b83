"""Differentiable NumPy layers, losses, optimizers and the training loop.

This package is both the ANN side of every conversion and the synapse layer of every
spiking network (a spiking layer's input current is an ``nn`` op applied to spikes).
"""

from .activation import ClippedReLU, Flatten, ReLU
from .backres import BackRes, ChannelSelect, shallow_clone
from .batches import batches
from .conv import Conv2d
from .dropout import Dropout
from .io import load, load_metadata, save
from .linear import Linear
from .loss import log_softmax, softmax_cross_entropy
from .lsq import LSQ
from .module import Module, Parameter, Sequential
from .norm import BatchNorm, BatchNorm1d, BatchNorm2d
from .optim import SGD, Adam, Optimizer
from .pool import AvgPool2d, MaxPool2d, SumPool2d
from .quant import MedianQuant, TernaryConv2d, TernaryLinear, ternarize
from .residual import ResidualBlock
from .scale import Scale
from .schedules import CosineLR, ExponentialLR, LRScheduler, StepLR
from .stochmax import StochMax, StochMaxLoss, stochmax_loss, stochmax_probs
from .train import History, evaluate, fit, predict

__all__ = [
    "ClippedReLU", "Flatten", "Linear", "Module", "Parameter", "ReLU", "Sequential",
    "log_softmax", "softmax_cross_entropy",
    "AvgPool2d", "BatchNorm", "BatchNorm1d", "BatchNorm2d", "Conv2d", "Dropout", "MaxPool2d",
    "Scale", "SumPool2d",
    "SGD", "Adam", "Optimizer", "CosineLR", "ExponentialLR", "LRScheduler", "StepLR",
    "History", "batches", "evaluate", "fit", "load", "load_metadata", "predict", "save",
    "LSQ", "ResidualBlock", "BackRes", "ChannelSelect", "shallow_clone",
    "StochMax", "StochMaxLoss", "stochmax_loss", "stochmax_probs",
    "MedianQuant", "TernaryConv2d", "TernaryLinear", "ternarize",
]
