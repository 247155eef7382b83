"""A spiking network and its two simulation engines.

::

    image --encoder--> [ synapse (nn op) -> neuron scan ] x L  (+ max-pool, residual add)
          --> readout --> prediction at every time step

``engine="layer"`` (default) runs each layer over all ``T`` steps at once: one matrix
product over ``T*B`` rows, then one Numba scan over time. ``engine="step"`` makes time the
outer loop, as in the papers' pseudo-code (spec §1: zero-delay pipeline, a spike emitted by
layer ``l-1`` at step ``t`` reaches layer ``l`` at the same step). Both call the same
kernels in the same order per neuron, so they give identical spikes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from tqdm import tqdm

from ..nn.init import as_rng
from .context import RunContext, SpikeCounts, count_spikes
from .encoding import ConstantInput, analog, poisson
from .result import SimulationResult

__all__ = ["SpikingNetwork"]

#: Largest number of neuron values (steps x samples x neurons of the widest layer) that the
#: layer-major engine processes at once; longer simulations run in chunks of steps. 2**21
#: values (8 MB in float32) keep a chunk's arrays in cache: W2 runs ~1.2x faster than at 2**23.
CHUNK_ELEMENTS = 2**21

_ENCODERS = {"analog": lambda x, T, rng, t_in: analog(x, T, t_in=t_in),
             "poisson": lambda x, T, rng, t_in: poisson(x, T, rng=rng)}


class SpikingNetwork:
    """An ordered list of spiking layers ending in a readout.

    Parameters
    ----------
    layers : list
        :class:`~snnlite.snn.layers.SpikingLayer`, :class:`~snnlite.snn.layers.Reshape`,
        :class:`~snnlite.snn.residual.Residual`, pooling layers, and optionally a final
        readout (a layer with ``is_readout = True`` whose output already is the per-step
        readout value, such as :class:`~snnlite.snn.layers.Readout`). If the last layer is a
        plain spiking layer, the output is its accumulated spike count.

    Examples
    --------
    >>> import numpy as np
    >>> from snnlite import nn
    >>> from snnlite.neurons import IF
    >>> from snnlite.snn import SpikingNetwork, SpikingLayer, Readout
    >>> net = SpikingNetwork([SpikingLayer(nn.Linear(4, 8, rng=0), IF()),
    ...                       Readout(nn.Linear(8, 3, rng=1))])
    >>> res = net.run(np.ones((2, 4), np.float32), T=5)
    >>> res.outputs.shape
    (5, 2, 3)
    """

    def __init__(self, layers: list):
        if not layers:
            raise ValueError("a network needs at least one layer")
        for i, layer in enumerate(layers[:-1]):
            if getattr(layer, "is_readout", False):
                raise ValueError(f"layer {i} is a Readout; only the last layer may be one")
        self.layers = list(layers)
        self._name_layers(self.layers, "layer")
        amplitude = 1.0
        for layer in self.layers:
            amplitude = layer.chain(amplitude)

    def _name_layers(self, layers: list, prefix: str) -> None:
        for i, layer in enumerate(layers):
            if layer.name is None:
                layer.name = f"{prefix}{i}"
            if hasattr(layer, "children"):
                self._name_layers(layer.children(), f"{layer.name}.")

    def spiking_layers(self) -> list:
        """All spiking populations in simulation order (residual blocks expanded)."""
        out = []

        def visit(layers):
            for layer in layers:
                if hasattr(layer, "children"):
                    visit(layer.children())
                elif getattr(layer, "neuron", None) is not None and layer.spiking:
                    out.append(layer)

        visit(self.layers)
        return out

    # -- simulation ----------------------------------------------------------------------
    def run(self, x: np.ndarray, T: int, encoder: str | Callable | None = "analog", *,
            t_in: int | None = None, record: dict | None = None, neurons: dict | None = None,
            engine: str = "layer", batch_size: int | None = None, chunk: int | None = None,
            dtype=np.float32, rng=None, progress: bool = False) -> SimulationResult:
        """Simulate ``T`` steps on a batch of inputs.

        Parameters
        ----------
        x : ndarray
            Inputs ``(B, ...)`` (for example images ``(B, C, H, W)``), or an already encoded
            sequence ``(T, B, ...)`` when ``encoder`` is None.
        T : int
            Number of time steps (>= 1).
        encoder : {"analog", "poisson"}, callable or None
            How inputs become per-step input: ``"analog"`` feeds ``x`` as a constant current
            (computed once), ``"poisson"`` draws signed Bernoulli spikes with probability
            ``|x|``; a callable ``f(x, T, rng)`` returns ``(T, B, ...)``.
        t_in : int, optional
            Analog input only for the first ``t_in`` steps (QFFS input shut-down).
        record : dict, optional
            ``{layer_name: "spikes" | "v" | "v_pre" | ("spikes", "v", ...)}``: what to keep
            per layer (``"v"`` the membrane after the reset, ``"v_pre"`` before it).
        neurons : dict, optional
            ``{layer_name: indices}`` into the flattened per-sample neurons, to keep only those.
        engine : {"layer", "step"}
            Layer-major (fast) or step-major (time outer loop).
        batch_size : int, optional
            Simulate in chunks of this many samples (all at once when None).
        chunk : int, optional
            Layer-major engine: steps processed at once (state carries over between chunks;
            the spikes are the same for any chunk). By default as many as fit in
            :data:`CHUNK_ELEMENTS` values of the widest layer.
        dtype : dtype
            Membrane/current dtype (float32 default; float64 for exactness tests).
        rng : Generator, int or None
            Random source of stochastic encoders.
        progress : bool
            Show a progress bar over batches.

        Returns
        -------
        SimulationResult
        """
        if int(T) != T or T < 1:
            raise ValueError(f"T must be a positive integer, got {T}")
        if engine not in ("layer", "step"):
            raise ValueError(f"engine must be 'layer' or 'step', got {engine!r}")
        record = {k: {v} if isinstance(v, str) else set(v) for k, v in (record or {}).items()}
        for k, what in record.items():
            if not what <= {"spikes", "v", "v_pre"}:
                raise ValueError(f"record[{k!r}] must name 'spikes', 'v' and/or 'v_pre', "
                                 f"got {what}")
        n = x.shape[1] if encoder is None else x.shape[0]
        size = n if batch_size is None else int(batch_size)
        rng = as_rng(rng)
        parts = []
        for start in tqdm(range(0, n, size), desc="simulating", disable=not progress,
                          unit="batch"):
            part = x[:, start:start + size] if encoder is None else x[start:start + size]
            ctx = RunContext(int(T), np.dtype(dtype), record, neurons or {})
            inputs = self._encode(part, int(T), encoder, rng, t_in)
            if not isinstance(inputs, ConstantInput):
                ctx.counts["input"] = SpikeCounts.zeros(inputs.shape[2:], int(T))
                count_spikes(np.sign(inputs).astype(np.int8), ctx.counts["input"])
            out = self._run_layer(inputs, ctx, chunk) if engine == "layer" else \
                self._run_step(inputs, ctx)
            parts.append(SimulationResult(out, ctx.counts, ctx.spikes, ctx.v, v_pre=ctx.v_pre))
        result = SimulationResult.concatenate(parts)
        result.shapes = {k: c.pos.shape for k, c in result.counts.items()}
        result.shapes["input"] = tuple(x.shape[2:] if encoder is None else x.shape[1:])
        return result

    @staticmethod
    def _encode(x, T, encoder, rng, t_in):
        if encoder is None:
            if x.shape[0] != T:
                raise ValueError(f"encoded input must have T={T} steps first, got {x.shape}")
            return x
        if callable(encoder):
            return encoder(x, T, rng)
        if encoder not in _ENCODERS:
            raise ValueError(f"encoder must be one of {sorted(_ENCODERS)}, a callable or None, "
                             f"got {encoder!r}")
        if t_in is not None and encoder != "analog":
            raise ValueError("t_in applies to the analog encoder only")
        return _ENCODERS[encoder](x, T, rng, t_in)

    def _finish(self, out: np.ndarray) -> np.ndarray:
        """Turn the last layer's output into per-step readout values ``(T, B, K)``."""
        if getattr(self.layers[-1], "is_readout", False):  # already per-step readout values
            return out.reshape(out.shape[:2] + (-1,))
        return np.cumsum(out.reshape(out.shape[:2] + (-1,)), axis=0, dtype=np.int32)

    def _chunk_steps(self, x, ctx, chunk: int | None) -> int:
        """Steps per layer-major chunk: all ``T`` unless the widest layer would exceed
        :data:`CHUNK_ELEMENTS` values per chunk (then fewer, at least one)."""
        if chunk is not None:
            if chunk < 1:
                raise ValueError(f"chunk must be >= 1, got {chunk}")
            return int(chunk)
        probe = RunContext(1, ctx.dtype)
        h = x.window(0, 1) if isinstance(x, ConstantInput) else x[:1, :1]
        if isinstance(h, ConstantInput):
            h = ConstantInput(h.value[:1], 1, h.steps_on)
        for layer in self.layers:
            h = layer.forward_seq(h, probe)
        widest = max([c.pos.size for c in probe.counts.values()] + [np.prod(h.shape[2:])])
        batch = x.shape[1] if not isinstance(x, ConstantInput) else x.value.shape[0]
        return int(np.clip(CHUNK_ELEMENTS // (widest * batch), 1, ctx.T))

    def _run_layer(self, x, ctx, chunk: int | None = None) -> np.ndarray:
        steps, outs = self._chunk_steps(x, ctx, chunk), []
        for t0 in range(0, ctx.T, steps):
            ctx.t0, t1 = t0, min(ctx.T, t0 + steps)
            h = x.window(t0, t1) if isinstance(x, ConstantInput) else x[t0:t1]
            for layer in self.layers:
                h = layer.forward_seq(h, ctx)
            if isinstance(h, ConstantInput):
                raise ValueError("the network has no layer that processes the input")
            outs.append(h)
        return self._finish(outs[0] if len(outs) == 1 else np.concatenate(outs))

    def _run_step(self, x, ctx) -> np.ndarray:
        steps = []
        for t in range(ctx.T):
            h = x if isinstance(x, ConstantInput) else x[t]
            for layer in self.layers:
                h = layer.forward_step(h, t, ctx)
            steps.append(np.array(h))
        return self._finish(np.stack(steps))

    def __repr__(self) -> str:
        inner = "\n".join(f"  {layer!r}" for layer in self.layers)
        return f"SpikingNetwork(\n{inner}\n)"

