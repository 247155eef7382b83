"""A spiking network and its two simulation engines.

::

    image --encoder--> [ synapse (nn op) -> neuron scan ] x L  (+ max-pool, residual add)
          --> readout --> prediction at every time step

``engine="layer"`` (default) runs each layer over all ``T`` steps at once: one matrix
product over ``T*B`` rows, then one Numba scan over time. ``engine="step"`` makes time the
outer loop, as in the papers' pseudo-code (spec §1: zero-delay pipeline, a spike emitted by
layer ``l-1`` at step ``t`` reaches layer ``l`` at the same step). Both call the same
kernels in the same order per neuron, so they give identical spikes. Both use only what the
:class:`~snnlite.snn.layer.Layer` contract declares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from tqdm import tqdm

from .._validate import as_rng, check_input, check_int, check_steps
from .context import RunContext, SpikeCounts, count_spikes
from .encoding import ENCODERS, ConstantInput, get_encoder, poisson_stream
from .layer import Layer
from .poisson_input import PoissonInput
from .result import SimulationResult

__all__ = ["SpikingNetwork"]

#: Largest number of neuron values (steps x samples x neurons of the widest layer) that the
#: layer-major engine processes at once; longer simulations run in chunks of steps. 2**21
#: values (8 MB in float32) keep a chunk's arrays in cache: W2 runs ~1.2x faster than at 2**23.
CHUNK_ELEMENTS = 2**21


def _check_record(record, recordable: dict, layers: list[str]) -> dict:
    """``record`` as ``{layer: set of quantities}``, each a quantity that layer can record."""
    if not isinstance(record, Mapping):
        raise TypeError(f"record must be a dict {{layer name: 'spikes' | 'v' | tuple}}, got "
                        f"{type(record).__name__}")
    out = {}
    for name, what in record.items():
        if name not in recordable:
            what = ("records nothing (a non-spiking readout's potential is "
                    "SimulationResult.outputs)" if name in layers else "is no layer's name")
            raise ValueError(f"record names {name!r}, which {what}; recordable layers: "
                             f"{list(recordable)}")
        what = {what} if isinstance(what, str) else set(what) if np.iterable(what) else {what}
        if not what or not what <= set(recordable[name]):
            names = recordable[name]
            listed = ", ".join(names[:-1]) + " and/or " + names[-1] if len(names) > 1 else names[0]
            raise ValueError(f"record[{name!r}] must name {listed}, got {sorted(what, key=str)}")
        out[name] = what
    return out


def _check_neurons(neurons, record: dict, sizes: dict) -> dict:
    """``neurons`` as ``{layer: int array}`` of valid flat indices of recorded layers."""
    if not isinstance(neurons, Mapping):
        raise TypeError(f"neurons must be a dict {{layer name: indices}}, got "
                        f"{type(neurons).__name__}")
    out = {}
    for name, idx in neurons.items():
        if name not in record:
            raise ValueError(f"neurons[{name!r}] selects neurons of a layer that is not recorded;"
                             f" recorded layers: {list(record)}")
        idx = np.asarray(idx)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise TypeError(f"neurons[{name!r}] must be a 1-d list of integer indices, got "
                            f"dtype {idx.dtype} and shape {idx.shape}")
        if idx.size and (idx.min() < 0 or idx.max() >= sizes[name]):
            raise ValueError(f"neurons[{name!r}] must be flat indices in [0, {sizes[name]}), "
                             f"got values in [{idx.min()}, {idx.max()}]")
        out[name] = idx
    return out


def _check_finite(out: np.ndarray, ctx: RunContext, layers) -> None:
    """Raise if the simulated batch overflowed: NaN/inf outputs or final states of ``layers``."""
    for a in [out] + [a for layer in layers for a in layer.state_arrays(ctx)]:
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise ValueError(f"the simulation overflowed (NaN or inf potentials/outputs in "
                             f"{ctx.dtype}): x or the network's weights are too large, or the "
                             f"weights hold NaN/inf")


class SpikingNetwork:
    """An ordered list of spiking layers ending in a readout.

    Parameters
    ----------
    layers : list of Layer
        :class:`~snnlite.snn.layer.Layer` objects:
        :class:`~snnlite.snn.layers.SpikingLayer`, :class:`~snnlite.snn.layers.Reshape`,
        :class:`~snnlite.snn.residual.Residual`, pooling layers, and optionally a final
        readout (a layer with ``is_readout = True`` whose output already is the per-step
        readout value, such as :class:`~snnlite.snn.readouts.Readout`). If the last layer is
        a plain spiking layer, the output is its accumulated spike count.

    Raises
    ------
    TypeError
        If an element of ``layers`` is not a :class:`~snnlite.snn.layer.Layer`.
    ValueError
        If ``layers`` is empty or a readout is not the last layer.

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
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be a snnlite.snn.Layer (SpikingLayer, "
                                f"Readout, Reshape, ...), got {type(layer).__name__}")
        for i, layer in enumerate(layers[:-1]):
            if layer.is_readout:
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
            self._name_layers(layer.children(), f"{layer.name}.")

    def _walk(self, layers: list | None = None):
        """The leaf layers in simulation order (residual blocks expanded)."""
        for layer in self.layers if layers is None else layers:
            children = layer.children()
            if children:
                yield from self._walk(children)
            else:
                yield layer

    def spiking_layers(self) -> list:
        """All spiking populations in simulation order (residual blocks expanded)."""
        return [layer for layer in self._walk() if layer.neuron is not None]

    def recordable(self) -> dict[str, tuple[str, ...]]:
        """``{layer name: quantities}`` that :meth:`run`'s ``record`` accepts, in order.

        Each layer declares its :attr:`~snnlite.snn.layer.Layer.records`: spiking
        populations record ``"spikes"``, ``"v"`` (after the reset) and ``"v_pre"`` (before
        it); event max-pooling ``"spikes"``. A non-spiking
        :class:`~snnlite.snn.readouts.Readout` records nothing: its potential is ``outputs``.
        """
        return {layer.name: layer.records for layer in self._walk() if layer.records}

    # -- simulation ----------------------------------------------------------------------
    def _check_run(self, x, T, encoder, t_in, record, neurons, engine, batch_size, chunk,
                   dtype, weights: dict) -> tuple:
        """Validate :meth:`run`'s arguments (the public boundary); return them normalised.

        A one-sample, one-step probe run checks that the network accepts the per-sample shape
        and gives every layer's size (for ``neurons`` and the chunk length); the
        weight-derived arrays it makes go into ``weights`` for the run itself.
        """
        T = check_steps(T)
        if engine not in ("layer", "step"):
            raise ValueError(f"engine must be 'layer' or 'step', got {engine!r}")
        try:
            kind = np.dtype(dtype).kind
        except TypeError:
            kind = None
        if kind != "f":
            raise TypeError(f"dtype must be a float dtype (float32 or float64), got {dtype!r}")
        dtype = np.dtype(dtype)
        encode = None if encoder is None else get_encoder(encoder)
        if t_in is not None and encoder != "analog":
            raise ValueError("t_in applies to the analog encoder only")
        x = check_input(x, min_ndim=1 if encode else 2)
        if encode is None and x.shape[0] != T:
            raise ValueError(f"x must be an encoded sequence (T, B, ...) with T={T} steps first "
                             f"when encoder is None, got shape {x.shape}")
        n, sample = (x.shape[0], x.shape[1:]) if encode else (x.shape[1], x.shape[2:])
        if n == 0:
            raise ValueError(f"x holds no samples (shape {x.shape}); expected at least one")
        size = n if batch_size is None else check_int("batch_size", batch_size)
        chunk = None if chunk is None else check_int("chunk", chunk)
        probe = RunContext(1, dtype, weights=weights)
        h = np.zeros((1, 1, *sample), np.int8)
        try:
            for layer in self.layers:
                h = layer.forward_seq(h, probe)
        except ValueError as err:
            raise ValueError(f"x has per-sample shape {sample}, which the network does not "
                             f"accept: {err}") from err
        for layer in self._walk():  # the synapse paths of this run, not of the probe
            if hasattr(layer, "path_log"):
                layer.path_log.clear()
        record = _check_record({} if record is None else record, self.recordable(),
                               [layer.name for layer in self._walk()])
        sizes = {name: c.pos.size for name, c in probe.counts.items()}
        neurons = _check_neurons({} if neurons is None else neurons, record, sizes)
        widest = max([*sizes.values(), int(np.prod(h.shape[2:]))])
        return T, x, n, dtype, record, neurons, size, chunk, widest

    def run(self, x: np.ndarray, T: int, encoder: str | Callable | None = "analog", *,
            t_in: int | None = None, record: dict | None = None, neurons: dict | None = None,
            engine: str = "layer", batch_size: int | None = None, chunk: int | None = None,
            dtype=np.float32, rng=None, progress: bool = False,
            count: bool = True) -> SimulationResult:
        """Simulate ``T`` steps on a batch of inputs.

        Parameters
        ----------
        x : ndarray
            Inputs ``(B, ...)`` (for example images ``(B, C, H, W)`` scaled to [0, 1]), or an
            already encoded sequence ``(T, B, ...)`` when ``encoder`` is None. Real, finite
            values; integer arrays only with values in {-1, 0, 1} (scale uint8 images with
            :func:`snnlite.datasets.to_float`).
        T : int
            Number of time steps (>= 1).
        encoder : str, callable or None
            How inputs become per-step input: a name in
            :data:`~snnlite.snn.encoding.ENCODERS` (``"analog"`` feeds ``x`` as a constant
            current, computed once; ``"poisson"`` draws signed Bernoulli spikes with
            probability ``|x|``; also ``"bernoulli"``, ``"regular"``, ``"latency"``), or a
            callable ``f(x, T, *, rng=None)`` returning ``(T, B, ...)``.
        t_in : int, optional
            Analog input only for the first ``t_in`` steps (QFFS input shut-down).
        record : dict, optional
            ``{layer_name: "spikes" | "v" | "v_pre" | ("spikes", "v", ...)}``: what to keep
            per layer (``"v"`` the membrane after the reset, ``"v_pre"`` before it;
            :meth:`recordable` lists the names and quantities).
        neurons : dict, optional
            ``{layer_name: indices}`` into the flattened per-sample neurons of a recorded
            layer, to keep only those.
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
        count : bool
            Count the spikes of the input and of every layer into ``result.counts`` (one
            pass over each layer's spikes per chunk). False skips this: ``result.counts`` is
            then empty, and what needs it (``count_ops``, ``spikes_per_layer``) has nothing
            to read. Outputs and recordings are the same either way.

        Returns
        -------
        SimulationResult

        Raises
        ------
        TypeError, ValueError
            Naming the argument, for any invalid one: unknown encoder, engine, layer name in
            ``record``/``neurons``; ``T``, ``batch_size`` or ``chunk`` not an integer >= 1;
            ``x`` empty, of a shape the network does not accept, with NaN/inf, or an unscaled
            integer image; and when the simulation overflows (NaN/inf potentials or outputs).
        """
        if not isinstance(count, (bool, np.bool_)):
            raise TypeError(f"count must be True or False, got {count!r}")
        weights = {}  # weight-derived arrays, shared by the probe and every batch
        T, x, n, dtype, record, neurons, size, chunk, widest = self._check_run(
            x, T, encoder, t_in, record, neurons, engine, batch_size, chunk, dtype, weights)
        rng = as_rng(rng)
        parts = []
        for start in tqdm(range(0, n, size), desc="simulating", disable=not progress,
                          unit="batch"):
            part = x[:, start:start + size] if encoder is None else x[start:start + size]
            ctx = RunContext(T, dtype, record, neurons, count=count, weights=weights)
            if encoder in ("poisson", "bernoulli") and engine == "layer" \
                    and hasattr(self.layers[0], "path"):  # drawn by the first layer's kernel
                inputs = poisson_stream(part, T, rng=rng)
                if count:
                    inputs.counts = ctx.counts["input"] = SpikeCounts.zeros(inputs.shape[2:], T)
            elif encoder is None:
                inputs = part
            else:
                inputs = self._encode(part, T, encoder, rng, t_in)
            if count and not isinstance(inputs, (ConstantInput, PoissonInput)):
                ctx.counts["input"] = SpikeCounts.zeros(inputs.shape[2:], T)
                count_spikes(inputs, ctx.counts["input"])  # floats: by sign
            out = self._run_layer(inputs, ctx, chunk or self._chunk_steps(widest, inputs, T)) \
                if engine == "layer" else self._run_step(inputs, ctx)
            _check_finite(out, ctx, self._walk())
            parts.append(SimulationResult(out, ctx.counts, ctx.spikes, ctx.v, v_pre=ctx.v_pre))
        result = SimulationResult.concatenate(parts)
        result.shapes = {k: c.pos.shape for k, c in result.counts.items()}
        result.shapes["input"] = tuple(x.shape[2:] if encoder is None else x.shape[1:])
        return result

    @staticmethod
    def _encode(x, T, encoder, rng, t_in):
        """Encode the batch ``x``; check what a user's callable returned."""
        options = {} if t_in is None else {"t_in": t_in}
        inputs = get_encoder(encoder)(x, T, rng=rng, **options)
        if isinstance(encoder, str) and encoder in ENCODERS:
            return inputs
        if not isinstance(inputs, ConstantInput):
            inputs = check_input(inputs, "the encoder's output", min_ndim=2)
        if inputs.shape[:2] != (T, len(x)):
            raise ValueError(f"encoder {encoder!r} returned shape {inputs.shape}; expected "
                             f"(T, B, ...) = ({T}, {len(x)}, ...)")
        return inputs

    def _finish(self, out: np.ndarray) -> np.ndarray:
        """Turn the last layer's output into per-step readout values ``(T, B, K)``."""
        out = out.reshape(out.shape[:2] + (-1,))
        if self.layers[-1].is_readout:  # already per-step readout values
            return out
        counts, total = np.empty(out.shape, np.int32), np.zeros(out.shape[1:], np.int32)
        for t, spikes in enumerate(out):  # running spike counts; np.cumsum(axis=0) from
            total += spikes                # int8 was ~20x slower (128 ms for 100x128x512)
            counts[t] = total
        return counts

    @staticmethod
    def _chunk_steps(widest: int, x, T: int) -> int:
        """Steps per layer-major chunk: all ``T`` unless the widest layer would exceed
        :data:`CHUNK_ELEMENTS` values per chunk (then fewer, at least one)."""
        batch = x.shape[1] if not isinstance(x, ConstantInput) else x.value.shape[0]
        return int(np.clip(CHUNK_ELEMENTS // (widest * batch), 1, T))

    def _run_layer(self, x, ctx, steps: int) -> np.ndarray:
        outs = []
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

