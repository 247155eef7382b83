"""No silent wrong answers at the simulation boundary (issue 12 §3), one encoder contract
(issue 13).

Each case here once returned a wrong result without a word; now it raises a ValueError or
TypeError that names the argument, or follows a documented interpretation tested here.
Property-based tests over the same boundary are in ``test_boundary_properties.py``.
"""

import inspect

import numpy as np
import pytest

from snnlite import nn
from snnlite._validate import check_steps
from snnlite.datasets import to_float
from snnlite.learn.time_axis import Encoder, PoissonEncoder
from snnlite.neurons import IF
from snnlite.snn import (
    ENCODERS,
    ConstantInput,
    Readout,
    SpikingLayer,
    SpikingNetwork,
    get_encoder,
    latency,
    poisson,
    regular,
)

SPIKE_ENCODERS = ["poisson", "bernoulli", "regular", "latency"]


def small_net(n_in: int = 4, n_out: int = 3) -> SpikingNetwork:
    return SpikingNetwork([SpikingLayer(nn.Linear(n_in, 5, rng=0), IF(0.5), name="hidden"),
                           Readout(nn.Linear(5, n_out, rng=1), name="out")])


# --- integer images ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.uint8, np.int64])
@pytest.mark.parametrize("encoder", sorted(ENCODERS))
def test_unscaled_integer_images_raise_and_point_to_to_float(dtype, encoder):
    images = np.random.default_rng(0).integers(0, 256, (2, 4)).astype(dtype)
    with pytest.raises(ValueError, match=r"x has integer dtype .*to_float"):
        small_net().run(images, 8, encoder)
    with pytest.raises(ValueError, match=r"x has integer dtype .*to_float"):
        get_encoder(encoder)(images, 8, rng=0)


def test_scaled_images_and_small_integers_are_accepted():
    images = np.random.default_rng(0).integers(0, 256, (3, 2, 2), dtype=np.uint8)
    x = to_float(images, add_channel=False).reshape(3, 4)
    net = small_net()
    np.testing.assert_array_equal(net.run(x, 6).outputs,
                                  net.run(x.astype(np.float64), 6).outputs)
    # integers in {-1, 0, 1} are exact: the same answer as the float array
    ternary = np.array([[1, 0, -1, 1], [0, 0, 1, -1]], np.int64)
    np.testing.assert_array_equal(net.run(ternary, 6, dtype=np.float64).outputs,
                                  net.run(ternary.astype(np.float64), 6, dtype=np.float64).outputs)
    np.testing.assert_array_equal(regular(ternary.astype(bool), 3), regular(ternary != 0, 3))


# --- rates outside [-1, 1], negative inputs ------------------------------------------------------

@pytest.mark.parametrize("encoder", SPIKE_ENCODERS)
def test_rates_outside_the_unit_interval_raise(encoder):
    encode = get_encoder(encoder)
    for bad in (1.5, -1.01, 255.0):
        with pytest.raises(ValueError, match=r"x must be spike probabilities in \[-1, 1\]"):
            encode([[0.5, bad]], 4, rng=0)
    with pytest.raises(ValueError, match="x has negative values"):
        encode([[0.5, -0.5]], 4, rng=0, signed=False)
    with pytest.raises(ValueError, match=r"probabilities in \[-1, 1\]"):
        small_net().run(np.full((1, 4), 2.0), 4, encoder)


def test_regular_and_latency_are_signed_like_poisson():
    x = np.array([[0.5, 0.25, 1.0, 0.0]])
    for encode in (regular, latency):
        pos, neg = encode(x, 7), encode(-x, 7)
        assert pos.min() >= 0 and neg.max() <= 0
        np.testing.assert_array_equal(neg, -pos)  # -x: the same spike times, value -1
    # hand vectors: regular count floor(t |x|) with the sign; latency at round((1-|x|)(T-1))
    assert regular([-0.5], T=4)[:, 0].tolist() == [0, -1, 0, -1]
    assert latency([-0.5, 0.5], T=5)[:, 0].tolist() == [0, 0, -1, 0, 0]
    s = poisson(np.full((1, 2000), -0.3), 20, rng=0)
    assert set(np.unique(s)) == {-1, 0} and abs(s.mean() + 0.3) < 0.01
    with pytest.raises(ValueError, match="threshold"):
        latency(x, 5, threshold=-0.1)


# --- record / neurons ----------------------------------------------------------------------------

def test_record_names_and_quantities_are_checked():
    net, x = small_net(), np.ones((2, 4)) * 0.5
    assert net.recordable() == {"hidden": ("spikes", "v", "v_pre")}
    with pytest.raises(ValueError, match=r"'nonexistent', which is no layer's name; "
                                         r"recordable layers: \['hidden'\]"):
        net.run(x, 3, record={"nonexistent": "spikes"})
    with pytest.raises(ValueError, match=r"'out', which records nothing .*outputs"):
        net.run(x, 3, record={"out": "v"})
    with pytest.raises(ValueError, match=r"record\['hidden'\] must name spikes, v and/or v_pre"):
        net.run(x, 3, record={"hidden": ("spikes", "current")})
    with pytest.raises(TypeError, match="record must be a dict"):
        net.run(x, 3, record=["hidden"])
    with pytest.raises(ValueError, match=r"neurons\['out'\] .* not recorded"):
        net.run(x, 3, record={"hidden": "spikes"}, neurons={"out": [0]})
    with pytest.raises(ValueError, match=r"neurons\['hidden'\] must be flat indices in \[0, 5\)"):
        net.run(x, 3, record={"hidden": "spikes"}, neurons={"hidden": [0, 5]})
    with pytest.raises(TypeError, match=r"neurons\['hidden'\] must be a 1-d list of integer"):
        net.run(x, 3, record={"hidden": "spikes"}, neurons={"hidden": [0.5]})
    res = net.run(x, 3, record={"hidden": ("spikes", "v")}, neurons={"hidden": [4, 1]})
    whole = net.run(x, 3, record={"hidden": ("spikes", "v")})
    np.testing.assert_array_equal(res.spikes["hidden"], whole.spikes["hidden"][:, :, [4, 1]])


# --- accuracy_per_step ---------------------------------------------------------------------------

def test_accuracy_per_step_checks_labels():
    res = small_net(n_out=3).run(np.full((4, 4), 0.5), 5)
    truth = res.predictions()[-1]
    assert res.accuracy_per_step(truth)[-1] == 1.0
    assert res.accuracy_per_step(truth.astype(np.uint8))[-1] == 1.0
    for bad in ([0, 1, 2, 3], [0, -1, 0, 0]):
        with pytest.raises(ValueError, match=r"labels must be classes in \[0, 3\)"):
            res.accuracy_per_step(np.array(bad))
    with pytest.raises(TypeError, match="labels must be integers"):
        res.accuracy_per_step(truth.astype(float))
    with pytest.raises(ValueError, match=r"labels must have shape \(4,\)"):
        res.accuracy_per_step(truth[:, None])


# --- batch_size, chunk, T, empty batches, dtype ------------------------------------------------

def test_batch_size_chunk_and_empty_batches():
    net, x = small_net(), np.full((5, 4), 0.5)
    whole = net.run(x, 6).outputs
    for size in (1, 2, 5, 7, 3.0, np.int64(2)):  # any whole number >= 1: the same outputs
        np.testing.assert_array_equal(net.run(x, 6, batch_size=size).outputs, whole)
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match=r"batch_size must be an integer >= 1, got"):
            net.run(x, 6, batch_size=bad)
    with pytest.raises(TypeError, match=r"batch_size must be an integer >= 1, got '2' \(str\)"):
        net.run(x, 6, batch_size="2")
    with pytest.raises(ValueError, match=r"chunk must be an integer >= 1, got 0"):
        net.run(x, 6, chunk=0)
    with pytest.raises(ValueError, match=r"x holds no samples \(shape \(0, 4\)\)"):
        net.run(x[:0], 6)
    with pytest.raises(ValueError, match=r"x holds no samples"):
        net.run(np.zeros((6, 0, 4)), 6, encoder=None)
    with pytest.raises(TypeError, match="dtype must be a float dtype"):
        net.run(x, 6, dtype=np.int64)


def test_T_messages():
    net, x = small_net(), np.full((1, 4), 0.5)
    for bad, err in (("8", TypeError), (None, TypeError), (2.5, ValueError), (0, ValueError),
                     (True, ValueError)):
        with pytest.raises(err, match=r"T must be an integer >= 1, got"):
            net.run(x, bad)
        with pytest.raises(err, match=r"T must be an integer >= 1, got"):
            check_steps(bad)
    assert check_steps(8.0) == 8 and check_steps(np.int32(3)) == 3


def test_shape_mismatch_names_x_and_overflow_raises():
    net = small_net(n_in=4)
    with pytest.raises(ValueError, match=r"x has per-sample shape \(5,\), which the network"):
        net.run(np.zeros((2, 5)), 3)
    with pytest.raises(ValueError, match=r"x must have shape \(B, \.\.\.\)"):
        net.run(np.float64(0.5), 3)
    with pytest.raises(ValueError, match=r"x contains NaN or inf"):
        net.run(np.array([[0.5, np.nan, 0, 0]]), 3)
    lin = nn.Linear(1, 1, bias=False)
    lin.weight.data[...] = 10.0
    huge = SpikingNetwork([SpikingLayer(lin, IF(1.0))])
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="overflowed"):
        huge.run(np.array([[3e38]], np.float32), 3)  # 3e39 > float32 max: inf potential
    assert huge.run(np.array([[3e38]]), 3, dtype=np.float64).outputs[-1, 0, 0] == 3


# --- one encoder contract and registry ---------------------------------------------------------

def test_every_encoder_has_one_signature():
    assert set(ENCODERS) >= {"analog", "poisson", "bernoulli", "regular", "latency"}
    for name, encode in ENCODERS.items():
        params = list(inspect.signature(encode).parameters.values())
        assert [p.name for p in params[:3]] == ["x", "T", "rng"], name
        assert params[2].kind is inspect.Parameter.KEYWORD_ONLY and params[2].default is None
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[2:]), name
        assert get_encoder(name) is encode


def test_get_encoder_errors_list_the_names():
    with pytest.raises(ValueError, match=r"one of \['analog', 'bernoulli', 'latency', 'poisson', "
                                         r"'poisson_process', 'regular'\] or a callable, "
                                         r"got 'morse'"):
        get_encoder("morse")
    with pytest.raises(TypeError, match="encoder must be a name in"):
        get_encoder(3)
    with pytest.raises(ValueError, match="got 'morse'"):
        small_net().run(np.ones((1, 4)), 3, "morse")


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_run_by_name_equals_running_the_encoded_sequence(name):
    """``run(x, encoder=name)`` simulates exactly ``get_encoder(name)(x, T, rng=seed)``."""
    net = small_net()
    x = np.random.default_rng(1).uniform(-1, 1, (3, 4))
    by_name = net.run(x, 9, name, rng=5, dtype=np.float64)
    seq = get_encoder(name)(x, 9, rng=5)
    if isinstance(seq, ConstantInput):
        seq = np.asarray(seq)
    direct = net.run(seq, 9, None, dtype=np.float64)
    np.testing.assert_allclose(by_name.outputs, direct.outputs, rtol=1e-12)


def test_batches_draw_from_one_generator():
    """With ``batch_size``, each batch is encoded in turn from the same generator."""
    net, x = small_net(), np.random.default_rng(3).uniform(-1, 1, (5, 4))
    rng = np.random.default_rng(11)
    seq = np.concatenate([poisson(x[i:i + 2], 7, rng=rng) for i in (0, 2, 4)], axis=1)
    np.testing.assert_array_equal(net.run(x, 7, "poisson", rng=11, batch_size=2).outputs,
                                  net.run(seq, 7, None).outputs)


def test_callable_encoders_are_called_with_rng_keyword_and_checked():
    net, x = small_net(), np.full((2, 4), 0.5)
    seen = {}

    def mine(x, T, *, rng=None):
        seen["rng"] = rng
        return regular(x, T)

    np.testing.assert_array_equal(net.run(x, 5, mine).outputs, net.run(x, 5, "regular").outputs)
    assert isinstance(seen["rng"], np.random.Generator)
    with pytest.raises(ValueError, match=r"returned shape \(4, 2, 4\); expected \(T, B, \.\.\.\)"):
        net.run(x, 5, lambda x, T, rng=None: regular(x, T - 1))
    with pytest.raises(ValueError, match="the encoder's output contains NaN"):
        net.run(x, 5, lambda x, T, rng=None: np.full((T, *np.shape(x)), np.nan))


def test_bptt_encoders_call_the_registry():
    x = np.random.default_rng(2).uniform(0, 1, (3, 4))
    T = 6
    got = Encoder(T, "regular")(x)
    np.testing.assert_array_equal(got, regular(x, T).reshape(T * 3, 4))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(PoissonEncoder(T, rng=7, signed=False)(x),
                                  poisson(x, T, rng=7, signed=False).reshape(T * 3, 4))
    np.testing.assert_array_equal(Encoder(T, "latency", rng=0)(x),
                                  latency(x, T).reshape(T * 3, 4))
    with pytest.raises(ValueError, match="got 'morse'"):
        Encoder(T, "morse")
    with pytest.raises(ValueError, match="probabilities"):
        PoissonEncoder(T)(x * 3)


def test_noise_decomposition_takes_every_registered_encoder():
    """``analysis.decompose`` encodes through the same registry as ``run``."""
    from snnlite.analysis import decompose

    lin = nn.Linear(1, 1, bias=False, dtype=np.float64)
    lin.weight.data[...] = 1.0
    net = SpikingNetwork([SpikingLayer(lin, IF(1.0, v_init=0.5), name="n")])
    x = np.array([[0.375]])
    d = decompose(net, x, 16, {"n": [[6]]}, encoder="regular")
    assert d.layers["n"].total_current[0, 0] == 6  # floor(16 * 0.375) regular spikes
    with pytest.raises(ValueError, match="got 'morse'"):
        decompose(net, x, 16, {"n": [[6]]}, encoder="morse")
