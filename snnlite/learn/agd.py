"""Build a spiking network for surrogate-gradient (AGD) training from an ANN description.

Panda et al. (2020) train SNNs "by approximate gradient descent": the network is the ANN with
every ReLU replaced by a population of LIF neurons unrolled over ``T`` steps, trained by BPTT
(§4.2-4.3). :func:`to_agd` does exactly that rewrite on an :class:`~snnlite.nn.Sequential`::

    ANN    conv - ReLU - pool - conv - ReLU - pool - flatten - linear - ReLU - linear
    AGD    enc(T) - conv - LIF - pool - conv - LIF - pool - flatten - linear - LIF - sum_T - linear

* ``enc(T)`` turns ``(B, ...)`` images into ``T*B`` rows: Poisson spikes (§4.1) or, for
  analog input, the same value at every step — then the first synapse, whose current is the
  same at every step, runs once per sample *before* the repeat (identical result, T times
  cheaper; its gradient is the sum over steps either way; the same holds for the synapse
  after the ReLU block of a hybrid network);
* every op before ``sum_T`` runs once on all ``T*B`` rows (layer-major);
* ``sum_T`` accumulates the last spiking layer's activity over the ``T`` steps; what follows
  (the classifier: a Linear layer, or a stochmax head) is non-spiking (§4.3).

With ``keep_relu=k`` the first ``k`` ReLUs stay: a *hybrid* network (§4.8) whose ReLU block
runs once per sample and whose output is repeated as the same real-valued current at every
step; gradients flow back through BPTT into the ReLU block. ``BackRes`` blocks are rewritten
inside (each unrolling gets its own spiking population, sharing the block's weights).

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from snnlite.learn.bptt import Spiking
from snnlite.learn.time_axis import Encoder, PoissonEncoder, Repeat, SumOverTime
from snnlite.neurons.surrogate import Surrogate
from snnlite.nn.activation import ReLU
from snnlite.nn.backres import BackRes
from snnlite.nn.conv import Conv2d
from snnlite.nn.linear import Linear
from snnlite.nn.module import Module, Sequential
from snnlite.snn.encoding import RATE_CODES, get_encoder

__all__ = ["to_agd"]


def _rewrite(module: Module, make_spiking) -> Module:
    """``module`` with every ReLU replaced by ``make_spiking()`` (in place inside copies)."""
    if isinstance(module, ReLU):
        return make_spiking()
    if isinstance(module, Sequential):
        module.layers = [_rewrite(layer, make_spiking) for layer in module.layers]
    elif isinstance(module, BackRes):
        module.map(lambda block: _rewrite(block, make_spiking))
    return module


def _contains(module: Module, kind: type) -> bool:
    return isinstance(module, kind) or any(_contains(c, kind) for _, c in module.children())


def to_agd(ann: Sequential, T: int, neuron=None, surrogate: Surrogate | None = None,
           encoder: str | Callable = "poisson", keep_relu: int = 0, mean: bool = False,
           detach_reset: bool = False, rng=None) -> Sequential:
    """The AGD (BPTT-trainable) spiking version of ``ann`` (a deep copy; ``ann`` is untouched).

    Parameters
    ----------
    ann : Sequential
        The network with ReLU activations, ending in a non-spiking classifier (at least one
        ReLU must come after the ReLU block of a hybrid network).
    T : int
        Time steps per sample.
    neuron : Neuron, optional
        Neuron of every spiking population: any trainable model (IF, LIF, QFFS; default
        ``LIF()``: alpha 0.99, v_th 1, soft reset).
    surrogate : Surrogate, optional
        Default :class:`~snnlite.neurons.surrogate.Triangle` (C4, gamma 0.3).
    encoder : str or callable, default "poisson"
        Input coding of a non-hybrid network (ignored when ``keep_relu > 0``): a rate code of
        the registry (:data:`snnlite.snn.encoding.RATE_CODES`: the ANN's input becomes a
        spike rate) or a callable ``f(x, T, *, rng=None)``. ``"analog"`` repeats the input
        as a current (the first synapse then runs once per sample).
    keep_relu : int, default 0
        Number of leading top-level ReLUs kept as ReLU (hybrid network, §4.8).
    mean : bool, default False
        Feed the classifier spike rates (sum / T) instead of spike counts.
    detach_reset : bool, default False
        See :class:`~snnlite.learn.bptt.Spiking`.
    rng : Generator, int or None
        Source of the encoder's random spikes.

    Returns
    -------
    Sequential
        ``[PoissonEncoder(T)]`` (another encoder: ``[Encoder(T, encoder)]``) or
        ``[ReLU block / first synapse + Repeat(T)]``, then the
        spiking layers, ``SumOverTime(T)`` and the classifier.

    Raises
    ------
    TypeError
        If ``ann`` is not a Sequential.
    ValueError
        For an unknown encoder or a name that is not a rate code (``"latency"``), or when
        ``keep_relu`` leaves no ReLU to become spiking or points inside a nested module.

    Examples
    --------
    >>> from snnlite import nn
    >>> ann = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))
    >>> to_agd(ann, T=5).layers[-2:]
    [SumOverTime(T=5, mean=False), Linear(8, 3, bias=True)]
    """
    if not isinstance(ann, Sequential):
        raise TypeError(f"ann must be an nn.Sequential, got {type(ann).__name__}")
    get_encoder(encoder)  # an unknown name or a non-callable raises here
    if isinstance(encoder, str) and encoder not in RATE_CODES:
        raise ValueError(f"encoder must be a rate code {RATE_CODES} or a callable, got "
                         f"{encoder!r} (it does not code the input in its spike count)")
    layers = list(copy.deepcopy(ann).layers)
    relus = [i for i, layer in enumerate(layers) if isinstance(layer, ReLU)]
    if keep_relu < 0 or keep_relu > len(relus):
        raise ValueError(f"keep_relu must be in 0..{len(relus)} (top-level ReLUs), "
                         f"got {keep_relu}")
    if keep_relu or encoder == "analog":
        # the synapse after the ReLU block (or the analog input) sees the same input at every
        # step: run everything up to the next activation once, before the repeat
        begin = relus[keep_relu - 1] + 1 if keep_relu else 0
        start = next((i for i in range(begin, len(layers)) if _contains(layers[i], ReLU)),
                     len(layers))
    else:
        start = 0
    if any(_contains(layer, ReLU) for layer in layers[:start] if not isinstance(layer, ReLU)):
        raise ValueError("the ReLU block of a hybrid network must not contain nested ReLUs")

    def make_spiking() -> Spiking:
        return Spiking(T, copy.deepcopy(neuron), surrogate, detach_reset)

    body = [_rewrite(layer, make_spiking) for layer in layers[start:]]
    spiking = [i for i, layer in enumerate(body) if _contains(layer, Spiking)]
    if not spiking:
        raise ValueError("no ReLU left to become spiking: the AGD network needs at least one")
    body.insert(spiking[-1] + 1, SumOverTime(T, mean))
    if encoder != "analog" and not keep_relu:
        head = [PoissonEncoder(T, rng=rng) if encoder == "poisson"
                else Encoder(T, encoder, rng=rng)]
        if isinstance(body[0], Conv2d | Linear):
            body[0].input_grad = False  # nothing before the random encoder needs a gradient
    else:
        head = layers[:start] + [Repeat(T)]
    return Sequential(*head, *body)
