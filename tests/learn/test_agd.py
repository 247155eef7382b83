"""to_agd: the ReLU -> LIF rewrite, hybrid networks and BackRes under BPTT."""

import numpy as np
import pytest
from gradcheck import gradcheck

from snnlite import nn
from snnlite.datasets import load_mnist_sample, to_float
from snnlite.learn.agd import to_agd
from snnlite.learn.bptt import Spiking
from snnlite.learn.time_axis import PoissonEncoder, Repeat, SumOverTime
from snnlite.neurons import LIF
from snnlite.neurons.surrogate import Sigmoid
from snnlite.nn.backres import BackRes
from snnlite.snn.encoding import poisson_process, regular

F64 = np.float64


def _ann(dtype=np.float32):
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, rng=0, dtype=dtype), nn.ReLU(), nn.AvgPool2d(2),
        BackRes(nn.Sequential(nn.Conv2d(2, 2, 3, padding=1, rng=1, dtype=dtype), nn.ReLU()), 2),
        nn.Flatten(), nn.Linear(8, 5, rng=2, dtype=dtype), nn.ReLU(),
        nn.Linear(5, 3, rng=3, dtype=dtype))


def test_structure_and_ann_untouched():
    ann = _ann()
    agd = to_agd(ann, T=4, encoder="poisson", rng=0)
    kinds = [type(m).__name__ for m in agd]
    assert kinds == ["PoissonEncoder", "Conv2d", "Spiking", "AvgPool2d", "BackRes", "Flatten",
                     "Linear", "Spiking", "SumOverTime", "Linear"]
    assert isinstance(agd[4].block[1], Spiking) and isinstance(ann[3].block[1], nn.ReLU)
    assert agd[1].input_grad is False and ann[0].input_grad is True
    assert agd[1].weight is not ann[0].weight
    np.testing.assert_array_equal(agd[1].weight.data, ann[0].weight.data)
    assert len(agd.parameters()) == len(ann.parameters())  # BackRes weights listed once


def test_any_rate_code_of_the_registry():
    ann, x = _ann(), np.random.default_rng(0).uniform(0, 1, (2, 1, 4, 4))
    agd = to_agd(ann, T=4, encoder="regular")
    assert type(agd[0]).__name__ == "Encoder" and agd[1].input_grad is False
    np.testing.assert_array_equal(agd[0](x), regular(x, 4).reshape(8, 1, 4, 4))
    process = to_agd(ann, T=4, encoder="poisson_process", rng=3)
    np.testing.assert_array_equal(process[0](x), poisson_process(x, 4, rng=3).reshape(8, 1, 4, 4))
    fixed = to_agd(ann, T=4, encoder=lambda x, T, rng=None: np.ones((T, *np.shape(x))))
    assert fixed[0](x).shape == (8, 1, 4, 4) and fixed[0](x).min() == 1.0
    with pytest.raises(ValueError, match="one of"):
        to_agd(ann, 4, encoder="gauss")


def test_hybrid_structure():
    agd = to_agd(_ann(), T=3, keep_relu=1)
    kinds = [type(m).__name__ for m in agd]
    assert kinds[:5] == ["Conv2d", "ReLU", "AvgPool2d", "Repeat", "BackRes"]
    assert isinstance(agd[-2], SumOverTime) and agd[0].input_grad


def test_hybrid_backres_bptt_equals_finite_differences():
    """Gradients reach the ReLU block through BPTT and every unrolling of the shared block."""
    agd = to_agd(_ann(F64), T=4, neuron=LIF(alpha=0.8, threshold=0.5), surrogate=Sigmoid(3.0),
                 keep_relu=1)
    x = np.random.default_rng(0).uniform(0, 1, (2, 1, 4, 4))
    gradcheck(agd, x, rtol=1e-5, atol=1e-8)


def test_backres_shared_weight_gets_n_contributions():
    """The BackRes weight gradient equals the sum over two separately-weighted unrollings."""
    T, rng = 5, np.random.default_rng(3)
    w = rng.uniform(0.0, 0.6, (4, 4))  # excitatory enough that both unrollings spike

    def lin():
        layer = nn.Linear(4, 4, rng=1, dtype=F64)
        layer.weight.data[...] = w
        return layer

    first, last = nn.Linear(3, 4, rng=0, dtype=F64), nn.Linear(4, 2, rng=2, dtype=F64)
    neuron = LIF(alpha=0.9, threshold=0.4)
    agd = to_agd(nn.Sequential(first, nn.ReLU(), BackRes(nn.Sequential(lin(), nn.ReLU()), 2),
                               last), T, neuron=neuron, encoder="analog")
    unrolled = to_agd(nn.Sequential(first, nn.ReLU(), lin(), nn.ReLU(), lin(), nn.ReLU(), last),
                      T, neuron=neuron, encoder="analog")
    x, r = rng.uniform(0, 1, (3, 3)), rng.standard_normal((3, 2))
    np.testing.assert_array_equal(agd(x, train=True), unrolled(x, train=True))
    assert agd[3].block[1].potentials is None  # the shared block's own cache stays empty
    agd.backward(r)
    unrolled.backward(r)
    expected = unrolled[3].weight.grad + unrolled[5].weight.grad
    assert np.abs(unrolled[3].weight.grad).max() > 0 and np.abs(unrolled[5].weight.grad).max() > 0
    np.testing.assert_allclose(agd[3].block[0].weight.grad, expected, rtol=1e-12)


def test_errors():
    ann = _ann()
    with pytest.raises(ValueError, match="encoder"):
        to_agd(ann, 4, encoder="latency")
    with pytest.raises(ValueError, match="keep_relu"):
        to_agd(ann, 4, keep_relu=3)
    with pytest.raises(ValueError, match="no ReLU left"):
        to_agd(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)), 4, keep_relu=1)
    with pytest.raises(TypeError, match="Sequential"):
        to_agd(nn.Linear(2, 2), 4)


def test_agd_learns_the_sample():
    """A small AGD network trained by BPTT beats chance by far on held-out digits."""
    x, y, xt, yt = load_mnist_sample()
    x, xt = (to_float(a, add_channel=False).reshape(len(a), -1) for a in (x, xt))
    ann = nn.Sequential(nn.Linear(784, 64, rng=0), nn.ReLU(), nn.Linear(64, 10, rng=1))
    agd = to_agd(ann, T=8, neuron=LIF(alpha=0.95), rng=0)
    before = nn.evaluate(agd, xt[:300], yt[:300])["accuracy"]
    nn.fit(agd, (x, y), epochs=2, batch_size=64, lr=3e-3, rng=0, progress=False)
    after = nn.evaluate(agd, xt[:300], yt[:300])["accuracy"]
    assert before < 0.3 and after > 0.75
    assert isinstance(agd[0], PoissonEncoder) and not isinstance(agd[0], Repeat)


def test_analog_input_runs_first_synapse_once():
    """Moving Repeat after the first synapse changes cost, not results or gradients."""
    ann = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0, dtype=F64), nn.ReLU(), nn.Flatten(),
                        nn.Linear(8, 3, rng=1, dtype=F64))
    agd = to_agd(ann, T=5, encoder="analog", neuron=LIF(alpha=0.9, threshold=0.3))
    assert [type(m).__name__ for m in agd][:3] == ["Conv2d", "Repeat", "Spiking"]
    naive = nn.Sequential(Repeat(5), *[m for m in agd if not isinstance(m, Repeat)])
    x = np.random.default_rng(0).uniform(0, 1, (2, 1, 4, 4))
    r = np.random.default_rng(1).standard_normal((2, 3))
    out = agd(x, train=True)  # the two share modules: finish one network before the other
    agd.zero_grad()
    agd.backward(r)
    grad = agd[0].weight.grad.copy()
    agd.zero_grad()
    np.testing.assert_allclose(naive(x, train=True), out, rtol=1e-12)
    naive.backward(r)
    np.testing.assert_allclose(agd[0].weight.grad, grad, rtol=1e-10)
