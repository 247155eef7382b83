"""QFFS conversion (Li, Ma & Furber 2022; B17-B22): LSQ-quantized ANN -> QFFS spiking network.

Canonical mapping of spec ``seeds-spec.md`` §3.6 (INFERRED form), for a population closed by
``LSQ`` with step size ``s_l`` and ``b_l`` bits, and ``b`` the hidden layers' bit width::

    (B17) W~_l = W_l                         weights copied (BatchNorm folded first)
    (B18) B~_l = B_l  for t <= T_in          bias injected for the first T_in steps only
          network input: analog x for t <= T_in, then 0
    (B19) th_l = T_in * s_l,  T_in = 2**b - 1 (the output layer uses the same T_in)
    (B20) Z_max_l = 2**b_l - 1               (2**b - 1 hidden, 2**b_out - 1 output)
          amplitude a_l = th_l               (the next layer's current is W~ a_l z_l)

Summed over time a population receives ``T_in * u_l`` (``u_l = W_l y_{l-1} + B_l``, since
``a_{l-1} Z_{l-1} = T_in s_{l-1} Z_{l-1} = T_in y_{l-1}``) against the threshold
``T_in * s_l``; with the pre-charge ``th/2`` its settled count is
``clip(round_half_up(u_l / s_l), 0, Z_max)``, the quantized ANN level (lossless conversion;
the ANN rounds half to even, so the two differ only on exact ties). The simulation must run
past ``T_in`` so that late and corrective (negative) spikes propagate: every population
settles within about ``Z_max + 1`` steps after the one feeding it.

Layers: ``Conv2d``/``Linear`` [``BatchNorm``] ``LSQ`` -> QFFS population;
``AvgPool2d``, ``Flatten`` -> part of the next synapse; ``MaxPool2d`` (after an LSQ) ->
:class:`~snnlite.snn.EventMaxPool` (Algorithm 2; ``pool="naive"``: the per-step max of
spikes; ``pool="avg"``: replaced by an average pool folded into the next synapse, an
ablation that no longer matches the ANN); ``Dropout`` -> skipped; ``ResidualBlock`` ->
:class:`~snnlite.snn.Residual`. The last layer is either a population (``LSQ`` output,
read out by :class:`~snnlite.snn.readouts.CountReadout`: net count, then membrane,
then lowest index) or a float ``Linear``/``Conv2d`` (a
:class:`~snnlite.snn.Readout` accumulating ``T_in`` times the ANN logits, bias for
``t <= T_in``).

Residual blocks (spec §3.6 "other INFERRED conversion details", §7: UNKNOWN in the paper;
snnlite's choice): ``ResidualBlock(branch, shortcut, LSQ)`` adds in the *current* domain.
The post-addition neuron is the population closing the branch's last op, with the block's
``LSQ`` threshold; the shortcut's input spikes, times their amplitude (the block input's
threshold, or the analog input), join its input current::

    I_post(t) = a_branch W_last z_branch(t) + a_in S(z_in(t)) + (B_last + B_S) 1[t <= T_in]

with ``S`` the shortcut's linear op (identity when None; a shortcut ``Conv2d`` + BatchNorm
is folded and its bias ``B_S`` injected with the branch's). Summed over time this is
``T_in * (branch(y) + S(y_in))``, exactly what the ANN quantizes, so the residual network
converts losslessly too.

Bit widths: with ``t_in=None``, ``T_in = 2**b - 1`` needs one hidden bit width ``b``
(a network without hidden populations uses its output's); mixed hidden widths raise
``ValueError`` unless ``t_in`` is given, in which case ``th_l = t_in * s_l`` for every
layer (still lossless: only the product matters).

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import numpy as np

from .._validate import check_fitted, check_samples
from ..neurons import QFFS
from ..nn.activation import ClippedReLU, Flatten, ReLU
from ..nn.conv import Conv2d
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.lsq import LSQ
from ..nn.module import Module, Sequential
from ..nn.pool import AvgPool2d, MaxPool2d
from ..nn.residual import ResidualBlock
from ..snn.layers import SpikingLayer, split_bias
from ..snn.maxpool import EventMaxPool
from ..snn.network import SpikingNetwork
from ..snn.readouts import CountReadout, Readout
from ..snn.residual import Residual
from ..snn.result import SimulationResult
from .bn_fold import fold_batchnorm
from .stages import Stage

__all__ = ["QFFSConverter", "qann_levels"]

_WEIGHTED = (Conv2d, Linear, AvgPool2d)
_LINEAR = _WEIGHTED + (Flatten,)
_POOLS = ("event", "naive", "avg")


@dataclass
class _Block:
    """A residual block of the conversion plan: the branch's plan, whose last item is the
    post-addition :class:`Stage`, and the (BatchNorm-folded) shortcut op or None."""

    branch: list
    shortcut: Module | None


def qann_levels(model: Module, x: np.ndarray, *, return_inputs: bool = False):
    """Integer levels of every LSQ layer of the quantized ANN (eval mode).

    Parameters
    ----------
    model : nn.Module
        Usually an ``nn.Sequential``, possibly with :class:`~snnlite.nn.ResidualBlock`\\ s.
    x : ndarray
        A batch of inputs ``(B, ...)``.
    return_inputs : bool, default False
        Also return each LSQ's input ``u`` (for tie checks: ``u / s`` near ``k + 1/2``).

    Returns
    -------
    levels : list of int32 ndarray
        ``clip(round_half_even(u / s), 0, Q_P)`` per LSQ, shape ``(B, ...)`` of its input, in
        depth-first order (a block's branch, then its shortcut, then its activation) -- the
        order of :attr:`QFFSConverter.names_`.
    inputs : list of ndarray
        Only with ``return_inputs``: the ``u`` of every LSQ, same order.

    Raises
    ------
    ValueError
        If ``x`` is empty, holds NaN/inf or has an integer dtype (scale images with
        :func:`snnlite.datasets.to_float`).
    """
    found = []
    _qann_walk(model, check_samples(x, "x"), found)
    levels = [lsq.levels(u) for lsq, u in found]
    return (levels, [u for _, u in found]) if return_inputs else levels


def _qann_walk(module: Module, h: np.ndarray, found: list) -> np.ndarray:
    """Eval-mode forward of ``module`` that appends ``(lsq, input)`` of every LSQ to ``found``."""
    if isinstance(module, Sequential):
        for layer in module:
            h = _qann_walk(layer, h, found)
        return h
    if isinstance(module, ResidualBlock):
        y = _qann_walk(module.branch, h, found)
        y = y + (h if module.shortcut is None else _qann_walk(module.shortcut, h, found))
        return y if module.activation is None else _qann_walk(module.activation, y, found)
    if isinstance(module, LSQ):
        found.append((module, h))
    return module.forward(h)


def _folded(model: Sequential) -> Sequential:
    """``model`` with every BatchNorm folded into the op before it, inside blocks too."""
    layers = []
    for layer in model:
        if isinstance(layer, ResidualBlock):
            branch = layer.branch if isinstance(layer.branch, Sequential) \
                else Sequential(layer.branch)
            shortcut = layer.shortcut
            if isinstance(shortcut, Sequential) and not len(shortcut):
                shortcut = None  # an empty Sequential is the identity
            if shortcut is not None:
                shortcut = _folded(shortcut if isinstance(shortcut, Sequential)
                                   else Sequential(shortcut))
            layer = ResidualBlock(_folded(branch), shortcut, layer.activation)
        layers.append(layer)
    return fold_batchnorm(Sequential(*layers))


def _stages(plan: list):
    """The Stages of ``plan`` in simulation order (residual branches expanded)."""
    for item in plan:
        if isinstance(item, Stage):
            yield item
        elif isinstance(item, _Block):
            yield from _stages(item.branch)


def _check_synapse(ops: list, where: str) -> None:
    """Raise ValueError unless only the last op of a synapse carries a bias."""
    try:
        split_bias(ops[0] if len(ops) == 1 else Sequential(*ops))
    except ValueError as err:
        raise ValueError(f"{where}: {err} (the bias is injected into the neurons, so it must "
                         f"come from the last Conv2d/Linear before the activation)") from None


class QFFSConverter:
    """Convert an LSQ-quantized ANN into a QFFS spiking network (spec §3.6, B17-B22).

    Parameters
    ----------
    t_in : int, optional
        Steps ``T_in`` with analog input and biases; ``2**b - 1`` (``b`` the hidden bit
        width) when None. Thresholds are ``t_in * s``.
    negative : bool, default True
        Negative spikes (ablation: False).
    precharge : bool, default True
        Pre-charge ``V(0) = th / 2`` (ablation: False, the IF floor instead of rounding).
    cap : bool, default True
        Spike cap ``Z_max = 2**b_l - 1`` (ablation: False, ``z_max=None``).
    pool : {"event", "naive", "avg"}, default "event"
        How ``MaxPool2d`` is mapped: event-based max-pool (Algorithm 2), the naive per-step
        max of spikes, or an average pool (both ablations).

    Attributes
    ----------
    stages_ : list of Stage
        One per population in simulation order (``activation`` is its LSQ), then, for a
        float output layer, the readout stage (``activation`` None). BatchNorm is folded.
    names_ : list of str
        Layer names of the populations in the network (``"qffs0"``, ...), the order of
        :func:`qann_levels`; pools are ``"pool<k>"``, residual blocks ``"res<k>"``, a float
        readout ``"out"``.
    thresholds_ : ndarray of float64, shape (P,)
        ``th_l = T_in * s_l`` per population (B19); also the spike amplitudes.
    z_max_ : list of int or None
        ``2**b_l - 1`` per population (B20); None everywhere with ``cap=False``.
    bits_ : ndarray of int, shape (P,)
        LSQ bits ``b_l`` per population.
    t_in_ : int
        ``T_in``: pass ``t_in=t_in_`` to ``SpikingNetwork.run`` (or use :meth:`run`).

    Raises
    ------
    ValueError
        For an unknown ``pool`` or a bad ``t_in``; from :meth:`fit` for a layer that cannot
        be converted (an activation other than LSQ, a max-pool that does not follow an LSQ,
        a residual branch that does not end in a weighted op, a non-linear shortcut) or mixed
        hidden bit widths with ``t_in=None``.
    TypeError
        If a flag is not a bool, or the model is not an ``nn.Sequential``.
    RuntimeError
        From :meth:`fit` if an LSQ step size was never initialised; from :meth:`transform`
        before :meth:`fit`.

    Examples
    --------
    >>> conv = QFFSConverter().fit(qann)                         # doctest: +SKIP
    >>> res = conv.run(x, T=conv.t_in_ + 8)                      # doctest: +SKIP
    >>> res.predictions()[-1]                                   # doctest: +SKIP
    """

    def __init__(self, t_in: int | None = None, negative: bool = True, precharge: bool = True,
                 cap: bool = True, pool: str = "event"):
        if t_in is not None and (isinstance(t_in, bool) or not isinstance(
                t_in, (int, np.integer)) or t_in < 1):
            raise ValueError(f"t_in must be None or an integer >= 1, got {t_in!r}")
        for name, flag in (("negative", negative), ("precharge", precharge), ("cap", cap)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {flag!r}")
        if pool not in _POOLS:
            raise ValueError(f"pool must be one of {_POOLS}, got {pool!r}")
        self.t_in, self.negative, self.precharge, self.cap = t_in, negative, precharge, cap
        self.pool = pool

    # -- fit -------------------------------------------------------------------------------
    def fit(self, model: Sequential) -> QFFSConverter:
        """Fold BatchNorm, map every layer, derive thresholds and caps; return ``self``.

        The model is copied: training it further does not change a fitted converter.
        """
        if not isinstance(model, Sequential):
            raise TypeError(f"expected an nn.Sequential, got {type(model).__name__}")
        plan, ops = self._plan(_folded(copy.deepcopy(model)).layers, "layer ", False)
        if any(isinstance(op, _WEIGHTED) for op in ops):
            _check_synapse(ops, "output layer")
            plan.append(Stage(ops, None))  # float output layer -> Readout
        stages = list(_stages(plan))
        lsqs = [stage.activation for stage in stages if stage.activation is not None]
        if not lsqs:
            raise ValueError("QFFS needs LSQ activations: the model has no LSQ layer")
        for lsq in lsqs:
            lsq._s()  # RuntimeError if a step size was never initialised
        output_spiking = isinstance(plan[-1], Stage) and plan[-1].activation is not None
        self.t_in_ = self._steps_in(lsqs[:-1] if output_spiking else lsqs, lsqs[-1])
        self._plan_, self.stages_ = plan, stages
        self.names_ = [f"qffs{i}" for i in range(len(lsqs))]
        self.bits_ = np.array([lsq.bits for lsq in lsqs])
        self.thresholds_ = np.array([self.t_in_ * float(lsq.step.data) for lsq in lsqs])
        self.z_max_ = [lsq.q_p if self.cap else None for lsq in lsqs]
        return self

    def _steps_in(self, hidden: list, output: LSQ) -> int:
        """``T_in``: ``t_in`` if given, else ``2**b - 1`` for the single hidden width ``b``."""
        if self.t_in is not None:
            return int(self.t_in)
        widths = sorted({lsq.bits for lsq in hidden}) or [output.bits]
        if len(widths) > 1:
            raise ValueError(f"mixed hidden-layer bit widths {widths}: T_in = 2**b - 1 is "
                             f"undefined; pass t_in=... (thresholds become t_in * s)")
        return 2 ** widths[0] - 1

    def _plan(self, layers: list, where: str, spikes_in: bool) -> tuple[list, list]:
        """Map ``layers``: a plan (Stage, MaxPool2d, _Block items) and the trailing ops.

        ``spikes_in`` tells whether the input of ``layers`` is spikes (False: analog input).
        """
        plan, ops = [], []
        for i, layer in enumerate(layers):
            at = f"{where}{i} ({layer!r})".replace("\n", " ")
            if isinstance(layer, Dropout):
                continue
            if isinstance(layer, MaxPool2d) and self.pool == "avg":
                layer = AvgPool2d(layer.kernel_size, layer.stride)
            if isinstance(layer, _LINEAR):
                ops.append(layer)
            elif isinstance(layer, LSQ):
                if not any(isinstance(op, _WEIGHTED) for op in ops):
                    raise ValueError(f"{at}: an LSQ needs a Conv2d, Linear or AvgPool2d "
                                     f"before it, got {ops}")
                _check_synapse(ops, at)
                plan.append(Stage(ops, layer))
                ops = []
            elif isinstance(layer, MaxPool2d):
                if ops or not (spikes_in or plan):
                    raise ValueError(f"{at}: event max-pooling pools spikes, so a MaxPool2d "
                                     f"must directly follow an LSQ activation (it follows "
                                     f"{ops or 'the analog input'})")
                plan.append(layer)
            elif isinstance(layer, ResidualBlock):
                if ops:
                    raise ValueError(f"{at}: a ResidualBlock must follow an LSQ activation, "
                                     f"a max-pool or the input, not {ops}")
                plan.append(self._block(layer, f"{where}{i}", spikes_in or bool(plan)))
            elif isinstance(layer, (ReLU, ClippedReLU)):
                raise ValueError(f"{at}: QFFS needs LSQ activations (quantize the ANN with "
                                 f"nn.LSQ); use DataNormalization for ReLU networks")
            else:
                raise ValueError(f"{at} cannot be converted to QFFS; convertible: Conv2d, "
                                 f"Linear, AvgPool2d, Flatten, LSQ, MaxPool2d, ResidualBlock, "
                                 f"Dropout, BatchNorm (folded)")
        return plan, ops

    def _block(self, block: ResidualBlock, where: str, spikes_in: bool) -> _Block:
        """Plan of a residual block: its branch closed by the block's LSQ, and its shortcut."""
        if not isinstance(block.activation, LSQ):
            raise ValueError(f"{where}: QFFS needs LSQ activations: the ResidualBlock's "
                             f"activation is {block.activation!r}")
        plan, ops = self._plan(block.branch.layers, f"{where}.branch.", spikes_in)
        if not any(isinstance(op, _WEIGHTED) for op in ops):
            raise ValueError(f"{where}: the residual branch must end with a Conv2d or Linear "
                             f"(its output is added to the shortcut before the block's LSQ), "
                             f"it ends with {ops or plan[-1:]}")
        _check_synapse(ops, f"{where}.branch")
        plan.append(Stage(ops, block.activation))
        if block.shortcut is not None:
            for j, op in enumerate(block.shortcut):
                if not isinstance(op, _LINEAR):
                    raise ValueError(f"{where}.shortcut.{j} ({op!r}): a shortcut must be "
                                     f"linear (Conv2d, Linear, AvgPool2d, Flatten, BatchNorm)")
            _check_synapse(block.shortcut.layers, f"{where}.shortcut")
        return _Block(plan, block.shortcut)

    # -- transform ------------------------------------------------------------------------
    def transform(self) -> SpikingNetwork:
        """The spiking network (a fresh object at every call)."""
        check_fitted(self, "thresholds_", "transform()")
        counters = {k: itertools.count() for k in ("qffs", "pool", "res")}
        return SpikingNetwork(self._layers(self._plan_, counters, top=True))

    def _layers(self, plan: list, counters: dict, top: bool = False) -> list:
        layers = []
        for k, item in enumerate(plan):
            if isinstance(item, MaxPool2d):
                layers.append(EventMaxPool(item.kernel_size, item.stride,
                                           naive=self.pool == "naive",
                                           name=f"pool{next(counters['pool'])}"))
            elif isinstance(item, _Block):
                name = f"res{next(counters['res'])}"
                branch = self._layers(item.branch, counters)
                shortcut, bias = (None, None) if item.shortcut is None else \
                    split_bias(copy.deepcopy(item.shortcut))
                post = branch[-1]
                if bias is not None:  # the shortcut's bias joins the post-add neuron's
                    post.bias = bias if post.bias is None else post.bias + bias
                layers.append(Residual(branch, shortcut, name=name))
            elif item.activation is None:
                synapse, bias = split_bias(copy.deepcopy(item.synapse))
                layers.append(Readout(synapse, bias=bias, bias_steps=self.t_in_, name="out"))
            else:
                last = top and k == len(plan) - 1
                layers.append(self._population(item, next(counters["qffs"]),
                                               CountReadout if last else SpikingLayer))
        return layers

    def _population(self, stage: Stage, i: int, cls: type) -> SpikingLayer:
        """QFFS population ``i`` (B17-B20): copied weights, bias for ``t <= T_in``."""
        synapse, bias = split_bias(copy.deepcopy(stage.synapse))
        th = float(self.thresholds_[i])
        neuron = QFFS(th, z_max=self.z_max_[i], precharge=self.precharge,
                      negative=self.negative)
        return cls(synapse, neuron, bias=bias, bias_steps=self.t_in_, amplitude=th,
                   name=self.names_[i])

    def run(self, x: np.ndarray, T: int, net: SpikingNetwork | None = None,
            **kwargs) -> SimulationResult:
        """Simulate ``T`` steps with analog input for ``t <= T_in`` (B18).

        ``net`` defaults to a fresh :meth:`transform`; ``kwargs`` go to
        :meth:`SpikingNetwork.run <snnlite.snn.network.SpikingNetwork.run>` (``record``,
        ``engine``, ``dtype``...). Choose ``T`` beyond ``t_in_`` (for example
        ``t_in_ + 2**b_out`` per layer) so that corrective spikes propagate.
        """
        check_fitted(self, "thresholds_", "run()")
        if net is None:
            net = self.transform()
        return net.run(x, T, t_in=self.t_in_, **kwargs)

    def __repr__(self) -> str:
        return (f"QFFSConverter(t_in={self.t_in}, negative={self.negative}, "
                f"precharge={self.precharge}, cap={self.cap}, pool={self.pool!r})")
