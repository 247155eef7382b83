"""Noise attribution (spec §3.4): each noise type alone on one neuron with hand-checked numbers
(§6.1 examples A and B, a reset-to-zero neuron, a missing pre-charge, Poisson input), the
§6.3 network table, and a random network checked against independent NumPy computations."""

import matplotlib
import numpy as np
import pytest

from snnlite import nn
from snnlite.analysis import (
    CATEGORIES,
    attribute,
    decompose,
    format_table,
    net_counts,
    noise_table,
    plot_noise,
    rate_coding_noise,
)
from snnlite.neurons import IF, LIF, QFFS
from snnlite.snn import (
    EventMaxPool,
    Readout,
    Reshape,
    SpikingLayer,
    SpikingNetwork,
    poisson,
)

matplotlib.use("Agg")

EXAMPLE_A = [-1.0] * 9 + [13.0]  # §6.1, sum 4
EXAMPLE_B = [1.0] * 8 + [-2.0] * 2  # §6.1, sum 4
SILENT = [0.0] * 4  # "T = 14"


def linear(w, b=None):
    w = np.asarray(w, dtype=np.float64)
    op = nn.Linear(w.shape[1], w.shape[0], bias=b is not None, dtype=np.float64)
    op.weight.data[...] = w
    if b is not None:
        op.bias.data[...] = b
    return op


def one_neuron(neuron):
    """A network of one neuron whose input current is the (encoder=None) input itself."""
    return SpikingNetwork([SpikingLayer(linear([[1.0]]), neuron, name="n")])


def alone(neuron, inputs, target, **kw):
    """Decompose one neuron driven by ``inputs`` (a list of currents); return its LayerNoise."""
    seq = np.asarray(inputs, dtype=np.float64).reshape(-1, 1, 1)
    return decompose(one_neuron(neuron), seq, len(seq), {"n": [[target]]}, encoder=None,
                     **kw).layers["n"]


def nonzero_parts(noise):
    return {c: float(p[0, 0]) for c, p in noise.parts.items() if p[0, 0] != 0}


# --- each noise type alone, on one neuron ----------------------------------------------------

@pytest.mark.parametrize("neuron, inputs, z, v_end, parts", [
    # signature (ii): one spike, V = 3 pending (§6.1 A, T = 10) ...
    (IF(), EXAMPLE_A, 1, 3.0, {"occasional_ii": -3.0}),
    (QFFS(precharge=True), EXAMPLE_A, 1, 3.5, {"occasional_ii": -3.0}),
    # ... fixed by a longer simulation (T = 14)
    (IF(), EXAMPLE_A + SILENT, 4, 0.0, {}),
    (QFFS(precharge=True), EXAMPLE_A + SILENT, 4, 0.5, {}),
    # signature (i): 8 spikes, V = -4 (§6.1 B), a longer run does not help an IF neuron ...
    (IF(), EXAMPLE_B, 8, -4.0, {"occasional_i": 4.0}),
    (IF(), EXAMPLE_B + SILENT, 8, -4.0, {"occasional_i": 4.0}),
    # ... negative spikes do, during and after the input (6 at T = 10, 4 at T = 14)
    (QFFS(precharge=False), EXAMPLE_B, 6, -2.0, {"occasional_i": 2.0}),
    (QFFS(precharge=True), EXAMPLE_B, 6, -1.5, {"occasional_i": 2.0}),
    (QFFS(precharge=False), EXAMPLE_B + SILENT, 4, 0.0, {}),
    (QFFS(precharge=True), EXAMPLE_B + SILENT, 4, 0.5, {}),
])
def test_occasional_noise_spec_6_1(neuron, inputs, z, v_end, parts):
    noise = alone(neuron, inputs, 4)  # both inputs sum to 4: target 4
    assert noise.count[0, 0] == z and noise.v_end[0, 0] == v_end
    assert noise.total_current[0, 0] == 4.0 and noise.lost_charge[0, 0] == 0.0
    assert nonzero_parts(noise) == parts
    assert noise.error[0, 0] == z - 4 == sum(parts.values())


def test_supra_threshold_noise_reset_to_zero():
    """1.7 per step for 3 steps, then 3 silent, th = 1: total 5.1, target round(5.1) = 5."""
    zero = alone(IF(reset="zero"), [1.7] * 3 + [0.0] * 3, 5)
    # every step fires from V = 1.7 and throws 0.7 away: 3 spikes, 3 * 0.7 = 2.1 lost
    assert zero.count[0, 0] == 3 and zero.v_end[0, 0] == 0.0
    assert zero.lost_charge[0, 0] == pytest.approx(2.1, abs=1e-12)
    assert nonzero_parts(zero) == {"supra_threshold": -2.0}
    # the fix: reset by subtraction keeps the excess and fires it in the silent steps
    sub = alone(IF(reset="subtract"), [1.7] * 3 + [0.0] * 3, 5)
    assert sub.count[0, 0] == 5 and sub.v_end[0, 0] == pytest.approx(0.1, abs=1e-12)
    assert sub.lost_charge[0, 0] == 0.0 and nonzero_parts(sub) == {}


def test_sub_threshold_noise_fixed_by_precharge():
    """th = 0.75 (§6.2 neuron), 0.4375 for 3 steps: s = 1.3125 / 0.75 = 1.75, level 2."""
    inputs = [0.4375] * 3 + [0.0] * 3
    bare = alone(IF(threshold=0.75), inputs, 2)
    # V: 0.4375, 0.875 -> fire -> 0.125, 0.5625: a floor, 1 spike, residual 0.5625 = 0.75 th
    assert bare.count[0, 0] == 1 and bare.v_end[0, 0] == 0.5625
    assert nonzero_parts(bare) == {"sub_threshold": -1.0}
    for neuron in (IF(threshold=0.75, v_init=0.375), QFFS(threshold=0.75, z_max=3)):
        fixed = alone(neuron, inputs, 2)  # V(0) = th/2: 0.8125 -> 0.0625, 0.5, 0.9375 -> 0.1875
        assert fixed.count[0, 0] == 2 and fixed.v_end[0, 0] == 0.1875
        assert nonzero_parts(fixed) == {}
    # float-ANN targets: the ideal count is 1.75 itself; the part is minus the residual
    real = alone(IF(threshold=0.75), inputs, 1.75, levels=False)
    assert nonzero_parts(real) == {"sub_threshold": -0.75} == {"sub_threshold": -0.5625 / 0.75}


def test_rate_coding_noise_one_input():
    """One input of intensity 0.375, weight 1, th = 1, pre-charge 0.5, T = 16: target 6."""
    x, T, seed = np.array([[0.375]]), 16, 0
    net = one_neuron(IF(v_init=0.5))
    spikes_in = int(poisson(x, T, rng=seed).sum())  # independently drawn, same seed
    assert spikes_in != 6
    analog = decompose(net, x, T, {"n": [[6]]})
    rate = decompose(net, x, T, {"n": [[6]]}, encoder="poisson", rng=seed)
    assert analog.layers["n"].count[0, 0] == 6 and nonzero_parts(analog.layers["n"]) == {}
    assert rate.layers["n"].total_current[0, 0] == spikes_in
    assert rate.layers["n"].count[0, 0] == spikes_in  # every input spike is one output spike
    assert nonzero_parts(rate.layers["n"]) == {"rate_coding": spikes_in - 6.0}
    diff = rate_coding_noise(rate.result, analog.result)
    assert diff["n"].tolist() == [[spikes_in - 6]]


def test_ann_rounding_ties_show_in_the_input_part():
    """§6.2 tie rows: the SNN rounds half up, the LSQ ANN half to even (documented)."""
    net = one_neuron(QFFS(0.75, z_max=3))
    d = decompose(net, np.array([[0.125], [0.625]]), 6, {"n": [[0], [2]]}, t_in=3)
    assert d.layers["n"].count.tolist() == [[1], [3]]  # u/s = 0.5 and 2.5, half up
    assert d.layers["n"].parts["rate_coding"].tolist() == [[1.0], [1.0]]
    assert d.table()["n"]["total"]["neurons"] == 2


# --- the spec §6.3 network -------------------------------------------------------------------

def spec_6_3(w1, b1, w2, b2, negative=True):
    return SpikingNetwork([
        SpikingLayer(linear(w1, b1), QFFS(0.75, z_max=3, negative=negative), bias_steps=3,
                     amplitude=0.75, name="l1"),
        SpikingLayer(linear(w2, b2), QFFS(1.5, z_max=3, negative=negative), bias_steps=3,
                     amplitude=1.5, name="l2"),
    ])


@pytest.mark.parametrize("negative", [True, False])
def test_table_spec_6_3(negative):
    net = spec_6_3([[1, -0.5], [0.5, 0.5]], [0, 0.125], [[-2, 1]], [0.375], negative)
    d = decompose(net, np.array([[0.75, 0.5]]), 5, {"l1": [[2, 3]], "l2": [[0]]}, t_in=3)
    table = d.table()
    assert list(table) == ["l1", "l2"]
    assert table["l1"]["total"] == {"neurons": 0, "abs_error": 0.0, "error": 0.0, "size": 2}
    l2 = d.layers["l2"]
    # layer-2 input: W2 (0.75 Z1) + 3 B2 = 0.75 (-4 + 3) + 1.125 = 0.375 (as the ANN: 3 u2)
    assert l2.total_current[0, 0] == 0.375
    if negative:  # lossless: Z2 = 0 (spikes +1, -1), V2 = 1.125
        assert l2.count[0, 0] == 0 and l2.v_end[0, 0] == 1.125
        assert table["l2"]["total"]["neurons"] == 0
    else:  # §6.3: Z2 = 1, V2 = -0.375, signature (i)
        assert l2.count[0, 0] == 1 and l2.v_end[0, 0] == -0.375
        assert table["l2"]["occasional_i"] == {"neurons": 1, "abs_error": 1.0, "error": 1.0}
        assert table["l2"]["total"] == {"neurons": 1, "abs_error": 1.0, "error": 1.0,
                                        "size": 1}
        others = [c for c in CATEGORIES if c != "occasional_i"]
        assert all(table["l2"][c]["neurons"] == 0 for c in others)


def test_table_spec_6_3_second_check_is_clean():
    net = spec_6_3([[1, -0.5], [0.5, 0.5], [-1, 1]], [0, 0.125, 0.25],
                   [[1, 1, 1], [-1, 2, 0]], [0.125, -0.125])
    d = decompose(net, np.array([[0.75, 0.5]]), 5, {"l1": [[2, 3, 0]], "l2": [[3, 2]]}, t_in=3)
    assert all(row["total"]["neurons"] == 0 for row in d.table().values())
    assert d.layers["l2"].v_end.tolist() == [[0.375, 0.375]]


# --- a random network against independent computations -------------------------------------

T_IN, Q = 8, 3


def random_net(make, seed=0, n_in=6, n_hid=10, n_out=4):
    rng = np.random.default_rng(seed)
    w1, b1 = rng.normal(0.1, 0.5, (n_hid, n_in)), rng.normal(0.1, 0.1, n_hid)
    w2, b2 = rng.normal(0.0, 0.5, (n_out, n_hid)), rng.normal(0.1, 0.1, n_out)
    th1, th2 = 0.8, 0.6
    net = SpikingNetwork([
        SpikingLayer(linear(w1, b1), make(th1), bias_steps=T_IN, amplitude=th1, name="h"),
        SpikingLayer(linear(w2, b2), make(th2), bias_steps=T_IN, amplitude=th2, name="o"),
        Reshape(nn.Flatten()), Readout(linear(np.ones((1, n_out))))])
    return net, (w1, b1, th1), (w2, b2, th2)


def reference_if_zero(current, th):
    """Independent loop: IF reset to zero on (T, N) currents; spikes, final V, lost charge."""
    v, lost = np.zeros(current.shape[1]), np.zeros(current.shape[1])
    spikes = np.zeros(current.shape, np.int64)
    for t, i_t in enumerate(current):
        v = v + i_t
        fire = v >= th
        lost[fire] += v[fire] - th
        spikes[t] = fire
        v[fire] = 0.0
    return spikes, v, lost


@pytest.mark.parametrize("make, conserving", [
    (lambda th: IF(th, reset="zero"), False),
    (lambda th: IF(th), True),
    (lambda th: QFFS(th, z_max=Q, precharge=False, negative=False), True),
    (lambda th: QFFS(th, z_max=Q), True),
])
def test_random_network_against_independent_values(make, conserving):
    net, (w1, b1, th1), (w2, b2, th2) = random_net(make)
    x = np.random.default_rng(1).random((5, 6))
    T = T_IN + 6
    targets = {"h": np.zeros((5, 10)), "o": np.ones((5, 4))}  # any targets: only L changes
    d = decompose(net, x, T, targets, t_in=T_IN)
    z_h, z_o = (net_counts(d.result)[k] for k in ("h", "o"))
    # total currents, computed here from the ANN-side formula
    s_h = T_IN * (x @ w1.T + b1)
    s_o = (th1 * z_h) @ w2.T + T_IN * b2
    np.testing.assert_allclose(d.layers["h"].total_current, s_h, rtol=0, atol=1e-12)
    np.testing.assert_allclose(d.layers["o"].total_current, s_o, rtol=0, atol=1e-12)
    for name, th, z, s in (("h", th1, z_h, s_h), ("o", th2, z_o, s_o)):
        noise = d.layers[name]
        v0 = net.layers[0 if name == "h" else 1].neuron.v_init
        total = sum(noise.parts.values())
        np.testing.assert_allclose(total, z - targets[name], rtol=0, atol=1e-9)  # telescoping
        if conserving:  # charge balance: th Z + V = V(0) + S
            np.testing.assert_allclose(th * z + noise.v_end, v0 + s, rtol=0, atol=1e-9)
            assert not noise.lost_charge.any() and not noise.parts["supra_threshold"].any()
        # the two signatures of §3.4, exactly where the occasional parts are non-zero
        cap = min(T, getattr(net.layers[0].neuron, "z_max", None) or T)
        np.testing.assert_array_equal(noise.parts["occasional_i"] > 0,
                                      (noise.v_end < 0) & (z > 0))
        np.testing.assert_array_equal(noise.parts["occasional_ii"] < 0,
                                      (noise.v_end >= th) & (z < cap))
    if not conserving:  # lost charge against an independent reset-to-zero simulation
        current = np.zeros((T, 5, 4))
        current[:] = (th1 * d.result.spikes["h"]) @ w2.T
        current[:T_IN] += b2
        spikes, v, lost = reference_if_zero(current.reshape(T, -1), th2)
        np.testing.assert_array_equal(spikes.sum(0).reshape(5, 4), z_o)
        np.testing.assert_allclose(d.layers["o"].v_end.ravel(), v, rtol=0, atol=1e-12)
        np.testing.assert_allclose(d.layers["o"].lost_charge.ravel(), lost, rtol=0, atol=1e-9)
        assert lost.sum() > 0
        assert d.layers["o"].parts["supra_threshold"].sum() < 0


def test_qffs_conversion_is_lossless_on_quantized_targets():
    """§3.6 invariant: with the quantized-ANN levels as targets every part vanishes."""
    net, (w1, b1, th1), (w2, b2, th2) = random_net(lambda th: QFFS(th, z_max=Q))
    x = np.random.default_rng(2).random((16, 6))
    s1, s2 = th1 / T_IN, th2 / T_IN  # th = T_in * s
    a1 = np.clip(np.round((x @ w1.T + b1) / s1), 0, Q)
    a2 = np.clip(np.round(((s1 * a1) @ w2.T + b2) / s2), 0, Q)
    d = decompose(net, x, 3 * T_IN, {"h": a1, "o": a2}, t_in=T_IN)
    assert a1.any() and a2.any()
    for row in d.table().values():
        assert row["total"]["neurons"] == 0


def test_conv_pool_network_lossless_and_currents():
    """Conv -> QFFS -> event max-pool -> flatten -> linear -> QFFS: the pool passes the max of
    the counts (B3), so the targets are the quantized ANN with a max-pool on the levels."""
    rng = np.random.default_rng(3)
    conv = nn.Conv2d(1, 2, 3, rng=0, dtype=np.float64)
    conv.bias.data[...] = 0.05
    fc = linear(rng.normal(0.0, 0.5, (3, 2 * 2 * 2)), [0.1, 0.0, -0.1])
    th1, th2 = 0.6, 0.5
    net = SpikingNetwork([
        SpikingLayer(conv, QFFS(th1, z_max=Q), bias_steps=T_IN, amplitude=th1, name="c"),
        EventMaxPool(2, name="pool"), Reshape(nn.Flatten()),
        SpikingLayer(fc, QFFS(th2, z_max=Q), bias_steps=T_IN, amplitude=th2, name="f")])
    x = rng.random((4, 1, 6, 6))
    a1 = np.clip(np.round(conv.forward(x) / (th1 / T_IN)), 0, Q)
    pooled = nn.MaxPool2d(2).forward(a1).reshape(4, -1)
    a2 = np.clip(np.round(((th1 / T_IN) * pooled @ fc.weight.data.T + fc.bias.data)
                          / (th2 / T_IN)), 0, Q)
    d = decompose(net, x, 3 * T_IN, {"c": a1, "f": a2}, t_in=T_IN)
    assert d.layers["c"].count.shape == (4, 2 * 4 * 4)
    np.testing.assert_allclose(d.layers["f"].total_current,
                               th1 * pooled @ fc.weight.data.T + T_IN * fc.bias.data,
                               rtol=0, atol=1e-12)
    assert all(row["total"]["neurons"] == 0 for row in d.table().values())
    assert d.layers["f"].parts["propagated"].shape == (4, 3) and a2.any()


# --- tables, text, plot, validation -------------------------------------------------------

def test_noise_table_format_and_plot():
    net = spec_6_3([[1, -0.5], [0.5, 0.5]], [0, 0.125], [[-2, 1]], [0.375], negative=False)
    d = decompose(net, np.array([[0.75, 0.5]]), 5, {"l1": [[2, 3]], "l2": [[0]]}, t_in=3)
    table = noise_table(d.layers)
    assert table == d.table()
    text = format_table(table, "neurons").splitlines()
    assert text[0].split() == ["layer", *CATEGORIES, "total"]
    assert text[2].split() == ["l2", "1", "0", "0", "0", "0", "0", "1"]
    ax = plot_noise(table, stat="error")
    assert len(ax.patches) == len(CATEGORIES) * 2
    assert [t.get_text() for t in ax.get_xticklabels()] == ["l1", "l2"]
    with pytest.raises(ValueError, match="stat"):
        plot_noise(table, stat="size")


def test_attribute_validation():
    with pytest.raises(ValueError, match="integer"):
        attribute([[1.5]], [[0.0]], [[1]], 1.0)
    with pytest.raises(ValueError, match="v_end"):
        attribute([[1, 2]], [[0.0]], [[1, 2]], 1.0)
    with pytest.raises(ValueError, match="threshold"):
        attribute([[1]], [[0.0]], [[1]], 0.0)
    with pytest.raises(ValueError, match="z_max"):
        attribute([[1]], [[0.0]], [[1]], 1.0, z_max=-1)
    with pytest.raises(ValueError, match="creates charge"):  # wrong v_init for the run
        attribute([[1]], [[0.5]], [[1]], 1.0, v_init=0.0, total_current=[[1.0]])
    with pytest.raises(ValueError, match="levels=False"):
        attribute([[1]], [[0.0]], [[1.5]], 1.0)
    assert attribute([[1]], [[0.0]], [[1.5]], 1.0, levels=False).error.tolist() == [[-0.5]]
    with pytest.raises(ValueError, match="NaN"):
        attribute([[1]], [[np.nan]], [[1]], 1.0)


def test_decompose_validation():
    net = one_neuron(IF())
    with pytest.raises(ValueError, match="names no spiking layer"):
        decompose(net, np.ones((1, 1)), 3, {"x": [[1]]})
    with pytest.raises(ValueError, match="entries"):
        decompose(net, np.ones((1, 1)), 3, {"n": [[1, 2]]})
    with pytest.raises(ValueError, match="IF"):
        decompose(one_neuron(LIF(alpha=0.9)), np.ones((1, 1)), 3, {"n": [[1]]})
    with pytest.raises(ValueError, match="IF"):
        decompose(one_neuron(IF(reset="none")), np.ones((1, 1)), 3, {"n": [[1]]})
    with pytest.raises(ValueError, match="t_in"):
        decompose(net, np.ones((1, 1)), 3, {"n": [[1]]}, encoder="poisson", t_in=2)
