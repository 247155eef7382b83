"""Sequential skips the input gradient nobody uses (the layer after an input encoder)."""

import numpy as np

from snnlite import nn
from snnlite.learn.bptt import Spiking
from snnlite.learn.time_axis import Encoder, PoissonEncoder, Repeat, SumOverTime
from snnlite.neurons import LIF

T, B = 5, 4


def _model(head, first):
    return nn.Sequential(head, first, Spiking(T, LIF(alpha=0.9, threshold=0.3)),
                         nn.Linear(6, 3, rng=1, dtype=np.float64),
                         Spiking(T, LIF(alpha=0.9, threshold=0.3)), SumOverTime(T))


def _loss_grad(model, x, y):
    _, grad = nn.softmax_cross_entropy(model(x, train=True), y)
    model.zero_grad()
    return grad


def _spy(layer, seen):
    """Record ``layer.input_grad`` at each backward call (the layer stays as it is)."""
    backward = layer.backward

    def recorded(grad):
        seen.append(layer.input_grad)
        return backward(grad)
    layer.backward = recorded


def test_first_layer_after_encoder_skips_input_grad_with_the_same_weight_gradients():
    rng = np.random.default_rng(0)
    x, y = rng.random((B, 8)), rng.integers(0, 3, B)
    model = _model(PoissonEncoder(T, rng=3, signed=False), nn.Linear(8, 6, rng=0,
                                                                     dtype=np.float64))
    seen = []
    _spy(model[1], seen)
    assert model.backward(_loss_grad(model, x, y)) is None
    auto = [p.grad.copy() for p in model.parameters()]
    assert seen == [False] and model[1].input_grad is True  # skipped, flag restored

    # reference: the same forward pass, every layer's full backward by hand
    model[0].rng = np.random.default_rng(3)
    grad = _loss_grad(model, x, y)
    for layer in reversed(model.layers[1:]):
        grad = layer.backward(grad)
    assert grad.shape == (T * B, 8)  # the input gradient the automatic pass did not compute
    for a, b in zip(auto, (p.grad for p in model.parameters()), strict=True):
        np.testing.assert_array_equal(a, b)


def test_repeat_passes_the_gradient_on_and_parameter_free_layers_are_skipped():
    rng = np.random.default_rng(1)
    x, y = rng.random((B, 8)), rng.integers(0, 3, B)
    model = _model(Repeat(T), nn.Linear(8, 6, rng=0, dtype=np.float64))
    seen = []
    _spy(model[1], seen)
    assert model.backward(_loss_grad(model, x, y)).shape == (B, 8)
    assert seen == [True]
    # Encoder -> Flatten -> Linear: the Linear skips, Flatten is never visited
    images = rng.random((B, 2, 2, 2))
    nested = nn.Sequential(Encoder(T, "regular"), nn.Flatten(),
                           nn.Sequential(nn.Linear(8, 6, rng=0, dtype=np.float64)),
                           Spiking(T, LIF(alpha=0.9, threshold=0.3)), SumOverTime(T))
    seen = []
    _spy(nested[2][0], seen)
    assert nested.backward(_loss_grad(nested, images, y)) is None
    assert seen == [False]
    assert np.abs(nested[2][0].weight.grad).sum() > 0


def test_fit_skips_the_input_gradient_and_trains_the_same_weights():
    rng = np.random.default_rng(2)
    x, y = rng.random((12, 1, 6, 6)), rng.integers(0, 3, 12)

    def small_lenet():
        return nn.Sequential(nn.Conv2d(1, 2, 3, rng=0, dtype=np.float64), nn.ReLU(),
                             nn.Flatten(), nn.Linear(32, 3, rng=1, dtype=np.float64))
    fitted, manual = small_lenet(), small_lenet()
    seen = []
    _spy(fitted[0], seen)
    nn.fit(fitted, (x, y), 1, 12, nn.SGD(fitted.parameters(), lr=0.1), progress=False, rng=0)
    assert seen == [False] and fitted[0].input_grad is True
    # the same step by hand (fit's one batch: the permutation of rng 0), full backward pass
    order = np.random.default_rng(0).permutation(12)
    _, grad = nn.softmax_cross_entropy(manual(x[order], train=True), y[order])
    assert manual.backward(grad).shape == x.shape
    nn.SGD(manual.parameters(), lr=0.1).step()
    for a, b in zip(fitted.parameters(), manual.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
