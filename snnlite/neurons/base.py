"""The contract every spiking neuron model of snnlite follows.

A neuron model is one file in :mod:`snnlite.neurons` holding, in this order:

1. **The step function** ``<model>_step`` (``if_step``, ``lif_step``, ``qffs_step``,
   ``dynamic_threshold_step``, ``burst_encoder_step``): the model's update for ONE neuron and
   ONE time step, written once, with the spec label (B9, C2, A9 ...) on each line. It is a
   pure scalar function compiled by :func:`snnlite._jit.njit` with ``inline="always"``, so
   every loop that calls it is compiled as if the update were written inside it::

       <model>_step(*state, i, *params) -> (v_pre, *new_state, s)

   ``state`` are the per-neuron state values before the step (for example ``v, ref``),
   ``i`` the input current of the step, ``params`` scalars; it returns the potential
   before the reset, the new state values and the spike ``s`` (-1, 0, +1 as a number; a
   real value only for a smooth surrogate, below). Arithmetic is done in the state's dtype
   (:func:`in_dtype_of` rounds a sum as storing it in the state array would), so every loop
   calling the step gives bit-identical results. Every loop that advances the model calls
   this function and no other copy of the update: the scan below, the BPTT forward pass,
   the fused loops of the STDP networks, the event-driven engine.

2. **The scan kernel**: an ``njit`` loop of the step function over ``(T, N)``, state arrays
   updated in place (state in, state out).

3. **The model class** (a :class:`Neuron`): parameters only, validated at construction,
   and three methods the engines call:

   ``init_state(batch, shape, dtype)``
       Fresh state for ``batch`` samples of a population of per-sample ``shape`` (for
       example ``(C, H, W)``). Returns a ``dict`` of 1-D arrays of length
       ``N = batch * prod(shape)``, in C order (sample-major), so ``current.reshape(T, N)``
       lines up with it. Per-channel parameters (if a model has them) are expanded here into
       per-neuron arrays.

   ``scan(current, state, trace=None, trace_pre=None)``
       Advance the population over ``T`` steps. ``current`` is ``(T, N)`` float
       (C-contiguous), ``state`` is updated *in place* (so calling ``scan`` T times with one
       step each gives the same spikes as one call with T steps: this is what makes the
       layer-major and the step-major engines agree). Returns spikes ``(T, N)`` ``int8`` in
       {-1, 0, +1}. When ``trace`` is a ``(T, N)`` float array, the membrane potential after
       each step (after the reset: the quantity the papers' equations name) is written into
       it; ``trace_pre`` likewise receives the potential before the reset (the classic
       sawtooth that reaches the threshold where a spike is emitted). Models without a reset
       (the potential ``m`` of :class:`~snnlite.neurons.DynamicThreshold`) write the same
       values to both.

   ``rate(current)``
       The ANN quantity the neuron approximates: the long-run spikes per step for a constant
       input current per step. Property tests compare simulated counts against it.

4. **For trainable models** (``trainable = True``: IF, LIF, QFFS, AdaptiveLIF), the
   surrogate-gradient pair that :class:`snnlite.learn.bptt.Spiking` calls, next to the
   forward pass:

   ``surrogate_forward(current, surrogate, batch=1, shape=None) -> (spikes, tape)``
       From a fresh state (``init_state(batch, shape)``: the population's layout, which
       models whose neurons interact need), run the step function over ``current``
       ``(T, N)`` with the surrogate's code (:mod:`snnlite.neurons.surrogate`): the step
       spike for every surrogate but the smooth ``Sigmoid``. Returns the spikes as floats
       ``(T, N)`` (identical to ``scan``'s for a non-smooth surrogate) and a ``tape`` dict
       holding what the backward pass needs, at least ``"v_pre"`` ``(T, N)``.
   ``surrogate_backward(grad_spikes, tape, surrogate, detach_reset) -> grad_current``
       The reverse-time scan: ``dL/dI`` ``(T, N)`` from ``dL/ds`` ``(T, N)``, with the
       surrogate's pseudo-derivative in place of the step's derivative (C4);
       ``detach_reset`` treats the reset as a constant.

Adding a model: one file with these parts, its entry in ``__init__`` and in the model list
of ``tests/neurons/test_contract.py``, which then checks it in both engines of
``SpikingNetwork``, through BPTT if trainable, and against its step function run in plain
Python.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np
from numba.extending import overload
from numba.np.numpy_support import as_dtype

from snnlite._jit import njit

__all__ = [
    "Neuron", "RESET_MODES", "channel_param", "check_current", "expand_channels", "in_dtype_of",
    "n_neurons", "per_channel", "reset_code", "reset_potential", "scan_buffers", "short_repr",
]

#: Reset modes understood by the IF and LIF kernels, with the integer code the kernels use.
RESET_MODES = {"subtract": 0, "zero": 1, "none": 2}
SUBTRACT, ZERO = RESET_MODES["subtract"], RESET_MODES["zero"]


def in_dtype_of(x, like):
    """``x`` rounded to the type of the state value ``like``, as storing it in the state would.

    A step function forms ``v + i`` in the promoted dtype of the state and the current (a
    float64 current into float32 state sums in float64) and then works on the *stored*
    potential; this keeps that order of rounding in a scalar function.
    """
    return type(like)(x)


@overload(in_dtype_of, inline="always")
def _in_dtype_of(x, like):  # pragma: no cover - compiled
    if x == like:
        return lambda x, like: x
    target = as_dtype(like).type
    return lambda x, like: target(x)


@njit(inline="always")
def reset_potential(v_pre, s, threshold, reset):
    """The potential after the reset for spike ``s`` (B9, C3), in ``v_pre``'s dtype or wider.

    ``subtract``: ``v_pre - th s``; ``zero``: 0 after a spike; ``none``: ``v_pre``. A smooth
    spike ``0 < s < 1`` (gradient checks) gives ``v_pre - th s`` and ``v_pre (1 - s)``.
    """
    if s == 0.0 or reset != SUBTRACT and reset != ZERO:
        return v_pre
    if reset == SUBTRACT:
        return v_pre - threshold * s
    if s == 1.0:
        return in_dtype_of(0.0, v_pre)
    return v_pre * (1.0 - s)


def reset_code(reset: str) -> int:
    """Validate a reset-mode name and return its kernel code.

    Raises
    ------
    ValueError
        If ``reset`` is not one of ``"subtract"``, ``"zero"``, ``"none"``.
    """
    if reset not in RESET_MODES:
        raise ValueError(f"reset must be one of {sorted(RESET_MODES)}, got {reset!r}")
    return RESET_MODES[reset]


def check_current(current: np.ndarray, state: dict, trace: np.ndarray | None,
                  trace_pre: np.ndarray | None = None) -> np.ndarray:
    """Validate the arguments of a ``scan`` call; return ``current`` as a C-contiguous array.

    Raises
    ------
    ValueError
        If ``current`` is not 2-D, its width differs from the state's, or ``trace`` or
        ``trace_pre`` has the wrong shape.
    """
    current = np.ascontiguousarray(current)
    if current.ndim != 2:
        raise ValueError(f"current must be (T, N), got shape {current.shape}")
    n = next(iter(state.values())).shape[0]
    if current.shape[1] != n:
        raise ValueError(f"current has {current.shape[1]} neurons, state has {n}")
    for name, buffer in (("trace", trace), ("trace_pre", trace_pre)):
        if buffer is not None and buffer.shape != current.shape:
            raise ValueError(f"{name} must have shape {current.shape}, got {buffer.shape}")
    return current


def n_neurons(batch: int, shape) -> int:
    """``batch * prod(shape)`` after validating both."""
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    if int(batch) != batch or batch < 0 or any(int(s) != s or s < 0 for s in shape):
        raise ValueError(f"batch and shape must be non-negative integers, got {batch}, {shape}")
    return int(batch) * int(np.prod(shape, dtype=np.int64))


def channel_param(name: str, value, positive: bool = False) -> np.ndarray:
    """Return a scalar or per-channel ``(C,)`` parameter as a float64 array (0-D or 1-D).

    Raises
    ------
    ValueError
        If it has more than one axis, no element, a non-finite element, or (``positive``) an
        element ``<= 0``.
    """
    array = np.array(value, dtype=np.float64)
    if array.ndim > 1 or array.size == 0:
        raise ValueError(f"{name} must be a scalar or a per-channel array (C,), "
                         f"got shape {array.shape}")
    if not np.all(np.isfinite(array)) or (positive and np.any(array <= 0)):
        kind = "finite and > 0" if positive else "finite"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return array


def expand_channels(name: str, param: np.ndarray, batch: int, shape, dtype) -> np.ndarray:
    """Per-neuron ``(N,)`` copy of ``param``; a per-channel ``param`` runs along ``shape[0]``.

    Neurons are in C order over ``(batch, *shape)``, as in :mod:`snnlite.neurons.base`.

    Raises
    ------
    ValueError
        If ``param`` is per-channel and ``shape[0]`` differs from its length.
    """
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    n = n_neurons(batch, shape)
    if param.ndim == 0:
        return np.full(n, param, dtype=dtype)
    if not shape or shape[0] != param.size:
        raise ValueError(f"{name} has {param.size} channels, but the population shape {shape} "
                         f"has {shape[0] if shape else 'no'} channels on axis 0")
    per_sample = np.repeat(param, int(np.prod(shape[1:], dtype=np.int64)))
    return np.tile(per_sample, int(batch)).astype(dtype)


def per_channel(param: np.ndarray, x: np.ndarray, axis: int) -> np.ndarray:
    """``param`` reshaped to broadcast against ``x`` with channels on ``axis``.

    Raises
    ------
    ValueError
        If ``param`` is per-channel and ``x.shape[axis]`` is not its length.
    """
    if param.ndim == 0:
        return param
    if not -x.ndim <= axis < x.ndim or x.shape[axis] != param.size:
        raise ValueError(f"expected {param.size} channels on axis {axis}, got shape {x.shape}")
    shape = [1] * x.ndim
    shape[axis] = param.size
    return param.reshape(shape)


def scan_buffers(current: np.ndarray, state: dict, trace: np.ndarray | None,
                 key: str = "v", trace_pre: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validated ``current``, an int8 spike buffer ``(T, N)`` and the two trace buffers.

    Returns ``(current, spikes, trace, trace_pre)``; a trace that is None becomes a
    ``(0, N)`` array of ``state[key]``'s dtype, which the kernels read as "not recorded".
    """
    current = check_current(current, state, trace, trace_pre)
    empty = np.empty((0, current.shape[1]), dtype=state[key].dtype)
    return (current, np.empty(current.shape, dtype=np.int8),
            empty if trace is None else trace, empty if trace_pre is None else trace_pre)


def short_repr(values: np.ndarray) -> str:
    """A per-channel parameter in a few characters (long arrays are abbreviated)."""
    values = np.asarray(values)
    return repr(values.item()) if values.size == 1 else np.array2string(
        values.ravel(), threshold=6, edgeitems=2, precision=4)


class Neuron:
    """Base class of the neuron models (see the module docstring for the contract)."""

    #: Whether the model implements ``surrogate_forward`` / ``surrogate_backward`` (BPTT).
    trainable: bool = False

    def init_state(self, batch: int, shape: tuple[int, ...], dtype=np.float32) -> dict:
        raise NotImplementedError

    def scan(
        self, current: np.ndarray, state: dict, trace: np.ndarray | None = None,
        trace_pre: np.ndarray | None = None,
    ) -> np.ndarray:
        raise NotImplementedError

    def rate(self, current):
        raise NotImplementedError
