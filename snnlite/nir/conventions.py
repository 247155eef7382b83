"""The conventions that turn NIR's continuous-time neurons into snnlite's discrete ones.

A NIR file states the differential equations and their parameters, not how to step them.
Every choice a simulator makes is a field of :class:`Conventions`; :func:`~snnlite.nir.to_nir`
writes snnlite's choices into the graph's metadata (``metadata["snnlite"]`` holds the
step and the discretisation, each neuron node's metadata its reset and spike mode) and
:func:`~snnlite.nir.from_nir` reads them back, an explicit argument taking precedence.

One step of length ``dt`` with the input ``I[t]`` held constant over the step (``g`` is
the gain on the synaptic current, ``b`` a constant current, ``alpha`` the decay of
:class:`~snnlite.neurons.LIF`, ``V[t] = alpha V[t-1] + g I[t] + b``)::

    NIR LIF  tau dv/dt = (v_leak - v) + r I
        "euler":  alpha = 1 - dt / tau       g = r dt / tau        b = v_leak dt / tau
        "exact":  alpha = exp(-dt / tau)     g = r (1 - alpha)     b = v_leak (1 - alpha)
    NIR IF   dv/dt = r I            ->  IF (or MultiSpikeIF): V[t] = V[t-1] + g I[t]
    NIR LI   as LIF, no spikes      ->  LeakyReadout: V[t] = alpha V[t-1] + g I[t] + b
    NIR I    dv/dt = r I            ->  Readout (a non-spiking integrator, never reset)
        if_r="step":  g = r        (r = 1 adds the input once per step: Norse, Sinabs, snnTorch)
        if_r="time":  g = r dt     (the continuous equation: r = 1 / dt adds it once)

A spike is fired when ``V >= v_threshold`` (snnlite, Sinabs; NIR writes ``v > v_threshold``,
which differs only when ``V`` lands exactly on the threshold), then ``V`` is set to 0
(``reset="zero"``, NIR's ``v_reset``, which must be 0) or reduced by the threshold
(``reset="subtract"``, Sinabs). ``if_spikes="multi"`` reads an IF node as Sinabs' multi-spike
neuron (:class:`~snnlite.neurons.MultiSpikeIF`, subtractive reset, at most ``max_spikes``
spikes per step; Sinabs' own importer also bounds ``V`` below by ``-v_threshold``, which NIR
does not state and snnlite does not do). On export ``r = 1 / (1 - alpha)``, so that both
discretisations give ``g = 1``, and ``tau`` is the one the chosen discretisation maps back to
``alpha``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from ..neurons import IF, LIF, MultiSpikeIF

__all__ = ["Conventions", "DEFAULTS"]

_CHOICES = {"discretisation": ("euler", "exact"), "reset": ("zero", "subtract"),
            "if_r": ("step", "time"), "if_spikes": ("single", "multi")}


@dataclass(frozen=True)
class Conventions:
    """How NIR's continuous-time neurons are stepped (the module docstring has the maps).

    Parameters
    ----------
    dt : float, default 1e-4
        Step length in the unit of NIR's ``tau`` (seconds): the step of the NIR paper's
        reference graphs and of snnTorch's exporter (Norse's importer defaults to 1e-3).
    discretisation : {"euler", "exact"}, default "euler"
        Forward Euler (Norse, snnTorch, the NIR paper's platforms) or the exact decay of a
        piecewise-constant input.
    reset : {"zero", "subtract"}, default "zero"
        After a spike ``V`` becomes ``v_reset = 0`` (NIR's equations, Norse, snnTorch) or
        loses the threshold (Sinabs, the exact reference simulation of the NIR paper).
    if_r : {"step", "time"}, default "step"
        How ``r`` of IF and I nodes scales the input per step (``g = r`` or ``g = r dt``).
    if_spikes : {"single", "multi"}, default "single"
        IF nodes as one-spike-per-step IF neurons, or as Sinabs' multi-spike neuron.
    max_spikes : int, default 127
        Spikes per step of a multi-spike IF neuron (the int8 limit; Sinabs has no cap).
    """

    dt: float = 1e-4
    discretisation: str = "euler"
    reset: str = "zero"
    if_r: str = "step"
    if_spikes: str = "single"
    max_spikes: int = 127

    def __post_init__(self):
        if not (isinstance(self.dt, (int, float, np.floating)) and math.isfinite(self.dt)
                and self.dt > 0):
            raise ValueError(f"dt must be a finite number > 0, got {self.dt!r}")
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if int(self.max_spikes) != self.max_spikes or not 1 <= self.max_spikes <= 127:
            raise ValueError(f"max_spikes must be an integer in [1, 127], got {self.max_spikes!r}")

    def updated(self, values: dict) -> Conventions:
        """A copy with the known, non-None entries of ``values`` replaced (others ignored)."""
        known = {f.name for f in fields(self)}
        new = {k: _plain(v) for k, v in values.items() if k in known and v is not None}
        return replace(self, **new)

    def graph_metadata(self) -> dict:
        """The graph-wide conventions, as written into ``metadata["snnlite"]`` on export."""
        return {"dt": float(self.dt), "discretisation": self.discretisation, "if_r": self.if_r}

    # -- NIR parameters -> snnlite neuron ------------------------------------------------
    def neuron(self, node, name: str):
        """``(neuron, gain, constant)`` for a NIR IF or LIF node (see the module docstring).

        ``gain`` is a float or an array of the population shape (a per-neuron ``r``).
        """
        threshold = _uniform(node, "v_threshold", name)
        if _uniform(node, "v_reset", name) != 0.0:
            raise ValueError(f"node {name!r}: v_reset must be 0 (snnlite resets to 0 or "
                             f"subtracts the threshold), got {node.v_reset.ravel()[0]!r}")
        if not hasattr(node, "tau"):  # IF
            gain = self._if_gain(node.r)
            if self.if_spikes == "multi":
                if self.reset != "subtract":
                    raise ValueError(f"node {name!r}: if_spikes='multi' resets by subtraction "
                                     f"(Sinabs' IAF); pass reset='subtract', got {self.reset!r}")
                return MultiSpikeIF(threshold, self.max_spikes), gain, 0.0
            return IF(threshold, reset=self.reset), gain, 0.0
        alpha, gain, constant = self.leaky(node, name)
        return LIF(alpha=alpha, threshold=threshold, reset=self.reset), gain, constant

    def leaky(self, node, name: str):
        """``(alpha, gain, constant)`` of a NIR LIF or LI node (the module docstring's map)."""
        tau = _uniform(node, "tau", name)
        if tau <= 0:
            raise ValueError(f"node {name!r}: tau must be > 0, got {tau!r}")
        if self.discretisation == "euler":
            if self.dt >= tau:
                raise ValueError(f"node {name!r}: forward Euler needs dt < tau, got dt={self.dt}"
                                 f" and tau={tau}; use a smaller dt or discretisation='exact'")
            step = self.dt / tau
            alpha = 1.0 - step
        else:
            alpha = math.exp(-self.dt / tau)
            step = 1.0 - alpha
        leak = _uniform(node, "v_leak", name)
        return alpha, _snap(np.asarray(node.r, np.float64) * step), leak * step

    def _if_gain(self, r):
        r = np.asarray(r, np.float64)
        return _snap(r if self.if_r == "step" else r * self.dt)

    def integrator_gain(self, node):
        """The gain of a NIR ``I`` node read as snnlite's Readout."""
        return self._if_gain(node.r)

    # -- snnlite neuron -> NIR parameters ------------------------------------------------
    def lif_parameters(self, alpha: float) -> tuple[float, float]:
        """``(tau, r)`` of the NIR LIF node of an snnlite LIF with decay ``alpha < 1``."""
        tau = self.dt / (1.0 - alpha) if self.discretisation == "euler" \
            else -self.dt / math.log(alpha)
        return tau, 1.0 / (1.0 - alpha)

    def if_r_value(self) -> float:
        """``r`` of an IF or I node that adds its input once per step."""
        return 1.0 if self.if_r == "step" else 1.0 / self.dt


DEFAULTS = Conventions()


def _plain(value):
    """A metadata value read from HDF5 (numpy scalar) as a plain Python value."""
    return value.item() if isinstance(value, np.generic) else value


def _uniform(node, attr: str, name: str) -> float:
    """The single value of a per-neuron parameter, or ValueError if it varies."""
    values = np.asarray(getattr(node, attr), np.float64).ravel()
    if values.size == 0 or not np.all(values == values[0]) or not np.isfinite(values[0]):
        raise ValueError(f"node {name!r} ({type(node).__name__}): {attr} must be one finite "
                         f"value for the whole population (snnlite neurons share their "
                         f"parameters), got {np.unique(values)[:5]}")
    return float(values[0])


def _snap(gain: np.ndarray):
    """A scalar for a uniform gain, exactly 1.0 within float64 rounding (no Scale op)."""
    if np.all(gain == gain.flat[0]):
        g = float(gain.flat[0])
        return 1.0 if abs(g - 1.0) <= 4 * np.finfo(np.float64).eps else g
    return gain
