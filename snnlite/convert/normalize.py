"""Data-based normalisation (B10-B12): ReLU network -> IF network with reset by subtraction.

Also :func:`build_network` (shared with threshold balancing) and :class:`StochMaxReadout`, the
non-spiking readout of a :class:`~snnlite.nn.StochMax` head (spec §4.7: stochmax with
conversion).
"""

from __future__ import annotations

import copy

import numpy as np

from .._validate import check_fitted
from ..neurons import IF
from ..nn.module import Sequential
from ..nn.stochmax import EPS, StochMax, log_keep
from ..snn.layers import Readout, SpikingLayer, split_bias
from ..snn.network import SpikingNetwork
from .stages import split_stages, stage_activations

__all__ = ["DataNormalization", "StochMaxReadout", "build_network"]


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


class StochMaxReadout(Readout):
    """Non-spiking readout of a StochMax head (C7 test-time scores from accumulated currents).

    Two accumulators integrate the classifier current ``I_o(t)`` and the keep current
    ``I_k(t)`` (both from the last spiking layer, as :class:`~snnlite.snn.Readout` does);
    at step ``t`` (1-based) their averages estimate the ANN's ``o`` and ``logit rho``, and
    the output is ``t`` times the ANN's test-time score::

        output(t) = sum_{tau<=t} I_o(tau) + t * log(sigmoid(sum_{tau<=t} I_k(tau) / t) + eps)

    so its argmax is that of ``rho * exp(o)`` for the rate estimates, and with ``rho = 1``
    it equals a plain Readout's output (up to ``t * log(1 + eps)``).

    Parameters
    ----------
    synapse, keep_synapse : nn.Module
        Linear ops giving the classifier and the keep-logit currents.
    bias, keep_bias : ndarray, optional
        Their biases (split off the synapses when omitted).
    eps : float
        ``eps`` of C7.
    name : str, optional
        Layer name.
    """

    def __init__(self, synapse, keep_synapse, *, bias=None, keep_bias=None, eps: float = EPS,
                 name: str | None = None):
        super().__init__(synapse, bias=bias, name=name)
        self.keep = Readout(keep_synapse, bias=keep_bias,
                            name=None if name is None else f"{name}.keep")
        self.eps = float(eps)

    def chain(self, amplitude: float) -> float:
        self.keep.chain(amplitude)
        return super().chain(amplitude)

    def _score(self, o_sum: np.ndarray, k_sum: np.ndarray, steps: np.ndarray) -> np.ndarray:
        return (o_sum + steps * log_keep(k_sum / steps, self.eps)).astype(o_sum.dtype, copy=False)

    def forward_seq(self, x, ctx) -> np.ndarray:
        o_sum, k_sum = super().forward_seq(x, ctx), self.keep.forward_seq(x, ctx)
        steps = ctx.t0 + np.arange(1, len(o_sum) + 1).reshape((-1,) + (1,) * (o_sum.ndim - 1))
        return self._score(o_sum, k_sum, steps)

    def forward_step(self, x, t: int, ctx) -> np.ndarray:
        return self._score(super().forward_step(x, t, ctx), self.keep.forward_step(x, t, ctx),
                           np.asarray(t + 1))

    def __repr__(self) -> str:
        return f"StochMaxReadout({self.name}: {self.synapse!r}, keep={self.keep.synapse!r})"


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
