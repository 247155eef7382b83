"""Every converter follows the estimator contract the same way (issue 13), and its ``fit``
refuses malformed calibration data with a clear error (issue 12 §3).

Contract: ``__init__`` stores its arguments (and nothing else), ``fit`` returns ``self`` and
adds only attributes ending in ``_``, every other public method raises the same clear
RuntimeError before ``fit``.
"""

import inspect

import numpy as np
import pytest

import snnlite.convert as convert
from snnlite import nn
from snnlite.convert import (
    DataNormalization,
    QFFSConverter,
    ThresholdBalancing,
    ZouConverter,
    qann_levels,
)

F64 = np.float64


def relu_net():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=F64), nn.ReLU(),
                          nn.Linear(6, 3, rng=rng, dtype=F64))
    return model, rng.random((10, 4))


def lsq_net():
    model, x = relu_net()
    return nn.Sequential(model[0], nn.LSQ(2, 0.25, dtype=F64), model[2],
                         nn.LSQ(2, 0.5, dtype=F64)), x


def zou_net():
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=F64), nn.MedianQuant(0, clip=4),
                          nn.TernaryLinear(6, 5, rng=rng, dtype=F64),
                          nn.BatchNorm1d(5, dtype=F64),
                          nn.MedianQuant(1), nn.Linear(5, 3, rng=rng, dtype=F64))
    return model, rng.random((10, 4))


def encoder(x, T, rng=None):
    return np.repeat(np.asarray(x, np.float32)[None], T, axis=0)


# class: (non-default constructor arguments, model builder, fit takes calibration data)
CONVERTERS = {
    DataNormalization: ({"percentile": 99.0, "reset": "zero"}, relu_net, True),
    ThresholdBalancing: ({"T": 6, "percentile": 99.0, "chunk": 3, "batch_size": 4,
                          "encoder": encoder, "rng": 3}, relu_net, True),
    QFFSConverter: ({"t_in": 5, "negative": False, "precharge": False, "pool": "naive"},
                    lsq_net, False),
    ZouConverter: ({"k": 1, "integer": True, "scale": 100, "t_enc": 4, "gamma": "flip"},
                   zou_net, False),
}
# arguments of every public method other than fit, for the "unfitted" check
CALLS = {"transform": lambda x: (), "run": lambda x: (x, 4), "ann_levels": lambda x: (x,)}


def _fit(cls, est):
    model, x = CONVERTERS[cls][1]()
    return est.fit(model, x) if CONVERTERS[cls][2] else est.fit(model), x


def test_every_converter_is_covered():
    estimators = {obj for _, obj in inspect.getmembers(convert, inspect.isclass)
                  if callable(getattr(obj, "fit", None))}
    assert estimators == set(CONVERTERS)


@pytest.mark.parametrize("cls", list(CONVERTERS), ids=lambda c: c.__name__)
def test_init_only_stores_its_arguments(cls):
    kwargs = CONVERTERS[cls][0]
    bound = inspect.signature(cls).bind(**kwargs)
    bound.apply_defaults()
    assert vars(cls(**kwargs)) == dict(bound.arguments)
    assert vars(cls()) == {name: p.default for name, p in
                           inspect.signature(cls).parameters.items()}


@pytest.mark.parametrize("cls", list(CONVERTERS), ids=lambda c: c.__name__)
def test_fit_returns_self_and_learns_only_underscored_state(cls):
    est = cls(**CONVERTERS[cls][0])
    stored = dict(vars(est))
    fitted, x = _fit(cls, est)
    assert fitted is est
    learned = set(vars(est)) - set(stored)
    assert learned and all(name.endswith("_") for name in learned), learned
    assert {k: vars(est)[k] for k in stored} == stored  # the arguments are untouched
    for method, args in CALLS.items():  # usable once fitted
        if hasattr(est, method):
            getattr(est, method)(*args(x.astype(F64)))


@pytest.mark.parametrize("cls", list(CONVERTERS), ids=lambda c: c.__name__)
def test_unfitted_use_raises_the_same_clear_error(cls):
    public = {name for name, _ in inspect.getmembers(cls, inspect.isfunction)
              if not name.startswith("_") and name != "fit"}
    assert public <= set(CALLS), f"add the new method(s) {public - set(CALLS)} to CALLS"
    x = CONVERTERS[cls][1]()[1]
    for method in sorted(public):
        with pytest.raises(RuntimeError, match=rf"this {cls.__name__} is not fitted: call "
                                               rf"fit\(\) before {method}\(\)"):
            getattr(cls(), method)(*CALLS[method](x))


def test_failed_fit_leaves_the_estimator_unfitted():
    est = DataNormalization()
    with pytest.raises(ValueError):
        est.fit(relu_net()[0], np.zeros((0, 4)))
    assert not any(name.endswith("_") for name in vars(est))


CALIBRATED = [lambda **kw: DataNormalization().fit(*kw["args"], **kw.get("fit", {})),
              lambda **kw: ThresholdBalancing(T=4, chunk=4, encoder=encoder,
                                              **kw.get("init", {})).fit(*kw["args"])]


@pytest.mark.parametrize("make", CALIBRATED, ids=["DataNormalization", "ThresholdBalancing"])
def test_calibration_data_is_checked(make):
    model, x = relu_net()
    with pytest.raises(ValueError, match=r"integer dtype uint8.*to_float"):
        make(args=(model, (x * 255).astype(np.uint8)))
    with pytest.raises(ValueError, match=r"x must hold at least one sample.*\(0, 4\)"):
        make(args=(model, x[:0]))
    bad = x.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="x holds 1 NaN or infinite"):
        make(args=(model, bad))


def test_level_functions_refuse_integer_images():
    model, x = zou_net()
    images = (x * 255).astype(np.uint8)
    conv = ZouConverter().fit(model)
    with pytest.raises(ValueError, match=r"x has integer dtype uint8.*to_float"):
        conv.ann_levels(images)
    assert len(conv.ann_levels(images / 255.0)) == 2
    with pytest.raises(ValueError, match=r"x has integer dtype uint8.*to_float"):
        qann_levels(lsq_net()[0], images)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5])
def test_batch_size_is_checked(batch_size):
    model, x = relu_net()
    match = rf"batch_size must be an integer >= 1, got {batch_size!r}"
    with pytest.raises(ValueError, match=match):
        DataNormalization().fit(model, x, batch_size=batch_size)
    with pytest.raises(ValueError, match=match):
        ThresholdBalancing(batch_size=batch_size)
    with pytest.raises(TypeError, match="batch_size must be an integer >= 1, got None"):
        ThresholdBalancing(batch_size=None)


def test_batch_size_does_not_change_the_result():
    """Batches of 1, 3 and all samples give the same scales (nothing is truncated)."""
    model, x = relu_net()
    scales = [DataNormalization().fit(model, x, batch_size=b).scales_ for b in (1, 3, 10, 64)]
    for s in scales[1:]:
        np.testing.assert_array_equal(s, scales[0])
    np.testing.assert_allclose(scales[0], [np.maximum(model[0](x), 0).max()], rtol=1e-12)
