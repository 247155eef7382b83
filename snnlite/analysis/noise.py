"""Which noise made a converted neuron miss its target count? (spec §3.4, QFFS noise taxonomy)

A converted neuron should end a run with a net spike count ``Z`` equal to its target ``L``: the
quantized ANN level (QFFS, §3.6) or, for a float ANN, the ideal count. This module splits each
neuron's error ``Z - L`` into the four noise types of spec §3.4, **exactly** (the parts add
up to the error), from quantities a run provides: ``Z``, the final membrane potential
``V_end``, the total input current ``S = sum_t I(t)`` the neuron received, its threshold
``th``, pre-charge ``V(0)`` and count range ``[0, Z_cap]`` (spike cap and/or ``T``).

Per neuron, in threshold units (``floor`` = round down, ``clip`` = clip to ``[0, Z_cap]``)::

    s = S / th,  v = V_end / th,  v0 = V(0) / th
    r = v0 + s - Z - v          charge lost at resets (charge balance: 0 for reset by
                                subtraction and QFFS, >= 0 for reset to zero)

Four reference counts, each the previous one with one fix applied::

    Z                                              the neuron as simulated
    Z_settled  = clip(Z + floor(v))                 fix: negative spikes + longer simulation
    Z_lossless = clip(Z + floor(v + r))             fix: reset by subtraction
               = clip(floor(v0 + s))
    Z_ideal    = clip(floor(s + 1/2))   levels      fix: pre-charge V(0) = th/2
               = clip(s)                real targets
    L                                              fix: analog input / exact lower layers

so that the error telescopes::

    Z - L = (Z - Z_settled)            occasional: > 0 is signature (i), < 0 signature (ii)
          + (Z_settled - Z_lossless)   supra-threshold (charge lost at resets, <= 0)
          + (Z_lossless - Z_ideal)     sub-threshold (floor instead of round; residual V)
          + (Z_ideal - L)              input: rate coding in a layer fed by the encoder,
                                       propagated error in deeper layers

What is exact:

* ``Z_settled`` is the count a QFFS neuron (negative spikes, same cap) reaches from ``Z`` and
  ``V_end`` after enough silent steps (:meth:`snnlite.neurons.QFFS.level`). Its part is
  non-zero exactly for the two signatures of §3.4: (i) ``V_end < 0`` although ``Z > 0``
  (too many spikes, fixed by negative spikes), (ii) ``V_end >= th`` below the cap (too few
  spikes, pending charge, fixed by simulating longer).
* ``r`` is the lost charge, exactly, by charge balance (the kernels do not report it);
  ``Z_lossless`` is the count a charge-conserving neuron (QFFS) reaches from the same input
  after settling, so the supra-threshold part is what reset by subtraction recovers.
* ``Z_ideal`` is what the ideal neuron (the quantized ANN, rounding half up like the QFFS
  neuron, §1; or the float ANN's count ``s``) makes of the input the neuron actually got. With
  pre-charge ``th/2`` and integer levels the sub-threshold part is 0; without, it is ``-1``
  for neurons whose residual ``V_end`` would round up. For real targets it is
  ``floor(v0 + s) - s``: minus the residual potential (in thresholds) that a settled neuron
  without pre-charge keeps.
* For a layer fed by the analog encoder the input part is 0 up to rounding ties of the target
  (the QFFS ANN rounds half to even, spec §6.2); with Poisson input it is the error of the
  input charge, the rate-coding noise as far as this layer's total input shows it.

What is a convention:

* The order of the fixes. The parts interact only through the clip to ``[0, Z_cap]`` (for
  example a reset-to-zero neuron whose lost charge would push it past its cap); there the
  share of each type depends on the order, which follows the list above (local to global).
* Every part holds the neuron's input fixed. In a network, fixing a lower layer changes the
  input of the layers above; that change is the "propagated" part. The whole effect of rate
  coding on every layer (including the extra occasional noise of bursty input) is measured by
  comparing a Poisson run with an analog one:
  :func:`~snnlite.analysis.noise_network.rate_coding_noise`.
* Floating point: ``|r| < atol`` counts as no loss; a neuron with ``r < -atol`` (charge
  created) means ``S`` or ``V(0)`` does not match the run, and raises.

Use :func:`attribute` for one layer given arrays,
:func:`~snnlite.analysis.noise_network.decompose` to run a network and
attribute every layer, :func:`noise_table` / :func:`format_table` / :func:`plot_noise` for the
per-layer summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CATEGORIES", "LayerNoise", "attribute", "format_table", "noise_table", "plot_noise"]

#: Noise categories in the order of the telescoping sum (module docstring).
CATEGORIES = ("occasional_i", "occasional_ii", "supra_threshold", "sub_threshold",
              "rate_coding", "propagated")
STATS = ("neurons", "abs_error", "error")


@dataclass
class LayerNoise:
    """Per-neuron attribution of one layer's count error; every array has shape ``(B, N)``.

    Attributes
    ----------
    count : int64 array
        ``Z``, the net spike count at the end of the run.
    target : float64 array
        ``L``, the target count (quantized ANN level or ideal count).
    v_end : float64 array
        ``V_end``, the membrane potential after the last step.
    total_current : float64 array
        ``S``, the input current summed over the run.
    lost_charge : float64 array
        ``r * th`` (current units), the charge thrown away at resets (>= 0).
    settled, lossless, ideal : float64 arrays
        The reference counts ``Z_settled``, ``Z_lossless``, ``Z_ideal`` (module docstring).
    parts : dict of str -> float64 array
        One entry per name of :data:`CATEGORIES`; they sum to :attr:`error`.
    atol : float
        Parts smaller than this (in counts) are treated as zero by :meth:`summary`.
    """

    count: np.ndarray
    target: np.ndarray
    v_end: np.ndarray
    total_current: np.ndarray
    lost_charge: np.ndarray
    settled: np.ndarray
    lossless: np.ndarray
    ideal: np.ndarray
    parts: dict = field(default_factory=dict)
    atol: float = 1e-3

    @property
    def error(self) -> np.ndarray:
        """``Z - L``, ``(B, N)`` float64."""
        return self.count - self.target

    def summary(self) -> dict[str, dict[str, float]]:
        """``{category: {"neurons", "abs_error", "error"}}`` plus ``"total"``.

        ``neurons`` counts the (sample, neuron) pairs with a non-zero part, ``abs_error`` sums
        ``|part|``, ``error`` sums the signed part. ``"total"`` does the same for ``Z - L`` and
        adds ``size = B * N``. The signed errors add up to the total; the absolute ones add up
        to at least the total's (parts of one neuron may cancel).
        """
        out = {}
        for name, values in [*((c, self.parts[c]) for c in CATEGORIES), ("total", self.error)]:
            nonzero = np.abs(values) > self.atol
            out[name] = {"neurons": int(nonzero.sum()),
                         "abs_error": float(np.abs(values[nonzero]).sum()),
                         "error": float(values[nonzero].sum())}
        out["total"]["size"] = int(self.count.size)
        return out


def _array(name: str, value, shape=None) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    if shape is not None:
        try:
            a = np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"{name} must broadcast to shape {shape}, got {a.shape}") from None
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def attribute(count, v_end, target, threshold, *, v_init=0.0, total_current=None,
              z_max: int | None = None, levels: bool = True, from_input: bool = False,
              atol: float = 1e-3) -> LayerNoise:
    """Split the count error ``Z - L`` of a layer's neurons into the noise types of §3.4.

    Parameters
    ----------
    count : (B, N) array_like of int
        Net spike counts ``Z`` at the end of the run.
    v_end : (B, N) array_like of float
        Membrane potentials after the last step (record ``"v"`` and take ``v[-1]``).
    target : (B, N) array_like of float
        Target counts ``L``: quantized ANN levels (``levels=True``) or ideal real counts.
    threshold : float or array_like broadcasting to (B, N)
        Threshold ``th > 0``.
    v_init : float or array_like, default 0.0
        Initial potential ``V(0)`` (``th/2`` with pre-charge).
    total_current : (B, N) array_like of float, optional
        ``S``, the input current summed over all steps. Needed for neurons that lose charge
        (IF with ``reset="zero"``); when None the neuron is taken to conserve charge
        (reset by subtraction, QFFS) and ``S = th Z + V_end - V(0)``.
    z_max : int, optional
        Largest reachable count ``Z_cap``: the spike cap and/or ``T`` (one spike per step);
        None for no cap.
    levels : bool, default True
        Targets are integer levels: the ideal neuron rounds half up. False: real targets
        (float ANN); the ideal count is ``clip(s)`` itself.
    from_input : bool, default False
        The layer is fed by the network input: its input part is called ``"rate_coding"``
        (else ``"propagated"``).
    atol : float, default 1e-3
        Tolerance, in counts, of the charge balance and of :meth:`LayerNoise.summary`.

    Returns
    -------
    LayerNoise

    Raises
    ------
    ValueError
        On mismatched shapes, non-finite values, non-integer targets with ``levels=True``,
        ``threshold <= 0``, a negative ``z_max``, or a charge balance that creates charge
        (``r < -atol``: ``total_current`` or ``v_init`` does not match the run).

    Examples
    --------
    Spec §6.1 example B (input ``[1]*8 + [-2]*2``, target 4) on an IF neuron: 8 spikes,
    ``V_end = -4``, signature (i).

    >>> noise = attribute([[8]], [[-4.0]], [[4]], 1.0)
    >>> noise.parts["occasional_i"].tolist(), noise.error.tolist()
    ([[4.0]], [[4.0]])
    """
    z = np.asarray(count)
    if z.ndim != 2 or z.dtype.kind not in "iu":
        raise ValueError(f"count must be a (B, N) integer array, got {z.dtype} {z.shape}")
    z = z.astype(np.int64)
    v_end = _array("v_end", v_end)
    target = _array("target", target)
    for name, a in (("v_end", v_end), ("target", target)):
        if a.shape != z.shape:
            raise ValueError(f"{name} must have the shape of count {z.shape}, got {a.shape}")
    if levels and np.any(target != np.round(target)):
        raise ValueError("target must hold integer levels when levels=True; pass levels=False "
                         "for real (float-ANN) target counts")
    th = _array("threshold", threshold, z.shape)
    if np.any(th <= 0):
        raise ValueError("threshold must be > 0")
    v0 = _array("v_init", v_init, z.shape)
    if z_max is not None and (int(z_max) != z_max or z_max < 0):
        raise ValueError(f"z_max must be None or an integer >= 0, got {z_max!r}")
    cap = np.inf if z_max is None else int(z_max)

    v = v_end / th
    if total_current is None:
        r = np.zeros(z.shape)
    else:
        s_in = _array("total_current", total_current)
        if s_in.shape != z.shape:
            raise ValueError(f"total_current must have the shape of count {z.shape}, "
                             f"got {s_in.shape}")
        r = (v0 + s_in - th * z - v_end) / th  # charge balance, in threshold units
        if np.any(r < -atol):
            raise ValueError(f"charge balance creates charge (up to {-r.min():.3g} thresholds):"
                             " total_current or v_init does not match the run")
        r = np.where(np.abs(r) < atol, 0.0, r)
    s = z + v + r - v0 / th  # total input in thresholds (consistent with the balance)

    def clip(x):
        return np.clip(x, 0, cap)

    settled = clip(z + np.floor(v))  # negative spikes + longer run: V settles in [0, th)
    lossless = clip(z + np.floor(v + r))  # = clip(floor(v0 + s)): the lost charge kept
    ideal = clip(np.floor(s + 0.5)) if levels else clip(s)  # pre-charge th/2: round
    input_part = ideal - target
    occasional = z - settled
    parts = {"occasional_i": np.maximum(occasional, 0.0),
             "occasional_ii": np.minimum(occasional, 0.0),
             "supra_threshold": settled - lossless,
             "sub_threshold": lossless - ideal,
             "rate_coding": input_part if from_input else np.zeros(z.shape),
             "propagated": np.zeros(z.shape) if from_input else input_part}
    return LayerNoise(z, target, v_end, s * th, r * th, settled, lossless, ideal, parts,
                      float(atol))


# -- tables and plots -----------------------------------------------------------------------


def noise_table(layers: Mapping[str, LayerNoise]) -> dict[str, dict[str, dict[str, float]]]:
    """Per-layer summary ``{layer: {category or "total": {"neurons", "abs_error", "error"}}}``.

    See :meth:`LayerNoise.summary`; layers keep their order.
    """
    return {name: noise.summary() for name, noise in layers.items()}


def format_table(table: Mapping, stat: str = "abs_error") -> str:
    """The table as aligned text: one row per layer, one column per category and the total.

    Cells show ``stat`` (``"neurons"``, ``"abs_error"`` or ``"error"``).
    """
    if stat not in STATS:
        raise ValueError(f"stat must be one of {STATS}, got {stat!r}")
    cols = [*CATEGORIES, "total"]
    width = max(len(c) for c in cols)
    name_w = max([5, *(len(n) for n in table)])
    lines = [f"{'layer':<{name_w}} " + " ".join(f"{c:>{width}}" for c in cols)]
    for name, row in table.items():
        lines.append(f"{name:<{name_w}} " + " ".join(f"{row[c][stat]:>{width}g}" for c in cols))
    return "\n".join(lines)


def plot_noise(table: Mapping, stat: str = "abs_error", ax=None, title: str | None = None):
    """Stacked bars per layer, one colour per noise category (:func:`snnlite.plot.bars`).

    Parameters
    ----------
    table : mapping
        From :func:`noise_table`.
    stat : {"abs_error", "error", "neurons"}
        What the bars show; signed ``"error"`` stacks the negative parts downwards.
    ax : Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
        Axes title.

    Returns
    -------
    Axes
    """
    from .. import plot

    if stat not in STATS:
        raise ValueError(f"stat must be one of {STATS}, got {stat!r}")
    if not table:
        raise ValueError("table must contain at least one layer")
    values = {c.replace("_", " "): [row[c][stat] for row in table.values()] for c in CATEGORIES}
    ylabel = {"abs_error": "summed |count error|", "error": "summed count error",
              "neurons": "neurons affected"}[stat]
    return plot.bars(values, ax=ax, layers=list(table), ylabel=ylabel, title=title)
