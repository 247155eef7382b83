"""BackRes (spec §4.6): n applications of one shared block, checked against written-out copies."""

import copy

import numpy as np
import pytest
from gradcheck import gradcheck  # tests/ is on pytest's pythonpath

from snnlite.nn import (
    SGD,
    BackRes,
    ChannelSelect,
    ClippedReLU,
    Conv2d,
    Flatten,
    Linear,
    Module,
    ReLU,
    Sequential,
)

F64 = np.float64


def conv_block(c=3, seed=0):
    return Sequential(Conv2d(c, c, 3, padding=1, rng=seed, dtype=F64), ReLU())


@pytest.mark.parametrize("n", [1, 2, 3])
def test_equals_block_written_out_n_times(n):
    block = conv_block()
    res = BackRes(block, n)
    copies = [copy.deepcopy(block) for _ in range(n)]
    plain = Sequential(*[layer for c in copies for layer in c.layers])
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 4))
    np.testing.assert_allclose(res(x, train=True), plain(x, train=True), rtol=1e-12)
    g = np.random.default_rng(2).standard_normal(res(x, train=True).shape)
    res.zero_grad()
    plain.zero_grad()
    res(x, train=True)
    plain(x, train=True)
    np.testing.assert_allclose(res.backward(g), plain.backward(g), rtol=1e-10)
    for name in ("weight", "bias"):  # shared grad == sum of the n copies' grads
        expected = sum(getattr(c.layers[0], name).grad for c in copies)
        np.testing.assert_allclose(getattr(block.layers[0], name).grad, expected, rtol=1e-10)


def test_gradcheck_conv_relu_block():
    gradcheck(BackRes(conv_block(2, seed=3), 3), np.random.default_rng(4).standard_normal(
        (2, 2, 4, 4)))


def test_gradcheck_nested_and_with_head():
    inner = BackRes(Sequential(Linear(4, 4, rng=5, dtype=F64), ReLU()), 2)
    model = Sequential(Linear(3, 4, rng=6, dtype=F64), ReLU(), BackRes(inner, 2),
                       Linear(4, 2, rng=7, dtype=F64))
    gradcheck(model, np.random.default_rng(8).standard_normal((3, 3)))
    assert [n for n, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "2.block.block.0.weight", "2.block.block.0.bias",
        "3.weight", "3.bias"]


@pytest.mark.parametrize("select", ["mean", "random", "topk"])
def test_channel_selection_gradcheck(select):
    block = Sequential(Conv2d(2, 4, 3, padding=1, rng=9, dtype=F64), ReLU())
    res = BackRes(block, 3, select=select, rng=0)
    x = np.random.default_rng(10).standard_normal((2, 2, 4, 4))
    assert res(x).shape == (2, 4, 4, 4)
    gradcheck(res, x)


def test_channel_select_values():
    x = np.arange(2 * 4 * 1 * 2, dtype=F64).reshape(2, 4, 1, 2)
    mean = ChannelSelect(2, 4, "mean")(x)  # consecutive groups: (0, 1) -> 0, (2, 3) -> 1
    np.testing.assert_array_equal(mean[:, 0], (x[:, 0] + x[:, 1]) / 2)
    np.testing.assert_array_equal(mean[:, 1], (x[:, 2] + x[:, 3]) / 2)
    x[1, 0] += 100  # sample 1: channel 0 most active; sample 0: channels 2, 3
    top = ChannelSelect(2, 4, "topk")(x)
    np.testing.assert_array_equal(top[0], x[0, [2, 3]])
    np.testing.assert_array_equal(top[1], x[1, [0, 3]])
    rand = ChannelSelect(2, 4, "random", rng=0)
    np.testing.assert_array_equal(rand(x), x[:, rand.index])


def test_channel_mismatch_raises_clearly():
    with pytest.raises(ValueError, match=r"maps 2 channels to 4.*C_out == C_in"):
        BackRes(Sequential(Conv2d(2, 4, 3), ReLU()), 2)
    with pytest.raises(ValueError, match="multiple"):
        BackRes(Sequential(Conv2d(2, 3, 1), ReLU()), 2, select="mean")

    class Twice(Module):  # no weighted layer: the mismatch is found at the first forward
        def forward(self, x, train=False):
            return np.concatenate([x, x], axis=1)

    with pytest.raises(ValueError, match="maps 3 channels to 6"):
        BackRes(Twice(), 2)(np.ones((1, 3)))
    assert BackRes(Twice(), 1)(np.ones((1, 3))).shape == (1, 6)
    with pytest.raises(ValueError, match="n must be"):
        BackRes(conv_block(), 0)
    with pytest.raises(ValueError, match="select"):
        BackRes(conv_block(), 2, select="max")
    with pytest.raises(TypeError, match="block"):
        BackRes(np.eye(2), 2)


def test_optimizer_updates_shared_weight_once():
    block = Sequential(Linear(2, 2, rng=0, dtype=F64), ReLU())
    model = Sequential(BackRes(block, 4), Flatten())
    assert len(model.parameters()) == 2
    w0 = block.layers[0].weight.data.copy()
    model(np.ones((3, 2)), train=True)
    model.zero_grad()
    model.backward(np.ones((3, 2)))
    g = block.layers[0].weight.grad.copy()
    SGD(model.parameters(), lr=0.1).step()
    np.testing.assert_allclose(block.layers[0].weight.data, w0 - 0.1 * g)


def test_block_can_be_transformed_in_place_and_by_map():
    lin = Linear(3, 3, rng=1, dtype=F64)
    res = BackRes(Sequential(lin, ReLU()), 2)
    x = np.random.default_rng(0).standard_normal((4, 3)) * 3
    res(x)
    res.block.layers[1] = ClippedReLU(0.5)   # a to_agd-style rewrite inside the block
    np.testing.assert_allclose(res(x), np.clip(lin(np.clip(lin(x), 0, 0.5)), 0, 0.5))
    res.map(lambda b: Sequential(b.layers[0], ReLU()))
    np.testing.assert_allclose(res(x), np.maximum(lin(np.maximum(lin(x), 0)), 0))
    with pytest.raises(TypeError, match="fn must return"):
        res.map(lambda b: None)


def test_state_dict_round_trip_and_unrolled_order():
    res = BackRes(conv_block(), 3)
    other = BackRes(conv_block(seed=5), 3)
    other.load_state_dict(res.state_dict())
    x = np.random.default_rng(0).standard_normal((1, 3, 4, 4))
    np.testing.assert_array_equal(other(x), res(x))
    order = [(type(m).__name__, k) for m, k in res.unrolled()]
    assert order == [("Conv2d", 1), ("ReLU", 1), ("Conv2d", 2), ("ReLU", 2),
                     ("Conv2d", 3), ("ReLU", 3)]
    assert res.unrolled()[0][0] is res.unrolled()[2][0] is res.block.layers[0]
