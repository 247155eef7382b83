"""Clear errors at the nn boundary (issue 12 §3): sizes, batch sizes, empty and integer data.

Each case used to fail obscurely (OverflowError, ``range() arg 3 must not be zero``,
IndexError) or to return a wrong result silently.
"""

import numpy as np
import pytest

from snnlite import nn
from snnlite.datasets import to_float

SIZE_ERRORS = [
    (lambda v: nn.Linear(v, 10), "in_features"),
    (lambda v: nn.Linear(784, v), "out_features"),
    (lambda v: nn.Conv2d(v, 4, 3), "in_channels"),
    (lambda v: nn.Conv2d(1, v, 3), "out_channels"),
    (lambda v: nn.Conv2d(1, 4, v), "kernel_size"),
    (lambda v: nn.Conv2d(1, 4, (3, v)), "kernel_size"),
    (lambda v: nn.Conv2d(1, 4, 3, stride=v), "stride"),
    (lambda v: nn.Conv2d(1, 4, 3, groups=v), "groups"),
    (lambda v: nn.BatchNorm1d(v), "num_features"),
    (lambda v: nn.MaxPool2d(v), "kernel_size"),
    (lambda v: nn.AvgPool2d(2, stride=v), "stride"),
    (lambda v: nn.StochMax(v, 10), "in_features"),
    (lambda v: nn.TernaryLinear(v, 3), "in_features"),
]


@pytest.mark.parametrize("value", [-5, 0, 2.5, True])
@pytest.mark.parametrize("make, name", SIZE_ERRORS)
def test_bad_sizes_raise_value_error_naming_the_argument(make, name, value):
    with pytest.raises(ValueError, match=rf"{name} must be an integer >= 1, got {value!r}"):
        make(value)


@pytest.mark.parametrize("make, name", SIZE_ERRORS)
def test_non_numbers_raise_type_error(make, name):
    with pytest.raises(TypeError, match=rf"{name} must be an integer >= 1, got '3' \(str\)"):
        make("3")


def test_padding_may_be_zero_but_not_negative():
    assert nn.Conv2d(1, 2, 3, padding=0).padding == (0, 0)
    with pytest.raises(ValueError, match="padding must be an integer >= 0, got -1"):
        nn.Conv2d(1, 2, 3, padding=-1)


def test_numpy_integers_are_sizes():
    layer = nn.Linear(np.int64(3), np.int32(2), rng=0)
    assert (layer.in_features, layer.out_features) == (3, 2)
    assert type(layer.in_features) is int
    assert nn.Conv2d(1, 2, np.array([3, 1])).kernel_size == (3, 1)


def _data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 4), dtype=np.float32)
    return x, (x[:, 0] > 0.5).astype(np.int64)


def _model():
    return nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 2, rng=1))


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-3, ValueError),
                                               (2.5, ValueError), (None, TypeError),
                                               ("32", TypeError)])
def test_bad_batch_size_everywhere(batch_size, error):
    x, y = _data()
    calls = [lambda: nn.fit(_model(), (x, y), 1, batch_size, progress=False),
             lambda: nn.evaluate(_model(), x, y, batch_size=batch_size),
             lambda: nn.predict(_model(), x, batch_size=batch_size),
             lambda: nn.batches(x, y, batch_size=batch_size)]
    for call in calls:
        with pytest.raises(error, match=rf"batch_size must be an integer >= 1, got "
                                        rf"{batch_size!r}"):
            call()


def test_whole_float_batch_size_is_the_integer():
    """``batch_size=8.0`` is a whole number: the same batches and results as ``8``."""
    x, y = _data()
    np.testing.assert_array_equal(nn.predict(_model(), x, batch_size=8.0),
                                  nn.predict(_model(), x, batch_size=8))
    assert nn.evaluate(_model(), x, y, batch_size=8.0) == nn.evaluate(_model(), x, y,
                                                                      batch_size=8)
    assert ([len(xb) for xb, _ in nn.batches(x, y, batch_size=8.0)]
            == [len(xb) for xb, _ in nn.batches(x, y, batch_size=8)] == [8, 8, 4])
    trained = []
    for batch_size in (8.0, 8):
        model = _model()
        nn.fit(model, (x, y), 2, batch_size, rng=0, progress=False)
        trained.append([p.data for p in model.parameters()])
    for a, b in zip(*trained, strict=True):
        np.testing.assert_array_equal(a, b)


def test_empty_data_everywhere():
    x, y = np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    with pytest.raises(ValueError, match=r"data: x must hold at least one sample.*\(0, 4\)"):
        nn.fit(_model(), (x, y), progress=False)
    with pytest.raises(ValueError, match=r"val: x must hold at least one sample"):
        nn.fit(_model(), _data(), val=(x, y), progress=False)
    with pytest.raises(ValueError, match=r"x must hold at least one sample"):
        nn.evaluate(_model(), x, y)
    with pytest.raises(ValueError, match=r"x must hold at least one sample"):
        nn.predict(_model(), x)
    with pytest.raises(ValueError, match=r"x must hold at least one sample"):
        nn.batches(x, y)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.int32])
def test_integer_images_are_refused_with_the_fix_named(dtype):
    x = np.random.default_rng(0).integers(0, 256, (6, 1, 4, 4), dtype=np.uint8)
    y = np.arange(6) % 2
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2, rng=0))
    images = x.astype(dtype)
    for call in (lambda: nn.fit(model, (images, y), progress=False),
                 lambda: nn.evaluate(model, images, y),
                 lambda: nn.predict(model, images)):
        with pytest.raises(ValueError, match=rf"integer dtype {np.dtype(dtype)}.*to_float"):
            call()
    # the suggested fix works: to_float of the (N, H, W) images
    scaled = to_float(x[:, 0])
    assert nn.predict(model, scaled).shape == (6, 2)
    np.testing.assert_allclose(scaled, x / np.float32(255), rtol=1e-7)


def test_non_numeric_inputs_raise_type_error():
    with pytest.raises(TypeError, match=r"x must be a numeric array, got dtype <U1"):
        nn.predict(_model(), np.array([["a"] * 4]))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_inputs_are_refused(bad):
    x, y = _data()
    x[3, 1] = bad
    with pytest.raises(ValueError, match="data: x holds 1 NaN or infinite"):
        nn.fit(_model(), (x, y), progress=False)
    with pytest.raises(ValueError, match="x holds 1 NaN or infinite"):
        nn.evaluate(_model(), x, y)


def test_nan_weights_do_not_give_a_silent_accuracy():
    x, y = _data()
    model = _model()
    model[2].bias.data[0] = np.nan
    with pytest.raises(ValueError, match="output on x holds NaN"):
        nn.evaluate(model, x, y)
    with pytest.raises(ValueError, match="output on x holds NaN"):
        nn.predict(model, x)


REAL_ERRORS = [
    (lambda v: nn.Dropout(v), "p", r"\[0, 1\)"),
    (lambda v: nn.BatchNorm1d(3, momentum=v), "momentum", r"\[0, 1\]"),
    (lambda v: nn.BatchNorm1d(3, eps=v), "eps", r"\(0, inf\)"),
    (lambda v: nn.ClippedReLU(v), "ceiling", r"\(0, inf\)"),
    (lambda v: nn.StochMax(3, 4, temperature=v), "temperature", r"\(0, inf\)"),
    (lambda v: nn.SGD(_model().parameters(), lr=v), "lr", r"\[0, inf\)"),
]


@pytest.mark.parametrize("make, name, interval", REAL_ERRORS)
def test_bad_real_arguments(make, name, interval):
    for value in (float("nan"), -1.0, 7.0 if name in ("p", "momentum") else -0.0):
        if name == "lr" and value == 0.0:
            continue
        with pytest.raises(ValueError, match=rf"{name} must be a number in {interval}, got"):
            make(value)
    for value in ("0.5", None, 1j, True):
        with pytest.raises(TypeError, match=rf"{name} must be a number in {interval}, got "
                                            rf".* \({type(value).__name__}\)"):
            make(value)
