"""All-integer conversion of Zou et al. 2024: quantized ANN -> dynamic-threshold SNN (A4-A12).

The ANN (for example from :mod:`snnlite.experiments.zou_models`) is a sequence of *stages*
``[Flatten | AvgPool2d ...] Conv2d|Linear [BatchNorm] MedianQuant`` (nested ``Sequential``
blocks are expanded, ``Dropout`` is skipped), then linear readout ops ending in the classifier.
Stage 1 is the encoding layer (A2), stages 2.. the hidden layers (A1). The SNN is::

    encoder  SpikingLayer(2^K W1, BurstEncoder(d1, b01, t_enc), amplitude 2^K)     (A6, A8)
    hidden   SpikingLayer(W_l, DynamicThreshold(d, b0, integer, S))                 (A4, A5, A7)
    readout  Readout(W_fc): outputs(t) = W_fc C_L(t)  (+ 2^K b_fc at the first step)

``W_l`` are the weights the ANN computes with (``ternarize(latent)`` for a ternary layer,
stored as floats), ``C_L(t)`` the accumulated spike count of the last spiking layer. Per output
channel, with the BatchNorm ``(gamma, beta, mu, sigma^2)`` and ``sigma' = sqrt(sigma^2 + eps)``
(a bias of the op is folded into ``mu``; a stage without BN has ``gamma = sigma' = 1``,
``beta = mu = 0``)::

    (A4) d   = sigma' / gamma
    (A5) b0  = d (1/2 - 2^K beta) + 2^K mu - d
    (A6) d1  = 2^K sigma' / gamma,   b01 = (1/2 - beta) d1 + 2^K mu - d1

Why it is lossless (spec §2.3): layer ``l - 1`` delivers, summed over time, ``2^K y`` spikes
(the encoder ``y1`` spikes of amplitude ``2^K``), so a hidden neuron's potential ends at
``m = 2^K z`` with ``z`` the ANN's pre-BN output; the ANN level is ``n`` iff
``m >= b0 + n d``, and the neuron's count moves to exactly that level once its input stops,
in whatever order the input arrived (§2.5, property 3). Exact ties excepted (§1, §6.4).

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .._validate import check_fitted, check_samples
from ..neurons import BurstEncoder, DynamicThreshold
from ..nn.activation import Flatten
from ..nn.conv import Conv2d
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.module import Module, Parameter, Sequential
from ..nn.norm import BatchNorm
from ..nn.pool import AvgPool2d
from ..nn.quant import MedianQuant, TernaryConv2d, TernaryLinear
from ..snn.event_conv import IntegerConv2d
from ..snn.layers import SpikingLayer, split_bias
from ..snn.network import SpikingNetwork
from ..snn.readouts import Readout
from ..snn.result import SimulationResult
from .bn_fold import fold_batchnorm

__all__ = ["ZouConverter", "ZouLayer", "flat_layers"]

_WEIGHTED = (Conv2d, Linear)
_SHAPE = (Flatten, AvgPool2d)
GAMMA_MODES = ("error", "flip")


def flat_layers(model: Module):
    """Yield the layers of ``model`` in order, nested ``Sequential`` blocks expanded."""
    for layer in (model.layers if isinstance(model, Sequential) else [model]):
        if isinstance(layer, Sequential):
            yield from flat_layers(layer)
        else:
            yield layer


@dataclass
class ZouLayer:
    """One layer of the converted network and the ANN modules it comes from.

    Attributes
    ----------
    name : str
        Its name in the SNN: ``"encoder"``, ``"hidden1"``, ..., ``"readout"``.
    index : int
        Position of its weighted op in the model (nested ``Sequential`` expanded).
    ops : list of Module
        The ANN modules before the BatchNorm (shape-only ops, then the weighted op); for the
        readout every op after the last quantizer.
    bn : BatchNorm or None
        The stage's BatchNorm (None: identity, and always None for the readout).
    quant : MedianQuant or None
        The stage's quantizer (None for the readout).
    synapse : Module or None
        The SNN's bias-free synapse, set by :meth:`ZouConverter.fit`: copies of the ops with
        the weights the ANN computes with (ternary weights as floats), sign-flipped (or zeroed)
        channels for ``gamma < 0`` (``gamma = 0``), times ``2^K`` for the encoder.
    bias : ndarray or None
        Readout only: ``2^K`` times the classifier bias, injected at the first step.
    """

    name: str
    index: int
    ops: list
    bn: BatchNorm | None
    quant: MedianQuant | None
    synapse: Module | None = None
    bias: np.ndarray | None = None


def _stage(flat: list, start: int, q: int, name: str) -> ZouLayer:
    """The stage ``flat[start:q]`` closed by the quantizer ``flat[q]``."""
    shape_ops, op, bn, index = [], None, None, -1
    for i in range(start, q):
        layer = flat[i]
        if isinstance(layer, Dropout):
            continue
        if op is None and isinstance(layer, _SHAPE):
            shape_ops.append(layer)
        elif op is None and isinstance(layer, _WEIGHTED):
            op, index = layer, i
        elif op is not None and bn is None and isinstance(layer, BatchNorm):
            bn = layer
        else:
            raise ValueError(f"model layer {i} ({layer!r}) cannot be converted: a Zou stage is "
                             "[Flatten|AvgPool2d ...] Conv2d|Linear [BatchNorm] MedianQuant")
    if op is None:
        raise ValueError(f"the MedianQuant at model layer {q} has no Conv2d or Linear before it")
    return ZouLayer(name, index, shape_ops + [op], bn, flat[q])


def _parse(model: Sequential) -> list[ZouLayer]:
    """Cut ``model`` into the encoder stage, the hidden stages and the readout."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be an nn.Sequential, got {type(model).__name__}")
    flat = list(flat_layers(model))
    quants = [i for i, layer in enumerate(flat) if isinstance(layer, MedianQuant)]
    if not quants:
        raise ValueError("the model has no MedianQuant: expected stages Conv2d|Linear "
                         "[BatchNorm] MedianQuant (A1, A2) and a classifier")
    layers, start = [], 0
    for n, q in enumerate(quants):
        layers.append(_stage(flat, start, q, "encoder" if n == 0 else f"hidden{n}"))
        start = q + 1
    tail = [(i, layer) for i, layer in enumerate(flat) if i >= start
            and not isinstance(layer, Dropout)]
    for i, layer in tail:
        if not isinstance(layer, _SHAPE + _WEIGHTED + (BatchNorm,)):
            raise ValueError(f"model layer {i} ({layer!r}) cannot be part of the readout: "
                             "expected Flatten, AvgPool2d, Conv2d, Linear or BatchNorm")
    weighted = [i for i, layer in tail if isinstance(layer, _WEIGHTED)]
    if not weighted:
        raise ValueError("the model must end with a Conv2d or Linear classifier after its "
                         "last MedianQuant")
    layers.append(ZouLayer("readout", weighted[-1], [layer for _, layer in tail], None, None))
    return layers


def _weight(op: Module) -> np.ndarray:
    """The weights ``op`` computes with: ``ternarize(latent)`` (as floats) for a ternary op."""
    if isinstance(op, (TernaryConv2d, TernaryLinear)) and op.ternary:
        return op.ternary_weight().astype(op.weight.data.dtype)
    return op.weight.data.copy()


def _plain(op: Module, weight: np.ndarray, bias: bool = False) -> Module:
    """A plain ``Conv2d`` / ``Linear`` with the geometry of ``op``, ``weight`` and (if
    ``bias``) a copy of ``op``'s bias."""
    if isinstance(op, Conv2d):
        new = Conv2d(op.in_channels, op.out_channels, op.kernel_size, op.stride, op.padding,
                     op.groups, bias=False, rng=0, dtype=weight.dtype)
    else:
        new = Linear(op.in_features, op.out_features, bias=False, rng=0, dtype=weight.dtype)
    new.weight = Parameter(weight)
    if bias and op.bias is not None:
        new.bias = Parameter(op.bias.data.copy())
    return new


def _bn_params(layer: ZouLayer):
    """``(gamma, beta, mu, sigma')`` per output channel as float64, the op's bias in ``mu``."""
    op = layer.ops[-1]
    n = op.out_channels if isinstance(op, Conv2d) else op.out_features
    bn = layer.bn
    if bn is None:
        gamma, beta, mean, sd = np.ones(n), np.zeros(n), np.zeros(n), np.ones(n)
    else:
        if bn.num_features != n:
            raise ValueError(f"{layer.name}: BatchNorm has {bn.num_features} channels, its op "
                             f"{op!r} has {n} outputs")
        stats = {"weight (gamma)": bn.weight.data, "bias (beta)": bn.bias.data,
                 "running_mean": bn.running_mean, "running_var": bn.running_var}
        for what, value in stats.items():
            if not np.isfinite(value).all() or (what == "running_var" and np.any(value < 0)):
                raise ValueError(f"{layer.name} (model layer {layer.index}): BatchNorm {what} "
                                 f"must be finite{' and >= 0' * (what == 'running_var')}, "
                                 f"got {value}")
        gamma, beta = (np.asarray(p.data, np.float64) for p in (bn.weight, bn.bias))
        mean = np.asarray(bn.running_mean, np.float64)
        sd = np.sqrt(np.asarray(bn.running_var, np.float64) + bn.eps)
    if op.bias is not None:
        mean = mean - op.bias.data
    return gamma, beta, mean, sd


class ZouConverter:
    """Convert Zou's quantized ANN into an all-integer SNN with dynamic thresholds (A4-A12).

    Parameters
    ----------
    k : int, optional
        Network quantization level ``K``. None (default): the ``k`` of the model's hidden
        ``MedianQuant`` layers (which must agree). A different ``k`` converts the ANN
        quantized at level ``k`` instead (the spikes then follow that ANN, not the model's).
    integer : bool, default False
        Integer mode (A7): hidden neurons keep ``int64`` state and integer thresholds
        ``d_int = round(S d)``, ``b0_int = round(S (b0 + d)) - d_int`` and add integer
        currents only. Needs integer (ternary) hidden weights and no average pool before a
        hidden layer. The encoding layer stays float, as in the authors' code.
    scale : int, default 10_000
        ``S`` of A7 (integer mode).
    events : bool, default True
        Integer mode: the hidden convolutions keep ``int8`` weights and compute the current
        of their spikes by scattering each spike's kernel into ``int32`` accumulators
        (:class:`~snnlite.snn.event_conv.IntegerConv2d`); False computes the same integer
        currents with float matrix products.
    t_enc : int, default 4
        Encoding window ``T_enc = 2^k0 B`` (A8); must equal the ``clip`` of the model's first
        quantizer (A2: ``k0 = 0``, ``B = 4``).
    gamma : {"error", "flip"}, default "error"
        BatchNorm channels with ``gamma <= 0`` break A4 (``d`` must be > 0). ``"error"``
        raises a ValueError naming the layer and the channel. ``"flip"`` repairs them
        exactly: for ``gamma < 0`` the channel's incoming weights are negated and ``gamma``,
        ``mu`` with them (``BN(z)`` is unchanged), which turns ``d``, ``b0`` of A4-A6 into
        ``-d``, ``-b0`` (now ``d > 0``); a channel with ``gamma = 0`` outputs the constant
        ANN level ``n`` of ``beta``: its weights are zeroed and ``(d, b0) = (1, -(n + 1))``
        (encoder: ``(1, -(n + 1/2))``) make it emit exactly ``n`` spikes.

    Attributes
    ----------
    k_ : int
        The ``K`` used.
    layers_ : list of ZouLayer
        Encoder, hidden layers, readout: the ANN modules and the SNN synapses.
    d_, b0_ : list of float64 arrays (C,)
        Per spiking layer (encoder first: ``d1``, ``b01`` of A6), the threshold step and base.
    neurons_ : list of Neuron
        The ``BurstEncoder`` and the ``DynamicThreshold`` neurons (``d_int``, ``b0_int`` in
        integer mode).
    flipped_, dead_ : list of int arrays
        Per spiking layer, the channels with ``gamma < 0`` / ``gamma = 0`` (``gamma="flip"``).

    Notes
    -----
    The readout accumulates ``W_fc C_L(t)``: once the counts have settled it equals ``2^K``
    times the ANN's logits (the same argmax). Run with ``net.run(x, T, t_in=1)`` (the image
    is presented at the first step only, A8) or :meth:`run`.

    In integer mode the hidden currents are int32 sums of int8 weights over the spike
    events (``events=True``), or float products (BLAS) that the neuron checks are integers;
    either way the neuron scales them by ``S`` into ``int64``. Sums of ternary weights times
    spikes are exact in float32 up to ``2^24``, so both give the same spikes.

    Examples
    --------
    >>> from snnlite.experiments.zou_models import zou_lenet          # doctest: +SKIP
    >>> conv = ZouConverter(integer=True).fit(zou_lenet(k=0))         # doctest: +SKIP
    >>> result = conv.run(images, T=8)                                 # doctest: +SKIP
    """

    def __init__(self, k: int | None = None, integer: bool = False, scale: int = 10_000,
                 t_enc: int = 4, gamma: str = "error", events: bool = True):
        if k is not None and (isinstance(k, bool) or int(k) != k or k < 0):
            raise ValueError(f"k must be None or an integer >= 0, got {k!r}")
        if isinstance(scale, bool) or int(scale) != scale or scale < 1:
            raise ValueError(f"scale must be a positive integer, got {scale!r}")
        if isinstance(t_enc, bool) or int(t_enc) != t_enc or t_enc < 1:
            raise ValueError(f"t_enc must be a positive integer, got {t_enc!r}")
        if gamma not in GAMMA_MODES:
            raise ValueError(f"gamma must be one of {GAMMA_MODES}, got {gamma!r}")
        self.k, self.events = (None if k is None else int(k)), bool(events)
        self.integer, self.scale, self.t_enc, self.gamma = bool(integer), int(scale), \
            int(t_enc), gamma

    # -- fit -------------------------------------------------------------------------------
    def fit(self, model: Sequential) -> ZouConverter:
        """Map the model's BatchNorm statistics to thresholds (A4-A7); return ``self``.

        Raises
        ------
        TypeError
            If ``model`` is not an ``nn.Sequential``.
        ValueError
            For a model that is not a sequence of Zou stages, hidden quantizers with
            different ``k`` or a clip, a first quantizer other than ``MedianQuant(0,
            clip=t_enc)``, ``gamma <= 0`` (``gamma="error"``), or, in integer mode, hidden
            weights that are not integers.
        """
        layers = _parse(model)
        encoder, hidden, readout = layers[0], layers[1:-1], layers[-1]
        first = encoder.quant
        if first.k != 0 or first.clip != self.t_enc:
            raise ValueError(f"the first quantizer must be MedianQuant(k=0, clip={self.t_enc}) "
                             f"(A2, t_enc={self.t_enc}), got {first!r}")
        for layer in hidden:
            if layer.quant.clip is not None:
                raise ValueError(f"{layer.name}: hidden quantizers do not clip (A1), "
                                 f"got {layer.quant!r}")
        levels = sorted({layer.quant.k for layer in hidden})
        if self.k is None and len(levels) > 1:
            raise ValueError(f"the hidden MedianQuant layers have different k {levels}; "
                             "pass k= to convert at one level")
        self.k_ = self.k if self.k is not None else (levels[0] if levels else 0)
        self.d_, self.b0_, self.neurons_, self.flipped_, self.dead_ = [], [], [], [], []
        for layer in layers[:-1]:
            self._map_layer(layer, layer is encoder)
        ops = [_plain(op, _weight(op), bias=True) if isinstance(op, _WEIGHTED)
               else copy.deepcopy(op) for op in readout.ops]
        readout.synapse, bias = split_bias(fold_batchnorm(Sequential(*ops)))
        readout.bias = None if bias is None else bias * bias.dtype.type(2**self.k_)
        self.layers_ = layers
        return self

    def _map_layer(self, layer: ZouLayer, first: bool) -> None:
        """Thresholds (A4-A6), the neuron and the synapse of one spiking layer."""
        gamma, beta, mean, sd = _bn_params(layer)
        op = layer.ops[-1]
        if self.gamma == "error" and np.any(gamma <= 0):
            c = int(np.flatnonzero(gamma <= 0)[0])
            raise ValueError(f"{layer.name} (model layer {layer.index}, {type(op).__name__}): "
                             f"BatchNorm gamma = {gamma[c]} <= 0 in channel {c}; the mapping "
                             "needs gamma > 0 (A4: d = sigma'/gamma). Use gamma='flip' to "
                             "flip the channel's sign")
        flip, dead = gamma < 0, gamma == 0
        mean = np.where(flip, -mean, mean)                    # z -> -z: gamma, mu change sign
        step = sd / np.where(dead, 1.0, np.abs(gamma))
        scale = 2.0**self.k_
        if first:
            d = scale * step                                  # A6
            b0 = (0.5 - beta) * d + scale * mean - d
            constant = -(layer.quant.levels(beta) + 0.5)      # gamma = 0: n = Q(beta) spikes
        else:
            d = step                                          # A4
            b0 = d * (0.5 - scale * beta) + scale * mean - d  # A5
            constant = -(MedianQuant(self.k_).levels(beta) + 1.0)
        d, b0 = np.where(dead, 1.0, d), np.where(dead, constant, b0)
        sign = np.where(flip, -1.0, np.where(dead, 0.0, 1.0))
        weight = _weight(op)
        weight = weight * sign.reshape((-1,) + (1,) * (weight.ndim - 1)).astype(weight.dtype)
        if first:
            weight = weight * weight.dtype.type(scale)        # m = 2^K W1 x (A8)
        elif self.integer:
            bad = [type(o).__name__ for o in layer.ops if isinstance(o, AvgPool2d)]
            if bad or not np.array_equal(weight, np.rint(weight)):
                raise ValueError(f"{layer.name} (model layer {layer.index}): integer mode "
                                 "needs integer (ternary) weights and no AvgPool2d before a "
                                 "hidden layer; build the model with ternary=True or use "
                                 "integer=False")
        plain = _plain(op, weight)
        if self.integer and not first and isinstance(plain, Conv2d) and plain.groups == 1 \
                and np.abs(weight).max(initial=0) <= 127:
            plain = IntegerConv2d(plain, events=self.events)  # int8 weights, int32 events
        shape_ops = [copy.deepcopy(o) for o in layer.ops[:-1]]
        layer.synapse = Sequential(*shape_ops, plain) if shape_ops else plain
        try:
            neuron = BurstEncoder(d, b0, self.t_enc) if first else DynamicThreshold(
                d, b0, integer=self.integer, scale=self.scale)
        except ValueError as err:
            raise ValueError(f"{layer.name} (model layer {layer.index}): {err}") from None
        self.d_.append(d)
        self.b0_.append(b0)
        self.neurons_.append(neuron)
        self.flipped_.append(np.flatnonzero(flip))
        self.dead_.append(np.flatnonzero(dead))

    # -- use -------------------------------------------------------------------------------
    def transform(self) -> SpikingNetwork:
        """The spiking network (a fresh object at every call); run it with ``t_in=1``."""
        check_fitted(self, "layers_", "transform()")
        encoder, *hidden, readout = self.layers_
        layers = [SpikingLayer(copy.deepcopy(encoder.synapse), self.neurons_[0],
                               amplitude=2.0**self.k_, name=encoder.name)]
        layers += [SpikingLayer(copy.deepcopy(layer.synapse), neuron, name=layer.name)
                   for layer, neuron in zip(hidden, self.neurons_[1:], strict=True)]
        layers.append(Readout(copy.deepcopy(readout.synapse), bias=readout.bias, bias_steps=1,
                              name=readout.name))
        return SpikingNetwork(layers)

    def run(self, x: np.ndarray, T: int, **kwargs) -> SimulationResult:
        """``self.transform().run(x, T, t_in=1, **kwargs)``: the image at step 1 only (A8).

        Raises
        ------
        TypeError
            If ``kwargs`` sets ``t_in`` or ``encoder`` (use :meth:`transform` for that).
        """
        for key in ("t_in", "encoder"):
            if key in kwargs:
                raise TypeError(f"ZouConverter.run presents x at the first step only and sets "
                                f"{key} itself; call transform().run(...) to choose {key}")
        check_fitted(self, "layers_", "run()")
        return self.transform().run(x, T, t_in=1, **kwargs)

    def ann_levels(self, x: np.ndarray) -> list[np.ndarray]:
        """Integer levels of the quantized ANN's spiking layers: the counts the SNN settles to.

        Encoder: ``y1`` in ``[0, t_enc]`` (A2); hidden layers: ``2^K y`` (A1, at ``K = k_``).

        Parameters
        ----------
        x : (B, ...) array
            Inputs.

        Returns
        -------
        list of int32 arrays, one ``(B, ...)`` per spiking layer.

        Raises
        ------
        ValueError
            If ``x`` is empty, holds NaN/inf or has an integer dtype (scale images with
            :func:`snnlite.datasets.to_float`).
        """
        check_fitted(self, "layers_", "ann_levels()")
        h, out = check_samples(x, "x"), []
        for i, layer in enumerate(self.layers_[:-1]):
            for op in layer.ops:
                h = op.forward(h)
            if layer.bn is not None:
                h = layer.bn.forward(h)
            quant = layer.quant if i == 0 else MedianQuant(self.k_)
            levels = quant.levels(h)
            out.append(levels)
            h = levels.astype(h.dtype) / h.dtype.type(2**quant.k)
        return out

    def __repr__(self) -> str:
        return (f"ZouConverter(k={self.k}, integer={self.integer}, scale={self.scale}, "
                f"t_enc={self.t_enc}, gamma={self.gamma!r}, events={self.events})")
