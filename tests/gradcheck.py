"""Shared test helper: finite-difference gradient check of an ``nn`` module (float64)."""

import numpy as np

from snnlite.nn import Module

F64 = np.float64


def gradcheck(module: Module, x: np.ndarray, seed: int = 0, eps: float = 1e-6,
              rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Compare ``backward`` with central differences of ``loss = sum(module(x) * r)``.

    Checks the input gradient and the gradient of every parameter; ``r`` is a fixed random
    array, so every output element gets a distinct weight.
    """
    x = np.array(x, dtype=F64)
    r = np.random.default_rng(seed).standard_normal(module(x, train=True).shape)

    def loss() -> float:
        return float(np.sum(module(x, train=True) * r))

    module.zero_grad()
    module(x, train=True)
    dx = module.backward(r.copy())
    assert dx.shape == x.shape
    targets = [("input", x, dx)] + [(name, p.data, p.grad.copy())
                                    for name, p in module.named_parameters()]
    for name, array, analytic in targets:
        numeric = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            saved = array[i]
            array[i] = saved + eps
            plus = loss()
            array[i] = saved - eps
            minus = loss()
            array[i] = saved
            numeric[i] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol, err_msg=name)
