"""The Zou reproduction's shipped weights (issue 5): compact int8 ternary storage, exact
rebuild, and the integer SNN from the shipped k = 0 LeNet on the bundled MNIST sample."""

from importlib import resources

import numpy as np
import pytest

from snnlite import nn
from snnlite.convert import ZouConverter
from snnlite.datasets import load_mnist_sample, to_float
from snnlite.experiments.zou_mnist import (
    PRETRAINED,
    load_pretrained,
    save_compact,
    stable_step,
)
from snnlite.experiments.zou_models import zou_lenet
from snnlite.nn.quant import ternarize

#: Measured with the shipped k = 0 weights on the first 200 test images of the bundled sample
#: (integer SNN, S = 10 000, 8 steps; snnlite/data/README.md): correct QANN and SNN answers.
SAMPLE_N, SAMPLE_T = 200, 8
SAMPLE_QANN_CORRECT = 200  # the trained (float-latent) model: 200 too, identical logits
SAMPLE_SNN_CORRECT = 200


@pytest.fixture(scope="module")
def sample():
    _, _, x, y = load_mnist_sample()
    return to_float(x[:SAMPLE_N]), y[:SAMPLE_N].astype(np.int64)


def snn_predictions(model, x, T):
    net = ZouConverter(integer=True).fit(model).transform()
    return net.run(x, T, t_in=1).predictions()


def test_stable_step_is_first_step_of_the_final_run():
    assert stable_step(np.array([0.5, 0.9, 0.9])) == 2
    assert stable_step(np.array([0.9, 0.8, 0.9])) == 3  # a dip counts as a change
    assert stable_step(np.array([0.9, 0.9])) == 1


def test_save_compact_rebuilds_the_model_exactly(tmp_path, sample):
    x, _ = sample
    rng = np.random.default_rng(0)
    model = zou_lenet(k=0, rng=3, channels=(4, 8, 16))
    for layer in model.layers:  # non-trivial BatchNorm state, as after training
        if isinstance(layer, nn.BatchNorm):
            layer.weight.data[...] = rng.uniform(0.5, 2, layer.weight.data.shape)
            layer.bias.data[...] = rng.normal(0, 0.5, layer.bias.data.shape)
            layer.running_mean[...] = rng.normal(0, 0.5, layer.running_mean.shape)
            layer.running_var[...] = rng.uniform(0.5, 2, layer.running_var.shape)
    path = tmp_path / "compact.npz"
    save_compact(model, path, {"k": 0, "note": "test"})
    assert nn.load_metadata(path) == {"k": 0, "note": "test"}
    with np.load(path) as f:
        for i in (3, 6, 9, 12):  # the ternary layers of the LeNet, stored as int8 {-1, 0, 1}
            w = f[f"{i}.weight"]
            assert w.dtype == np.int8
            np.testing.assert_array_equal(w, ternarize(model.layers[i].weight.data))
        assert f["0.weight"].dtype == np.float32 and f["16.weight"].dtype == np.float32
    rebuilt = nn.load(zou_lenet(k=0, rng=9, channels=(4, 8, 16)), path)
    np.testing.assert_array_equal(rebuilt(x[:50]), model(x[:50]))
    np.testing.assert_array_equal(snn_predictions(rebuilt, x[:50], 8),
                                  snn_predictions(model, x[:50], 8))


def test_shipped_k0_weights_reproduce_the_documented_accuracy(sample):
    x, y = sample
    with resources.as_file(resources.files("snnlite.data") / PRETRAINED[0]) as path:
        assert path.stat().st_size < 1_500_000
        meta = nn.load_metadata(path)
    assert meta["k"] == 0 and meta["seed"] == 0
    model = load_pretrained(0)
    ann = model(x).argmax(1)
    assert int((ann == y).sum()) == SAMPLE_QANN_CORRECT
    snn = snn_predictions(model, x, SAMPLE_T)
    # tolerance (README): the final SNN step agrees with the QANN on all but at most 1 image
    assert int((snn[-1] != ann).sum()) <= 1
    assert abs(int((snn[-1] == y).sum()) - SAMPLE_SNN_CORRECT) <= 1
    with pytest.raises(ValueError, match="k="):
        load_pretrained(2)


def test_quick_mode_trains_per_seed_and_full_mode_keeps_the_shipped_weights(tmp_path,
                                                                            monkeypatch):
    from snnlite.experiments import zou_mnist

    calls = []

    def fake_train(k, data, epochs, seed, progress=True):  # records the request, no training
        calls.append((k, len(data[1]), epochs, seed))
        return zou_lenet(k=k, rng=seed + 100), 1.0

    monkeypatch.setattr(zou_mnist, "train_lenet", fake_train)
    data = (np.zeros((7, 1, 28, 28), np.float32), np.zeros(7, np.int64))
    model, seconds = zou_mnist._model(0, data, tmp_path, None, 5, False, quick=True)
    assert calls == [(0, 7, 1, 5)] and seconds == 1.0
    assert nn.load_metadata(tmp_path / "zou_lenet_k0_quick_seed5.npz")["n_train"] == 7
    again, seconds = zou_mnist._model(0, data, tmp_path, None, 5, False, quick=True)
    assert len(calls) == 1 and seconds is None  # cached per seed
    np.testing.assert_array_equal(again.layers[0].weight.data, model.layers[0].weight.data)
    zou_mnist._model(0, data, tmp_path, None, 6, False, quick=True)
    assert calls[-1] == (0, 7, 1, 6)
    shipped, seconds = zou_mnist._model(0, data, tmp_path, None, 5, False, quick=False)
    assert len(calls) == 2 and seconds is None
    np.testing.assert_array_equal(shipped.layers[0].weight.data,
                                  load_pretrained(0).layers[0].weight.data)
