"""Golden tests of snnlite.nir against the NIR paper's reference graphs and traces.

The files come from ``neuromorphs/NIR`` (see ``PROVENANCE.md`` in the reference folder); no one
here wrote them. They are read from ``$SNNLITE_NIR_REFERENCE``, by default
``<repo>/../shared/nir-reference``; the tests skip when the folder is absent.
"""

import os
from pathlib import Path

import numpy as np
import pytest

nir = pytest.importorskip("nir")
h5py = pytest.importorskip("h5py")

from snnlite.neurons import IF, LIF, MultiSpikeIF  # noqa: E402
from snnlite.nir import from_nir  # noqa: E402

REF = Path(os.environ.get("SNNLITE_NIR_REFERENCE",
                          Path(__file__).resolve().parents[1].parent / "shared" / "nir-reference"))
pytestmark = pytest.mark.skipif(not REF.is_dir(), reason=f"NIR reference folder {REF} is absent "
                                "(set SNNLITE_NIR_REFERENCE)")

DT = 1e-4  # the step of the LIF reference (01_lif/README.md)
TAU, THRESHOLD = 0.0025, 0.1  # in lif_norse.nir (checked below)


def lif_trace(**conventions):
    """Drive the Norse LIF graph with the input column of lif_exact.csv; spikes and V."""
    exact = np.loadtxt(REF / "01_lif" / "lif_exact.csv", delimiter=",")
    net = from_nir(REF / "01_lif" / "lif_norse.nir", dt=DT, **conventions)
    name = net.layers[0].name
    res = net.run(exact[:, 0].reshape(-1, 1, 1), T=len(exact), encoder=None, dtype=np.float64,
                  record={name: ("spikes", "v")})
    return res.spikes[name][:, 0, 0], res.v[name][:, 0, 0], exact


def test_lif_graph_parameters():
    graph = nir.read(REF / "01_lif" / "lif_norse.nir")
    lif = next(n for n in graph.nodes.values() if isinstance(n, nir.LIF))
    assert np.allclose(lif.tau, TAU) and np.allclose(lif.v_threshold, THRESHOLD)
    assert np.all(lif.r == 1) and np.all(lif.v_leak == 0)
    net = from_nir(graph, dt=DT)
    neuron = net.layers[0].neuron
    assert isinstance(neuron, LIF) and neuron.reset == "zero"  # the defaults: Euler, zero
    assert neuron.alpha == pytest.approx(1 - DT / TAU)


def test_lif_euler_zero_reset_gives_exact_spike_steps_and_the_norse_trace():
    """Forward Euler with reset to zero (the defaults, Norse's choice) fires at the steps of
    the exact solution and reproduces Norse's own trace."""
    spikes, v, exact = lif_trace()
    norse = np.loadtxt(REF / "01_lif" / "lif_norse.csv", delimiter=",")
    assert np.flatnonzero(exact[:, 2]).tolist() == [460, 510, 710, 760]
    np.testing.assert_array_equal(spikes, exact[:, 2])
    np.testing.assert_array_equal(spikes, norse[:, 2])
    # Norse ran in float32 with the same update; rounding differences stay below 1e-6
    np.testing.assert_allclose(v, norse[:, 1], rtol=0, atol=1e-6)
    # forward Euler against the exact solution before the first spike: one step's error is
    # |exp(-h) - (1 - h)| |r I - v| <= h^2 / 2 (h = dt / tau = 0.04, |r I - v| <= 1 here);
    # the update contracts by 1 - h, so the accumulated error stays below h / 2 = 0.02.
    # (After a spike the zero reset drops the overshoot that the exact solution keeps.)
    h = DT / TAU
    assert np.abs(v - exact[:, 1])[:460].max() < h / 2


def test_lif_exact_decay_and_subtraction_follow_the_exact_solution():
    """With the exact decay and reset by subtraction (the exact simulation's reset), the
    trace equals the exact solution up to rounding until the first spike; afterwards the
    discrete reset happens at the end of the step instead of at the crossing time, an error
    of at most th (1 - exp(-dt / tau)) = 3.9e-3 that then decays."""
    spikes, v, exact = lif_trace(discretisation="exact", reset="subtract")
    np.testing.assert_array_equal(spikes, exact[:, 2])
    np.testing.assert_allclose(v[:460], exact[:460, 1], rtol=0, atol=1e-9)
    bound = THRESHOLD * (1 - np.exp(-DT / TAU))
    assert np.abs(v - exact[:, 1]).max() <= bound


# --- the converted N-MNIST CNN exported by Sinabs -------------------------------------------

CNN = REF / "02_cnn" / "cnn_sinabs.nir"


def raw_nodes():
    """The file's arrays, read with h5py (independently of snnlite.nir)."""
    with h5py.File(CNN, "r") as f:
        return {name: {key: group[key][()] for key in group if key != "metadata"}
                for name, group in f["node"]["nodes"].items()}


def correlate(x, w, stride, padding):
    """Reference 2-D cross-correlation ``(C, H, W) -> (O, OH, OW)`` by explicit offsets."""
    (sh, sw), (ph, pw) = stride, padding
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    o, _, kh, kw = w.shape
    oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
    out = np.zeros((o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
            out += np.einsum("oc,chw->ohw", w[:, :, i, j], patch)
    return out


@pytest.mark.parametrize("spikes", ["multi", "single"])
def test_cnn_structure_and_parameters(spikes):
    raw = raw_nodes()
    net = from_nir(CNN, if_spikes=spikes, reset="subtract")
    layers = net.layers
    assert [layer.name for layer in layers] == ["1", "3", "6", "10", "12"]
    kind = MultiSpikeIF if spikes == "multi" else IF
    for layer in layers:
        assert type(layer.neuron) is kind
        assert layer.neuron.threshold == float(np.unique(raw[layer.name]["v_threshold"])[0])
        assert layer.bias is None  # the file's biases are all zero
    ops = [layer.synapse.layers if hasattr(layer.synapse, "layers") else [layer.synapse]
           for layer in layers]
    assert [[type(op).__name__ for op in o] for o in ops] == [
        ["Conv2d"], ["Conv2d"], ["SumPool2d", "Conv2d"], ["SumPool2d", "Flatten", "Linear"],
        ["Linear"]]
    for conv, key in ((ops[0][0], "0"), (ops[1][0], "2"), (ops[2][1], "5")):
        np.testing.assert_array_equal(conv.weight.data, raw[key]["weight"])
        assert conv.stride == tuple(raw[key]["stride"]) and conv.padding == \
            tuple(raw[key]["padding"]) and conv.groups == raw[key]["groups"]
    for pool, key in ((ops[2][0], "4"), (ops[3][0], "7")):
        assert pool.kernel_size == tuple(raw[key]["kernel_size"])
        assert pool.stride == tuple(raw[key]["stride"])
    np.testing.assert_array_equal(ops[3][2].weight.data, raw["9"]["weight"])
    np.testing.assert_array_equal(ops[4][0].weight.data, raw["11"]["weight"])
    x = np.random.default_rng(0).random((2, 2, 34, 34)).astype(np.float32)
    res = net.run(x, T=3)
    for layer in layers:  # population shapes = the shapes of the IF parameters in the file
        assert res.shapes[layer.name] == raw[layer.name]["r"].shape


def test_cnn_first_layer_against_a_reference_convolution():
    """One step of analog input: the multi-spike IF emits floor(conv(x)) spikes (th = 1)."""
    raw = raw_nodes()
    net = from_nir(CNN, if_spikes="multi", reset="subtract")
    x = np.random.default_rng(1).random((2, 2, 34, 34))
    res = net.run(x, T=1, dtype=np.float64, record={"1": "spikes"})
    for b in range(2):
        current = correlate(x[b], raw["0"]["weight"].astype(np.float64), raw["0"]["stride"],
                            raw["0"]["padding"])
        expected = np.clip(np.floor(current), 0, 127)
        np.testing.assert_array_equal(res.spikes["1"][0, b], expected)


@pytest.mark.parametrize("spikes", ["multi", "single"])
def test_cnn_both_engines_give_identical_spikes(spikes):
    net = from_nir(CNN, if_spikes=spikes, reset="subtract")
    rng = np.random.default_rng(2)
    x = (rng.random((12, 3, 2, 34, 34)) < 0.1).astype(np.float32)  # event frames (T, B, ...)
    names = [layer.name for layer in net.layers]
    record = {name: "spikes" for name in names}
    a = net.run(x, T=12, encoder=None, record=record)
    b = net.run(x, T=12, encoder=None, record=record, engine="step")
    for name in names:
        np.testing.assert_array_equal(a.spikes[name], b.spikes[name])
    np.testing.assert_array_equal(a.outputs, b.outputs)
    assert a.counts["1"].total > 0 and a.counts["12"].total > 0  # the spikes reach the output
