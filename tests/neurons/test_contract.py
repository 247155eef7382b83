"""Proof of the neuron contract (:mod:`snnlite.neurons.base`), for every model in ``MODELS``.

Each model is run on the same integer-valued input current (exact in float64, admissible in
integer mode) along every path that advances it, and all must agree, spike for spike and
potential for potential:

(a) ``SpikingNetwork`` with ``engine="layer"`` and ``engine="step"``, recording spikes, ``v``
    and ``v_pre``;
(b) BPTT (``learn.bptt.Spiking`` with the Triangle surrogate, whose forward spike is the step)
    where the model is trainable;
(c) the model's own ``<model>_step`` function, interpreted (``py_func``), in a plain Python
    loop over steps and neurons: the reference the compiled paths are compared with.

Adding a model: one line in ``MODELS``.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from kernels import python

from snnlite import nn
from snnlite.learn.bptt import Spiking
from snnlite.neurons import IF, LIF, QFFS, AdaptiveLIF, BurstEncoder, DynamicThreshold, MultiSpikeIF
from snnlite.neurons.adaptive_lif import adaptive_lif_step
from snnlite.neurons.burst_encoder import burst_encoder_step
from snnlite.neurons.diehl_cook import (
    DiehlCookExcitatory,
    DiehlCookInhibitory,
    excitatory_step,
    inhibitory_step,
)
from snnlite.neurons.dynamic_threshold import dynamic_threshold_step
from snnlite.neurons.if_neuron import if_step
from snnlite.neurons.lif import lif_step
from snnlite.neurons.multispike_if import multispike_if_step
from snnlite.neurons.qffs import qffs_step
from snnlite.neurons.surrogate import HEAVISIDE, Triangle
from snnlite.snn import Readout, SpikingLayer, SpikingNetwork

T, B, N_IN, N = 24, 2, 4, 5


@dataclass
class Model:
    """A neuron and how its step function is called on one neuron of its state.

    ``state`` names the state entries the step takes and returns, in order; ``params`` gives
    the remaining arguments after the current (``neuron, state, n, dtype -> tuple``);
    ``scale`` is the integer-mode scale ``S`` (currents ``S I``, traces ``m / S``) or 1;
    ``after_step`` (``neuron, state, spikes of the step -> None``), if given, updates state
    shared by several neurons once every neuron has taken the step; ``excitatory_only``
    feeds the model non-negative currents (a conductance that must not turn negative).
    """

    neuron: object
    step: Callable
    state: tuple
    params: Callable
    scale: int = 1
    after_step: Callable | None = None
    excitatory_only: bool = False


def _if(nr, st, n, dt):
    return dt(nr.threshold), nr._reset, HEAVISIDE, 0.0


def _lif(nr, st, n, dt):
    return dt(nr.alpha), dt(nr.threshold), nr._reset, nr.refractory, HEAVISIDE, 0.0


def _qffs(nr, st, n, dt):
    return dt(nr.threshold), nr._z_max(), nr.negative, HEAVISIDE, 0.0


def _dt(nr, st, n, dt):
    eps = nr.eps_int if nr.integer else dt(nr.eps)
    return st["d"][n], st["b0"][n], eps


def _multi(nr, st, n, dt):
    return dt(nr.threshold), nr.max_spikes


def _dc_exc(nr, st, n, dt):
    return nr.constants, nr.adaptive


def _dc_inh(nr, st, n, dt):
    return (nr.constants,)


def _burst(nr, st, n, dt):
    return st["d1"][n], st["b01"][n], nr.t_enc


def _adaptive(nr, st, n, dt):  # population (N,) per sample: channel axis 0, one position
    return dt(nr.alpha), dt(nr.threshold) * (1.0 + st["a"][n // N, 0])


def _adapt(nr, st, spikes):  # the threshold rises with the spikes of the position (module doc)
    st["a"][:, 0] = nr.beta * st["a"][:, 0] + nr.adapt * spikes.reshape(B, N).sum(axis=1)


PER_CHANNEL = np.linspace(0.5, 1.5, N)

MODELS = {
    "IF-subtract": Model(IF(1.5, v_init=0.5), if_step, ("v",), _if),
    "IF-zero": Model(IF(1.5, reset="zero"), if_step, ("v",), _if),
    "IF-none": Model(IF(1.5, reset="none"), if_step, ("v",), _if),
    "LIF-subtract": Model(LIF(alpha=0.75, threshold=1.5), lif_step, ("v", "ref"), _lif),
    "LIF-zero": Model(LIF(alpha=0.75, threshold=1.5, reset="zero"), lif_step, ("v", "ref"),
                      _lif),
    "LIF-refractory": Model(LIF(alpha=0.5, threshold=1.5, refractory=2), lif_step,
                            ("v", "ref"), _lif),
    "QFFS": Model(QFFS(1.5), qffs_step, ("v", "z"), _qffs),
    "QFFS-cap": Model(QFFS(1.5, z_max=3), qffs_step, ("v", "z"), _qffs),
    "QFFS-no-negative": Model(QFFS(1.5, precharge=False, negative=False), qffs_step,
                              ("v", "z"), _qffs),
    "DynamicThreshold": Model(DynamicThreshold(PER_CHANNEL, -PER_CHANNEL / 2),
                              dynamic_threshold_step, ("m", "c"), _dt),
    "DynamicThreshold-int": Model(DynamicThreshold(PER_CHANNEL, -PER_CHANNEL / 2, integer=True,
                                                   scale=8), dynamic_threshold_step, ("m", "c"),
                                  _dt, scale=8),
    "MultiSpikeIF": Model(MultiSpikeIF(0.75, max_spikes=2), multispike_if_step, ("v",), _multi),
    # Diehl & Cook conductance neurons (a current adds to ge, a negative one to gi), started
    # close to their thresholds so that the 24 steps of 0.5 ms hold spikes
    "DiehlCookExcitatory": Model(DiehlCookExcitatory(v_init=-60.0, adaptive=True),
                                 excitatory_step, ("v", "ge", "gi", "ref", "theta"), _dc_exc),
    "DiehlCookInhibitory": Model(DiehlCookInhibitory(v_init=-42.0), inhibitory_step,
                                 ("v", "ge", "ref"), _dc_inh, excitatory_only=True),
    "BurstEncoder": Model(BurstEncoder(PER_CHANNEL, -PER_CHANNEL / 2, t_enc=6),
                          burst_encoder_step, ("m", "step"), _burst),
    "AdaptiveLIF": Model(AdaptiveLIF(0.75, 1.5, adapt=0.5, beta=0.5), adaptive_lif_step, ("v",),
                         _adaptive, after_step=_adapt),
}


def inputs(seed=0):
    """Signed spike input ``(T, B, N_IN)`` and ternary weights ``(N, N_IN)``: integer currents."""
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 0.0, 1.0], size=(T, B, N_IN), p=[0.2, 0.3, 0.5])
    w = rng.choice([-1.0, 0.0, 1.0], size=(N, N_IN), p=[0.25, 0.25, 0.5])
    return x, w


def reference(model, current, dtype=np.float64):
    """Spikes, ``v`` and ``v_pre`` of the interpreted step function, ``(T, B*N)`` each."""
    neuron = model.neuron
    state = neuron.init_state(B, (N,), dtype)
    kernel_current = current * model.scale
    if model.scale != 1:
        kernel_current = kernel_current.astype(np.int64)
    dt = state[model.state[0]].dtype.type
    step = python(model.step)
    spikes = np.zeros(current.shape, np.int8)
    post, pre = np.zeros(current.shape), np.zeros(current.shape)
    for t in range(current.shape[0]):
        for n in range(current.shape[1]):
            before = [state[key][n] for key in model.state]
            out = step(*before, kernel_current[t, n], *model.params(neuron, state, n, dt))
            for key, value in zip(model.state, out[1:-1], strict=True):
                state[key][n] = value
            spikes[t, n] = out[-1]
            post[t, n] = state[model.state[0]][n] / model.scale
            pre[t, n] = out[0] / model.scale
        if model.after_step is not None:
            model.after_step(neuron, state, spikes[t])
    return spikes, post, pre


@pytest.fixture(scope="module", params=list(MODELS))
def case(request):
    model = MODELS[request.param]
    x, w = inputs()
    if model.excitatory_only:
        x, w = np.abs(x), np.abs(w)
    current = np.einsum("tbi,ni->tbn", x, w).reshape(T, B * N)
    return model, x, w, current, reference(model, current)


def test_reference_is_not_trivial(case):
    model, _, _, _, (spikes, post, pre) = case
    assert 0 < np.abs(spikes).sum() < spikes.size


def test_scan_equals_step_function(case):
    model, _, _, current, (spikes, post, pre) = case
    state = model.neuron.init_state(B, (N,), np.float64)
    trace, trace_pre = np.empty_like(current), np.empty_like(current)
    np.testing.assert_array_equal(model.neuron.scan(current, state, trace, trace_pre), spikes)
    np.testing.assert_array_equal(trace, post)
    np.testing.assert_array_equal(trace_pre, pre)


@pytest.mark.parametrize("engine", ["layer", "step"])
def test_network_engines_equal_step_function(case, engine):
    model, x, w, _, (spikes, post, pre) = case
    linear = nn.Linear(N_IN, N, bias=False, dtype=np.float64)
    linear.weight.data[...] = w
    head = nn.Linear(N, 2, bias=False, rng=0, dtype=np.float64)
    net = SpikingNetwork([SpikingLayer(linear, model.neuron, name="pop"), Readout(head)])
    res = net.run(x, T, encoder=None, record={"pop": ("spikes", "v", "v_pre")},
                  engine=engine, dtype=np.float64)
    np.testing.assert_array_equal(res.spikes["pop"].reshape(T, -1), spikes)
    np.testing.assert_array_equal(res.v["pop"].reshape(T, -1), post)
    np.testing.assert_array_equal(res.v_pre["pop"].reshape(T, -1), pre)


def test_bptt_forward_equals_step_function(case):
    model, _, _, current, (spikes, post, pre) = case
    if not model.neuron.trainable or getattr(model.neuron, "refractory", 0):
        with pytest.raises((TypeError, ValueError)):
            Spiking(T, model.neuron)
        return
    layer = Spiking(T, model.neuron, Triangle())
    out = layer(current.reshape(T * B, N), train=True)
    np.testing.assert_array_equal(out.reshape(T, -1), spikes)
    np.testing.assert_array_equal(layer.potentials.reshape(T, -1), pre)


T32 = float(np.float32(0.7))  # a threshold exactly representable in float32
BELOW, ABOVE = T32 - 1e-12, T32 + 1e-12  # float64 currents that round to T32 in float32


@pytest.mark.parametrize("neuron, current, expected", [
    (IF(T32), BELOW, 1),
    (LIF(alpha=0.5, threshold=T32), BELOW, 1),
    (QFFS(T32, precharge=False), BELOW, 1),
    (DynamicThreshold(T32, 0.0), ABOVE, 0),  # strict ">": m rounds to exactly b0 + d
    (BurstEncoder(T32, 0.0), BELOW, 1),
], ids=repr)
def test_float64_current_is_rounded_to_the_state_dtype_before_the_threshold(neuron, current,
                                                                             expected):
    # the contract (base docstring): a float64 current into float32 state sums in float64
    # and the *stored* float32 potential is compared with the threshold
    state = neuron.init_state(1, 1, np.float32)
    pre = np.empty((1, 1), np.float32)
    assert neuron.scan(np.array([[current]]), state, None, pre)[0, 0] == expected
    assert pre[0, 0] == np.float32(T32)
    float64_state = neuron.init_state(1, 1, np.float64)  # no rounding: the other decision
    assert neuron.scan(np.array([[current]]), float64_state)[0, 0] == 1 - expected
