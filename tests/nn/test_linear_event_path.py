"""nn.Linear's event path for spike input: forward and weight gradient against the dense BLAS
path and a plain loop over the events, the "auto" rule, the spike check and a BPTT run."""

import os
import re

import numba
import numpy as np
import pytest

from snnlite import nn
from snnlite.learn import FastSigmoid, PoissonEncoder, Spiking, SumOverTime
from snnlite.neurons import LIF
from snnlite.nn.event_linear import event_linear
from snnlite.nn.event_weight_grad import _kernel, event_weight_grad
from snnlite.nn.spike_density import BLOCK, spike_density
from tests.kernels import python


def spikes(shape, density, seed, dtype=np.float32, signed=False):
    rng = np.random.default_rng(seed)
    s = (rng.random(shape) < density).astype(dtype)
    if signed:
        s *= rng.choice(np.array([-1, 1], dtype), size=shape)
    return s


def layer(path, n_in=37, n_out=21, dtype=np.float64, input_grad=True, seed=1):
    lin = nn.Linear(n_in, n_out, rng=seed, dtype=dtype, path=path)
    lin.input_grad = input_grad
    return lin


def loop_forward(x, W, b):
    """Independent reference: add ``x[r, i] * W[:, i]`` event by event, inputs in order."""
    y = np.zeros((x.shape[0], W.shape[0]), W.dtype)
    for r in range(x.shape[0]):
        for i in np.flatnonzero(x[r]):
            y[r] += x[r, i] * W[:, i]
    return y + b


def loop_weight_grad(x, g):
    """Independent reference: ``dW[:, i] += x[r, i] * g[r]`` event by event, rows in order."""
    dW = np.zeros((g.shape[1], x.shape[1]), g.dtype)
    for r in range(x.shape[0]):
        for i in np.flatnonzero(x[r]):
            dW[:, i] += x[r, i] * g[r]
    return dW


def run(lin, x, g):
    y = lin(x, train=True)
    dx = lin.backward(g)
    return y, lin.weight.grad.copy(), lin.bias.grad.copy(), dx


# --- the event path against a plain loop and the dense path --------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_dtype", [np.int8, "same"])
def test_event_path_is_the_sum_over_the_events(dtype, x_dtype):
    """Spikes in {-1, 0, 1} make every product exact, so the event path equals the
    event-by-event loop bit for bit (rows past a block of 64, inputs past a tile of 16)."""
    x = spikes((150, 37), 0.2, 0, signed=True, dtype=np.float64)
    x = x.astype(dtype if x_dtype == "same" else x_dtype)
    g = np.random.default_rng(2).standard_normal((150, 21)).astype(dtype)
    lin = layer("event", dtype=dtype)
    y, dW, db, dx = run(lin, x, g)
    assert lin.last_path == "event" and y.dtype == dtype and dW.dtype == dtype
    np.testing.assert_array_equal(y, loop_forward(x, lin.weight.data, lin.bias.data))
    np.testing.assert_array_equal(dW, loop_weight_grad(x, g))
    np.testing.assert_array_equal(db, g.sum(axis=0))
    np.testing.assert_array_equal(dx, g @ lin.weight.data)


def test_event_path_matches_dense_float64_and_float32():
    x64 = spikes((300, 100), 0.1, 3)
    for dtype in (np.float64, np.float32):
        x = x64.astype(dtype)
        g = np.random.default_rng(4).standard_normal((300, 40)).astype(dtype)
        dense = run(layer("dense", 100, 40, dtype), x, g)
        event = run(layer("event", 100, 40, dtype), x, g)
        if dtype == np.float64:
            for a, b in zip(dense, event, strict=True):
                np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
        else:  # two summation orders: apart by at most a few roundings of the sum of |terms|
            eps = np.finfo(np.float32).eps
            W = np.abs(layer("dense", 100, 40, dtype).weight.data.astype(np.float64))
            bound_y = 4 * eps * (x64 @ W.T + 1)
            bound_w = 4 * eps * (np.abs(g.astype(np.float64)).T @ x64)
            assert (np.abs(event[0] - dense[0]) <= bound_y).all()
            assert (np.abs(event[1] - dense[1]) <= bound_w).all()


def test_integer_data_gives_identical_results_on_both_paths():
    """Small integers: every partial sum is exact, so BLAS and the events agree bit for bit."""
    x = spikes((200, 50), 0.15, 5, signed=True)
    g = np.random.default_rng(6).integers(-3, 4, (200, 30)).astype(np.float32)
    dense, event = layer("dense", 50, 30, np.float32), layer("event", 50, 30, np.float32)
    for lin in (dense, event):
        lin.weight.data[...] = np.random.default_rng(7).integers(-4, 5, (30, 50))
    for a, b in zip(run(dense, x, g), run(event, x, g), strict=True):
        np.testing.assert_array_equal(a, b)


def test_dense_path_is_the_blas_code_bit_for_bit():
    x = spikes((64, 37), 0.1, 8)
    g = np.random.default_rng(9).standard_normal((64, 21)).astype(np.float32)
    lin = layer("dense", dtype=np.float32, input_grad=False)
    y, dW, db, dx = run(lin, x, g)
    W = lin.weight.data
    np.testing.assert_array_equal(y, x @ W.T + lin.bias.data)
    np.testing.assert_array_equal(dW, (x.T @ g).T)
    assert dx is None and lin.last_path == "dense"


def test_weight_gradient_accumulates_over_backward_calls():
    x, g = spikes((40, 37), 0.2, 10), np.ones((40, 21))
    lin = layer("event")
    run(lin, x, g)
    once = lin.weight.grad.copy()
    lin.backward(2 * g)
    np.testing.assert_array_equal(lin.weight.grad, 3 * once)


# --- the automatic choice ----------------------------------------------------------------------

@pytest.fixture
def chosen(monkeypatch):
    """``chosen(lin, x)``: the path a forward pass took, seen by a spy on the event kernel
    and checked against what it computed (the dense formula or the event loop, bit for bit)."""
    import snnlite.nn.linear as linear
    calls = []
    monkeypatch.setattr(linear, "event_linear",
                        lambda *args: calls.append(1) or event_linear(*args))

    def run_once(lin, x):
        calls.clear()
        y = lin(x)
        assert lin.last_path == ("event" if calls else "dense")
        expected = (loop_forward(x, lin.weight.data, lin.bias.data) if calls
                    else x @ lin.weight.data.T + lin.bias.data)
        np.testing.assert_array_equal(y, expected)
        return lin.last_path
    return run_once


def test_auto_takes_the_event_path_only_for_sparse_spikes_into_a_data_layer(monkeypatch,
                                                                              chosen):
    monkeypatch.setenv("SNNLITE_EVENT_CROSSOVER", "0.3")
    x = spikes((400, 37), 0.1, 11, dtype=np.float64)
    assert chosen(layer("auto", input_grad=False), x) == "event"
    assert chosen(layer("auto", input_grad=False), x.astype(np.int8)) == "event"
    assert chosen(layer("auto", input_grad=True), x) == "dense"  # hidden layer: BLAS
    analog = x * 0.5
    assert chosen(layer("auto", input_grad=False), analog) == "dense"
    assert chosen(layer("auto", input_grad=False), spikes((400, 37), 0.5, 12, np.float64)) \
        == "dense"  # above the crossover
    monkeypatch.setenv("SNNLITE_EVENT_CROSSOVER", "0.05")
    assert chosen(layer("auto", input_grad=False), x) == "dense"
    assert chosen(layer("event", input_grad=True), x) == "event"  # forced, anywhere
    assert chosen(layer("dense", input_grad=False), x) == "dense"


def test_backward_follows_the_forward_choice():
    """After an encoder, Sequential runs the Linear with ``input_grad`` off in forward and
    backward: the forward pass takes the event path and the weight gradient comes from the
    events too. As the first layer of a model whose input gradient is wanted it stays dense
    (BLAS) in both passes."""
    x = np.random.default_rng(13).random((5, 30)).astype(np.float32) * 0.3
    model = nn.Sequential(PoissonEncoder(3, rng=0), nn.Linear(30, 8, rng=0))
    out = model(x, train=True)
    lin, g = model[1], np.ones_like(out)
    assert lin.last_path == "event" and lin.input_grad  # switched off only while it ran
    model.backward(g)
    np.testing.assert_allclose(lin.weight.grad, (lin._x.T @ g).T, rtol=1e-5, atol=1e-6)
    spikes_in = lin._x
    dense = nn.Sequential(nn.Linear(30, 8, rng=0))
    out = dense(spikes_in, train=True)
    assert dense[0].last_path == "dense"
    dense.backward(np.ones_like(out))
    np.testing.assert_array_equal(dense[0].weight.grad, (spikes_in.T @ np.ones_like(out)).T)


def test_unknown_path_is_refused():
    with pytest.raises(ValueError, match=r"path must be one of .*'sparse'"):
        nn.Linear(3, 2, path="sparse")
    lin = nn.Linear(3, 2)
    lin.path = "events"
    with pytest.raises(ValueError, match="'events'"):
        lin(np.zeros((1, 3), np.float32))
    assert "path='event'" in repr(nn.Linear(3, 2, path="event"))


# --- the spike check -----------------------------------------------------------------------------

def test_spike_density_counts_spikes_and_refuses_analog_values():
    x = spikes((50, 30), 0.2, 14, np.float64, signed=True)
    assert spike_density(x) == np.count_nonzero(x) / x.size
    assert spike_density(x.astype(np.float32)) == spike_density(x.astype(bool)) \
        == spike_density(np.abs(x).astype(np.uint8)) == np.count_nonzero(x) / x.size
    assert spike_density(np.zeros((0, 4))) == 0.0
    for value in (0.5, 2.0, np.nan, np.inf):
        y = x.copy()
        y[-1, -1] = value
        assert spike_density(y) is None
    assert spike_density(np.full(10, 2, np.int8)) == 1.0  # int8 counts as spikes
    with pytest.raises(TypeError, match="real array"):
        spike_density(np.zeros(3, complex))


def test_spike_density_of_a_large_array_checks_every_part():
    x = spikes((700, 784), 0.1, 15)  # > 2**18 values: split over the cores
    assert spike_density(x) == np.count_nonzero(x) / x.size
    for where in (0, BLOCK - 1, x.size // 2 + 3, x.size - 1):
        y = x.copy().reshape(-1)
        y[where] = 0.25
        assert spike_density(y.reshape(x.shape)) is None


# --- the weight-gradient kernel ------------------------------------------------------------------

def test_event_weight_grad_shapes_dtype_and_interpreted_kernel():
    x = spikes((70, 19), 0.3, 16, np.int8, signed=True)
    g = np.random.default_rng(17).standard_normal((70, 5))
    dWT = event_weight_grad(x, g)
    assert dWT.shape == (19, 5) and dWT.dtype == np.float64
    np.testing.assert_array_equal(dWT, loop_weight_grad(x, g).T)
    plain = np.empty_like(dWT)
    python(_kernel)(x, g, plain, 2)
    np.testing.assert_array_equal(plain, dWT)
    np.testing.assert_array_equal(event_weight_grad(x[:0], g[:0]), np.zeros((19, 5)))
    with pytest.raises(ValueError, match=r"x \(R, n_in\) and grad \(R, n_out\)"):
        event_weight_grad(x, g[:3])
    with pytest.raises(TypeError, match="grad must be a float array"):
        event_weight_grad(x, np.ones((70, 5), np.int32))


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="needs compiled code")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weight_grad_inner_loop_uses_vector_fused_multiply_adds(dtype):
    kernel = numba.njit(parallel=True, fastmath={"contract"}, cache=False)(_kernel.py_func)
    x, g = np.ones((3, 2), dtype), np.ones((3, 64), dtype)
    out = np.empty((2, 64), dtype)
    kernel(x, g, out, 1)
    np.testing.assert_array_equal(out, 3)
    asm = "\n".join(kernel.inspect_asm().values())
    suffix = "ps" if dtype == np.float32 else "pd"
    assert re.search(rf"vfmadd\w*{suffix}\s+\S+, %[yz]mm\d+, %[yz]mm\d+$", asm, re.M)


# --- BPTT: the W4 network on both paths ---------------------------------------------------------

def w4_like(path, T=5, n_in=120):
    sg = FastSigmoid(slope=25)
    model = nn.Sequential(nn.Linear(n_in, 48, rng=0, path=path),
                          Spiking(T, LIF(alpha=0.9, threshold=1.0), sg),
                          nn.Linear(48, 10, rng=1), Spiking(T, LIF(alpha=0.9), sg),
                          SumOverTime(T))
    model[0].input_grad = False
    return model


def train(model, x, y, steps=3):
    opt, losses = nn.Adam(model.parameters(), lr=5e-3), []
    for _ in range(steps):
        opt.zero_grad()
        loss, grad = nn.softmax_cross_entropy(model(x, train=True), y)
        model.backward(grad)
        opt.step()
        losses.append(loss)
    return losses


def test_w4_like_bptt_gives_the_same_losses_on_both_paths(monkeypatch):
    monkeypatch.setenv("SNNLITE_EVENT_CROSSOVER", "0.2")
    T, B = 5, 32
    x = spikes((T * B, 120), 0.1, 18)
    y = np.random.default_rng(19).integers(0, 10, B)
    models = {path: w4_like(path) for path in ("dense", "event", "auto")}
    for model in models.values():  # strong enough input for the hidden layer to spike
        model[0].weight.data *= 8
    losses = {path: train(model, x, y) for path, model in models.items()}
    assert models["auto"][0].last_path == "event" and models["auto"][2].last_path == "dense"
    assert models["event"][1].potentials.max() > 1.0  # spikes flow to the loss
    assert losses["auto"] == losses["event"]
    np.testing.assert_allclose(losses["event"], losses["dense"], rtol=0, atol=1e-5)
    assert losses["dense"][-1] != losses["dense"][0]  # the weights did change
