"""Releasing OpenBLAS's idle worker threads: products unchanged, never with other threads."""

import threading

import numpy as np

from snnlite._blas import _openblas, release_blas_threads


def test_products_are_unchanged_after_the_threads_are_released():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((500, 784)), rng.standard_normal((784, 300))
    before = a @ b  # large enough to run on every BLAS thread
    found, alone = _openblas(), threading.active_count() == 1  # (earlier tests may leave
    acted = release_blas_threads()                             #  threads, e.g. tqdm's)
    assert acted == (found is not None and found[1]() > 1 and alone)
    np.testing.assert_array_equal(a @ b, before)  # the threads start again, same sums


def test_nothing_is_done_while_another_python_thread_runs():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert release_blas_threads() is False
    finally:
        stop.set()
        other.join()
