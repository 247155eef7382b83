"""Noise attribution for whole networks: run once, attribute every layer (spec §3.4).

:func:`decompose` simulates a converted network with the analysed layers' spikes and
potentials recorded, derives each layer's total input current from the counts of the layer
below (the synapses are linear), and applies :func:`~snnlite.analysis.noise.attribute` layer
by layer. :func:`rate_coding_noise` compares a spike-encoded run with an analog one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .._validate import as_rng
from ..neurons import IF, QFFS
from ..snn.encoding import analog, get_encoder
from ..snn.layers import Reshape, SpikingLayer
from ..snn.maxpool import EventMaxPool
from ..snn.result import SimulationResult
from .noise import attribute, noise_table

__all__ = ["Decomposition", "decompose", "net_counts", "rate_coding_noise"]


@dataclass
class Decomposition:
    """What :func:`decompose` returns.

    Attributes
    ----------
    result : SimulationResult
        The run, with spikes (and potentials of the analysed layers) recorded.
    layers : dict of str -> LayerNoise
        Per analysed layer, in simulation order.
    """

    result: SimulationResult
    layers: dict

    def table(self) -> dict:
        """:func:`noise_table` of :attr:`layers`."""
        return noise_table(self.layers)


def _neuron_params(layer) -> tuple[float, float, int | None, str]:
    """``(threshold, v_init, z_max, kind)`` of a layer's neuron, or ValueError."""
    n = layer.neuron
    if isinstance(n, QFFS):
        return n.threshold, n.v_init, n.z_max, "QFFS"
    if isinstance(n, IF) and n.reset in ("subtract", "zero"):
        return n.threshold, n.v_init, None, f"IF reset={n.reset}"
    raise ValueError(f"layer {layer.name!r}: noise attribution needs IF (reset 'subtract' or "
                     f"'zero') or QFFS neurons, got {n!r}")


def decompose(net, x, T: int, targets: Mapping[str, np.ndarray], *, encoder="analog",
              t_in: int | None = None, rng=None, levels: bool = True, dtype=np.float64,
              atol: float = 1e-3) -> Decomposition:
    """Run ``net`` on ``x`` and attribute the count error of every layer named in ``targets``.

    The total input current of a layer is computed from the counts of the layer below by
    linearity (``S = a_in * synapse(Z_below) + bias * steps_with_bias``; for the first layer
    ``Z_below`` is the summed encoded input, or ``x * t_in`` for analog input), so the charge
    lost at resets is known exactly.

    Parameters
    ----------
    net : SpikingNetwork
        A feed-forward network of :class:`~snnlite.snn.SpikingLayer` (IF or QFFS neurons),
        :class:`~snnlite.snn.Reshape` and :class:`~snnlite.snn.EventMaxPool` layers, with an
        optional final readout (not analysed). Residual blocks are not supported.
    x : ndarray
        Input batch ``(B, ...)``, or an encoded sequence ``(T, B, ...)`` when ``encoder`` is
        None.
    T : int
        Number of steps.
    targets : mapping of str -> (B, ...) array
        Target counts per layer name (quantized ANN levels, or ideal counts if
        ``levels=False``); only these layers are analysed.
    encoder : str, callable ``f(x, T, *, rng=None)`` or None
        As in :meth:`~snnlite.snn.SpikingNetwork.run` (a name in
        :data:`~snnlite.snn.encoding.ENCODERS`).
    t_in : int, optional
        Analog input only for the first ``t_in`` steps.
    rng : Generator, int or None
        Random source of a stochastic encoder.
    levels, atol
        As in :func:`attribute`.
    dtype : dtype, default float64
        Simulation dtype (float64 keeps the charge balance exact to ~1e-12).

    Returns
    -------
    Decomposition

    Raises
    ------
    ValueError
        If a target names no spiking layer, has the wrong shape, or a layer is not supported.
    """
    spiking = {layer.name: layer for layer in net.layers if isinstance(layer, SpikingLayer)
               and not layer.is_readout}
    for name in targets:
        if name not in spiking:
            raise ValueError(f"targets[{name!r}] names no spiking layer; spiking layers: "
                             f"{sorted(spiking)}")
    for name in targets:
        _neuron_params(spiking[name])
    record = {name: ("spikes", "v") if name in targets else "spikes" for name in spiking}
    record.update({layer.name: "spikes" for layer in net.layers
                   if isinstance(layer, EventMaxPool)})
    if t_in is not None and encoder != "analog":
        raise ValueError("t_in applies to the analog encoder only")
    if encoder == "analog":  # the input charge of the first layer: x for t_in steps
        x = analog(x, T, t_in=t_in).value
        result = net.run(x, T, "analog", t_in=t_in, record=record, dtype=dtype)
        below = x.astype(np.float64) * (T if t_in is None else min(t_in, T))
    else:  # spikes: encode here, so that their sum is known
        if encoder is not None:
            x = get_encoder(encoder)(x, T, rng=as_rng(rng))
        x = np.asarray(x)
        result = net.run(x, T, None, record=record, dtype=dtype)
        below = x.sum(axis=0, dtype=np.float64)
    from_input, layers = True, {}
    for layer in net.layers:
        if layer.is_readout:
            break
        if isinstance(layer, Reshape):
            below = layer.op.forward(below)
            continue
        if isinstance(layer, EventMaxPool):
            below = result.spikes[layer.name].sum(axis=0, dtype=np.float64)
            from_input = False
            continue
        if not isinstance(layer, SpikingLayer):
            raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) is not supported "
                             "by the noise attribution")
        count = result.spikes[layer.name].sum(axis=0, dtype=np.int64)
        if layer.name in targets:
            th, v0, z_max, _ = _neuron_params(layer)
            current = layer.in_amplitude * layer.synapse.forward(below)
            if layer.bias is not None:
                steps = T if layer.bias_steps is None else min(layer.bias_steps, T)
                bias = layer.bias.astype(np.float64)
                current = current + steps * bias.reshape(bias.shape + (1,) * (current.ndim - 2))
            B = count.shape[0]
            target = np.asarray(targets[layer.name], dtype=np.float64)
            if target.size != count.size:
                raise ValueError(f"targets[{layer.name!r}] must have {count.shape} entries "
                                 f"(B, ...), got shape {target.shape}")
            layers[layer.name] = attribute(
                count.reshape(B, -1), result.v[layer.name][-1].reshape(B, -1),
                target.reshape(B, -1), th, v_init=v0, total_current=current.reshape(B, -1),
                z_max=T if z_max is None else min(z_max, T), levels=levels,
                from_input=from_input, atol=atol)
        below = count.astype(np.float64)
        from_input = False
    return Decomposition(result, layers)


def net_counts(result: SimulationResult) -> dict[str, np.ndarray]:
    """Per-sample net spike counts ``{layer: (B, N) int64}`` of every recorded layer."""
    return {name: s.sum(axis=0, dtype=np.int64).reshape(s.shape[1], -1)
            for name, s in result.spikes.items()}


def rate_coding_noise(spiking, analog_run) -> dict[str, np.ndarray]:
    """Count difference ``Z_spiking - Z_analog`` per layer between two runs of one network.

    The total effect of rate coding: the same network and inputs, once with a spike encoder
    (Poisson) and once with analog input. It includes what rate coding does to every layer
    (wrong input charge, extra timing noise, propagation).

    Parameters
    ----------
    spiking, analog_run : SimulationResult or mapping of str -> (B, ...) counts
        The two runs (with the layers' spikes recorded), or their per-sample net counts.

    Returns
    -------
    dict of str -> (B, N) int64 array
        For every layer present in both.

    Raises
    ------
    ValueError
        If a layer's counts differ in shape between the runs.
    """
    a, b = ({k: np.asarray(v, dtype=np.int64).reshape(np.shape(v)[0], -1) for k, v in
             (net_counts(r) if isinstance(r, SimulationResult) else r).items()}
            for r in (spiking, analog_run))
    out = {}
    for name in a.keys() & b.keys():
        if a[name].shape != b[name].shape:
            raise ValueError(f"layer {name!r}: counts of shape {a[name].shape} and "
                             f"{b[name].shape} cannot be compared")
        out[name] = a[name] - b[name]
    return {name: out[name] for name in a if name in out}
