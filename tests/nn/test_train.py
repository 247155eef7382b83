"""Mini-batches, the training loop, evaluation and prediction."""

import numpy as np
import pytest

from snnlite.nn import Linear, ReLU, Sequential, softmax_cross_entropy
from snnlite.nn.batches import batches
from snnlite.nn.optim import SGD
from snnlite.nn.schedules import StepLR
from snnlite.nn.train import History, evaluate, fit, predict


def blobs(n=600, k=3, d=8, seed=0):
    """``k`` well-separated Gaussian clusters in ``d`` dimensions (float32, int64 labels)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, d))
    y = rng.integers(0, k, n)
    x = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    return x, y


def mlp(d=8, k=3, seed=0):
    return Sequential(Linear(d, 32, rng=seed), ReLU(), Linear(32, k, rng=seed + 1))


# --- batches ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_cover_every_index_once(shuffle):
    x, y = np.arange(23) * 10, np.arange(23)
    parts = list(batches(x, y, batch_size=5, shuffle=shuffle, rng=1))
    assert [len(yb) for _, yb in parts] == [5, 5, 5, 5, 3]
    seen = np.concatenate([yb for _, yb in parts])
    np.testing.assert_array_equal(np.sort(seen), np.arange(23))
    for xb, yb in parts:
        np.testing.assert_array_equal(xb, yb * 10)
    assert shuffle == (not np.array_equal(seen, np.arange(23)))


def test_batches_shuffle_is_deterministic_and_x_only():
    x = np.arange(40).reshape(20, 2)
    a = [xb.copy() for xb in batches(x, batch_size=6, shuffle=True, rng=7)]
    b = [xb.copy() for xb in batches(x, batch_size=6, shuffle=True, rng=7)]
    c = [xb.copy() for xb in batches(x, batch_size=6, shuffle=True, rng=8)]
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not all(np.array_equal(p, q) for p, q in zip(a, c, strict=True))


def test_batches_drop_last():
    sizes = [len(xb) for xb in batches(np.zeros((23, 1)), batch_size=5, drop_last=True)]
    assert sizes == [5, 5, 5, 5]
    assert [len(xb) for xb in batches(np.zeros((20, 1)), batch_size=5, drop_last=True)] == [5] * 4
    assert list(batches(np.zeros((3, 1)), batch_size=5, drop_last=True)) == []


def test_batches_validation_is_eager():
    with pytest.raises(ValueError, match="same length"):
        batches(np.zeros(4), np.zeros(5))
    with pytest.raises(ValueError, match="batch_size"):
        batches(np.zeros(4), batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        batches(np.zeros(4), batch_size=2.5)


# --- fit -------------------------------------------------------------------------------------

def test_mlp_learns_separable_problem():
    x, y = blobs()
    model = mlp()
    history = fit(model, (x[:500], y[:500]), epochs=5, batch_size=32, lr=1e-2,
                  val=(x[500:], y[500:]), rng=0, progress=False)
    assert isinstance(history, History)
    for name in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"):
        assert len(getattr(history, name)) == 5
    assert history.loss[-1] < history.loss[0]
    assert history.accuracy[-1] > 0.9 and history.val_accuracy[-1] > 0.9
    assert history.lr == [1e-2] * 5 and all(s > 0 for s in history.seconds)


def test_fit_is_deterministic_given_the_seed():
    x, y = blobs(n=200)
    runs = []
    for _ in range(2):
        model = mlp()
        history = fit(model, (x, y), epochs=2, batch_size=16, rng=42, progress=False)
        runs.append((model, history))
    (m1, h1), (m2, h2) = runs
    for (n1, a1), (n2, a2) in zip(m1.state_dict().items(), m2.state_dict().items(), strict=True):
        assert n1 == n2 and np.array_equal(a1, a2)
    assert h1.loss == h2.loss and h1.accuracy == h2.accuracy
    m3 = mlp()
    fit(m3, (x, y), epochs=2, batch_size=16, rng=43, progress=False)
    assert not np.array_equal(m3[0].weight.data, m1[0].weight.data)


def test_fit_with_optimizer_scheduler_and_callback():
    x, y = blobs(n=120)
    model = mlp()
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    seen = []
    history = fit(model, (x, y), epochs=3, batch_size=40, optimizer=opt,
                  scheduler=StepLR(opt, step_size=1, gamma=0.5), rng=0, progress=False,
                  callback=lambda epoch, h: seen.append((epoch, len(h.loss))))
    assert history.lr == [0.1, 0.05, 0.025] and opt.lr == 0.0125
    assert seen == [(0, 1), (1, 2), (2, 3)]
    assert history.val_loss == [] and opt.steps == 9


def test_fit_with_progress_bar(capsys):
    x, y = blobs(n=64)
    fit(mlp(), (x, y), epochs=1, batch_size=32, rng=0, progress=True)
    assert "epoch 1/1" in capsys.readouterr().err


def test_fit_validation():
    x, y = blobs(n=20)
    with pytest.raises(ValueError, match="pair"):
        fit(mlp(), x, progress=False)
    with pytest.raises(ValueError, match="integer labels"):
        fit(mlp(), (x, y[:10]), progress=False)
    with pytest.raises(ValueError, match="integer labels"):
        fit(mlp(), (x, y.astype(np.float32)), progress=False)
    with pytest.raises(ValueError, match="val"):
        fit(mlp(), (x, y), val=(x, y[:3]), progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(mlp(), (x, y), epochs=0, progress=False)
    with pytest.raises(ValueError, match="labels must lie"):
        fit(mlp(k=2), (x, y), progress=False)


def test_fit_stops_on_non_finite_loss():
    def nan_loss(logits, labels):
        return float("nan"), np.zeros_like(logits)

    x, y = blobs(n=20)
    with pytest.raises(ValueError, match="diverged"):
        fit(mlp(), (x, y), loss=nan_loss, progress=False)


# --- evaluate / predict ----------------------------------------------------------------------

def test_evaluate_and_predict_match_manual_computation():
    x, y = blobs(n=130)
    model = mlp()
    logits = model(x)
    np.testing.assert_allclose(predict(model, x, batch_size=50), logits, rtol=1e-6)
    metrics = evaluate(model, x, y, batch_size=50)
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    assert metrics["loss"] == pytest.approx(-logp[np.arange(130), y].mean(), rel=1e-5)
    assert metrics["accuracy"] == pytest.approx(np.mean(logits.argmax(1) == y))
    assert metrics["loss"] == pytest.approx(softmax_cross_entropy(logits, y)[0], rel=1e-5)


def test_predict_rejects_empty_input():
    with pytest.raises(ValueError, match="at least one sample"):
        predict(mlp(), np.zeros((0, 8), np.float32))
