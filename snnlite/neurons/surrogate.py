"""Surrogate gradients: what BPTT uses for ``dS/dV`` where the spike is a step function (C4).

They live with the neurons: a trainable model's step function takes a surrogate code to form
its spike (:func:`spike_value`), and its backward pass uses the pseudo-derivative
(:func:`pseudo_derivative`) next to it.

A spike ``S = Theta(V - v_th)`` has derivative zero almost everywhere, so no gradient would
reach the weights. Surrogate-gradient training keeps the step in the forward pass and uses a
smooth pseudo-derivative ``sigma'(V)`` in the backward pass. With ``x = V - v_th``:

================  ====================================================  ==================
name              ``dS/dV`` used by the backward pass                   parameter
================  ====================================================  ==================
``Triangle``      ``gamma * max(0, 1 - |x| / v_th)``  (C4, Bellec 2018)  ``gamma = 0.3``
``FastSigmoid``   ``1 / (1 + slope * |x|)**2``  (Zenke & Ganguli 2018)    ``slope = 10``
``ArcTan``        ``(a / 2) / (1 + (pi / 2 * a * x)**2)``  (Fang 2021)    ``a = 2``
``Sigmoid``       ``k * s * (1 - s)`` with ``s = 1 / (1 + exp(-k x))``    ``k = 5``
================  ====================================================  ==================

``Sigmoid`` is special: it also replaces the *forward* spike by the smooth ``s`` (``smooth``
is true), so the network is an ordinary differentiable function and its BPTT gradient can be
checked against finite differences. It is a verification tool, not a spiking network.

Examples
--------
The §6.6 vector of the spec (gamma 0.3, v_th 1):

>>> import numpy as np
>>> v = np.array([0.0, 0.5, 0.9, 1.0, 1.2, 1.5, 2.0])
>>> np.round(Triangle().grad(v, 1.0), 6).tolist()
[0.0, 0.15, 0.27, 0.3, 0.24, 0.15, 0.0]

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import math

import numpy as np

from snnlite._jit import njit
from snnlite._validate import check_float

__all__ = ["HEAVISIDE", "ArcTan", "FastSigmoid", "Sigmoid", "Surrogate", "Triangle",
           "pseudo_derivative", "pseudo_derivative_row", "spike_value"]

TRIANGLE, FAST_SIGMOID, ARCTAN, SIGMOID = 0, 1, 2, 3
#: Surrogate code of the plain step spike (the simulation scans pass it; any non-smooth
#: surrogate's forward spike is this one too).
HEAVISIDE = -1


@njit(inline="always")
def spike_value(kind, param, u, threshold):
    """Forward spike for potential ``u``: ``Theta(u - v_th)`` (1.0 or 0.0), or the smooth sigmoid.

    Only :class:`Sigmoid` (``kind == SIGMOID``) changes the forward pass; every other code,
    :data:`HEAVISIDE` among them, gives the step.
    """
    if kind == SIGMOID:
        return 1.0 / (1.0 + math.exp(-param * (u - threshold)))
    return 1.0 if u >= threshold else 0.0


@njit
def pseudo_derivative(kind, param, u, threshold):
    """``dS/dV`` at potential ``u`` for surrogate ``kind`` with parameter ``param``."""
    x = u - threshold
    if kind == TRIANGLE:  # C4
        return param * max(0.0, 1.0 - abs(x) / threshold)
    if kind == FAST_SIGMOID:
        return 1.0 / (1.0 + param * abs(x)) ** 2
    if kind == ARCTAN:
        return 0.5 * param / (1.0 + (0.5 * math.pi * param * x) ** 2)
    s = 1.0 / (1.0 + math.exp(-param * x))  # SIGMOID: exact derivative of the smooth spike
    return param * s * (1.0 - s)


@njit
def pseudo_derivative_row(kind, param, u, threshold, out):
    """``out[i] = pseudo_derivative(kind, param, u[i], threshold)`` for a row ``u``.

    The ``kind`` test sits outside the loops, so each loop body is one fixed formula that
    compiles to vector instructions (a test inside the loop would not).
    """
    if kind == TRIANGLE:
        for i in range(u.size):
            out[i] = pseudo_derivative(TRIANGLE, param, u[i], threshold)
    elif kind == FAST_SIGMOID:
        for i in range(u.size):
            out[i] = pseudo_derivative(FAST_SIGMOID, param, u[i], threshold)
    elif kind == ARCTAN:
        for i in range(u.size):
            out[i] = pseudo_derivative(ARCTAN, param, u[i], threshold)
    else:
        for i in range(u.size):
            out[i] = pseudo_derivative(SIGMOID, param, u[i], threshold)


class Surrogate:
    """A pseudo-derivative for the spike function (base class; see the module docstring).

    Attributes
    ----------
    kind : int
        Kernel code (0 triangle, 1 fast sigmoid, 2 arctan, 3 sigmoid).
    param : float
        The surrogate's one parameter.
    smooth : bool
        Whether the forward spike is smooth too (only :class:`Sigmoid`).
    """

    kind: int = -1
    smooth: bool = False
    _param_name = "param"

    def __init__(self, param: float):
        self.param = check_float(self._param_name, param, positive=True)

    def grad(self, v, threshold: float = 1.0) -> np.ndarray:
        """``dS/dV`` at potentials ``v`` (any shape), as float64."""
        v = np.asarray(v, dtype=np.float64)
        th = check_float("threshold", threshold, positive=True)
        out = np.empty(v.size, np.float64)
        pseudo_derivative_row(self.kind, self.param, np.ravel(v), th, out)
        return out.reshape(v.shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._param_name}={self.param})"


class Triangle(Surrogate):
    """Piecewise-linear surrogate ``gamma * max(0, 1 - |V - v_th| / v_th)`` (C4, the default).

    Parameters
    ----------
    gamma : float, default 0.3
        Damping factor (Panda et al. 2020; Bellec et al. 2018).
    """

    kind, _param_name = TRIANGLE, "gamma"

    def __init__(self, gamma: float = 0.3):
        super().__init__(gamma)


class FastSigmoid(Surrogate):
    """Fast-sigmoid surrogate ``1 / (1 + slope |V - v_th|)**2`` (SuperSpike).

    Parameters
    ----------
    slope : float, default 10.0
    """

    kind, _param_name = FAST_SIGMOID, "slope"

    def __init__(self, slope: float = 10.0):
        super().__init__(slope)


class ArcTan(Surrogate):
    """Arctan surrogate ``(a/2) / (1 + (pi a (V - v_th) / 2)**2)`` (SpikingJelly's default).

    Parameters
    ----------
    a : float, default 2.0
    """

    kind, _param_name = ARCTAN, "a"

    def __init__(self, a: float = 2.0):
        super().__init__(a)


class Sigmoid(Surrogate):
    """Smooth spike ``s = sigmoid(k (V - v_th))`` with its exact derivative (verification only).

    The forward pass emits the real number ``s`` instead of a 0/1 spike, so BPTT through it
    must equal finite differences.

    Parameters
    ----------
    k : float, default 5.0
        Steepness.
    """

    kind, smooth, _param_name = SIGMOID, True, "k"

    def __init__(self, k: float = 5.0):
        super().__init__(k)
