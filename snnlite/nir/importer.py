"""NIR -> snnlite: :func:`from_nir`."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np

from ..nn.activation import Flatten
from ..nn.conv import Conv2d
from ..nn.linear import Linear
from ..nn.module import Sequential
from ..nn.pool import AvgPool2d, SumPool2d
from ..nn.scale import Scale
from ..snn.layers import SpikingLayer, split_bias
from ..snn.network import SpikingNetwork
from ..snn.readouts import LeakyReadout, Readout
from ..snn.residual import Residual
from .conventions import DEFAULTS, Conventions

__all__ = ["from_nir"]

_OPS = (nir.Affine, nir.Linear, nir.Conv2d, nir.SumPool2d, nir.AvgPool2d, nir.Flatten,
        nir.Scale)
_NEURONS = (nir.IF, nir.LIF, nir.I, nir.LI)
_READOUTS = (nir.I, nir.LI)
_WHY_NOT = {
    "CubaLIF": "current-based synapses (tau_syn) have no snnlite neuron",
    "CubaLI": "current-based synapses (tau_syn) have no snnlite layer",
    "Delay": "snnlite layers have no synaptic delays",
    "Threshold": "a stateless threshold has no snnlite neuron",
    "Conv1d": "snnlite has 2-D convolutions only",
    "NIRGraph": "nested graphs (recurrent blocks) are not supported",
}


def from_nir(graph_or_path, *, dt: float | None = None, discretisation: str | None = None,
             reset: str | None = None, if_r: str | None = None, if_spikes: str | None = None,
             max_spikes: int | None = None) -> SpikingNetwork:
    """Build a :class:`~snnlite.snn.SpikingNetwork` from a NIR graph or ``.nir`` file.

    Parameters
    ----------
    graph_or_path : nir.NIRGraph, str or Path
        The graph, or the file :func:`nir.read` loads it from.
    dt, discretisation, reset, if_r, if_spikes, max_spikes : optional
        The conventions of :class:`~snnlite.nir.Conventions`. None (the default) means: the
        value snnlite recorded in the graph when it exported it (each neuron node's
        ``reset``/``if_spikes``/``max_spikes``, the graph's ``dt``/``discretisation``/
        ``if_r``), else the default of :class:`~snnlite.nir.Conventions`. An explicit value
        applies to every node.

    Returns
    -------
    SpikingNetwork
        One :class:`~snnlite.snn.SpikingLayer` per IF/LIF node (named after it), its synapse
        the chain of ops before it (``Affine``/``Linear`` -> ``nn.Linear``, ``Conv2d``,
        ``SumPool2d``, ``AvgPool2d``, ``Flatten``, ``Scale``), biases and the constant leak
        current ``v_leak`` as the layer's per-channel bias, a gain other than 1 as a trailing
        ``nn.Scale``; an ``I`` node as the final :class:`~snnlite.snn.Readout`; a population
        with two incoming edges as a :class:`~snnlite.snn.Residual` block; a uniform
        ``Scale`` that is a population's only successor as that layer's spike amplitude; an
        ``LI`` node as a final :class:`~snnlite.snn.LeakyReadout`.

    Notes
    -----
    With the defaults a NIR LIF node (``tau dv/dt = v_leak - v + r I``) becomes the forward
    Euler step ``V[t] = (1 - dt/tau) V[t-1] + (dt/tau) (r I[t] + v_leak)``, spiking when
    ``V >= v_threshold`` and resetting to 0; an IF node ``V[t] = V[t-1] + r I[t]``. The
    other choices are written out in :mod:`snnlite.nir.conventions`.

    Examples
    --------
    >>> import numpy as np, nir
    >>> graph = nir.NIRGraph.from_list(
    ...     nir.Affine(weight=np.ones((1, 1)), bias=np.zeros(1)),
    ...     nir.LIF(tau=np.array([1e-3]), r=np.array([10.0]), v_leak=np.array([0.0]),
    ...             v_threshold=np.array([1.0])))
    >>> net = from_nir(graph, dt=1e-4)   # alpha = 1 - dt / tau = 0.9, gain r dt / tau = 1
    >>> net.layers[0].neuron.alpha
    0.9
    >>> net.run(np.array([[0.5]]), T=4).outputs[:, 0, 0].tolist()   # V: 0.5, 0.95, 1.355
    [0, 0, 1, 1]

    Raises
    ------
    ValueError
        For a node snnlite cannot simulate (CubaLIF, Delay, Conv1d, dilation, parameters
        that vary across a population, a sum into a non-neuron node, branches that do not
        rejoin, ...), naming the node and the reason.
    """
    # without nir's type check, which rejects grouped convolutions (snnlite checks shapes)
    graph = nir.read(graph_or_path, type_check=False) \
        if isinstance(graph_or_path, (str, Path)) else graph_or_path
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"graph_or_path must be a nir.NIRGraph or a path, "
                        f"got {type(graph).__name__}")
    explicit = {"dt": dt, "discretisation": discretisation, "reset": reset, "if_r": if_r,
                "if_spikes": if_spikes, "max_spikes": max_spikes}
    return _Reader(graph, explicit).network()


def _own_metadata(meta) -> bool:
    return isinstance(meta, dict) and str(meta.get("generator", "")).startswith("snnlite")


class _Reader:
    """Turns the nodes and edges of one graph into snnlite layers."""

    def __init__(self, graph: nir.NIRGraph, explicit: dict):
        self.graph, self.explicit = graph, explicit
        self.ours = _own_metadata(graph.metadata)
        self.conv = DEFAULTS.updated(graph.metadata if self.ours else {}).updated(explicit)
        self.pred = {name: [] for name in graph.nodes}
        self.succ = {name: [] for name in graph.nodes}
        for a, b in graph.edges:
            for end in (a, b):
                if end not in graph.nodes:
                    raise ValueError(f"edge {(a, b)} names an unknown node {end!r}")
            self.pred[b].append(a)
            self.succ[a].append(b)
        for name, node in graph.nodes.items():
            kind = type(node).__name__
            if kind in _WHY_NOT:
                raise ValueError(f"node {name!r} ({kind}) cannot be imported: {_WHY_NOT[kind]}")
            if not isinstance(node, _OPS + _NEURONS + (nir.Input, nir.Output)):
                raise ValueError(f"node {name!r} ({kind}) has no snnlite equivalent")
        self.input = self._single(nir.Input)
        self.output = self._single(nir.Output)
        self.order = self.topological()

    def _single(self, kind) -> str:
        names = [n for n, node in self.graph.nodes.items() if isinstance(node, kind)]
        if len(names) != 1:
            raise ValueError(f"the graph must have one {kind.__name__} node, got {names}")
        return names[0]

    def conventions(self, name: str) -> Conventions:
        meta = self.graph.nodes[name].metadata if self.ours else {}
        return self.conv.updated(meta or {}).updated(self.explicit)

    # -- graph structure -----------------------------------------------------------------
    def is_population(self, name: str) -> bool:
        return name == self.input or isinstance(self.graph.nodes[name], _NEURONS)

    def amplitude(self, name: str) -> float | None:
        """The spike amplitude of population ``name``: its only successor's uniform Scale."""
        after = self.succ[name]
        if name == self.input or len(after) != 1:
            return None
        node = self.graph.nodes[after[0]]
        scale = np.asarray(getattr(node, "scale", np.nan), np.float64)
        if isinstance(node, nir.Scale) and np.all(scale == scale.flat[0]):
            return float(scale.flat[0])
        return None

    def term(self, start: str) -> tuple[str, list[str]]:
        """Walk back from ``start`` through single-input ops to a population.

        Returns the population and the op nodes in forward order (an amplitude Scale
        dropped).
        """
        ops, name = [], start
        while not self.is_population(name):
            if not isinstance(self.graph.nodes[name], _OPS):
                raise ValueError(f"node {name!r} ({type(self.graph.nodes[name]).__name__}) "
                                 f"cannot be part of a synapse")
            if len(self.pred[name]) != 1:
                raise ValueError(f"node {name!r} has {len(self.pred[name])} inputs; snnlite "
                                 f"sums inputs only into neuron populations")
            ops.insert(0, name)
            name = self.pred[name][0]
        if ops and self.amplitude(name) is not None:
            ops = ops[1:]
        return name, ops

    def network(self) -> SpikingNetwork:
        """Walk back from the output along the main chain; group residual blocks."""
        if len(self.pred[self.output]) != 1:
            raise ValueError(f"the output node must have one input, got {self.pred[self.output]}")
        last, tail = self.term(self.pred[self.output][0])
        flatten = all(isinstance(self.graph.nodes[op], nir.Flatten) for op in tail)
        if not flatten or last == self.input:  # (the network's outputs are flat anyway)
            raise ValueError("the graph's output must be a neuron population (IF, LIF, or an "
                             f"I or LI readout), got ops {tail} after {last!r}")
        chain, terms = [], {}
        name = last
        while name != self.input:
            found = [self.term(p) for p in self.pred[name]]
            if len(found) not in (1, 2):
                raise ValueError(f"node {name!r} has {len(found)} inputs; snnlite sums at most "
                                 f"two (a residual block)")
            found.sort(key=lambda t: self.order[t[0]], reverse=True)  # main input first
            terms[name] = found
            chain.insert(0, name)
            name = found[0][0]
        populations = [n for n in self.graph.nodes if isinstance(self.graph.nodes[n], _NEURONS)]
        if sorted(populations) != sorted(chain):
            raise ValueError(f"populations {sorted(set(populations) - set(chain))} are not on "
                             "the path from input to output (branches must rejoin)")
        return SpikingNetwork(self.layers(chain, terms))

    def topological(self) -> dict:
        """Node name -> position in a topological order from the input (Kahn's algorithm)."""
        order, ready, seen = {}, [self.input], set()
        while ready:
            name = ready.pop()
            order[name] = len(order)
            for nxt in self.succ[name]:
                seen.add((name, nxt))
                if all((p, nxt) in seen for p in self.pred[nxt]):
                    ready.append(nxt)
        if len(order) != len(self.graph.nodes):
            raise ValueError("the graph has a cycle or nodes unreachable from its input; "
                             "snnlite networks are feed-forward")
        return order

    def layers(self, chain: list[str], terms: dict) -> list:
        """Build the layers in chain order; a two-input population closes a Residual."""
        shapes = {self.input: tuple(int(s) for s in self.graph.nodes[self.input]
                                    .input_type["input"])}
        layers, index = [], {self.input: -1}  # population -> position of its layer
        for i, name in enumerate(chain):
            (src, ops), skip = terms[name][0], terms[name][1:]
            layer, shapes[name] = self.layer(name, ops, shapes[src], i == len(chain) - 1)
            if not skip:
                index[name] = len(layers)
                layers.append(layer)
                continue
            block_in, skip_ops = skip[0]
            if index[block_in] is None:
                raise ValueError(f"node {name!r}: its skip input {block_in!r} lies inside "
                                 "another residual block; snnlite blocks do not overlap")
            start = index[block_in] + 1
            branch = layers[start:] + [layer]
            if any(type(b) is not SpikingLayer for b in branch):
                raise ValueError(f"node {name!r}: the branch of a residual block must be "
                                 "spiking layers without nested blocks or readouts")
            shortcut = self.shortcut(skip_ops, shapes[block_in], shapes[name], name)
            layers[start:] = [Residual(branch, shortcut, name=f"{name}.block")]
            index.update({b.name: None for b in branch})  # no longer a block boundary
            index[name] = start
        return layers

    def shortcut(self, ops: list[str], in_shape: tuple, out_shape: tuple, name: str):
        if not ops:
            if in_shape != out_shape:
                raise ValueError(f"node {name!r}: identity shortcut of shape {in_shape} "
                                 f"into a population of shape {out_shape}")
            return None
        modules, _ = self.modules(ops, in_shape)
        return modules[0] if len(modules) == 1 else Sequential(*modules)

    # -- one layer -----------------------------------------------------------------------
    def layer(self, name: str, ops: list[str], in_shape: tuple, is_last: bool):
        node, conv = self.graph.nodes[name], self.conventions(name)
        modules, out_shape = self.modules(ops, in_shape)
        if isinstance(node, _READOUTS) and not is_last:
            raise ValueError(f"node {name!r}: an {type(node).__name__} node becomes a snnlite "
                             "readout and must be the last population")
        if isinstance(node, nir.I):
            neuron, gain, constant = None, conv.integrator_gain(node), 0.0
        elif isinstance(node, nir.LI):
            alpha, gain, constant = conv.leaky(node, name)
            neuron = None
        else:
            neuron, gain, constant = conv.neuron(node, name)
        synapse, bias = self.synapse(modules, in_shape, gain, constant, name)
        if isinstance(node, nir.LI):
            return LeakyReadout(synapse, alpha, bias=bias, name=name), out_shape
        if neuron is None:
            return Readout(synapse, bias=bias, name=name), out_shape
        amplitude = self.amplitude(name)
        layer = SpikingLayer(synapse, neuron, bias=bias, name=name,
                             amplitude=1.0 if amplitude is None else amplitude)
        return layer, out_shape

    def synapse(self, modules: list, in_shape: tuple, gain, constant: float, name: str):
        """Bias-free synapse (with a trailing Scale for a gain other than 1) and its bias."""
        chain = Sequential(*modules) if modules else Scale(1.0)
        offset = chain.forward(np.zeros((1,) + in_shape))[0] * gain + constant
        if not isinstance(gain, float) or gain != 1.0:
            modules = modules + [Scale(gain)]
        synapse = modules[0] if len(modules) == 1 else Sequential(*modules) if modules \
            else Scale(1.0)
        if isinstance(synapse, Sequential):
            synapse = Sequential(*[split_bias(m)[0] for m in synapse.layers])
        else:
            synapse = split_bias(synapse)[0]
        if not np.any(offset):
            return synapse, None
        per_channel = offset.reshape(offset.shape[0], -1)[:, 0]
        if not np.array_equal(offset, per_channel.reshape((-1,) + (1,) * (offset.ndim - 1))
                              * np.ones_like(offset)):
            raise ValueError(f"node {name!r}: the constant input current (biases, v_leak) "
                             "varies within a channel; snnlite biases are per channel")
        return synapse, per_channel  # float64; the layer casts it to the run's dtype

    def modules(self, ops: list[str], shape: tuple) -> tuple[list, tuple]:
        """snnlite ops for the NIR op nodes ``ops`` on inputs of ``shape``; output shape."""
        modules = []
        for name in ops:
            module = self.module(name, self.graph.nodes[name], shape)
            shape = tuple(module.forward(np.zeros((1,) + shape, np.float32)).shape[1:])
            modules.append(module)
        return modules, shape

    def module(self, name: str, node, shape: tuple):
        if isinstance(node, (nir.Affine, nir.Linear)):
            w = _float(node.weight)
            if w.ndim != 2 or shape != (w.shape[1],):
                raise ValueError(f"node {name!r}: weight {w.shape} does not fit input {shape}")
            has_bias = isinstance(node, nir.Affine)
            op = Linear(w.shape[1], w.shape[0], bias=has_bias, dtype=w.dtype)
            op.weight.data[...] = w
            if has_bias:
                op.bias.data[...] = _float(node.bias)
            return op
        if isinstance(node, nir.Conv2d):
            return _conv2d(name, node, shape)
        if isinstance(node, (nir.SumPool2d, nir.AvgPool2d)):
            kind = SumPool2d if isinstance(node, nir.SumPool2d) else AvgPool2d
            return kind(_pair(node.kernel_size), _pair(node.stride), _pair(node.padding))
        if isinstance(node, nir.Flatten):
            out = node.output_type.get("output")
            if out is not None and len(np.atleast_1d(out)) != 1:
                raise ValueError(f"node {name!r}: Flatten to {tuple(out)}; snnlite flattens "
                                 "all axes of a sample")
            return Flatten()
        return Scale(np.broadcast_to(np.asarray(node.scale, np.float64), shape))


def _float(array) -> np.ndarray:
    array = np.asarray(array)
    return array if array.dtype.kind == "f" else array.astype(np.float32)


def _pair(value) -> tuple[int, int]:
    values = np.atleast_1d(np.asarray(value)).astype(int).tolist()
    return (values[0], values[0]) if len(values) == 1 else tuple(values[:2])


def _conv2d(name: str, node, shape: tuple) -> Conv2d:
    w = _float(node.weight)
    if np.any(np.atleast_1d(node.dilation) != 1):
        raise ValueError(f"node {name!r}: dilation {node.dilation} is not supported "
                         "(snnlite's Conv2d has no dilation)")
    padding = node.padding
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif np.all(np.atleast_1d(node.stride) == 1) and all(k % 2 for k in w.shape[2:]):
            padding = (w.shape[2] // 2, w.shape[3] // 2)
        else:
            raise ValueError(f"node {name!r}: padding 'same' needs stride 1 and odd kernels")
    groups = int(node.groups)
    if len(shape) != 3 or shape[0] != w.shape[1] * groups:
        raise ValueError(f"node {name!r}: weight {w.shape} with groups={groups} does not fit "
                         f"input {shape}")
    conv = Conv2d(shape[0], w.shape[0], w.shape[2:], _pair(node.stride), _pair(padding),
                  groups=groups, bias=True, dtype=w.dtype)
    conv.weight.data[...] = w
    conv.bias.data[...] = _float(node.bias)
    return conv
