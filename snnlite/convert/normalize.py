"""Data-based normalisation (B10-B12): ReLU network -> IF network with reset by subtraction.

Also :func:`build_network` (shared with threshold balancing), which reads a
:class:`~snnlite.nn.StochMax` head out with :class:`~snnlite.snn.readouts.StochMaxReadout`
(spec §4.7: stochmax with conversion).

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import copy

import numpy as np

from .._validate import check_fitted
from ..neurons import IF
from ..nn.module import Sequential
from ..nn.stochmax import StochMax
from ..snn.layers import SpikingLayer, split_bias
from ..snn.network import SpikingNetwork
from ..snn.readouts import Readout, StochMaxReadout
from .stages import split_stages, stage_activations

__all__ = ["DataNormalization", "build_network"]


def build_network(stages, thresholds, weight_scales, bias_scales, reset: str = "subtract"):
    """Spiking network from ANN stages: scaled synapses, IF neurons, accumulating readout.

    Stage ``l``'s op weights are multiplied by ``weight_scales[l]``, its bias by
    ``bias_scales[l]``; spiking stage ``l`` gets threshold ``thresholds[l]``. A final stage
    ending in a ``StochMax`` head becomes a :class:`StochMaxReadout` (both of its linear
    layers scaled like a readout). The unrollings of a BackRes block are separate stages:
    the same weights (copied per stage, since each may be scaled differently), their own
    IF population and threshold (spec §4.5).
    """
    layers = []
    for i, stage in enumerate(stages):
        if stage.activation is None and isinstance(stage.ops[-1], StochMax):
            head, prefix = stage.ops[-1], stage.ops[:-1]
            o, o_bias = _scaled(Sequential(*prefix, head.classifier), weight_scales[i],
                                bias_scales[i])
            k, k_bias = _scaled(Sequential(*prefix, head.keep), weight_scales[i],
                                bias_scales[i])
            layers.append(StochMaxReadout(o, k, bias=o_bias, keep_bias=k_bias, eps=head.eps,
                                          name=f"out{i}"))
            continue
        synapse, bias = _scaled(stage.synapse, weight_scales[i], bias_scales[i])
        if stage.activation is None:
            layers.append(Readout(synapse, bias=bias, name=f"out{i}"))
        else:
            layers.append(SpikingLayer(synapse, IF(threshold=float(thresholds[i]), reset=reset),
                                       bias=bias, name=f"if{i}"))
    return SpikingNetwork(layers)


def _scaled(synapse, w_scale: float, b_scale: float):
    """Copy of ``synapse`` without bias, weights times ``w_scale``; its bias times ``b_scale``."""
    synapse, bias = split_bias(copy.deepcopy(synapse))
    for p in synapse.parameters():
        p.data = (p.data * w_scale).astype(p.data.dtype)
    return synapse, None if bias is None else (bias * b_scale).astype(bias.dtype)


def check_finite_scale(value: float, stage) -> None:
    """Raise a ValueError if the calibrated ``value`` (lambda or threshold) is not finite."""
    if not np.isfinite(value):
        raise ValueError(f"the calibration of stage {stage.label!r} on x gave {value}: the "
                         f"model's weights hold NaN/inf or x is too large for the model")


class DataNormalization:
    """Convert a ReLU network by data-based normalisation (Diehl 2015, Rueckauer 2017; B10-B12).

    ``lambda_l`` is the maximum (or a high percentile) of stage ``l``'s ANN activations on
    calibration data; the spiking network uses ``W~_l = W_l * lambda_{l-1} / lambda_l``,
    ``B~_l = B_l / lambda_l`` and threshold 1, with analog input (``lambda_0 = 1``: the
    input is fed unscaled) and IF neurons with reset by subtraction. The readout accumulates
    ``W_L * lambda_{L-1} s + B_L`` (its argmax is unchanged by the missing ``1/lambda_L``).

    Parameters
    ----------
    percentile : float
        100 for the maximum; 99.9 or 99.99 are robust alternatives (Rueckauer 2017).
    reset : {"subtract", "zero"}
        Reset of the IF neurons (subtraction avoids supra-threshold noise, spec §3.4).

    Attributes
    ----------
    scales_ : ndarray, shape (L - 1,)
        ``lambda_l`` for every spiking stage.
    stages_ : list of Stage
        The ANN cut into stages (BatchNorm folded).

    Examples
    --------
    >>> conv = DataNormalization(percentile=99.9).fit(ann, x_calib)   # doctest: +SKIP
    >>> snn = conv.transform()                                         # doctest: +SKIP
    """

    def __init__(self, percentile: float = 100.0, reset: str = "subtract"):
        if not 0 < percentile <= 100:
            raise ValueError(f"percentile must be in (0, 100], got {percentile}")
        self.percentile, self.reset = percentile, reset

    def fit(self, model: Sequential, x: np.ndarray, batch_size: int = 256) -> DataNormalization:
        """Measure ``scales_`` on calibration inputs ``x`` ``(N, ...)``; return ``self``.

        Raises
        ------
        TypeError
            If ``model`` is not an ``nn.Sequential``.
        ValueError
            If ``x`` is empty, has an integer dtype (scale images with
            :func:`snnlite.datasets.to_float`) or holds NaN/inf, if ``batch_size`` is not an
            integer >= 1, if the model cannot be split into stages, or if an activation
            is not finite (NaN weights, or ``x`` too large for the model).
        """
        stages = split_stages(model)
        activations = stage_activations(stages, x, batch_size)  # checks x and batch_size
        n = len(stages) - 1
        per_batch = [[] for _ in range(n)]
        for outs in activations:
            for i in range(n):
                a = outs[i].ravel()
                per_batch[i].append(a if self.percentile < 100 else a.max(keepdims=True))
        scales = [np.percentile(np.concatenate(v), self.percentile) for v in per_batch]
        for stage, scale in zip(stages, scales, strict=False):
            check_finite_scale(scale, stage)
        self.stages_ = stages
        self.scales_ = np.maximum(np.asarray(scales, np.float64), 1e-12)
        return self

    def transform(self, reset: str | None = None) -> SpikingNetwork:
        """The spiking network (a fresh object at every call).

        Parameters
        ----------
        reset : {"subtract", "zero"}, optional
            Override the estimator's reset mode for this network (no refit needed).
        """
        check_fitted(self, "scales_", "transform()")
        lam = np.concatenate([[1.0], self.scales_, [1.0]])
        w = [lam[i] / lam[i + 1] for i in range(len(self.stages_))]
        b = [1.0 / lam[i + 1] for i in range(len(self.stages_))]
        return build_network(self.stages_, np.ones(len(self.stages_)), w, b,
                             reset or self.reset)
