"""Layer-wise mini-batch STDP for spiking convolutional networks (spec §4.4 C5, §4.6).

The layers of a :class:`~snnlite.learn.conv_stdp_net.SpikingConvNet` are trained greedily,
bottom-up. For layer ``L``, every mini-batch of ``B`` images is Poisson coded for ``T`` steps,
the frozen layers below ``L`` are simulated layer-major, and the ``T`` steps of layer ``L`` are
cut into ``k`` windows. In each window, for every unrolling ``r = 1..n`` of the layer
(``n = 1`` for a plain layer, BackRes otherwise, §4.6)::

    post = LIF spikes of unrolling r over the window, with the current weights W
    pre  = the spikes feeding it (the layer input for r = 1, the spikes of unrolling r-1 else)
    for every post spike (b, o, oy, ox) at step t and every tap (c, i, j) of its window:
        dW[o, c, i, j] += panda_dw(t - t_pre[b, c, oy*s + i - pad, ox*s + j - pad])      (C5)
    W[o] <- clip(W[o] + dW[o] / n_post[o], w_min, w_max)

With ``scaling=True`` (synaptic scaling, in the spirit of Diehl & Cook's weight
normalisation; our addition) each kernel's update is made zero-sum, ``dW[o] -= mean(dW[o])``,
before the clip: STDP then only redistributes weight between the taps of a kernel, which keeps
a layer whose inputs are sparse (a BackRes unrolling, a deep layer) from being depressed
until it is silent for ever. The constant ``-eta * offset`` of C5 cancels in a zero-sum
update, so with scaling the offset acts only through the clipping bounds.

``t_pre`` is the last spike of the pre neuron at or before ``t`` in the current presentation
(``-inf`` if none, and for zero-padding taps: a pre neuron that never fired gives depression,
``-eta * offset``, spec §4.4). ``n_post[o]`` is the number of post spikes of channel ``o`` in the
window over the whole mini-batch and all positions: the update of a shared kernel is the C5
update *averaged over the mini-batch and the conv positions* of its spikes. So a presentation
makes ``k`` weight updates (``k * n`` for a BackRes layer), the ``r``-th unrolling already seeing
the weights updated by the ``(r-1)``-th.

Competition (details UNKNOWN in the paper; our rules, documented):

* **uniform threshold adaptation**: inside a presentation, a spike of any channel at a
  position raises the threshold of *all* channels at that position, which then decays
  (:class:`~snnlite.neurons.AdaptiveLIF`); across mini-batches the base
  threshold ``theta0`` of each LIF population (one number for the whole population) follows
  the homeostasis ``theta0 <- theta0 * clip(((rate + 1e-4) / (target_rate + 1e-4)) ** gain,
  0.7, 1.4)``, ``rate`` being the population's spikes per neuron per step on the batch (kept
  channels only). It starts from ``mean current / target_rate`` measured on the first batch.
* **dropout**: for every image, each output channel is dropped with probability ``p_drop``
  for the whole presentation (it gets no current, so it neither spikes nor learns from that
  image), so different channels are trained on different images.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from snnlite._jit import njit
from snnlite._validate import as_rng
from snnlite.learn.conv_stdp_net import SpikingConv, SpikingConvNet
from snnlite.learn.stdp import panda_dw
from snnlite.nn.batches import batches

__all__ = ["ConvSTDP", "stdp_conv_update"]


@njit
def _stdp_window(pre, post, last_pre, t0, stride, pad, eta, tau, offset, dw, count):
    """Accumulate the C5 updates of one window (see the module docstring), in place.

    pre (t, B, H, W, C) int8; post (t, B, OH, OW, O) int8; last_pre (B, H, W, C) float64
    (updated in place); dw (O, C, kh, kw) float64 and count (O,) int64 are added to.
    """
    n_b, h, w, n_c = last_pre.shape
    kh, kw = dw.shape[2], dw.shape[3]
    for s in range(pre.shape[0]):
        t = t0 + s
        for b in range(n_b):
            for y in range(h):
                for x in range(w):
                    for c in range(n_c):
                        if pre[s, b, y, x, c] != 0:
                            last_pre[b, y, x, c] = t
        for b in range(n_b):
            for oy in range(post.shape[2]):
                for ox in range(post.shape[3]):
                    for o in range(post.shape[4]):
                        if post[s, b, oy, ox, o] == 0:
                            continue
                        count[o] += 1
                        for i in range(kh):
                            y = oy * stride + i - pad
                            for j in range(kw):
                                x = ox * stride + j - pad
                                inside = 0 <= y < h and 0 <= x < w
                                for c in range(n_c):
                                    # zero padding never fires: dt = inf (depression)
                                    dt = t - last_pre[b, y, x, c] if inside else np.inf
                                    dw[o, c, i, j] += panda_dw(dt, eta, tau, offset)  # C5


def stdp_conv_update(pre: np.ndarray, post: np.ndarray, last_pre: np.ndarray, t0: int,
                     kernel_size: int, stride: int = 1, padding: int = 0, eta: float = 1e-3,
                     tau: float = 10.0, offset: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Mini-batch C5 update of a shared conv kernel for one window of steps.

    Parameters
    ----------
    pre : (t, B, H, W, C) int8 array
        Pre-synaptic spikes of steps ``t0 .. t0 + t - 1`` (channels last).
    post : (t, B, OH, OW, O) int8 array
        Post-synaptic spikes of the same steps.
    last_pre : (B, H, W, C) float64 array
        Step of the last pre spike before the window (``-inf``: none); updated in place.
    t0 : int
        Step index of the window's first step.
    kernel_size, stride, padding : int
        Convolution geometry.
    eta, tau, offset : float
        C5 constants (spec §7 illustrative defaults).

    Returns
    -------
    dw : (O, C, k, k) float64 array
        The update averaged over the post spikes of each output channel (zero where none),
        in the layout of :class:`~snnlite.nn.Conv2d` weights.
    count : (O,) int64 array
        Post spikes of each channel in the window (mini-batch and positions together).
    """
    o, c = post.shape[4], pre.shape[4]
    total = np.zeros((o, c, kernel_size, kernel_size))
    count = np.zeros(o, np.int64)
    _stdp_window(pre, post, last_pre, int(t0), int(stride), int(padding), float(eta),
                 float(tau), float(offset), total, count)
    return total / np.maximum(count, 1)[:, None, None, None], count


class ConvSTDP:
    """Greedy layer-wise mini-batch STDP trainer (C5; module docstring has the algorithm).

    Parameters
    ----------
    k : int, default 4
        Weight updates per presentation and unrolling (``k <= T``).
    eta, tau, offset : float
        C5 constants (learning rate, potentiation window in steps, depression offset).
    w_min, w_max : float
        Weight clipping range.
    batch_size : int
        Images per mini-batch.
    p_drop : float
        Channel dropout probability per image (competition).
    target_rate : float
        Homeostatic target of spikes per neuron per step.
    gain : float
        Exponent of the multiplicative threshold homeostasis.
    scaling : bool
        Make every kernel update zero-sum (synaptic scaling, module docstring).
    rng : Generator, int or None
        Random source of the order, Poisson input and dropout masks.

    Attributes
    ----------
    n_updates_ : list of int
        Weight updates made for each trained layer.
    rates_ : list of list of float
        Per layer, the spikes per neuron per step of every mini-batch (last unrolling).
    seconds_ : list of float
        Training time of each layer.
    """

    def __init__(self, k: int = 4, eta: float = 5e-3, tau: float = 10.0, offset: float = 0.3,
                 w_min: float = 0.0, w_max: float = 1.0, batch_size: int = 32,
                 p_drop: float = 0.25, target_rate: float = 0.05, gain: float = 0.5,
                 scaling: bool = False, rng=None):
        if not 0 <= p_drop < 1:
            raise ValueError(f"p_drop must lie in [0, 1), got {p_drop}")
        if k < 1 or batch_size < 1 or not w_min < w_max or target_rate <= 0:
            raise ValueError(f"need k >= 1, batch_size >= 1, w_min < w_max and target_rate > 0;"
                             f" got {k}, {batch_size}, {w_min}, {w_max}, {target_rate}")
        self.k, self.eta, self.tau, self.offset = int(k), float(eta), float(tau), float(offset)
        self.w_min, self.w_max, self.batch_size = float(w_min), float(w_max), int(batch_size)
        self.p_drop, self.target_rate, self.gain = float(p_drop), float(target_rate), float(gain)
        self.scaling = bool(scaling)
        self.rng = as_rng(rng)
        self.n_updates_, self.rates_, self.seconds_ = [], [], []

    def fit(self, net: SpikingConvNet, images: np.ndarray, progress: bool = True) -> ConvSTDP:
        """Train every layer of ``net`` in turn, bottom-up, on ``images`` (N, H, W) in [0, 1]."""
        for index in range(len(net.layers)):
            self.fit_layer(net, index, images, progress)
        return self

    def fit_layer(self, net: SpikingConvNet, index: int, images: np.ndarray,
                  progress: bool = True) -> ConvSTDP:
        """One pass of STDP over ``images`` for layer ``index`` (lower layers frozen).

        Parameters
        ----------
        net : SpikingConvNet
            The net; only ``net.layers[index]`` learns.
        index : int
            Layer to train.
        images : (N, H, W) or (N, H, W, C) float array in [0, 1]
            Training images (reshaped to ``net.in_shape`` by :meth:`SpikingConvNet.encode`).
        progress : bool
            Show a tqdm bar.

        Returns
        -------
        self
        """
        if self.k > net.T:
            raise ValueError(f"k = {self.k} updates per presentation exceeds T = {net.T}")
        layer = net.layers[index]
        start, updates, rates, calibrated = time.perf_counter(), 0, [], False
        bar = tqdm(total=len(images), desc=f"STDP {net.name} conv{index + 1}", unit="img",
                   disable=not progress, leave=False, mininterval=1.0)
        positions = np.prod(layer.out_shape(net.in_shapes[index])[:2])  # x.shape[2:] == in_shape
        for xb in batches(images, None, self.batch_size, shuffle=True, rng=self.rng):
            x = net.forward_to(net.encode(xb, self.rng), index)
            keep = self.rng.random((len(xb), layer.conv.out_channels)) >= self.p_drop
            if not calibrated:
                self._calibrate(layer, x, keep)
                calibrated = True
            spikes = self._present(layer, x, keep)
            updates += self.k * layer.repeats
            for r, s in enumerate(spikes):  # uniform threshold homeostasis per population
                rate = s / max(keep.sum() * positions * net.T, 1)
                layer.thresholds[r] *= np.clip(((rate + 1e-4) / (self.target_rate + 1e-4))
                                               ** self.gain, 0.7, 1.4)
            rates.append(float(rate))
            bar.update(len(xb))
            bar.set_postfix(rate=f"{rate:.3f}", th=f"{layer.thresholds[-1]:.3g}", refresh=False)
        bar.close()
        self.n_updates_.append(updates)
        self.rates_.append(rates)
        self.seconds_.append(time.perf_counter() - start)
        return self

    def _calibrate(self, layer: SpikingConv, x: np.ndarray, keep: np.ndarray) -> None:
        """Set each population's ``theta0`` to its mean positive kept current / target_rate."""
        state = layer.init_state(x.shape[1], x.shape[2:])
        mask = keep[None, :, None, None, :]
        for r in range(layer.repeats):
            cur = layer.current(x)
            mean = float((np.maximum(cur, 0) * mask).sum() /
                         max(mask.sum() * np.prod(cur.shape[2:4]) * cur.shape[0], 1))
            layer.thresholds[r] = max(mean / self.target_rate, 1e-3)
            x = layer.step(x, r, state, keep, current=cur)

    def _present(self, layer: SpikingConv, x: np.ndarray, keep: np.ndarray) -> list[int]:
        """One presentation of a mini-batch with ``k`` (x repeats) updates; spikes per unrolling."""
        T, b = x.shape[:2]
        state = layer.init_state(b, x.shape[2:])
        shapes = [x.shape[2:]] + [layer.out_shape(x.shape[2:])] * (layer.repeats - 1)
        last_pre = [np.full((b, *shape), -np.inf) for shape in shapes]
        edges = np.linspace(0, T, self.k + 1).round().astype(int)
        spikes = [0] * layer.repeats
        weight = layer.conv.weight.data
        for t0, t1 in zip(edges[:-1], edges[1:], strict=True):
            pre = x[t0:t1]
            for r in range(layer.repeats):  # BackRes: unrolling r feeds on unrolling r - 1
                post = layer.step(pre, r, state, keep)
                dw, count = stdp_conv_update(pre, post, last_pre[r], t0, weight.shape[-1],
                                             layer.conv.stride[0], layer.conv.padding[0],
                                             self.eta, self.tau, self.offset)
                if self.scaling:  # zero-sum per kernel (dw is exactly 0 where count == 0)
                    dw -= dw.mean(axis=(1, 2, 3), keepdims=True)
                np.clip(weight + dw, self.w_min, self.w_max, out=weight, casting="unsafe")
                spikes[r] += int(count.sum())
                pre = post
        return spikes
