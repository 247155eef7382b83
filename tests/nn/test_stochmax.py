"""Stochmax head and loss (spec §4.7 C6-C7): §6.6 numbers and finite-difference gradients."""

import numpy as np
import pytest
from gradcheck import gradcheck  # tests/ is on pytest's pythonpath

from snnlite import nn
from snnlite.nn import (
    Module,
    StochMax,
    StochMaxLoss,
    softmax_cross_entropy,
    stochmax_loss,
    stochmax_probs,
)

F64 = np.float64
O = np.array([2.0, 1.0, 0.0, -1.0])


def head_with(o, rho, in_features=3):
    """A float64 head whose outputs ignore h: o from the classifier bias, rho from the keep bias."""
    head = StochMax(in_features, len(o), rng=0, dtype=F64)
    head.classifier.weight.data[...] = 0
    head.keep.weight.data[...] = 0
    head.classifier.bias.data[...] = o
    head.keep.bias.data[...] = np.log(rho) - np.log1p(-np.asarray(rho))
    return head


def test_section_6_6_stochmax_and_softmax_numbers():
    p = stochmax_probs(O, np.array([1.0, 0, 1, 1]), eps=0.0)
    assert p[0] == pytest.approx(0.843795, abs=5e-7)
    assert -np.log(p[0]) == pytest.approx(0.169846, abs=5e-7)
    # the same through the loss: binary mask from saturated mask logits s = +-1000
    out = np.stack([O, np.zeros(4), np.array([1e3, -1e3, 1e3, 1e3])])[None]
    loss, _ = StochMaxLoss(keep_target=0)(out, np.array([0]))     # C7 alone
    assert loss == pytest.approx(0.169846, abs=5e-7)
    # + the target keep term -log rho_t: rho_t = sigmoid(0) = 1/2 adds log 2
    assert stochmax_loss(out, np.array([0]))[0] == pytest.approx(0.169846 + np.log(2), abs=5e-7)
    # target 1 has s = -1000 (would be dropped) but is kept: z = [1, 1, 1, 1] -> softmax
    expected = np.exp(1) / np.sum(np.exp(O))
    assert StochMaxLoss(keep_target=0)(out, np.array([1]))[0] == pytest.approx(
        -np.log(expected), rel=1e-12)
    # softmax (C6)
    loss, _ = softmax_cross_entropy(O[None], np.array([0]))
    assert np.exp(-loss) == pytest.approx(0.643914, abs=5e-7)
    assert loss == pytest.approx(0.440190, abs=5e-7)


def test_section_6_6_test_time_scores():
    rho = np.array([0.9, 0.5, 0.2, 0.7])
    np.testing.assert_allclose(rho * np.exp(O), [6.6502, 1.3591, 0.2000, 0.2575], atol=5e-5)
    head = head_with(O, rho)
    scores = head(np.ones((2, 3)))                      # eval: log(rho + eps) + o
    expected = [0.78544, 0.16053, 0.02362, 0.03041]
    np.testing.assert_allclose(stochmax_probs(O, rho), expected, atol=5e-6)
    np.testing.assert_allclose(np.exp(nn.log_softmax(scores)), [expected] * 2, atol=5e-6)
    np.testing.assert_allclose(head.keep_probabilities(np.ones((1, 3))), [rho])
    assert stochmax_loss(scores, np.array([0, 1]))[0] == pytest.approx(
        -(np.log(0.78544) + np.log(0.16053)) / 2, abs=1e-4)


def test_relaxed_mask_with_fixed_noise():
    rho, u = np.array([0.9, 0.5, 0.2, 0.7]), np.array([[0.3, 0.6, 0.95, 0.1]])
    head = head_with(O, rho)
    head.noise = u
    out = head(np.ones((1, 3)), train=True)
    s = (np.log(rho / (1 - rho)) + np.log(u / (1 - u))) / 0.1
    np.testing.assert_allclose(out[0], [O, np.log(rho / (1 - rho)), s[0]])
    z = 1 / (1 + np.exp(-s[0]))
    z[2] = 1.0                                           # target 2 kept
    p = z * np.exp(O) / np.sum(z * np.exp(O))
    assert stochmax_loss(out, np.array([2]))[0] == pytest.approx(-np.log(p[2]) - np.log(0.2),
                                                                  rel=1e-12)


class HeadLoss(Module):
    """``[loss(head(h), y)]`` as a module, so ``gradcheck`` can differentiate it."""

    def __init__(self, head, labels, loss=stochmax_loss):
        self.head, self.labels, self.loss = head, labels, loss

    def forward(self, x, train=False):
        value, self._grad = self.loss(self.head(x, train=True), self.labels)
        return np.array([value])

    def backward(self, grad):
        return self.head.backward(self._grad * grad[0])


def test_gradcheck_head_and_loss_fixed_noise():
    rng = np.random.default_rng(0)
    head = StochMax(5, 4, temperature=0.5, rng=1, dtype=F64)
    head.noise = rng.uniform(0.05, 0.95, (3, 4))
    gradcheck(HeadLoss(head, np.array([0, 3, 1])), rng.standard_normal((3, 5)))
    gradcheck(HeadLoss(head, np.array([0, 3, 1]), StochMaxLoss(keep_target=0.3)),
              rng.standard_normal((3, 5)))
    head.temperature = 0.1                               # the paper's temperature
    gradcheck(HeadLoss(head, np.array([2, 2, 0])), rng.standard_normal((3, 5)) * 0.3,
              rtol=1e-4)


def test_gradcheck_head_alone():
    head = StochMax(4, 3, rng=2, dtype=F64)
    head.noise = np.random.default_rng(3).uniform(0.1, 0.9, (2, 3))
    gradcheck(head, np.random.default_rng(4).standard_normal((2, 4)))


def test_noise_is_seeded_and_fresh():
    a, b = StochMax(4, 3, rng=7), StochMax(4, 3, rng=7)
    h = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(a(h, train=True), b(h, train=True))
    assert not np.array_equal(a(h, train=True)[:, 2], b(h, train=False))
    first, second = a(h, train=True), a(h, train=True)
    assert not np.array_equal(first[:, 2], second[:, 2])
    np.testing.assert_array_equal(first[:, :2], second[:, :2])


def test_bad_labels_and_shapes():
    out = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        stochmax_loss(out, np.array([0, 4]))
    with pytest.raises(ValueError, match="labels must be integers"):
        stochmax_loss(out, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\(B, 3, K\)"):
        stochmax_loss(np.zeros((2, 2, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match="labels"):
        stochmax_loss(np.zeros((2, 4)), np.array([0, 9]))  # eval output: softmax CE checks
    head = StochMax(3, 4, rng=0)
    head.noise = np.zeros((5, 4))
    with pytest.raises(ValueError, match="noise must have shape"):
        head(np.ones((2, 3), np.float32), train=True)
    with pytest.raises(ValueError, match="n_classes"):
        StochMax(3, 1)
    with pytest.raises(ValueError, match="keep_target"):
        StochMaxLoss(keep_target=-1)


def test_fit_and_evaluate_with_stochmax_head():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0)
    model = nn.Sequential(nn.Linear(2, 16, rng=1), nn.ReLU(), StochMax(16, 4, rng=2))
    hist = nn.fit(model, (x, y), epochs=15, batch_size=32, lr=1e-2, rng=3, progress=False,
                  loss=stochmax_loss, val=(x, y))
    assert hist.loss[-1] < hist.loss[0]
    assert hist.accuracy[-1] > 0.8 and hist.val_accuracy[-1] > 0.8
    assert nn.evaluate(model, x, y, loss=stochmax_loss)["accuracy"] == hist.val_accuracy[-1]
    assert nn.predict(model, x).shape == (256, 4)
