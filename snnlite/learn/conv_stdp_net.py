"""Spiking convolutional layers for layer-wise STDP (spec §4.4, §4.6) and the net built of them.

A :class:`SpikingConv` is a bias-free convolution (the synapse; its weights live in an
:class:`~snnlite.nn.Conv2d`) feeding :class:`~snnlite.neurons.AdaptiveLIF` neurons: LIF
(C2, C3, soft reset) whose threshold ``theta0 * (1 + a[p])`` is *uniform* over the channels of
a position ``p`` and rises with every spike at ``p`` (the competition mechanism of §4.4; our
rule, the paper's details are UNKNOWN; the equations are in :mod:`snnlite.neurons.adaptive_lif`,
whose kernel :func:`adaptive_lif_scan` calls). ``theta0`` (one per LIF population) is set by the
homeostasis of :class:`~snnlite.learn.conv_stdp.ConvSTDP` during training and frozen
afterwards. With ``adapt = 0`` the neuron is exactly :class:`~snnlite.neurons.LIF` (a test
checks it).

Spike arrays are channels-last, ``(t, B, H, W, C)`` int8, so the per-position loops over
channels are contiguous. The current is computed event by event (:func:`event_conv`: each
input spike adds its kernel slice, one add per synaptic operation), which equals the im2col
product of the ``Conv2d`` (a test checks it) and is several times cheaper for sparse spikes.

A BackRes layer (§4.6) applies the *same* weights ``repeats = n`` times: the first application
sees the layer input, application ``r`` sees the spikes of application ``r - 1``; every
application has its own LIF population and ``theta0``. Spike max-pooling (an OR over each
window, per step) follows the last application when ``pool > 1``.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from snnlite import nn
from snnlite._jit import njit
from snnlite._validate import as_rng
from snnlite.learn.conv_stdp_stats import ActivityStats
from snnlite.neurons.adaptive_lif import adaptive_lif_kernel
from snnlite.neurons.surrogate import HEAVISIDE
from snnlite.nn.counting import fan_out, macs
from snnlite.nn.im2col import output_size
from snnlite.snn.encoding import get_encoder

__all__ = ["SpikingConv", "SpikingConvNet", "adaptive_lif_scan", "event_conv", "joint_features"]


def adaptive_lif_scan(current, v, a, alpha, theta0, adapt, beta, spikes):
    """:class:`~snnlite.neurons.AdaptiveLIF`'s kernel on channels-last arrays (module docstring).

    Parameters
    ----------
    current : (t, B, P, O) float32 array, C-contiguous
        Input current per step, sample, position and channel (channels last).
    v : (B, P, O) float32 array, C-contiguous
        Membrane potentials; updated in place.
    a : (B, P) float32 array, C-contiguous
        Threshold adaptation per sample and position; updated in place.
    alpha, theta0, adapt, beta : float32
        Decay (C2), base threshold, rise per spike and decay of the adaptation.
    spikes : (t, B, P, O) int8 array, C-contiguous
        Output, every entry written (0 or 1).
    """
    for name, array in (("current", current), ("v", v), ("a", a), ("spikes", spikes)):
        if not array.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous (it is viewed as a flat array)")
    t = current.shape[0]
    none = np.empty((0, v.size), v.dtype)
    adaptive_lif_kernel(current.reshape(t, -1), v.reshape(-1), a.reshape(-1, 1), alpha, theta0,
                        adapt, beta, HEAVISIDE, 0.0, spikes.reshape(t, -1), none, none,
                        np.empty((0, a.size, 1), v.dtype))


@njit
def event_conv(spikes, kernel, stride, pad, out):
    """Event-driven convolution current: every input spike adds its kernel slice (C3).

    ``out[t, b, oy, ox, :] += kernel[i, j, c, :]`` for every spike ``spikes[t, b, y, x, c]``
    and every tap ``(i, j)`` with ``y = oy * stride + i - pad``, ``x = ox * stride + j - pad``
    inside the output grid: the same current as the im2col product of :class:`~snnlite.nn.Conv2d`
    (a test checks it), at the cost of one add per synaptic operation.

    Parameters
    ----------
    spikes : (t, B, H, W, C) int8 array
    kernel : (kh, kw, C, O) float32 array
        ``Conv2d.weight.transpose(2, 3, 1, 0)``.
    stride, pad : int
    out : (t, B, OH, OW, O) float32 array, zero on entry
    """
    kh, kw, n_o = kernel.shape[0], kernel.shape[1], kernel.shape[3]
    oh, ow = out.shape[2], out.shape[3]
    for s in range(spikes.shape[0]):
        for b in range(spikes.shape[1]):
            for y in range(spikes.shape[2]):
                for x in range(spikes.shape[3]):
                    for c in range(spikes.shape[4]):
                        if spikes[s, b, y, x, c] == 0:
                            continue
                        for i in range(kh):
                            qy = y + pad - i
                            if qy < 0 or qy % stride != 0 or qy // stride >= oh:
                                continue
                            for j in range(kw):
                                qx = x + pad - j
                                if qx < 0 or qx % stride != 0 or qx // stride >= ow:
                                    continue
                                for o in range(n_o):
                                    out[s, b, qy // stride, qx // stride, o] += kernel[i, j, c, o]


class SpikingConv:
    """An LIF convolution layer (C2, C3), optionally unrolled ``repeats`` times (BackRes, §4.6).

    Parameters
    ----------
    in_channels, out_channels : int
        Channels; ``repeats > 1`` needs them equal (the output feeds the same weights again).
    kernel_size : int
        Square kernel side.
    padding : int
        Zero padding; ``repeats > 1`` needs a "same" convolution (``2 * padding + 1 ==
        kernel_size``).
    repeats : int, default 1
        BackRes unrollings ``n`` of the shared weights.
    pool : int, default 1
        Spike max-pool window (and stride) after the last unrolling; 1 means none.
    alpha : float, default 0.99
        LIF decay per step (spec §7 default).
    adapt, beta : float
        Threshold rise per spike (relative to ``theta0``) and its decay per step.
    w_range : (float, float)
        Initial weights are uniform in this range (also the STDP clipping range by default).
    rng : Generator, int or None
        Random source of the initial weights.

    Attributes
    ----------
    conv : nn.Conv2d
        The synapse (``bias=False``); ``conv.weight.data`` is ``(O, C, k, k)``.
    thresholds : (repeats,) float64 array
        ``theta0`` of each unrolling's LIF population (1.0 until trained).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int = 0,
                 repeats: int = 1, pool: int = 1, alpha: float = 0.99, adapt: float = 0.3,
                 beta: float = 0.8, w_range=(0.0, 1.0), rng=None):
        if repeats < 1 or pool < 1:
            raise ValueError(f"repeats and pool must be >= 1, got {repeats}, {pool}")
        if repeats > 1 and (in_channels != out_channels or 2 * padding + 1 != kernel_size):
            raise ValueError("a BackRes layer (repeats > 1) needs in_channels == out_channels "
                             f"and a 'same' convolution, got {in_channels} -> {out_channels}, "
                             f"kernel {kernel_size}, padding {padding}")
        rng = as_rng(rng)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding,
                              bias=False, rng=rng)
        self.conv.weight.data[...] = rng.uniform(*w_range, self.conv.weight.data.shape)
        self.repeats, self.pool_size = int(repeats), int(pool)
        self.alpha, self.adapt, self.beta = float(alpha), float(adapt), float(beta)
        self.thresholds = np.ones(self.repeats)

    @property
    def weight(self) -> np.ndarray:
        """The shared kernel ``(O, C, k, k)`` (a view, float32)."""
        return self.conv.weight.data

    def n_params(self) -> int:
        """Number of weights (shared by all unrollings)."""
        return int(self.weight.size)

    def out_shape(self, in_shape) -> tuple[int, int, int]:
        """``(OH, OW, O)`` of one application to an input of shape ``(H, W, C)``."""
        (oh, ow), k = output_size(in_shape[:2], self.conv.kernel_size, self.conv.stride,
                                  self.conv.padding), self.conv.out_channels
        return (oh, ow, k)

    def pooled_shape(self, in_shape) -> tuple[int, int, int]:
        """Shape ``(H, W, C)`` of the layer's output after the spike max-pool."""
        h, w, o = self.out_shape(in_shape)
        return (h // self.pool_size, w // self.pool_size, o)

    def init_state(self, batch: int, in_shape) -> list[dict]:
        """Fresh ``{"v": (B, P, O), "a": (B, P)}`` float32 state for every unrolling."""
        h, w, o = self.out_shape(in_shape)
        return [{"v": np.zeros((batch, h * w, o), np.float32),
                 "a": np.zeros((batch, h * w), np.float32)} for _ in range(self.repeats)]

    def current(self, spikes: np.ndarray) -> np.ndarray:
        """Synaptic current (C3) of a ``(t, B, H, W, C)`` spike window: ``(t, B, OH, OW, O)``.

        Event-driven (:func:`event_conv`), equal to ``self.conv`` applied to the spikes.
        """
        t, b = spikes.shape[:2]
        out = np.zeros((t, b, *self.out_shape(spikes.shape[2:])), np.float32)
        kernel = np.ascontiguousarray(self.weight.transpose(2, 3, 1, 0), np.float32)
        event_conv(spikes, kernel, self.conv.stride[0], self.conv.padding[0], out)
        return out

    def step(self, spikes: np.ndarray, r: int, state: list[dict],
             keep: np.ndarray | None = None, current: np.ndarray | None = None) -> np.ndarray:
        """Advance unrolling ``r`` over a window; returns its ``(t, B, OH, OW, O)`` int8 spikes.

        ``keep`` (``(B, O)`` bool, dropout) silences the dropped channels; ``current`` may be
        given when already computed.
        """
        cur = self.current(spikes) if current is None else current
        t, b, h, w, o = cur.shape
        cur = cur.reshape(t, b, h * w, o)
        if keep is not None:
            cur = cur * keep[None, :, None, :]
        out = np.empty(cur.shape, np.int8)
        adaptive_lif_scan(np.ascontiguousarray(cur, np.float32), state[r]["v"], state[r]["a"],
                          np.float32(self.alpha), np.float32(self.thresholds[r]),
                          np.float32(self.adapt), np.float32(self.beta), out)
        return out.reshape(t, b, h, w, o)

    def run(self, spikes: np.ndarray, keep: np.ndarray | None = None) -> list[np.ndarray]:
        """All ``T`` steps at once (layer-major), every unrolling; list of ``repeats`` outputs.

        Parameters
        ----------
        spikes : (T, B, H, W, C) int8 array
            Input spikes (channels last).
        keep : (B, O) bool array, optional
            Channel dropout mask (see :meth:`step`).

        Returns
        -------
        list of ``repeats`` (T, B, OH, OW, O) int8 arrays
            Spikes of every unrolling (``(OH, OW, O)`` = :meth:`out_shape` of ``(H, W, C)``),
            before the spike max-pool.
        """
        state = self.init_state(spikes.shape[1], spikes.shape[2:])
        outs = []
        for r in range(self.repeats):
            spikes = self.step(spikes, r, state, keep)
            outs.append(spikes)
        return outs

    def pooled(self, spikes: np.ndarray) -> np.ndarray:
        """Spike max-pool (per-step OR over each window) of a ``(t, B, H, W, C)`` array."""
        if self.pool_size == 1:
            return spikes
        p = self.pool_size
        h, w = spikes.shape[2] // p * p, spikes.shape[3] // p * p
        out = spikes[:, :, 0:h:p, 0:w:p].copy()
        for i in range(p):
            for j in range(p):
                np.maximum(out, spikes[:, :, i:h:p, j:w:p], out=out)
        return out


class SpikingConvNet:
    """A stack of :class:`SpikingConv` layers fed by Poisson-coded images (§4.1).

    Parameters
    ----------
    layers : list of SpikingConv
        Bottom-up.
    in_shape : (H, W, C)
        Image shape (channels last, the layout of every spike array of the stack).
    T : int
        Time steps per presentation.
    feature_pool : int
        The classifier features are the last layer's spike counts (last unrolling, before its
        max-pool) summed over ``feature_pool x feature_pool`` windows.
    name : str
        Topology name (for tables).
    """

    def __init__(self, layers: list[SpikingConv], in_shape=(28, 28, 1), T: int = 20,
                 feature_pool: int = 2, name: str = ""):
        self.layers, self.in_shape, self.T = list(layers), tuple(in_shape), int(T)
        self.feature_pool, self.name = int(feature_pool), name
        self.in_shapes = [self.in_shape]
        for layer in self.layers[:-1]:
            self.in_shapes.append(layer.pooled_shape(self.in_shapes[-1]))
        h, w, o = self.layers[-1].out_shape(self.in_shapes[-1])
        self.n_features = o * (h // self.feature_pool) * (w // self.feature_pool)

    def n_params(self) -> int:
        """Unique (stored) STDP weights."""
        return sum(layer.n_params() for layer in self.layers)

    def encode(self, x: np.ndarray, rng=None) -> np.ndarray:
        """Poisson spikes ``(T, B, H, W, C)`` int8 of images ``x`` in [0, 1] (§4.1).

        The registry's ``"poisson"`` encoder, unsigned; images outside [0, 1] (for example
        uint8 0-255) raise a ValueError.
        """
        x = np.asarray(x, np.float32).reshape(len(x), *self.in_shape)
        return get_encoder("poisson")(x, self.T, rng=rng, signed=False)

    def forward_to(self, spikes: np.ndarray, index: int) -> np.ndarray:
        """Input spikes of layer ``index`` (the frozen layers below it run layer-major)."""
        for layer in self.layers[:index]:
            spikes = layer.pooled(layer.run(spikes)[-1])
        return spikes

    def features(self, x: np.ndarray, rng=None, batch_size: int = 100,
                 progress: bool = True, stats: ActivityStats | None = None) -> np.ndarray:
        """Spike-count features ``(N, n_features)`` float32 (counts / T) of images ``x``.

        Parameters
        ----------
        x : (N, H, W) or (N, H, W, C) float array in [0, 1]
            Images.
        rng : Generator, int or None
            Random source of the Poisson input.
        batch_size : int
            Images simulated together.
        progress : bool
            Show a tqdm bar.
        stats : ActivityStats, optional
            Accumulates spikes and SOPs of every population.
        """
        return joint_features([self], x, rng, batch_size, progress,
                              None if stats is None else [stats])[0]

    def fans(self) -> list[np.ndarray]:
        """Fan-out ``(H, W, C)`` of every input position of every layer (SOP counting)."""
        return [fan_out(layer.conv, (s[2], s[0], s[1])).transpose(1, 2, 0)
                for layer, s in zip(self.layers, self.in_shapes, strict=True)]

    def count(self, stats: ActivityStats, i: int, ins: list, outs: list, fan) -> None:
        """Add the spikes and SOPs of layer ``i`` (inputs and outputs per unrolling).

        Parameters
        ----------
        stats : ActivityStats
            Accumulator, updated in place.
        i : int
            Layer index.
        ins : list of ``repeats`` (T, B, H, W, C) int8 arrays
            Input spikes of every unrolling.
        outs : list of ``repeats`` (T, B, OH, OW, O) int8 arrays
            Output spikes of every unrolling (before the max-pool).
        fan : (H, W, C) int array
            Fan-out of each input position (:meth:`fans`).
        """
        layer = self.layers[i]
        for r, (inp, o) in enumerate(zip(ins, outs, strict=True)):
            key = f"conv{i + 1}" + (f".{r + 1}" if layer.repeats > 1 else "")
            events = np.count_nonzero(inp, axis=(0, 1)).astype(np.float64)  # (H, W, C)
            stats.add(key, (events * fan).sum(), "sops")
            stats.add(key, np.count_nonzero(o), "spikes")
            if key not in stats.macs:
                h, w, c = inp.shape[2:]
                stats.neurons[key] = int(np.prod(o.shape[2:]))
                stats.macs[key] = macs(layer.conv, (c, h, w))


def joint_features(nets: list[SpikingConvNet], x: np.ndarray, rng=None, batch_size: int = 100,
                   progress: bool = True, stats: list | None = None) -> list[np.ndarray]:
    """:meth:`SpikingConvNet.features` of several nets fed the *same* Poisson spikes.

    Nets that share their bottom layers (the same :class:`SpikingConv` objects, as greedy
    layer-wise training allows) simulate those layers once per batch: every result equals that
    of the net's own :meth:`~SpikingConvNet.features` with the same ``rng``.

    Parameters
    ----------
    nets : list of SpikingConvNet
        Nets with the same ``T`` and ``in_shape``.
    x : (N, H, W) or (N, H, W, C) float array in [0, 1]
        Images (reshaped to ``in_shape``).
    rng : Generator, int or None
        Random source of the Poisson input.
    batch_size : int
        Images simulated together.
    progress : bool
        Show a tqdm bar.
    stats : list of ActivityStats, optional
        One per net; accumulates spikes and SOPs of every population.

    Returns
    -------
    list of (N, net.n_features) float32 arrays
        The features (spike counts / T) of every net, in the order of ``nets``.
    """
    rng = as_rng(rng)
    if len({(n.T, n.in_shape) for n in nets}) != 1:
        raise ValueError("joint_features needs nets with the same T and input shape")
    fans = [net.fans() for net in nets]
    out = [np.empty((len(x), net.n_features), np.float32) for net in nets]
    for start in tqdm(range(0, len(x), batch_size), desc="features", disable=not progress,
                      leave=False, mininterval=1.0):
        first = nets[0].encode(x[start:start + batch_size], rng)
        cache = {}  # (ids of the layers so far) -> their outputs
        for n, net in enumerate(nets):
            spikes, key = first, ()
            for i, layer in enumerate(net.layers):
                key += (id(layer),)
                if key not in cache:
                    cache[key] = layer.run(spikes)
                outs = cache[key]
                if stats is not None:
                    net.count(stats[n], i, [spikes] + outs[:-1], outs, fans[n][i])
                spikes = layer.pooled(outs[-1])
            p = net.feature_pool
            counts = outs[-1].sum(axis=0, dtype=np.int32)
            b, h, w, o = counts.shape
            h, w = h // p * p, w // p * p
            pooled = counts[:, :h, :w].reshape(b, h // p, p, w // p, p, o).sum(axis=(2, 4))
            out[n][start:start + b] = pooled.reshape(b, -1) / np.float32(net.T)
    for st in stats or ():
        st.n_samples += len(x)
    return out
