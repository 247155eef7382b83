"""Tests for snnlite.plot: every figure renders to a non-blank PNG, and what it draws is right."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from snnlite import plot  # noqa: E402

RED = to_rgba(plot.NEGATIVE_COLOR)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def assert_png(path):
    """``path`` is a valid, non-trivial, non-blank PNG."""
    data = path.read_bytes()
    assert data[:4] == b"\x89PNG"
    assert len(data) > 2000
    assert mpimg.imread(path).std() > 0


def spike_train(T=30, N=12, seed=0):
    rng = np.random.default_rng(seed)
    u = rng.random((T, N))
    return np.where(u < 0.15, 1, np.where(u > 0.95, -1, 0)).astype(np.int8)


def test_import_snnlite_does_not_import_matplotlib():
    code = "import sys, snnlite; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --- raster ---------------------------------------------------------------------------------

def test_raster_separates_negative_spikes(tmp_path):
    s = spike_train()
    ax = plot.raster(s, title="r")
    pos, neg = ax.collections
    assert to_rgba(plot.POSITIVE_COLOR) == tuple(pos.get_edgecolor()[0])
    assert RED == tuple(neg.get_edgecolor()[0])
    t, n = np.nonzero(s < 0)
    np.testing.assert_array_equal(neg.get_offsets(), np.column_stack([t, n]))
    assert len(pos.get_offsets()) == np.count_nonzero(s > 0)
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["+1 spike", "-1 spike"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time step", "neuron")
    assert_png(plot.savefig(ax, tmp_path / "raster.png"))


def test_raster_positive_only_has_no_legend_and_flattens_batch():
    s = np.abs(spike_train(T=10, N=24)).reshape(10, 2, 3, 4)
    ax = plot.raster(s, dt=0.5)
    assert len(ax.collections) == 1 and ax.get_legend() is None
    assert len(ax.collections[0].get_offsets()) == np.count_nonzero(s)
    assert ax.collections[0].get_offsets()[:, 0].max() <= 4.5
    assert ax.get_ylim() == (-0.5, 23.5)


def test_raster_selects_neurons():
    s = np.zeros((5, 10), np.int8)
    s[1, 7] = 1
    s[3, 2] = -1
    ax = plot.raster(s, neurons=[7, 2])
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), [[1, 0]])
    np.testing.assert_array_equal(ax.collections[1].get_offsets(), [[3, 1]])
    assert ax.yaxis.get_major_formatter()(1, 0) == "2"
    assert len(plot.raster(np.ones((4, 100), np.int8), max_neurons=10).collections[0]
               .get_offsets()) == 40


def test_raster_ticks_visible_at_2000_neurons():
    # every spike of a sparse 2000-neuron raster leaves a clearly coloured pixel where it is
    s = (np.random.default_rng(4).random((100, 2000)) < 0.003).astype(np.int8)
    ax = plot.raster(s)
    fig = ax.figure
    fig.canvas.draw()
    (ticks,) = ax.collections
    px = fig.dpi / 72  # pixels per point
    assert np.sqrt(ticks.get_sizes()[0]) * px >= 3 and ticks.get_linewidths()[0] * px >= 1
    red = np.asarray(fig.canvas.buffer_rgba())[..., 0] / 255  # tab:blue has red 0.12, white 1
    t, n = np.nonzero(s)
    x, y = np.round(ax.transData.transform(np.column_stack([t, n]))).astype(int).T
    rows = red.shape[0] - 1 - y
    darkest = np.min([red[rows + i, x + j] for i in (-1, 0, 1) for j in (-1, 0, 1)], axis=0)
    assert np.mean(darkest < 0.5) > 0.99


def test_raster_many_spikes_are_rasterized_and_ticks_shrink_to_a_floor():
    dense = plot.raster(np.ones((10, 1000), np.int8)).collections[0]
    few = plot.raster(np.ones((10, 4), np.int8)).collections[0]
    assert dense.get_rasterized() and not few.get_rasterized()
    assert np.sqrt(dense.get_sizes()[0]) == plot.spikes.TICK_LENGTH[0]
    assert np.sqrt(few.get_sizes()[0]) == plot.spikes.TICK_LENGTH[1]


@pytest.mark.parametrize("draw", [
    lambda: plot.raster(np.array([[1, 0, 1]], np.int8)),
    lambda: plot.membrane([0.5], spikes=[0], threshold=1.0),
    lambda: plot.membrane([0.0], spikes=[1], threshold=1.0, trace_pre=[1.5]),
    lambda: plot.accuracy_vs_time([0.3], n_classes=10)])
def test_single_step_axes_have_integer_ticks(draw):
    ax = draw()
    ax.figure.canvas.draw()
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    assert ticks and all(t == int(t) for t in ticks)
    labels = [lab.get_text().replace("\u2212", "-") for lab in ax.get_xticklabels()]
    assert all(lab == "" or lab.lstrip("-").isdigit() for lab in labels)


@pytest.mark.parametrize("spikes", [np.zeros((0, 5), np.int8), np.zeros((20, 5), np.int8)])
def test_raster_empty(tmp_path, spikes):
    ax = plot.raster(spikes)
    assert not ax.collections and ax.texts[0].get_text() == "no spikes"
    assert_png(plot.savefig(ax, tmp_path / "empty.png"))


@pytest.mark.parametrize("kwargs", [dict(spikes=np.int8(1)), dict(neurons=[12]),
                                    dict(neurons=[0.5]), dict(max_neurons=0), dict(dt=0)])
def test_raster_rejects_bad_input(kwargs):
    kwargs = {"spikes": spike_train(), **kwargs}
    with pytest.raises(ValueError, match=next(iter(k for k in kwargs if k != "spikes"),
                                              "spikes")):
        plot.raster(**kwargs)


# --- membrane -------------------------------------------------------------------------------

def test_membrane_threshold_and_spike_marks(tmp_path):
    v = np.array([0.0, 0.4, 0.8, 0.2, -0.7, 0.1])
    s = np.array([0, 0, 0, 1, -1, 0], np.int8)
    ax = plot.membrane(v, spikes=s, threshold=1.0, lower_threshold=-1.0)
    trace, upper, lower, plus, minus = ax.lines
    np.testing.assert_array_equal(trace.get_ydata(), np.append(v, v[-1]))
    assert trace.get_drawstyle() == "steps-post"
    assert list(upper.get_ydata()) == [1.0, 1.0] and upper.get_linestyle() == "--"
    assert list(lower.get_ydata()) == [-1.0, -1.0]
    assert list(plus.get_xdata()) == [3.5] and list(plus.get_ydata()) == [0.2]
    assert list(minus.get_xdata()) == [4.5] and to_rgba(minus.get_color()) == RED
    assert minus.get_marker() == "v"
    assert_png(plot.savefig(ax, tmp_path / "membrane.png"))


def test_membrane_per_neuron_and_time_varying_thresholds(tmp_path):
    rng = np.random.default_rng(1)
    v = rng.random((20, 4))
    ax = plot.membrane(v, threshold=[0.5, 0.6, 0.7, 0.8], neurons=[1, 3], labels=["a", "b"])
    assert [ln.get_ydata()[0] for ln in ax.lines[2:]] == [0.6, 0.8]
    assert ax.lines[2].get_color() == ax.lines[0].get_color()
    dynamic = np.linspace(1.0, 2.0, 20)
    ax = plot.membrane(v[:, 0], threshold=dynamic)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), np.append(dynamic, 2.0))
    ax = plot.membrane(v, threshold=np.tile(dynamic[:, None], (1, 4)) * [1, 2, 3, 4])
    assert len(ax.lines) == 8
    assert_png(plot.savefig(ax, tmp_path / "dyn.png"))


def if_neuron(current, threshold=1.0):
    """Hand-written IF neuron with reset by subtraction: (spikes, V after, V before reset)."""
    v, out = 0.0, []
    for i in current:
        pre = v + i
        z = int(pre >= threshold)
        v = pre - threshold * z
        out.append((z, v, pre))
    return tuple(np.array(c) for c in zip(*out, strict=True))


def test_membrane_sawtooth_reaches_threshold_then_resets(tmp_path):
    s, v, v_pre = if_neuron([0.375] * 12)
    ax = plot.membrane(v, s, threshold=1.0, trace_pre=v_pre, title="IF")
    line, upper, marks = ax.lines
    xy = line.get_xydata()  # per step t: (t, V before reset), then (t, V after reset)
    np.testing.assert_array_equal(xy[0::2], np.column_stack([np.arange(12), v_pre]))
    np.testing.assert_array_equal(xy[1::2], np.column_stack([np.arange(12), v]))
    fired = np.flatnonzero(s)
    np.testing.assert_array_equal(marks.get_xdata(), fired)
    assert np.all(marks.get_ydata() >= 1.0) and np.all(v[fired] < 1.0)  # the crossing is seen
    assert list(upper.get_ydata()) == [1.0, 1.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["neuron 0", "threshold", "spike"]
    assert_png(plot.savefig(ax, tmp_path / "sawtooth.png"))


def test_membrane_sawtooth_negative_spikes_and_dynamic_threshold():
    v_pre = np.array([[1.2, 0.5], [-0.4, 0.9], [0.1, 1.6]])
    s = np.array([[1, 0], [-1, 0], [0, 1]], np.int8)
    v = v_pre - s
    th = np.array([1.0, 1.5, 1.5])
    ax = plot.membrane(v, s, threshold=th, trace_pre=v_pre, neurons=[1, 0])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["neuron 1", "neuron 0"]  # original column indices
    dynamic = ax.lines[2]
    assert dynamic.get_drawstyle() == "steps-mid" and list(dynamic.get_ydata()) == list(th)
    minus = [ln for ln in ax.lines if ln.get_marker() == "v"][0]
    assert (list(minus.get_xdata()), list(minus.get_ydata())) == ([1], [-0.4])
    assert to_rgba(minus.get_color()) == RED
    with pytest.raises(ValueError, match="trace_pre"):
        plot.membrane(v, s, trace_pre=v_pre[:2])


@pytest.mark.parametrize("neuron", ["IF", "IF reset to zero", "LIF", "QFFS"])
def test_membrane_sawtooth_of_every_neuron_model_crosses_at_each_spike(neuron):
    # what a neuron's scan records (trace_pre, trace) gives a line that reaches the threshold
    # exactly where the neuron fired, and drops there (only there) to the post-reset value
    from snnlite.neurons import IF, LIF, QFFS

    model = {"IF": IF(1.0), "IF reset to zero": IF(1.0, reset="zero"),
             "LIF": LIF(alpha=0.9, threshold=1.0), "QFFS": QFFS(1.0)}[neuron]
    current = np.random.default_rng(5).normal(0.3, 0.8, (40, 3))
    state = model.init_state(1, 3, dtype=np.float64)
    v, v_pre = np.empty_like(current), np.empty_like(current)
    s = model.scan(current, state, v, v_pre)
    ax = plot.membrane(v, s, threshold=1.0, trace_pre=v_pre)
    up = [ln for ln in ax.lines if ln.get_marker() == "^"]
    assert sum(ln.get_xdata().size for ln in up) == np.count_nonzero(s > 0) > 0
    for j, line in enumerate(ax.lines[:3]):
        y = line.get_ydata().reshape(40, 2)  # per step: before, after the reset
        fired, quiet = s[:, j] > 0, s[:, j] == 0
        assert np.all(y[fired, 0] >= 1.0) and np.all(y[fired, 1] < y[fired, 0])
        assert np.all(y[quiet, 0] < 1.0) and np.array_equal(y[quiet, 1], y[quiet, 0])


@pytest.mark.parametrize("kwargs", [dict(spikes=np.zeros((20, 3))), dict(threshold=np.ones(7)),
                                    dict(threshold=np.ones((20, 2))), dict(labels=["a"]),
                                    dict(trace=np.zeros((0, 4)))])
def test_membrane_rejects_bad_shapes(kwargs):
    kwargs = {"trace": np.zeros((20, 4)), **kwargs}
    with pytest.raises(ValueError, match=next(iter(k for k in kwargs if k != "trace"), "trace")):
        plot.membrane(**kwargs)


# --- accuracy_vs_time -----------------------------------------------------------------------

def test_accuracy_vs_time_lines_and_references(tmp_path):
    curves = {"QFFS": np.linspace(0.1, 0.98, 16), "rate": np.linspace(0.1, 0.9, 16)}
    ax = plot.accuracy_vs_time(curves, reference={"ANN": 0.99, "quantized ANN": 0.985})
    assert len(ax.lines) == 4
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 100 * curves["QFFS"])
    assert list(ax.lines[0].get_xdata()) == list(range(1, 17))
    assert list(ax.lines[2].get_ydata()) == [99.0, 99.0] and ax.lines[2].get_linestyle() == "--"
    assert len(ax.get_legend().get_texts()) == 4
    assert_png(plot.savefig(ax, tmp_path / "acc.png"))


def test_accuracy_vs_time_single_array_and_steps():
    ax = plot.accuracy_vs_time([0.5, 0.7, 0.9], steps=[8, 16, 32])
    assert len(ax.lines) == 1 and ax.get_legend() is None
    assert list(ax.lines[0].get_xdata()) == [8, 16, 32]


@pytest.mark.parametrize("kwargs", [dict(curves=[50.0, 90.0]), dict(curves=np.ones((2, 3))),
                                    dict(curves={}), dict(curves=[0.1, 0.2], steps=[1, 2, 3]),
                                    dict(curves=[0.1], reference={"ANN": 99.0})])
def test_accuracy_vs_time_rejects_bad_input(kwargs):
    with pytest.raises(ValueError, match="curves|steps|reference"):
        plot.accuracy_vs_time(**kwargs)


@pytest.mark.parametrize("n_classes", [2, 10, 100])
def test_accuracy_vs_time_marks_chance_level(n_classes):
    acc = np.linspace(1 / n_classes, 0.9, 8)
    ax = plot.accuracy_vs_time({"SNN": acc}, reference={"ANN": 0.95}, n_classes=n_classes)
    (chance,) = [ln for ln in ax.lines if ln.get_label().startswith("chance")]
    assert list(chance.get_ydata()) == [100 / n_classes] * 2
    assert chance.get_linestyle() == "--"
    assert chance.get_label() in [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"1/{n_classes}" in chance.get_label()
    assert not any(ln.get_label().startswith("chance")
                   for ln in plot.accuracy_vs_time({"SNN": acc}).lines)


@pytest.mark.parametrize("n_classes", [1, 0, 2.5, True, "10"])
def test_accuracy_vs_time_rejects_bad_n_classes(n_classes):
    with pytest.raises(ValueError, match="n_classes"):
        plot.accuracy_vs_time([0.5], n_classes=n_classes)


# --- response_curve -------------------------------------------------------------------------

def test_response_curve_rate_ideal_and_subsampling(tmp_path):
    rng = np.random.default_rng(2)
    a = rng.random(50_000)
    counts = np.round(a * 16)
    ax = plot.response_curve(a, counts, T=16)
    pts = ax.collections[0].get_offsets()
    assert len(pts) == 20_000
    np.testing.assert_allclose(pts[:, 1], np.round(pts[:, 0] * 16) / 16)
    again = plot.response_curve(a, counts, T=16).collections[0].get_offsets()
    np.testing.assert_array_equal(pts, again)
    ideal = ax.lines[0]
    np.testing.assert_allclose(ideal.get_ydata(), ideal.get_xdata())
    assert_png(plot.savefig(ax, tmp_path / "response.png"))


@pytest.mark.parametrize("args", [(np.ones(3), np.ones(4)), (np.ones(0), np.ones(0)),
                                  (np.array([np.nan]), np.ones(1))])
def test_response_curve_rejects_bad_input(args):
    with pytest.raises(ValueError, match="ann_activation"):
        plot.response_curve(*args)


# --- receptive_fields -----------------------------------------------------------------------

def test_receptive_fields_grid(tmp_path):
    w = np.random.default_rng(3).normal(size=(10, 784))
    w[9] = 0.5  # a constant field must not divide by zero
    ax = plot.receptive_fields(w, n=9)
    grid = ax.images[0].get_array()
    assert grid.shape == (3 * 29 - 1, 3 * 29 - 1)
    assert grid.min() == 0.0 and grid.max() == 1.0
    assert grid.mask[28, :].all() and not grid.mask[:28, :28].any()
    ax = plot.receptive_fields(w, ncols=5)
    assert ax.images[0].get_array().shape == (2 * 29 - 1, 5 * 29 - 1)
    assert_png(plot.savefig(ax, tmp_path / "rf.png"))


def test_receptive_fields_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"weights\.T"):
        plot.receptive_fields(np.zeros((784, 10)))
    with pytest.raises(ValueError, match="n must"):
        plot.receptive_fields(np.zeros((4, 784)), n=5)


# --- bars -----------------------------------------------------------------------------------

def test_bars_stacked_and_grouped(tmp_path):
    table = {"quantization": [0.2, 0.3, 0.1], "clipping": [0.1, 0.0, 0.4]}
    ax = plot.bars(table, layers=["conv1", "conv2", "fc"], ylabel="error")
    assert len(ax.patches) == 6
    assert [p.get_y() for p in ax.patches[3:]] == pytest.approx([0.2, 0.3, 0.1])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["conv1", "conv2", "fc"]
    assert_png(plot.savefig(ax, tmp_path / "bars.png"))
    ax = plot.bars(table, stacked=False)
    assert all(p.get_y() == 0 for p in ax.patches)
    assert ax.patches[0].get_x() < ax.patches[3].get_x() < ax.patches[1].get_x()


@pytest.mark.parametrize("kwargs", [dict(table={}), dict(table={"a": [1, 2], "b": [1]}),
                                    dict(table={"a": [1, 2]}, layers=["x"])])
def test_bars_rejects_bad_input(kwargs):
    with pytest.raises(ValueError, match="table|layers"):
        plot.bars(**kwargs)


# --- savefig --------------------------------------------------------------------------------

def test_savefig_creates_dirs_and_closes(tmp_path):
    ax = plot.raster(spike_train())
    path = plot.savefig(ax.figure, str(tmp_path / "a" / "b" / "fig.png"), dpi=60)
    assert path == tmp_path / "a" / "b" / "fig.png"
    assert_png(path)
    assert not plt.fignum_exists(ax.figure.number)
    with pytest.raises(TypeError, match="ax_or_fig"):
        plot.savefig("not a figure", tmp_path / "x.png")
