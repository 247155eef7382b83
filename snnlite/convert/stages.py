"""Splitting a ReLU network into the stages that become spiking layers.

A *stage* is a run of linear ops (``Conv2d``, ``Linear``, ``AvgPool2d``, ``Flatten``)
closed by a ReLU-like activation (a spiking population) or by the end of the network (the
readout). ``Dropout`` is the identity at inference and is dropped; ``BatchNorm`` is folded
into the op before it. Anything else cannot be converted by the classic methods and raises.

A :class:`~snnlite.nn.BackRes` block of ``n`` unrollings is expanded in application order
(spec §4.5, BackRes conversion): each unrolling's activations become stages of their own,
so every unrolling gets its own IF population and threshold while the synapses hold the
same (shared) weights. ``ChannelSelect`` ``"mean"`` / ``"random"`` between unrollings are
linear ops of the next synapse. A final :class:`~snnlite.nn.StochMax` head is the readout
(its classifier and keep layers both read the last spiking stage, §4.7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_samples
from ..nn.activation import ClippedReLU, Flatten, ReLU
from ..nn.backres import ChannelSelect, applied
from ..nn.batches import batches
from ..nn.conv import Conv2d
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.module import Module, Sequential
from ..nn.norm import BatchNorm
from ..nn.pool import AvgPool2d
from ..nn.stochmax import StochMax
from .bn_fold import fold_batchnorm

__all__ = ["Stage", "split_stages", "stage_activations", "stage_outputs"]

_LINEAR = (Conv2d, Linear, AvgPool2d, Flatten)
_ACTIVATIONS = (ReLU, ClippedReLU)


@dataclass
class Stage:
    """Linear ops followed by an activation (None for the final, readout stage).

    ``path`` names the activation like ``named_parameters`` does (``"2.block.1"`` = layer 1
    of the block of ``model.layers[2]``; the last op's path for the readout) and ``unroll``
    holds one ``"k/n"`` per enclosing BackRes (unrolling ``k`` of ``n``, outermost first).
    """

    ops: list[Module]
    activation: Module | None
    path: str = ""
    unroll: tuple[str, ...] = ()

    @property
    def synapse(self) -> Module:
        """The ops as one module (a single op, or an ``nn.Sequential``)."""
        return self.ops[0] if len(self.ops) == 1 else Sequential(*self.ops)

    @property
    def label(self) -> str:
        """``path`` plus ``[k/n]`` per unrolling, for example ``"2.block.1[3/4]"``."""
        return self.path + "".join(f"[{u}]" for u in self.unroll)


def _linear(layer: Module) -> bool:
    return isinstance(layer, _LINEAR) or (isinstance(layer, ChannelSelect)
                                          and layer.mode in ("mean", "random"))


def split_stages(model: Sequential) -> list[Stage]:
    """Fold BatchNorm, drop Dropout, unroll BackRes blocks, and cut after every activation.

    Raises
    ------
    ValueError
        For an op that the classic conversion cannot map (for example ``MaxPool2d``: use the
        event-based max-pool of the QFFS converter; a ``ChannelSelect("topk")``, which is not
        linear), an activation with no op before it, a ``StochMax`` head that is not the last
        layer, or a network that does not end in a linear op.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"expected an nn.Sequential, got {type(model).__name__}")
    flat = list(applied(model))
    folded = fold_batchnorm(Sequential(*[layer for layer, _, _ in flat])).layers
    meta = [(path, unroll) for layer, path, unroll in flat if not isinstance(layer, BatchNorm)]
    stages, ops = [], []
    for j, (layer, (path, unroll)) in enumerate(zip(folded, meta, strict=True)):
        if isinstance(layer, Dropout):
            continue
        if isinstance(layer, StochMax) and j != len(folded) - 1:
            raise ValueError(f"layer {path} (StochMax) must be the last layer: it is the "
                             "non-spiking readout head")
        if _linear(layer) or isinstance(layer, StochMax):
            ops.append(layer)
        elif isinstance(layer, _ACTIVATIONS):
            if not any(isinstance(op, (Conv2d, Linear, AvgPool2d)) for op in ops):
                raise ValueError(f"layer {path} ({layer!r}) has no weighted op before it")
            stages.append(Stage(ops, layer, path, unroll))
            ops = []
        else:
            raise ValueError(f"layer {path} ({layer!r}) cannot be converted to IF neurons; "
                             f"convertible: {[c.__name__ for c in _LINEAR + _ACTIVATIONS]}, "
                             "Dropout, BatchNorm (folded), BackRes of those, "
                             "ChannelSelect('mean' | 'random'), a final StochMax head")
    if not any(isinstance(op, (Conv2d, Linear, StochMax)) for op in ops):
        raise ValueError("the network must end with a Conv2d, Linear or StochMax readout layer")
    stages.append(Stage(ops, None, meta[-1][0] if meta else "", ()))
    return stages


def stage_activations(stages: list[Stage], x: np.ndarray, batch_size: int = 256):
    """Yield, batch by batch, the list of every stage's output for inputs ``x``.

    The activations of stage ``l`` are ``act(ops(previous))``; the last stage yields its
    logits. Used by the data-based normalisation and by response-curve plots.

    Raises
    ------
    ValueError
        If ``x`` is empty, has an integer dtype (scale images with
        :func:`snnlite.datasets.to_float`) or holds NaN/inf, or ``batch_size`` is not an
        integer >= 1 (checked at the call, not on first use).
    """
    return _activations(stages, batches(check_samples(x, "x"), None, batch_size))


def _activations(stages: list[Stage], parts):
    for h in parts:
        outs = []
        for stage in stages:
            for op in stage.ops:
                h = op.forward(h)
            if stage.activation is not None:
                h = stage.activation.forward(h)
            outs.append(h)
        yield outs


def stage_outputs(stages: list[Stage], x: np.ndarray, batch_size: int = 256) -> list[np.ndarray]:
    """Every stage's output for all inputs ``x``, one array ``(N, ...)`` per stage."""
    return [np.concatenate(parts) for parts in zip(*stage_activations(stages, x, batch_size),
                                                   strict=True)]
