"""Property-based tests over the public boundary of the encoders, the network and the neurons
(IF and LIF).

Whatever hypothesis feeds in (malformed shapes, every real dtype, NaN/inf, empty and huge
values, wrong argument types), the result is either correct, checked against an independent
NumPy computation, or a ValueError/TypeError whose message names the argument; never a
Numba error, IndexError, ZeroDivisionError or NaN output.
"""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from snnlite import nn
from snnlite.neurons import IF, LIF
from snnlite.snn import ConstantInput, SpikingLayer, SpikingNetwork, get_encoder

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_]


@st.composite
def arrays(draw, shape=None):
    """Arrays of any real dtype; half of them with values in [-1, 1], half unrestricted."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    if shape is None:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    unit = draw(st.booleans())
    if dtype.kind == "f":
        width = 8 * dtype.itemsize
        elements = st.floats(-1, 1, width=width) if unit else st.floats(width=width)
    elif dtype.kind == "b":
        elements = st.booleans()
    else:
        info = np.iinfo(dtype)
        elements = st.integers(max(-1, info.min), 1) if unit else st.integers(info.min, info.max)
    return draw(hnp.arrays(dtype, shape, elements=elements))


def counts_of_steps(low: int = -2, high: int = 12):
    """``T``, ``batch_size`` and the like: mostly small integers, sometimes garbage."""
    valid = st.integers(1, high)
    return st.one_of(valid, valid, valid, st.integers(low, 0), st.floats(low - 1, high),
                     st.none(), st.booleans(), st.text(max_size=2))


def names(message: str, argument: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(argument)}(?![\w(])", message) is not None


def bad_count(value) -> bool:
    """Whether ``value`` is no whole number >= 1 (T, batch_size, chunk)."""
    return isinstance(value, bool) or not isinstance(value, (int, float)) \
        or value != int(value) or value < 1


def bad_arguments(x: np.ndarray, T, rates: bool, signed: bool) -> set[str]:
    """The arguments of an encoder call that are invalid (empty when the call is valid)."""
    bad = {"T"} if bad_count(T) else set()
    v = x.astype(np.float64)
    if x.ndim == 0 or (x.dtype.kind == "f" and not np.isfinite(x).all()):
        bad.add("x")
    elif x.dtype.kind in "iu" and v.size and (v.min() < -1 or v.max() > 1):
        bad.add("x")
    elif rates and v.size and (v.min() < (-1 if signed else 0) or v.max() > 1):
        bad.add("x")
    return bad


def check_error(err: Exception, bad: set[str]) -> None:
    """``err`` is expected (some argument is invalid) and its message names one of them."""
    assert bad, f"a valid call raised {err!r}"
    assert any(names(str(err), b) for b in bad), (bad, str(err))


@FAST
@given(x=arrays(), T=counts_of_steps(), name=st.sampled_from(
    ["analog", "poisson", "bernoulli", "regular", "latency"]), signed=st.booleans(),
    seed=st.integers(0, 2**32 - 1))
def test_encoders_are_correct_or_name_the_argument(x, T, name, signed, seed):
    options = {} if name == "analog" else {"signed": signed}
    bad = bad_arguments(x, T, name != "analog", signed)
    try:
        out = get_encoder(name)(x, T, rng=seed, **options)
    except (ValueError, TypeError) as err:
        check_error(err, bad)
        return
    assert not bad, f"invalid {bad} accepted"
    T, v = int(T), x.astype(np.float64)
    assert out.shape == (T, *x.shape)
    if name == "analog":
        assert isinstance(out, ConstantInput)
        np.testing.assert_array_equal(out.value, v)
        return
    sign, r = np.sign(v), np.abs(v)
    assert out.dtype == np.int8
    assert np.all((out == 0) | (out == sign)), "a spike with the wrong sign"
    if name == "regular":  # floor(T |x|) spikes, independently computed
        np.testing.assert_array_equal(out.sum(axis=0), sign * np.floor(T * r))
    elif name == "latency":  # one spike for |x| > 0, at round((1 - |x|)(T - 1))
        np.testing.assert_array_equal(out.sum(axis=0), sign * (r > 0))
        fired = r > 0
        np.testing.assert_array_equal(np.abs(out).argmax(axis=0)[fired],
                                      np.rint((1 - r[fired]) * (T - 1)))
    else:  # Bernoulli: certain where |x| = 1, silent where x = 0
        assert np.all(out[:, r == 1] == sign[r == 1])
        assert not out[:, r == 0].any()


def if_reference(inputs, w: np.ndarray, b: np.ndarray, th: float):
    """Spikes ``(T, B, N)`` and final potential of an IF layer (B9, subtract) in plain NumPy.

    ``inputs`` is the encoded ``(T, B, N_in)`` sequence or a ConstantInput (analog: the
    current ``W x + b`` of every step).
    """
    with np.errstate(all="ignore"):
        if isinstance(inputs, ConstantInput):
            once = inputs.value.astype(np.float64) @ w.T.astype(np.float64)
            currents = [once + b] * inputs.T
        else:
            currents = [step.astype(np.float64) @ w.T.astype(np.float64) + b for step in inputs]
        v, spikes = np.zeros_like(currents[0]), []
        for current in currents:
            v = v + current
            s = v >= th
            v = v - th * s
            spikes.append(s.astype(np.int8))
    return np.array(spikes), v


N_IN, N_OUT = 3, 4


def grid_layer(seed: int, th: float) -> tuple[SpikingNetwork, np.ndarray, np.ndarray]:
    """One IF layer with weights and bias on a 1/4 grid (exact sums in float64)."""
    rng = np.random.default_rng(seed)
    lin = nn.Linear(N_IN, N_OUT)
    lin.weight.data[...] = rng.integers(-4, 5, (N_OUT, N_IN)) / 4
    lin.bias.data[...] = rng.integers(-2, 3, N_OUT) / 4
    net = SpikingNetwork([SpikingLayer(lin, IF(th), name="if")])
    return net, lin.weight.data.copy(), lin.bias.data.astype(np.float64)


@st.composite
def run_arguments(draw):
    """``(x, T, batch_size)`` of a run: valid half of the time, otherwise anything.

    Valid inputs are ``(B, 3)`` batches of mid-range rates in [-1, 1] (where random encoders
    really are random); the others: any dtype ``(B, 3)`` (B may be 0) or any shape.
    """
    if draw(st.booleans()):
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        dtype = draw(st.sampled_from([np.float64, np.float32]))
        x = rng.uniform(-1, 1, (draw(st.integers(1, 4)), N_IN)).astype(dtype)
        return x, draw(st.integers(1, 12)), draw(st.one_of(st.none(), st.integers(1, 5)))
    shape = (draw(st.integers(0, 4)), N_IN) if draw(st.booleans()) else None
    return (draw(arrays(shape=shape)), draw(counts_of_steps()),
            draw(st.one_of(st.none(), counts_of_steps(-1, 5))))


@settings(FAST, max_examples=60)
@given(args=run_arguments(), seed=st.integers(0, 100),
       th=st.sampled_from([0.25, 0.5, 1.0, 1.75]),
       encoder=st.sampled_from(["analog", "poisson", "regular", "latency"]))
def test_if_layer_spikes_match_numpy_or_name_the_argument(args, seed, th, encoder):
    (x, T, batch_size), (net, w, b) = args, grid_layer(seed, th)
    bad = bad_arguments(x, T, rates=encoder != "analog", signed=True)
    if x.ndim != 2 or x.shape[1] != N_IN or x.shape[0] == 0:
        bad.add("x")
    if batch_size is not None and bad_count(batch_size):
        bad.add("batch_size")
    overflow = False
    if not bad:  # the same encoder, batches and seed outside the network, then NumPy
        rng, size = np.random.default_rng(seed), len(x) if batch_size is None else int(batch_size)
        parts = [if_reference(get_encoder(encoder)(x[i:i + size], int(T), rng=rng), w, b, th)
                 for i in range(0, len(x), size)]
        ref = np.concatenate([spikes for spikes, _ in parts], axis=1)
        v = np.concatenate([v for _, v in parts])
        overflow = not np.isfinite(v).all()
    try:
        with np.errstate(all="ignore"):
            res = net.run(x, T, encoder, batch_size=batch_size, record={"if": "spikes"},
                          dtype=np.float64, rng=seed)
    except (ValueError, TypeError) as err:
        if overflow:
            assert "overflowed" in str(err)
        else:
            check_error(err, bad)
        return
    assert not bad and not overflow, f"invalid {bad} accepted (overflow: {overflow})"
    np.testing.assert_array_equal(res.spikes["if"], ref)
    np.testing.assert_array_equal(res.outputs, np.cumsum(ref, axis=0))
    assert res.counts["if"].pos.sum() == ref.sum()


@FAST
@given(record=st.dictionaries(st.sampled_from(["if", "nope", "layer0", "If"]),
                              st.one_of(st.sampled_from(["spikes", "v", "current"]),
                                        st.lists(st.sampled_from(["spikes", "v", "w"]),
                                                 max_size=2))),
       engine=st.sampled_from(["layer", "step", "fast"]), chunk=st.one_of(
           st.none(), counts_of_steps(-1, 5)),
       dtype=st.sampled_from([np.float32, np.float64, np.int64, "foo"]))
def test_run_options_are_validated(record, engine, chunk, dtype):
    net, _, _ = grid_layer(0, 0.5)
    x = np.full((2, N_IN), 0.75)
    try:
        res = net.run(x, 5, record=record, engine=engine, chunk=chunk, dtype=dtype)
    except (ValueError, TypeError) as err:
        message = str(err)
        assert any(names(message, a) for a in ("record", "engine", "chunk", "dtype")), message
        return
    assert engine in ("layer", "step") and set(record) <= {"if"}
    assert dtype in (np.float32, np.float64) and (chunk is None or not bad_count(chunk))
    wanted = record.get("if", [])
    if not record:
        assert res.spikes == {} and res.v == {}
        return
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    assert wanted and wanted <= {"spikes", "v"}
    for what in wanted:
        assert (res.spikes if what == "spikes" else res.v)["if"].shape == (5, 2, N_OUT)


@FAST
@given(current=arrays(), threshold=st.one_of(st.floats(), st.integers(-3, 3)),
       reset=st.sampled_from(["subtract", "zero", "none", "sub"]))
def test_if_neuron_scan_matches_its_equations_or_names_the_argument(current, threshold, reset):
    try:
        neuron = IF(threshold=threshold, reset=reset)
    except (ValueError, TypeError) as err:
        bad = {"reset"} if reset == "sub" else set()
        if not (np.isfinite(threshold) and threshold > 0):
            bad.add("threshold")
        assert any(names(str(err), b) for b in bad), str(err)
        return
    assert np.isfinite(threshold) and threshold > 0 and reset != "sub"
    if current.ndim != 2 or current.dtype.kind != "f" or not np.isfinite(current).all():
        return  # the network validates these before any scan (see the test above)
    state = neuron.init_state(1, current.shape[1], dtype=np.float64)
    with np.errstate(all="ignore"):
        spikes = neuron.scan(current.astype(np.float64), state)
        v, ref = np.zeros(current.shape[1]), []
        th = np.float64(neuron.threshold)
        for row in current.astype(np.float64):  # B9 with the chosen reset
            v = v + row
            z = v >= th
            v = {"subtract": v - th * z, "zero": np.where(z, 0.0, v), "none": v}[reset]
            ref.append(z)
    np.testing.assert_array_equal(spikes, np.array(ref, np.int8).reshape(spikes.shape))
    np.testing.assert_array_equal(state["v"], v)


@FAST
@given(steps=st.integers(1, 8), n=st.integers(0, 3), seed=st.integers(0, 2**16),
       alpha=st.one_of(st.sampled_from([0.5, 0.75, 0.875, 1.0]), st.floats()),
       threshold=st.one_of(st.sampled_from([0.5, 1.0, 1.5]), st.floats()),
       refractory=st.integers(-1, 3), reset=st.sampled_from(["subtract", "zero", "none"]))
def test_lif_scan_matches_its_equations_or_names_the_argument(steps, n, seed, alpha, threshold,
                                                              refractory, reset):
    try:
        neuron = LIF(alpha=alpha, threshold=threshold, refractory=refractory, reset=reset)
    except (ValueError, TypeError) as err:
        bad = {name for name, ok in (("alpha", 0 < alpha <= 1),
                                     ("threshold", np.isfinite(threshold) and threshold > 0),
                                     ("refractory", refractory >= 0)) if not ok}
        check_error(err, bad)
        return
    assert 0 < alpha <= 1 and np.isfinite(threshold) and threshold > 0 and refractory >= 0
    current = np.random.default_rng(seed).integers(-8, 9, (steps, n)) / 4  # exact sums
    state = neuron.init_state(1, n, dtype=np.float64)
    spikes = neuron.scan(current, state)
    v, ref, expected = np.zeros(n), np.zeros(n, int), []  # C2, C3 and the refractory hold
    for row in current:
        active = ref == 0
        ref = np.where(active, ref, ref - 1)
        v = np.where(active, alpha * v + row, v)
        z = active & (v >= threshold)
        ref = np.where(z, refractory, ref)
        v = {"subtract": v - threshold * z, "zero": np.where(z, 0.0, v), "none": v}[reset]
        expected.append(z)
    np.testing.assert_array_equal(spikes, np.array(expected, np.int8).reshape(steps, n))
    np.testing.assert_array_equal(state["v"], v)


@pytest.mark.parametrize("T", [1, 3])
def test_huge_finite_inputs_in_float64_are_simulated_exactly(T):
    """1e300 is finite in float64: the layer fires every step, nothing overflows."""
    net, w, b = grid_layer(3, 1.0)
    x = 1e300 * np.sign(w[:2].astype(np.float64))  # sample i drives neuron i up
    ref, v = if_reference(ConstantInput(x, T), w, b, 1.0)
    assert np.isfinite(v).all() and ref.any()
    res = net.run(x, T, record={"if": "spikes"}, dtype=np.float64)
    np.testing.assert_array_equal(res.spikes["if"], ref)
