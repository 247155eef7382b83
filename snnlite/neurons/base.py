"""The contract every spiking neuron model of snnlite follows.

A neuron model is a small parameter object plus a Numba kernel. The simulation engines
(:mod:`snnlite.snn`) only ever call three things:

``init_state(batch, shape, dtype)``
    Fresh state for ``batch`` samples of a population of per-sample ``shape`` (for example
    ``(C, H, W)``). Returns a ``dict`` of 1-D arrays of length ``N = batch * prod(shape)``,
    in C order (sample-major), so ``current.reshape(T, N)`` lines up with it. Per-channel
    parameters (if a model has them) are expanded here into per-neuron arrays.

``scan(current, state, trace=None)``
    Advance the population over ``T`` steps. ``current`` is ``(T, N)`` float (C-contiguous),
    ``state`` is updated *in place* (so calling ``scan`` T times with one step each gives the
    same spikes as one call with T steps: this is what makes the layer-major and the
    step-major engines agree). Returns spikes ``(T, N)`` ``int8`` in {-1, 0, +1}. When
    ``trace`` is a ``(T, N)`` float array, the membrane potential after each step (after
    reset) is written into it.

``rate(current)``
    The ANN quantity the neuron approximates: the long-run spikes per step for a constant
    input current per step. Property tests compare simulated counts against it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Neuron", "RESET_MODES", "reset_code", "check_current"]

#: Reset modes understood by the IF and LIF kernels, with the integer code the kernels use.
RESET_MODES = {"subtract": 0, "zero": 1, "none": 2}


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


def check_current(current: np.ndarray, state: dict, trace: np.ndarray | None) -> np.ndarray:
    """Validate the arguments of a ``scan`` call; return ``current`` as a C-contiguous array.

    Raises
    ------
    ValueError
        If ``current`` is not 2-D, its width differs from the state's, or ``trace`` has the
        wrong shape.
    """
    current = np.ascontiguousarray(current)
    if current.ndim != 2:
        raise ValueError(f"current must be (T, N), got shape {current.shape}")
    n = next(iter(state.values())).shape[0]
    if current.shape[1] != n:
        raise ValueError(f"current has {current.shape[1]} neurons, state has {n}")
    if trace is not None and trace.shape != current.shape:
        raise ValueError(f"trace must have shape {current.shape}, got {trace.shape}")
    return current


class Neuron:
    """Base class of the neuron models (see the module docstring for the contract)."""

    def init_state(self, batch: int, shape: tuple[int, ...], dtype=np.float32) -> dict:
        raise NotImplementedError

    def scan(
        self, current: np.ndarray, state: dict, trace: np.ndarray | None = None
    ) -> np.ndarray:
        raise NotImplementedError

    def rate(self, current):
        raise NotImplementedError
