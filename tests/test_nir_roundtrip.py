"""Round trip: every representable network survives ``from_nir(to_nir(net))`` with identical
spikes and outputs on both engines, in memory and through a ``.nir`` file on disk."""

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from snnlite import nn  # noqa: E402
from snnlite.neurons import IF, LIF, MultiSpikeIF  # noqa: E402
from snnlite.nir import from_nir, to_nir  # noqa: E402
from snnlite.snn import (  # noqa: E402
    LeakyReadout,
    Readout,
    Reshape,
    Residual,
    SpikingLayer,
    SpikingNetwork,
)


def mlp(reset, seed):
    rng = np.random.default_rng(seed)
    return SpikingNetwork([
        SpikingLayer(nn.Linear(6, 12, rng=rng), IF(0.9, reset=reset)),
        SpikingLayer(nn.Linear(12, 10, rng=rng), LIF(alpha=0.8, threshold=0.6, reset=reset),
                     amplitude=0.7),
        LeakyReadout(nn.Linear(10, 4, rng=rng), alpha=0.9)]), (6,)


def cnn(reset, seed):
    rng = np.random.default_rng(seed)
    return SpikingNetwork([
        SpikingLayer(nn.Conv2d(2, 4, 3, padding=1, rng=rng), LIF(alpha=0.95, reset=reset)),
        SpikingLayer(nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(4, 6, 3, stride=2, padding=1,
                                                             groups=2, rng=rng)),
                     IF(0.5, reset=reset)),
        SpikingLayer(nn.Sequential(nn.SumPool2d(2, stride=1), nn.Flatten(),
                                   nn.Linear(6, 8, bias=False, rng=rng)),
                     MultiSpikeIF(0.8, max_spikes=3)),
        SpikingLayer(nn.Linear(8, 3, rng=rng), IF(reset=reset)),
        Reshape(nn.Flatten())]), (2, 8, 8)


def resnet(reset, seed):
    rng = np.random.default_rng(seed)
    return SpikingNetwork([
        SpikingLayer(nn.Conv2d(1, 4, 3, padding=1, rng=rng), IF(0.7, reset=reset),
                     amplitude=0.5),
        Residual([SpikingLayer(nn.Conv2d(4, 4, 3, padding=1, rng=rng), LIF(0.9, reset=reset)),
                  SpikingLayer(nn.Conv2d(4, 4, 3, padding=1, rng=rng), IF(reset=reset))]),
        Residual([SpikingLayer(nn.Conv2d(4, 6, 3, stride=2, padding=1, rng=rng),
                               IF(0.8, reset=reset))],
                 shortcut=nn.Sequential(nn.Conv2d(4, 6, 1, stride=2, rng=rng))),
        Reshape(nn.Flatten()),
        Readout(nn.Sequential(nn.Scale(np.linspace(0.5, 1.5, 96)),
                              nn.Linear(96, 5, rng=rng)))]), (1, 8, 8)


ARCHITECTURES = {"mlp": mlp, "cnn": cnn, "resnet": resnet}


def assert_same_run(a_net, b_net, x, **kwargs):
    names_a = [layer.name for layer in a_net.spiking_layers()]
    names_b = [layer.name for layer in b_net.spiking_layers()]
    assert len(names_a) == len(names_b)
    for engine in ("layer", "step"):
        a = a_net.run(x, T=15, engine=engine, record=dict.fromkeys(names_a, "spikes"), **kwargs)
        b = b_net.run(x, T=15, engine=engine, record=dict.fromkeys(names_b, "spikes"), **kwargs)
        for na, nb in zip(names_a, names_b, strict=True):
            np.testing.assert_array_equal(a.spikes[na], b.spikes[nb], err_msg=f"{na} {engine}")
        np.testing.assert_array_equal(a.outputs, b.outputs)
        assert sum(c.total for c in a.counts.values()) > 0


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("seed", [0, 1])
def test_round_trip_in_memory(arch, reset, seed):
    net, shape = ARCHITECTURES[arch](reset, seed)
    back = from_nir(to_nir(net, shape))
    x = np.random.default_rng(seed + 10).random((3,) + shape).astype(np.float32) * 1.5
    assert_same_run(net, back, x)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
@pytest.mark.parametrize("conventions", [
    {"dt": 1e-3, "discretisation": "euler", "if_r": "step"},
    {"dt": 0.5, "discretisation": "exact", "if_r": "time"}])
def test_round_trip_through_a_file(arch, conventions, tmp_path):
    net, shape = ARCHITECTURES[arch]("subtract", 3)
    path = tmp_path / f"{arch}.nir"
    to_nir(net, shape, path=path, **conventions)
    graph = nir.read(path, type_check=False)
    assert graph.metadata["generator"].startswith("snnlite")
    assert graph.metadata["discretisation"] == conventions["discretisation"]
    back = from_nir(path)
    rng = np.random.default_rng(4)
    spikes = (rng.random((15, 2) + shape) < 0.3).astype(np.float32)  # encoded input (T, B, ...)
    assert_same_run(net, back, spikes, encoder=None, dtype=np.float64)


def test_round_trip_keeps_neurons_and_parameters():
    net, shape = cnn("zero", 0)
    back = from_nir(to_nir(net, shape))
    for a, b in zip(net.spiking_layers(), back.spiking_layers(), strict=True):
        assert repr(a.neuron) == repr(b.neuron)
        wa = [op.weight.data for op in getattr(a.synapse, "layers", [a.synapse])
              if hasattr(op, "weight")]
        wb = [op.weight.data for op in getattr(b.synapse, "layers", [b.synapse])
              if hasattr(op, "weight")]
        for x, y in zip(wa, wb, strict=True):
            np.testing.assert_array_equal(x, y)
        if a.bias is None:
            assert b.bias is None
        else:
            np.testing.assert_array_equal(a.bias, b.bias)


def random_network(seed):
    """A random MLP: IF / LIF / multi-spike IF layers with random resets, thresholds, biases
    and amplitudes, residual blocks (also as the first layer), maybe a readout."""
    rng = np.random.default_rng(seed)
    width = int(rng.integers(3, 9))

    def neuron():
        kind, reset = rng.integers(3), ["subtract", "zero"][rng.integers(2)]
        th = float(rng.uniform(0.3, 1.5))
        if kind == 0:
            return IF(th, reset=reset)
        if kind == 1:
            return LIF(alpha=float(rng.uniform(0.5, 1.0)), threshold=th, reset=reset)
        return MultiSpikeIF(th, max_spikes=int(rng.integers(1, 5)))

    def layer(n_in, n_out):
        return SpikingLayer(nn.Linear(n_in, n_out, bias=bool(rng.integers(2)), rng=rng),
                            neuron(), amplitude=float(rng.choice([1.0, 0.5, 2.0])))

    layers, n = [], width
    for _ in range(int(rng.integers(1, 5))):
        if rng.random() < 0.4:
            branch = [layer(n, n) for _ in range(int(rng.integers(1, 3)))]
            shortcut = nn.Linear(n, n, rng=rng) if rng.random() < 0.5 else None
            layers.append(Residual(branch, shortcut))
        else:
            m = int(rng.integers(3, 9))
            layers.append(layer(n, m))
            n = m
    if rng.random() < 0.5:
        layers.append(Readout(nn.Linear(n, 3, rng=rng)))
    return SpikingNetwork(layers), (width,)


@pytest.mark.parametrize("seed", range(8))
def test_round_trip_of_random_networks(seed, tmp_path):
    net, shape = random_network(seed)
    back = from_nir(to_nir(net, shape, path=tmp_path / "random.nir"))
    again = from_nir(tmp_path / "random.nir")
    x = np.random.default_rng(seed).random((4,) + shape).astype(np.float32) * 2
    assert_same_run(net, back, x)
    assert_same_run(net, again, x, dtype=np.float64)
