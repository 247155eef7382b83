"""ANN residual block: finite-difference gradients (float64), parameters, errors."""

import numpy as np
import pytest
from gradcheck import gradcheck  # tests/ is on pytest's pythonpath

from snnlite import nn

F64 = np.float64


def conv_block(shortcut: bool, activation: bool, rng):
    """Conv-BN-ReLU-Conv-BN branch; optional strided 1x1 conv + BN shortcut; ReLU after."""
    stride = 2 if shortcut else 1
    branch = nn.Sequential(nn.Conv2d(2, 3, 3, stride=stride, padding=1, rng=rng, dtype=F64),
                           nn.BatchNorm2d(3, dtype=F64), nn.ReLU(),
                           nn.Conv2d(3, 3 if shortcut else 2, 3, padding=1, rng=rng, dtype=F64),
                           nn.BatchNorm2d(3 if shortcut else 2, dtype=F64))
    sc = nn.Sequential(nn.Conv2d(2, 3, 1, stride=2, rng=rng, dtype=F64),
                       nn.BatchNorm2d(3, dtype=F64)) if shortcut else None
    block = nn.ResidualBlock(branch, sc, nn.ReLU() if activation else None)
    for p in block.parameters():  # non-trivial BN scales and shifts
        p.data[...] = rng.uniform(0.5, 1.5, p.data.shape) * rng.choice([-1, 1], p.data.shape)
    return block


def pre_activation(block, x):
    """``branch(x) + shortcut(x)`` in train mode (the ReLU's input)."""
    skip = x if block.shortcut is None else block.shortcut(x, train=True)
    return block.branch(x, train=True) + skip


@pytest.mark.parametrize("shortcut, activation", [(False, True), (True, True), (True, False)])
def test_gradients_through_both_paths(shortcut, activation):
    for seed in range(20):  # the first seed whose ReLU inputs all stay away from the kink
        rng = np.random.default_rng(seed)
        block = conv_block(shortcut, activation, rng)
        x = rng.standard_normal((3, 2, 4, 4))
        relu_inputs = [block.branch[:2](x, train=True)]  # the inner ReLU's input
        if activation:
            relu_inputs.append(pre_activation(block, x))
        if min(np.abs(u).min() for u in relu_inputs) > 1e-4:
            break
    else:
        pytest.fail("no kink-free seed found")
    gradcheck(block, x)


def test_identity_shortcut_and_no_activation_is_a_sum():
    lin = nn.Linear(3, 3, rng=0, dtype=F64)
    block = nn.ResidualBlock(nn.Sequential(lin))
    x = np.random.default_rng(1).standard_normal((4, 3))
    np.testing.assert_allclose(block(x), lin(x) + x)
    gradcheck(block, x)


def test_parameters_state_and_accumulation():
    block = conv_block(True, True, np.random.default_rng(2))
    names = [name for name, _ in block.named_parameters()]
    assert names[:2] == ["branch.0.weight", "branch.0.bias"]
    assert "shortcut.0.weight" in names and "shortcut.1.bias" in names
    assert [name for name, _ in block.children()] == ["branch", "shortcut", "activation"]
    state = block.state_dict()
    assert "branch.1.running_mean" in state and "shortcut.1.running_var" in state
    other = conv_block(True, True, np.random.default_rng(3))
    other.load_state_dict({k: v.copy() for k, v in state.items()})
    x = np.random.default_rng(4).standard_normal((2, 2, 4, 4))
    np.testing.assert_array_equal(other(x), block(x))
    # backward accumulates: two passes give twice the gradient
    block.zero_grad()
    y = block(x, train=True)
    block.backward(np.ones_like(y))
    once = [p.grad.copy() for p in block.parameters()]
    block.backward(np.ones_like(y))
    for g, p in zip(once, block.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, 2 * g)
    lsq = nn.ResidualBlock(nn.Linear(2, 2), activation=nn.LSQ(2, 0.5))
    assert [n for n, _ in lsq.named_parameters()] == ["branch.weight", "branch.bias",
                                                      "activation.step"]
    assert "identity" in repr(lsq)


def test_errors():
    with pytest.raises(TypeError, match="branch"):
        nn.ResidualBlock(lambda x: x)
    with pytest.raises(TypeError, match="shortcut"):
        nn.ResidualBlock(nn.Linear(2, 2), shortcut="id")
    with pytest.raises(TypeError, match="activation"):
        nn.ResidualBlock(nn.Linear(2, 2), activation=np.abs)
    with pytest.raises(ValueError, match="shortcut output"):
        nn.ResidualBlock(nn.Linear(2, 3))(np.zeros((1, 2)))
