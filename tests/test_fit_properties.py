"""Property tests over ``nn.fit`` / ``evaluate`` / ``predict`` / ``batches`` and the converters'
``fit`` (issue 12 §3): malformed shapes, dtypes, NaN/inf, empty and huge values give either a
correct result or a ValueError/TypeError naming the argument; never an IndexError,
ZeroDivisionError, a Numba error, a NaN result or a hang.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snnlite import nn
from snnlite.convert import DataNormalization, QFFSConverter, ThresholdBalancing, ZouConverter

SETTINGS = settings(max_examples=25, deadline=None)
DTYPES = st.sampled_from(["f4", "f8", "u1", "i8", "?", "c8", "U1", "O"])
SPECIAL = st.sampled_from([None, np.nan, np.inf, -np.inf, 1e30, -1e38, 1e-40])
BATCH = st.one_of(st.integers(-3, 40), st.sampled_from([2.5, 4.0, None, "8", True, 10**12]))


@st.composite
def inputs(draw, width=4):
    """``(N, width)``-ish arrays: sometimes the wrong width or rank, dtype, size or values."""
    n = draw(st.sampled_from([0, 1, 5, 12]))
    shape = draw(st.sampled_from([(n, width)] * 4 + [(n, width + 1), (n,), (n, 2, 2), ()]))
    dtype = draw(st.sampled_from(["f4", "f8"] * 3 + ["u1", "i8", "?", "c8", "U1", "O"]))
    x = np.random.default_rng(draw(st.integers(0, 9))).random(shape)
    special = draw(SPECIAL)
    if special is not None and x.size:
        x.flat[draw(st.integers(0, x.size - 1))] = special
    with np.errstate(invalid="ignore", over="ignore"):
        return x.astype(dtype)


def _valid_batch(batch_size) -> bool:
    """A whole number >= 1 (``4`` or ``4.0``), not a bool."""
    whole = type(batch_size) is int or (type(batch_size) is float and batch_size.is_integer())
    return whole and batch_size >= 1


def _valid(x, batch_size, width=4) -> bool:
    """Independent statement of what the functions accept."""
    return (x.ndim == 2 and x.shape[0] >= 1 and x.shape[1] == width and x.dtype.kind in "fb"
            and bool(np.isfinite(x.astype(np.float64)).all()) and _valid_batch(batch_size))


def _huge(x) -> bool:
    return x.dtype.kind == "f" and bool(np.any(np.abs(x.astype(np.float64)) > 1e20))


def _clear(err: Exception, *names: str) -> None:
    """A ValueError/TypeError whose message names one of ``names``."""
    assert isinstance(err, (ValueError, TypeError)), repr(err)
    assert any(name in str(err) for name in names), str(err)


def _model():
    return nn.Sequential(nn.Linear(4, 5, rng=0), nn.ReLU(), nn.Linear(5, 3, rng=1))


ARGS = ("x", "y", "data", "batch_size", "labels", "lr")


def _outcome(call, valid: bool, huge: bool, x=None):
    """``call()``'s result if it must or may succeed; None after a clear error (which
    suggests ``to_float`` for integer ``x``)."""
    try:
        result = call()
    except Exception as err:  # noqa: BLE001 - the property is about the exception type
        _clear(err, *ARGS)
        assert not valid or huge, f"valid input refused: {err}"
        if x is not None and x.dtype.kind in "ui" and x.ndim:
            assert "to_float" in str(err)
        return None
    assert valid, "invalid input accepted"
    return result


@settings(max_examples=60, deadline=None)
@given(x=inputs(), batch_size=BATCH, labels=st.sampled_from(["ok"] * 3 + ["float", "range",
                                                                         "short"]))
def test_fit_evaluate_predict(x, batch_size, labels):
    n = len(x) if x.ndim else 0
    y = {"ok": np.arange(n) % 3, "float": np.arange(n) * 0.5, "range": np.arange(n) + 3,
         "short": np.arange(max(n - 1, 0)) % 3}[labels]
    valid, huge = _valid(x, batch_size), _huge(x)
    model = _model()
    out = _outcome(lambda: nn.predict(model, x, batch_size=batch_size), valid, huge, x)
    if out is not None:
        assert not np.isnan(out).any()
        np.testing.assert_allclose(out, model(x.astype(np.float32)), rtol=1e-5, atol=1e-6)
    valid = valid and labels == "ok"
    metrics = _outcome(lambda: nn.evaluate(model, x, y, batch_size=batch_size), valid, huge,
                       x)
    if metrics is not None:
        assert not np.isnan(metrics["loss"])
        assert metrics["accuracy"] == np.mean(model(x.astype(np.float32)).argmax(1) == y)
    history = _outcome(lambda: nn.fit(model, (x, y), epochs=1, batch_size=batch_size,
                                      progress=False), valid, huge, x)
    if history is not None:
        assert np.isfinite(history.loss[-1]) and 0 <= history.accuracy[-1] <= 1
        assert all(np.isfinite(p.data).all() for p in model.parameters())


@SETTINGS
@given(n=st.integers(0, 30), batch_size=BATCH, shuffle=st.booleans(), drop_last=st.booleans())
def test_batches_partition_the_samples(n, batch_size, shuffle, drop_last):
    x = np.arange(n)
    try:
        parts = list(nn.batches(x, x * 2, batch_size, shuffle=shuffle, rng=0,
                                drop_last=drop_last))
    except Exception as err:  # noqa: BLE001
        _clear(err, "x", "batch_size")
        assert n == 0 or not _valid_batch(batch_size)
        return
    seen = np.concatenate([xb for xb, _ in parts]) if parts else np.zeros(0, int)
    for xb, yb in parts:
        np.testing.assert_array_equal(yb, xb * 2)
        assert 1 <= len(xb) <= batch_size
    kept = n - n % batch_size if drop_last else n
    assert len(seen) == kept and len(set(seen.tolist())) == kept
    if not shuffle:
        np.testing.assert_array_equal(seen, np.arange(kept))


@settings(max_examples=40, deadline=None)
@given(x=inputs(), batch_size=BATCH, balance=st.booleans())
def test_calibrating_converters(x, batch_size, balance):
    model = _model()
    valid, huge = _valid(x, batch_size), _huge(x)
    if balance:
        clip = lambda x, T, rng=None: np.repeat(np.clip(x, -1, 1)[None], T, 0)  # noqa: E731
        conv = _outcome(lambda: ThresholdBalancing(T=3, chunk=2, batch_size=batch_size,
                                                   encoder=clip).fit(model, x), valid, huge)
        if conv is not None:
            assert np.isfinite(conv.thresholds_).all() and (conv.thresholds_ > 0).all()
    else:
        conv = _outcome(lambda: DataNormalization().fit(model, x, batch_size=batch_size),
                        valid, huge, x)
        if conv is not None:  # lambda_1 = the largest hidden activation (B10), floored
            hidden = np.maximum(model[0](x.astype(np.float32)), 0).max()
            np.testing.assert_allclose(conv.scales_, [max(hidden, 1e-12)], rtol=1e-6)
    if conv is not None:
        assert conv.transform().layers


FLOATS = st.sampled_from([1.0, 0.5, 0.0, -0.5, 1e-30, 1e30, np.nan, np.inf, -np.inf])


@SETTINGS
@given(gamma=st.lists(FLOATS, min_size=5, max_size=5), var=FLOATS, mean=FLOATS,
       mode=st.sampled_from(["error", "flip"]), integer=st.booleans())
def test_zou_converter_with_any_batchnorm_statistics(gamma, var, mean, mode, integer):
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm1d(5, dtype=np.float64)
    bn.weight.data[:] = gamma
    bn.running_var[:] = var
    bn.running_mean[1] = mean
    model = nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=np.float64), nn.MedianQuant(0, clip=4),
                          nn.TernaryLinear(6, 5, rng=rng, dtype=np.float64), bn,
                          nn.MedianQuant(1), nn.Linear(5, 3, rng=rng, dtype=np.float64))
    try:
        conv = ZouConverter(gamma=mode, integer=integer).fit(model)
    except Exception as err:  # noqa: BLE001
        _clear(err, "gamma", "BatchNorm", "d", "b0", "hidden1", "encoder")
        return
    for d, b0 in zip(conv.d_, conv.b0_, strict=True):
        assert np.isfinite(d).all() and (d > 0).all() and np.isfinite(b0).all()


@SETTINGS
@given(steps=st.lists(FLOATS, min_size=2, max_size=2), bits=st.integers(1, 4))
def test_qffs_converter_with_any_step_sizes(steps, bits):
    model = nn.Sequential(nn.Linear(4, 5, rng=0, dtype=np.float64), nn.LSQ(bits, 1.0),
                          nn.Linear(5, 3, rng=1, dtype=np.float64), nn.LSQ(bits, 1.0))
    model[1].step.data[...], model[3].step.data[...] = steps
    try:
        conv = QFFSConverter().fit(model)
    except Exception as err:  # noqa: BLE001
        _clear(err, "step")
        return
    assert np.isfinite(conv.thresholds_).all() and (conv.thresholds_ > 0).all()


@pytest.mark.parametrize("make", [nn.Linear, lambda a, b: nn.Conv2d(a, b, 3)])
@SETTINGS
@given(a=st.one_of(st.integers(-5, 6), st.none(), st.text(max_size=2),
                  # whole floats are sizes too (8.0 is 8); not ones too big to allocate
                  st.floats(allow_nan=True).filter(lambda v: not (v > 1e3 and v.is_integer()))),
       b=st.integers(-2, 3))
def test_layer_sizes(make, a, b):
    try:
        layer = make(a, b)
    except Exception as err:  # noqa: BLE001
        _clear(err, "in_features", "out_features", "in_channels", "out_channels")
        assert not (_valid_batch(a) and b >= 1)  # a size follows the batch-size rule
        return
    assert layer.weight.data.shape[:2] == (b, a) and np.isfinite(layer.weight.data).all()


def test_threshold_balancing_takes_a_whole_float_batch_size():
    """Found by the property test above: ``batch_size=4.0`` passed the check but was kept as
    a float, and ``range`` refused it; it must behave as ``batch_size=4``."""
    model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.ReLU(), nn.Linear(3, 2, rng=1))
    x = np.random.default_rng(0).random((5, 4)).astype(np.float32)
    whole = ThresholdBalancing(T=8, batch_size=4.0).fit(model, x).thresholds_
    np.testing.assert_array_equal(whole, ThresholdBalancing(T=8, batch_size=4).fit(model, x)
                                  .thresholds_)
