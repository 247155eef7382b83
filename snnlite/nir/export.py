"""snnlite -> NIR: :func:`to_nir`."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np

from .. import __version__
from ..neurons import IF, LIF, MultiSpikeIF
from ..nn.activation import Flatten
from ..nn.conv import Conv2d
from ..nn.linear import Linear
from ..nn.module import Module, Sequential
from ..nn.pool import AvgPool2d, SumPool2d
from ..nn.scale import Scale
from ..snn.layers import Reshape, SpikingLayer
from ..snn.network import SpikingNetwork
from ..snn.readouts import LeakyReadout, Readout
from ..snn.residual import Residual
from .conventions import DEFAULTS, Conventions

__all__ = ["to_nir"]

#: Why a layer or neuron has no NIR equivalent (by class name).
UNSUPPORTED = {
    "QFFS": "QFFS neurons emit negative spikes and cap their spike count; NIR neurons do "
            "neither",
    "DynamicThreshold": "its threshold adapts over time; NIR neurons have a fixed threshold",
    "BurstEncoder": "burst spikes carry graded amplitudes that no NIR neuron emits",
    "EventMaxPool": "NIR has no max pooling of spike trains (its pooling nodes sum or average)",
    "CountReadout": "its output (net count plus a membrane tie-breaker) is no NIR node's output",
}


def to_nir(network: SpikingNetwork, input_shape, *, dt: float = DEFAULTS.dt,
           discretisation: str = DEFAULTS.discretisation, if_r: str = DEFAULTS.if_r,
           path: str | Path | None = None) -> nir.NIRGraph:
    """Export a :class:`~snnlite.snn.SpikingNetwork` as a NIR graph.

    Parameters
    ----------
    network : SpikingNetwork
        Layers: :class:`~snnlite.snn.SpikingLayer` with an IF, LIF or MultiSpikeIF neuron,
        :class:`~snnlite.snn.Residual` blocks of those, :class:`~snnlite.snn.Reshape` of
        ``nn.Flatten``, and a final :class:`~snnlite.snn.Readout` (NIR ``I``) or
        :class:`~snnlite.snn.LeakyReadout` (NIR ``LI``); synapses of
        ``nn.Linear``, ``nn.Conv2d``, ``nn.AvgPool2d``, ``nn.SumPool2d``, ``nn.Flatten`` and
        ``nn.Scale`` (also inside ``nn.Sequential``).
    input_shape : tuple of int
        Shape of one input sample without the batch axis, e.g. ``(1, 28, 28)``.
    dt, discretisation, if_r
        The conventions of :class:`~snnlite.nir.Conventions` that map each snnlite neuron
        to NIR's continuous-time parameters; they are written into ``graph.metadata``.
    path : str or Path, optional
        Also write the graph to this ``.nir`` (HDF5) file.

    Returns
    -------
    nir.NIRGraph
        Nodes ``input``, ``output`` and one per op and neuron population, named after the
        snnlite layers; a spike amplitude other than 1 becomes a ``Scale`` node after the
        population, a residual sum two edges into the post-addition neurons.

    Raises
    ------
    ValueError
        For a layer, op or neuron NIR cannot express (QFFS, DynamicThreshold, EventMaxPool,
        BurstEncoder, CountReadout, a refractory period, reset ``"none"``, a pre-charge
        ``v_init``, a bias injected for ``bias_steps`` only, a bias after a pooling op), with
        the layer's name and the reason.
    TypeError
        If ``network`` is not a SpikingNetwork.
    """
    if not isinstance(network, SpikingNetwork):
        raise TypeError(f"network must be a SpikingNetwork, got {type(network).__name__}")
    conv = Conventions(dt=dt, discretisation=discretisation, if_r=if_r)
    shape = tuple(int(s) for s in np.atleast_1d(input_shape))
    builder = _Builder(conv)
    builder.nodes["input"] = nir.Input(input_type={"input": np.array(shape)})
    src = "input"
    for layer in network.layers:
        src, shape = builder.layer(layer, src, shape)
    builder.nodes["output"] = nir.Output(output_type={"output": np.array(shape)})
    builder.edges.append((src, "output"))
    metadata = {"generator": f"snnlite {__version__}", **conv.graph_metadata()}
    graph = nir.NIRGraph(nodes=builder.nodes, edges=builder.edges, metadata=metadata)
    if path is not None:
        nir.write(path, graph)
    return graph


def _ops(module: Module) -> list[Module]:
    """The ops of a synapse, nested ``nn.Sequential`` flattened."""
    if isinstance(module, Sequential):
        return [op for layer in module.layers for op in _ops(layer)]
    return [module]


def _reason(obj) -> str | None:
    return UNSUPPORTED.get(type(obj).__name__)


class _Builder:
    """Collects nodes and edges while the layers are walked in order."""

    def __init__(self, conv: Conventions):
        self.conv, self.nodes, self.edges = conv, {}, []

    def add(self, name: str, node, sources: list[str]) -> str:
        name = name.replace(".", "_")
        if name in self.nodes:
            raise ValueError(f"two NIR nodes would be named {name!r}; give the layers "
                             f"distinct names")
        self.nodes[name] = node
        self.edges.extend((s, name) for s in sources)
        return name

    # -- layers --------------------------------------------------------------------------
    def layer(self, layer, src: str, shape: tuple) -> tuple[str, tuple]:
        """Add the nodes of one layer reading ``src``; return its output node and shape."""
        if _reason(layer):
            raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) cannot be "
                             f"exported to NIR: {_reason(layer)}")
        if isinstance(layer, Residual):
            return self.residual(layer, src, shape)
        if isinstance(layer, Reshape):
            return self.ops(f"{layer.name}", [layer.op], src, shape)
        if type(layer) not in (SpikingLayer, Readout, LeakyReadout):
            raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has no NIR "
                             f"export; supported: SpikingLayer, Readout, Residual, Reshape")
        src, shape = self.synapse(layer, src, shape)
        return self.population(layer, [src], shape)

    def synapse(self, layer: SpikingLayer, src: str, shape: tuple) -> tuple[str, tuple]:
        """The synapse ops of ``layer``, its bias folded into the last weighted op."""
        if layer.bias_steps is not None:
            raise ValueError(f"layer {layer.name!r}: a bias injected for the first "
                             f"{layer.bias_steps} steps only has no NIR equivalent")
        ops = _ops(layer.synapse)
        bias = None if layer.bias is None else np.asarray(layer.bias)
        if bias is not None and not isinstance(ops[-1], (Linear, Conv2d)):
            raise ValueError(f"layer {layer.name!r}: its bias is added after "
                             f"{type(ops[-1]).__name__}, and NIR only has biases in Affine "
                             f"and Conv2d nodes")
        return self.ops(f"{layer.name}.syn", ops, src, shape, bias)

    def ops(self, prefix: str, ops: list, src: str, shape: tuple,
            last_bias: np.ndarray | None = None, own_bias: bool = False) -> tuple[str, tuple]:
        """Chain the NIR nodes of ``ops`` after ``src``; ``last_bias`` goes to the last op."""
        for i, op in enumerate(ops):
            bias = last_bias if i == len(ops) - 1 else None
            if own_bias and getattr(op, "bias", None) is not None:
                bias = op.bias.data
            node, out = self.op_node(op, shape, bias, prefix)
            src, shape = self.add(f"{prefix}.{i}" if len(ops) > 1 else prefix, node, [src]), out
        return src, shape

    def op_node(self, op: Module, shape: tuple, bias, where: str):
        """The NIR node of one linear op on inputs of ``shape``, and its output shape."""
        try:
            out = tuple(op.forward(np.zeros((1,) + shape, np.float32)).shape[1:])
        except ValueError as error:
            raise ValueError(f"{where}: op {op!r} does not accept inputs of shape {shape} "
                             f"(check input_shape): {error}") from error
        if isinstance(op, Linear):
            b = np.zeros(op.out_features, op.weight.data.dtype) if bias is None else bias
            return nir.Affine(weight=op.weight.data.copy(), bias=np.asarray(b).copy()), out
        if isinstance(op, Conv2d):
            b = np.zeros(op.out_channels, op.weight.data.dtype) if bias is None else bias
            node = nir.Conv2d(input_shape=shape[1:], weight=op.weight.data.copy(),
                              stride=op.stride, padding=op.padding, dilation=(1, 1),
                              groups=op.groups, bias=np.asarray(b).copy())
            node.input_type = {"input": np.array(shape)}  # nir 1.0 writes C_in / groups
            return node, out
        if isinstance(op, (SumPool2d, AvgPool2d)):
            kind = nir.SumPool2d if isinstance(op, SumPool2d) else nir.AvgPool2d
            node = kind(kernel_size=np.array(op.kernel_size), stride=np.array(op.stride),
                        padding=np.array(op.padding))
            node.input_type, node.output_type = {"input": np.array(shape)}, \
                {"output": np.array(out)}
            return node, out
        if isinstance(op, Flatten):
            return nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0,
                               end_dim=-1), out
        if isinstance(op, Scale):
            return nir.Scale(scale=np.broadcast_to(op.scale, shape).copy()), out
        raise ValueError(f"{where}: op {op!r} has no NIR node; exportable ops: Linear, "
                         f"Conv2d, AvgPool2d, SumPool2d, Flatten, Scale")

    def population(self, layer, sources: list[str], shape: tuple) -> tuple[str, tuple]:
        """The neuron node of ``layer`` (and a Scale node for an amplitude other than 1)."""
        name = self.add(layer.name, self.neuron_node(layer, shape), sources)
        if layer.amplitude != 1.0:
            scale = nir.Scale(scale=np.full(shape, layer.amplitude))
            name = self.add(f"{layer.name}.amplitude", scale, [name])
        return name, shape

    def neuron_node(self, layer, shape: tuple):
        full = lambda value: np.full(shape, float(value))  # noqa: E731
        if isinstance(layer, LeakyReadout) and layer.alpha < 1.0:
            tau, r = self.conv.lif_parameters(layer.alpha)
            return nir.LI(tau=full(tau), r=full(r), v_leak=full(0.0))
        if isinstance(layer, Readout):
            return nir.I(r=full(self.conv.if_r_value()))
        neuron, where = layer.neuron, f"layer {layer.name!r}"
        if _reason(neuron):
            raise ValueError(f"{where} ({neuron!r}) cannot be exported to NIR: {_reason(neuron)}")
        if type(neuron) not in (IF, LIF, MultiSpikeIF):
            raise ValueError(f"{where}: neuron {neuron!r} has no NIR node; exportable: IF, LIF, "
                             f"MultiSpikeIF")
        if neuron.v_init != 0.0:
            raise ValueError(f"{where}: v_init={neuron.v_init} (pre-charge) has no NIR "
                             f"equivalent; NIR neurons start at v = 0")
        if isinstance(neuron, MultiSpikeIF):
            meta = {"reset": "subtract", "if_spikes": "multi", "max_spikes": neuron.max_spikes}
        elif neuron.reset == "none":
            raise ValueError(f"{where}: reset='none' has no NIR equivalent (NIR neurons "
                             f"reset after every spike)")
        else:
            meta = {"reset": neuron.reset, "if_spikes": "single"}
        if isinstance(neuron, LIF):
            if neuron.refractory:
                raise ValueError(f"{where}: refractory={neuron.refractory} has no NIR "
                                 f"equivalent (NIR neurons have no refractory period)")
            if neuron.alpha < 1.0:
                tau, r = self.conv.lif_parameters(neuron.alpha)
                return nir.LIF(tau=full(tau), r=full(r), v_leak=full(0.0),
                               v_threshold=full(neuron.threshold), v_reset=full(0.0),
                               metadata=meta)
        # IF, MultiSpikeIF, and a LIF without leak (alpha = 1)
        return nir.IF(r=full(self.conv.if_r_value()), v_threshold=full(neuron.threshold),
                      v_reset=full(0.0), metadata=meta)

    def residual(self, block: Residual, src: str, shape: tuple) -> tuple[str, tuple]:
        """Branch layers in order; the last population sums its synapse and the shortcut."""
        h, h_shape = src, shape
        for layer in block.branch[:-1]:
            h, h_shape = self.layer(layer, h, h_shape)
        last = block.branch[-1]
        if type(last) is not SpikingLayer:
            raise ValueError(f"layer {last.name!r}: the last layer of a residual branch must "
                             f"be a SpikingLayer, got {type(last).__name__}")
        h, h_shape = self.synapse(last, h, h_shape)
        skip = src
        if block.shortcut is not None:
            skip, skip_shape = self.ops(f"{block.name}.shortcut", _ops(block.shortcut), src,
                                        shape, own_bias=True)
            if skip_shape != h_shape:
                raise ValueError(f"residual {block.name!r}: shortcut gives {skip_shape}, the "
                                 f"branch {h_shape}")
        return self.population(last, [h, skip], h_shape)
