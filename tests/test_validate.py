"""The argument checks of ``snnlite._validate``: what each accepts (and returns) and what it
rejects, with which error and message. Expected values are written out by hand."""

import numpy as np
import pytest

from snnlite._validate import (
    as_rng,
    check_dtype,
    check_fitted,
    check_float,
    check_input,
    check_int,
    check_real,
    check_samples,
    check_steps,
)


@pytest.mark.parametrize("value, minimum, expected", [
    (3, 1, 3), (8.0, 1, 8), (np.int32(3), 1, 3), (np.uint8(200), 1, 200),
    (np.float64(4.0), 1, 4), (0, 0, 0), (-0.0, 0, 0), (2, 2, 2), (10**12, 1, 10**12),
])
def test_check_int_accepts_whole_numbers(value, minimum, expected):
    out = check_int("n", value, minimum)
    assert out == expected and type(out) is int


@pytest.mark.parametrize("value, minimum, message", [
    (True, 1, "n must be an integer >= 1, got True"),
    (False, 0, "n must be an integer >= 0, got False"),
    (np.bool_(True), 1, "n must be an integer >= 1, got "),
    (2.5, 1, "n must be an integer >= 1, got 2.5"),
    (float("nan"), 1, "n must be an integer >= 1, got nan"),
    (float("inf"), 1, "n must be an integer >= 1, got inf"),
    (0, 1, "n must be an integer >= 1, got 0"),
    (-1, 0, "n must be an integer >= 0, got -1"),
    (1, 2, "n must be an integer >= 2, got 1"),
    (1.0, 2, "n must be an integer >= 2, got 1.0"),
])
def test_check_int_value_errors(value, minimum, message):
    with pytest.raises(ValueError) as info:
        check_int("n", value, minimum)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("value, message", [
    ("3", "n must be an integer >= 1, got '3' (str)"),
    (None, "n must be an integer >= 1, got None (NoneType)"),
    (1 + 0j, "n must be an integer >= 1, got (1+0j) (complex)"),
    ([3], "n must be an integer >= 1, got [3] (list)"),
])
def test_check_int_type_errors(value, message):
    with pytest.raises(TypeError) as info:
        check_int("n", value)
    assert str(info.value) == message


def test_check_steps_is_check_int_named_T():
    assert check_steps(8.0) == 8 and check_steps(np.int64(1)) == 1
    with pytest.raises(ValueError, match=r"^T must be an integer >= 1, got 0$"):
        check_steps(0)
    with pytest.raises(TypeError, match=r"^T must be an integer >= 1, got '8' \(str\)$"):
        check_steps("8")


@pytest.mark.parametrize("value, kwargs, expected", [
    (0.5, {}, 0.5), (0.0, {}, 0.0), (np.float32(0.25), {}, 0.25), (1, {"high_open": False}, 1.0),
    (1e9, {"high": None}, 1e9),
])
def test_check_real_accepts(value, kwargs, expected):
    kwargs = {"high": 1.0, **kwargs}
    out = check_real("p", value, 0.0, **kwargs)
    assert out == expected and type(out) is float


@pytest.mark.parametrize("value, kwargs, error, message", [
    (0.0, {"low_open": True}, ValueError, "p must be a number in (0, 1), got 0.0"),
    (1.0, {}, ValueError, "p must be a number in [0, 1), got 1.0"),
    (1.5, {"high_open": False}, ValueError, "p must be a number in [0, 1], got 1.5"),
    (-1, {"high": None}, ValueError, "p must be a number in [0, inf), got -1"),
    (float("nan"), {}, ValueError, "p must be a number in [0, 1), got nan"),
    (True, {}, TypeError, "p must be a number in [0, 1), got True (bool)"),
    ("0.5", {}, TypeError, "p must be a number in [0, 1), got '0.5' (str)"),
    (0.5j, {}, TypeError, "p must be a number in [0, 1), got 0.5j (complex)"),
])
def test_check_real_rejects(value, kwargs, error, message):
    kwargs = {"high": 1.0, **kwargs}
    with pytest.raises(error) as info:
        check_real("p", value, 0.0, **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("value, positive, expected", [
    (2, True, 2.0), (np.float32(0.5), True, 0.5), (-1.5, False, -1.5), (0, False, 0.0),
])
def test_check_float_accepts(value, positive, expected):
    out = check_float("tau", value, positive)
    assert out == expected and type(out) is float


@pytest.mark.parametrize("value, positive, error, message", [
    (0, True, ValueError, "tau must be a finite number > 0, got 0.0"),
    (-2.0, True, ValueError, "tau must be a finite number > 0, got -2.0"),
    (float("nan"), False, ValueError, "tau must be a finite number, got nan"),
    (float("-inf"), False, ValueError, "tau must be a finite number, got -inf"),
    ("abc", False, ValueError, "tau must be a finite number, got 'abc'"),
    (None, True, TypeError, "tau must be a finite number > 0, got None"),
    ([1.0, 2.0], False, TypeError, "tau must be a finite number, got [1.0, 2.0]"),
])
def test_check_float_rejects(value, positive, error, message):
    with pytest.raises(error) as info:
        check_float("tau", value, positive)
    assert str(info.value) == message


def test_check_dtype():
    assert check_dtype(np.float32) == np.dtype("float32")
    assert check_dtype("float64") == np.dtype("float64")
    for bad in (np.int64, bool, "int8"):
        with pytest.raises(TypeError, match=r"state dtype must be floating \(float32 or "
                                            r"float64\), got (int64|bool|int8)$"):
            check_dtype(bad)


def test_as_rng():
    gen = np.random.default_rng(1)
    assert as_rng(gen) is gen
    expected = np.random.default_rng(5).random(3)
    np.testing.assert_array_equal(as_rng(5).random(3), expected)
    np.testing.assert_array_equal(as_rng(np.int64(5)).random(3), expected)
    assert isinstance(as_rng(None), np.random.Generator)
    assert isinstance(as_rng(), np.random.Generator)
    for bad in ("5", 1.5, np.random.RandomState(0)):
        with pytest.raises(TypeError, match="rng must be a numpy Generator, an int seed or "
                                            "None, got"):
            as_rng(bad)


def test_check_samples_accepts_float_and_bool_samples():
    x = np.array([[0.0, 0.5], [1.0, -2.0]], np.float32)
    assert check_samples(x) is x
    np.testing.assert_array_equal(check_samples([[0.5, 1.5]]), [[0.5, 1.5]])
    assert check_samples(np.array([True, False])).dtype == np.bool_


@pytest.mark.parametrize("x, error, message", [
    (np.array([[0, 255]], np.uint8), ValueError, r"^data has integer dtype uint8; expected "
                                                 r"floats.*snnlite\.datasets\.to_float"),
    (np.array([[1, 2]], np.int64), ValueError, r"^data has integer dtype int64"),
    (np.array([1j]), TypeError, r"^data must be a numeric array, got dtype complex128$"),
    (np.array(["a"]), TypeError, r"^data must be a numeric array, got dtype <U1$"),
    (np.float32(1.0), ValueError, r"^data must hold at least one sample \(N, \.\.\.\), "
                                  r"got shape \(\)$"),
    (np.zeros((0, 4)), ValueError, r"^data must hold at least one sample \(N, \.\.\.\), "
                                   r"got shape \(0, 4\)$"),
    (np.array([[0.0, np.nan]]), ValueError, r"^data holds 1 NaN or infinite value\(s\)"),
    (np.array([np.inf, -np.inf, 0.0]), ValueError, r"^data holds 2 NaN or infinite value\(s\)"),
])
def test_check_samples_rejects(x, error, message):
    with pytest.raises(error, match=message):
        check_samples(x, "data")


def test_check_input_accepts_reals_and_spikes():
    x = np.array([[0.2, 7.5]])
    assert check_input(x) is x
    spikes = np.array([[-1, 0, 1]], np.int8)
    assert check_input(spikes) is spikes
    flags = check_input(np.array([[True, False]]))
    assert flags.dtype == np.int8 and flags.tolist() == [[1, 0]]
    assert check_input(np.zeros((4, 2, 3)), min_ndim=2).shape == (4, 2, 3)
    assert check_input(np.zeros(0, np.int64)).shape == (0,)  # empty: no values to refuse


@pytest.mark.parametrize("x, min_ndim, error, message", [
    (np.array([[0, 2]], np.uint8), 1, ValueError,
     r"^s has integer dtype uint8 with values in \[0, 2\]: an unscaled image\?.*to_float"),
    (np.array([[-3, 1]], np.int16), 1, ValueError, r"values in \[-3, 1\]"),
    (np.zeros(3), 2, ValueError,
     r"^s must have shape \(T, B, \.\.\.\) with a batch axis, got shape \(3,\)$"),
    (np.float64(0.5), 1, ValueError,
     r"^s must have shape \(B, \.\.\.\) with a batch axis, got shape \(\)$"),
    (np.array([[np.nan, 0.0, np.inf]]), 1, ValueError, r"^s contains NaN or inf \(2 values\)"),
    (np.array([[1j]]), 1, TypeError, r"^s must hold real numbers, got dtype complex128$"),
    ([[1.0, 2.0], [3.0]], 1, ValueError, r"^s must be a rectangular array"),
])
def test_check_input_rejects(x, min_ndim, error, message):
    with pytest.raises(error, match=message):
        check_input(x, "s", min_ndim=min_ndim)


def test_check_fitted():
    class Model:
        pass

    model = Model()
    with pytest.raises(RuntimeError, match=r"^this Model is not fitted: call fit\(\) before "
                                           r"predict\(\)$"):
        check_fitted(model, "scales_", "predict()")
    model.scales_ = [1.0]
    assert check_fitted(model, "scales_") is None
