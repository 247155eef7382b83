"""Threshold balancing (Sengupta et al. 2019; spec §4.5): per-layer thresholds from spikes.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from .._validate import as_rng, check_fitted, check_int, check_samples
from ..nn.module import Sequential
from ..snn.context import RunContext
from ..snn.encoding import get_encoder
from ..snn.network import SpikingNetwork
from .normalize import build_network, check_finite_scale
from .stages import split_stages

__all__ = ["ThresholdBalancing"]


class ThresholdBalancing:
    """Set each IF layer's threshold to the largest input current it sees under Poisson input.

    Weights are kept as trained. Layer by layer (spec §4.5)::

        for l = 1..L:
            simulate layers < l with their balanced thresholds on Poisson-coded inputs
            v_th[l] = max over samples, steps and neurons of  sum_j w_ij x_j(t) + b_i / Lambda

    The spec's procedure (Sengupta et al.) is for bias-free networks; the ``b_i / Lambda`` term
    is our extension (not in the spec), the analogue of B11 (``B~ = B / lambda``). With biases,
    layer ``l``'s spikes stand for its activations divided by ``Lambda_l = v_th[1] ...
    v_th[l]``, so the next layer's bias is injected as ``b / Lambda_l`` (and the readout's
    weights are scaled by ``Lambda_{L-1}``); without this the converted network computes a
    different function.

    A :class:`~snnlite.nn.BackRes` block of ``n`` unrollings contributes one spiking layer
    (own IF population, own threshold) per unrolling, balanced in the order of the unrolled
    graph (spec §4.5, BackRes conversion): ``thresholds_`` has an entry per unrolling and
    ``labels_`` names it, for example ``"2.block.1[3/4]"`` = the ReLU ``block.layers[1]`` of
    ``model.layers[2]`` in unrolling 3 of 4.

    Parameters
    ----------
    T : int
        Steps simulated per sample while balancing (the paper uses 2000-2500).
    percentile : float
        100 for the maximum; lower values give a robust variant.
    reset : {"subtract", "zero"}
        Reset of the IF neurons of the result.
    chunk : int
        Steps simulated at once (memory grows with ``chunk * batch_size * neurons``).
    batch_size : int
        Samples simulated at once.
    encoder : str or callable, default "poisson"
        A name in the encoder registry (:data:`snnlite.snn.encoding.ENCODERS`) or a callable
        ``f(x, T, *, rng=None) -> (T, B, ...)``; signed Poisson (:func:`~snnlite.snn.poisson`)
        by default.
    rng : Generator, int or None
        Seed of the Poisson inputs; every layer's pass sees the same input spikes.
    progress : bool
        Show a progress bar over layers.

    Attributes
    ----------
    thresholds_ : ndarray, shape (L - 1,)
        The balanced threshold of every spiking layer, in order (unrolled order for BackRes;
        ``thresholds_[i]`` is the threshold of ``stages_[i]`` and of network layer ``if<i>``).
    labels_ : list of str
        ``stages_[i].label`` for every threshold: the model path of the stage's activation
        and ``[k/n]`` per enclosing BackRes unrolling.
    stages_ : list of Stage
        The ANN cut into stages (BatchNorm folded).
    """

    def __init__(self, T: int = 2000, percentile: float = 100.0, reset: str = "subtract",
                 chunk: int = 100, batch_size: int = 32, encoder="poisson", rng=0,
                 progress: bool = False):
        T, chunk = check_int("T", T), check_int("chunk", chunk)
        batch_size = check_int("batch_size", batch_size)  # 4.0 -> 4 (it is a range step)
        if not 0 < percentile <= 100:
            raise ValueError(f"percentile must be in (0, 100], got {percentile}")
        self.T, self.percentile, self.reset = T, percentile, reset
        self.chunk, self.batch_size, self.rng, self.progress = chunk, batch_size, rng, progress
        self.encoder = "poisson" if encoder is None else encoder
        get_encoder(self.encoder)  # an unknown name raises here, not after the first layer

    def fit(self, model: Sequential, x: np.ndarray) -> ThresholdBalancing:
        """Balance the thresholds on inputs ``x`` ``(N, ...)`` (values in [-1, 1]); return self.

        Raises the errors of :meth:`DataNormalization.fit
        <snnlite.convert.DataNormalization.fit>` for a bad ``model`` or ``x``.
        """
        x = check_samples(x, "x")
        stages = split_stages(model)
        n = len(stages)
        thresholds = np.ones(n)
        seed = int(as_rng(self.rng).integers(2**31))
        for layer in tqdm(range(n - 1), desc="balancing", disable=not self.progress):
            net = build_network(stages, thresholds, *_scales(thresholds), self.reset)
            thresholds[layer] = self._max_current(net, layer, x, seed)
            check_finite_scale(thresholds[layer], stages[layer])
        self.stages_ = stages
        self.thresholds_ = thresholds[:-1]
        self.labels_ = [stage.label for stage in stages[:-1]]
        return self

    def _max_current(self, net: SpikingNetwork, index: int, x: np.ndarray, seed: int) -> float:
        """Largest (or percentile) current into spiking layer ``index`` over all inputs."""
        rng, values, encode = np.random.default_rng(seed), [], get_encoder(self.encoder)
        target = net.layers[index]
        for start in range(0, len(x), self.batch_size):
            batch = x[start:start + self.batch_size]
            ctx = RunContext(self.T, np.dtype(np.float32))
            for t0 in range(0, self.T, self.chunk):  # the state carries over between chunks
                ctx.t0 = t0
                h = encode(batch, min(self.chunk, self.T - t0), rng=rng)
                for layer in net.layers[:index]:
                    h = layer.forward_seq(h, ctx)
                current = target.current_seq(h, ctx)
                values.append(current.ravel() if self.percentile < 100
                              else current.max(keepdims=True).ravel())
        return float(max(np.percentile(np.concatenate(values), self.percentile), 1e-12))

    def transform(self) -> SpikingNetwork:
        """The IF network with the balanced thresholds (weights as trained)."""
        check_fitted(self, "thresholds_", "transform()")
        thresholds = np.append(self.thresholds_, 1.0)
        return build_network(self.stages_, thresholds, *_scales(thresholds), self.reset)


def _scales(thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weight and bias scales of every stage for balanced ``thresholds`` (last entry: readout).

    Weights stay as trained, so the spikes of layer ``l`` stand for its ANN activation divided
    by ``Lambda_l = v_th[0] * ... * v_th[l]``. A bias must then be injected as
    ``b / Lambda_{l-1}`` to stay in proportion with the weighted input; the readout's weights
    are multiplied by ``Lambda_{L-1}`` (bias as trained) so that its accumulated current per
    step estimates the ANN's logits themselves (which a stochmax head needs).
    """
    # extension of §4.5 to biases, the analogue of B11 (B~ = B / lambda): not in the spec
    lam = np.concatenate([[1.0], np.cumprod(thresholds[:-1])])  # Lambda_{l-1} per stage
    weights, biases = np.ones(len(thresholds)), 1.0 / lam
    weights[-1], biases[-1] = lam[-1], 1.0
    return weights, biases
