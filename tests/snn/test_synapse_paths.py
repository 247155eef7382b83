"""Integer event convolution and the current-path dispatch against the module path."""

import numpy as np
import pytest
from kernels import python

from snnlite import nn
from snnlite.convert.zou import ZouConverter
from snnlite.datasets import load_mnist_sample
from snnlite.experiments.zou_mnist import load_pretrained
from snnlite.snn import event_conv
from snnlite.snn.event_conv import IntegerConv2d
from snnlite.snn.synapse_paths import synapse_path, synaptic_current


def _ternary_conv(c_in, c_out, kernel, stride, padding, rng):
    conv = nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False)
    conv.weight.data[...] = rng.integers(-1, 2, conv.weight.data.shape)
    return conv


def _spikes(shape, rng):
    return rng.choice(np.array([-1, 0, 0, 0, 1], np.int8), size=shape)


@pytest.mark.parametrize("kernel, stride, padding, hw", [
    (5, 1, 0, (12, 12)), (2, 2, 0, (24, 24)), (3, (2, 1), (1, 2), (7, 9)), ((4, 2), 3, 1, (10, 8)),
])
def test_event_current_equals_the_float_product(kernel, stride, padding, hw):
    rng = np.random.default_rng(0)
    conv = _ternary_conv(3, 5, kernel, stride, padding, rng)
    x = _spikes((4, 3, *hw), rng)
    current = IntegerConv2d(conv).event_current(x)
    assert current.dtype == np.int32 and current.flags.c_contiguous
    np.testing.assert_array_equal(current, conv.forward(x.astype(np.float64)))


def test_interpreted_kernel_equals_compiled():
    rng = np.random.default_rng(1)
    conv = IntegerConv2d(_ternary_conv(2, 3, 3, 2, 1, rng))
    x = _spikes((2, 2, 6, 6), rng)
    compiled, interpreted = np.zeros((2, 3, 3, 3), np.int32), np.zeros((2, 3, 3, 3), np.int32)
    event_conv._scatter_kernels(x, conv.taps, 2, 2, 1, 1, compiled)
    python(event_conv._scatter_kernels)(x, conv.taps, 2, 2, 1, 1, interpreted)
    np.testing.assert_array_equal(compiled, interpreted)
    assert np.abs(compiled).sum() > 0


def test_integer_conv_errors():
    with pytest.raises(ValueError, match="bias-free Conv2d"):
        IntegerConv2d(nn.Conv2d(2, 2, 3))
    conv = nn.Conv2d(2, 2, 3, bias=False)
    with pytest.raises(ValueError, match=r"integer weights in \[-127, 127\]"):
        IntegerConv2d(conv)                     # kaiming floats
    conv.weight.data[...] = 128
    with pytest.raises(ValueError, match=r"integer weights in \[-127, 127\]"):
        IntegerConv2d(conv)
    conv.weight.data[...] = 1
    with pytest.raises(ValueError, match=r"expects \(B, 2, H, W\)"):
        IntegerConv2d(conv).event_current(np.zeros((1, 3, 5, 5), np.int8))


def test_dispatch_picks_the_path_from_the_input():
    rng = np.random.default_rng(2)
    conv = IntegerConv2d(_ternary_conv(2, 3, 3, 1, 0, rng))
    spikes, floats = _spikes((2, 2, 5, 5), rng), rng.random((2, 2, 5, 5)).astype(np.float32)
    assert synapse_path(conv, spikes) == "integer events"
    assert synapse_path(conv, spikes, amplitude=0.5) == "patches"  # not an integer current
    assert synapse_path(conv, floats) == "module"
    assert synapse_path(nn.Linear(4, 2), spikes.reshape(2, -1)[:, :4]) == "module"
    conv.events = False
    assert synapse_path(conv, spikes) == "patches"
    conv.events = True
    doubled = synaptic_current(conv, spikes, np.float32, amplitude=2.0)
    assert doubled.dtype == np.int32
    np.testing.assert_array_equal(doubled, 2 * conv.forward(spikes.astype(np.float32)))


def test_zou_lenet_integer_events_give_the_spikes_of_the_float_products():
    x = load_mnist_sample()[2][:24, None] / np.float32(255)
    model = load_pretrained(0)
    results = {}
    for events in (True, False):
        net = ZouConverter(integer=True, events=events).fit(model).transform()
        spikes = np.zeros((1, 1, 1, 1), np.int8)
        paths = {synapse_path(layer.synapse, spikes) for layer in net.layers[1:-1]}
        assert paths == ({"integer events"} if events else {"patches"})
        results[events] = net.run(x, 8, t_in=1, record={layer.name: ["spikes"]
                                                        for layer in net.layers[:-1]})
    fast, slow = results[True], results[False]
    assert fast.counts["hidden2"].total > 0
    for name in slow.spikes:
        np.testing.assert_array_equal(fast.spikes[name], slow.spikes[name])
    np.testing.assert_array_equal(fast.outputs, slow.outputs)
