"""The Diehl & Cook (2015) network: unsupervised STDP learning of MNIST digits.

784 Poisson inputs -> N excitatory conductance-based LIF neurons with adaptive thresholds
(all-to-all, plastic) -> N inhibitory neurons (one-to-one) -> back to every *other* excitatory
neuron (lateral inhibition). After training, each excitatory neuron is labelled with the class
it responds to most; a digit is classified by the class whose neurons fire most on average.

The dynamics (neurons :mod:`snnlite.neurons.diehl_cook`, network loop
:func:`snnlite.learn.diehl_cook_kernel.present`) and every constant of
:class:`DiehlCookParams` follow the authors' Brian 1 code
(``peter-u-diehl/stdp-mnist``, ``Diehl&Cook_spiking_MNIST.py`` = [code],
``Diehl&Cook_MNIST_random_conn_generator.py`` = [gen]), which is what reached the paper's
numbers; the paper (Diehl & Cook 2015, Front. Comput. Neurosci. 9:99) = [paper].

The plasticity is the [code]'s rule (nearest-spike pre trace, two post traces):
``w -= nu_pre * post1`` at an input spike, ``w += nu_post * pre * post2`` at a post spike,
weights clipped to ``[0, w_max]`` and each neuron's weights rescaled to sum to 78 before every
image. The paper's ``eta (x_pre - x_tar)(w_max - w)^mu`` form is
:func:`snnlite.learn.stdp.diehl_cook_stdp`.

Deviations from [code], all deliberate and small:

* the membrane Euler step is clamped so that ``v`` never passes its momentary equilibrium
  (see :mod:`snnlite.neurons.diehl_cook`). Plain Euler is unstable when >= 12 inhibitory
  spikes arrive in one step; in our runs the layer then blew up after about 1 200 images.
  Otherwise it is the [code]'s forward Euler step;
* no synaptic delays (the [code] draws 0-10 ms input->exc delays; the input spike times are
  random anyway); the input is a Poisson process binned to ``dt`` (a count per input drawn
  from ``Poisson(rate * 350 ms)``, times uniform), where Brian 1 draws ``rand < rate*dt`` per
  step: both are Poisson inputs, ours costs one draw per spike instead of one per step;
* spikes are counted during the 350 ms presentation only (Brian's counter also picked up the
  rare spikes of the previous rest);
* the intensity raise stops after ``max_intensity_raises`` tries (the [code] loops forever);
* label assignment uses a frozen pass over labelled images, as the [code]'s evaluation does
  (it used 10 000 training images); :func:`snnlite.learn.diehl_cook.DiehlCook.assign_labels`
  takes whatever images it is given.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict

import numpy as np
from tqdm.auto import tqdm

from snnlite._npz import read_json, read_npz
from snnlite._validate import as_rng
from snnlite.learn.diehl_cook_kernel import DiehlCookParams, pre_trace_table, present
from snnlite.learn.response_labels import ResponseLabels
from snnlite.learn.stdp import normalize_columns
from snnlite.snn.events import events_to_dense
from snnlite.snn.poisson_process import poisson_process_events

__all__ = ["DiehlCook", "DiehlCookParams"]

_NEVER = -(2**62)  # "last pre spike" of an input that has not fired yet
_FORMAT = 2  # save() format: 2 = plain arrays + JSON (1 held pickled object arrays)


def _check_images(images, name: str = "images") -> np.ndarray:
    x = np.asarray(images)
    if x.ndim == 2 and x.shape[1] == 784:
        pass
    elif x.ndim == 3 and x.shape[1:] == (28, 28):
        x = x.reshape(len(x), 784)
    else:
        raise ValueError(f"{name} must have shape (n, 28, 28) or (n, 784), got {x.shape}")
    if x.dtype.kind not in "uif" or len(x) == 0:
        raise ValueError(f"{name} must be a non-empty numeric array of pixels 0-255, "
                         f"got dtype {x.dtype} and {len(x)} images")
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 255:
        raise ValueError(f"{name} must hold pixel values in [0, 255] (uint8 MNIST)")
    if x.max() <= 1.0:  # else each image is re-presented until max_intensity_raises runs out
        raise ValueError(f"{name}: the values look like intensities in [0, 1] (max "
                         f"{x.max()}): DiehlCook expects pixel values 0-255 (uint8 MNIST), "
                         f"which set the input rates (pixel / rate_divisor * intensity Hz); "
                         f"pass images * 255")
    return x


def _check_start(weights, theta, n_neurons):
    """Validated copies of the initial ``weights`` (784, N) and ``theta`` (N,), or None."""
    if weights is not None:
        weights = np.array(weights, dtype=np.float64, order="C")
        if weights.shape != (784, n_neurons) or not np.all(np.isfinite(weights)) \
                or weights.min() < 0:
            raise ValueError(f"weights must be a finite, non-negative (784, {n_neurons}) array, "
                             f"got shape {weights.shape}")
    if theta is not None:
        theta = np.array(theta, dtype=np.float64)
        if theta.shape != (n_neurons,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"theta must be a finite ({n_neurons},) array (mV), got shape "
                             f"{theta.shape}")
    return weights, theta


class DiehlCook(ResponseLabels):
    """Diehl & Cook (2015) unsupervised STDP network, scikit-learn style.

    Parameters
    ----------
    n_neurons : int, optional
        Excitatory (= inhibitory) neurons ``N``; default 400, or the columns of ``weights``.
    params : DiehlCookParams, optional
        Hyper-parameters (default: those of the authors' code).
    rng : Generator, int or None
        Random source for the initial weights and the Poisson inputs.
    weights : (784, N) array, optional
        Initial input -> excitatory weights (copied); default: random draws
        ``U(w_init_low, w_init_high)``. :meth:`fit` and :meth:`init_weights` start from them.
    theta : (N,) array, optional
        Initial adaptive thresholds (mV); default ``theta_init``.

    Attributes
    ----------
    weights_ : (784, N) float64 array
        Input -> excitatory weights after :meth:`fit`.
    theta_ : (N,) float64 array
        Adaptive thresholds (mV; the firing threshold is ``v_thresh_e + theta_ - theta_offset``).
    assignments_ : (N,) int64 array
        Class of each excitatory neuron (after :meth:`assign_labels`; -1 if it never fired).
    class_rates_ : (10, N) float64 array
        Mean spike count of each neuron per class (on the assignment images).
    timing_ : dict
        ``fit_seconds``, ``fit_ms_per_sample`` (wall clock), ``fit_cpu_ms_per_sample`` (CPU
        time of this process: the fair number on a shared machine), ``fit_presentations``
        (including intensity raises), and ``run_*`` for the last frozen run.
    spike_counts_ : dict of (n,) int64 arrays
        ``"input"``, ``"exc"``, ``"inh"``: spikes of the input, excitatory and inhibitory
        populations during each image's (last) presentation, for the ``n`` images learned by
        the last :meth:`fit` or :meth:`partial_fit` call; ``"attempts"``: presentations per
        image (1 + intensity raises).

    Examples
    --------
    >>> from snnlite.datasets import load_mnist_sample
    >>> x, y, xt, yt = load_mnist_sample()
    >>> net = DiehlCook(n_neurons=16, rng=0).fit(x[:20], progress=False)
    >>> net.weights_.shape, net.theta_.shape
    ((784, 16), (16,))

    Online learning from given weights, one image at a time:

    >>> online = DiehlCook(weights=net.weights_, rng=1)
    >>> online.partial_fit(x[20]).spike_counts_["exc"].shape
    (1,)
    """

    def __init__(self, n_neurons: int | None = None, params: DiehlCookParams | None = None,
                 rng=None, weights=None, theta=None):
        if n_neurons is None:
            n_neurons = 400 if weights is None else np.shape(weights)[-1]
        if isinstance(n_neurons, bool) or not isinstance(n_neurons, (int, np.integer)) \
                or n_neurons < 2:
            raise ValueError(f"n_neurons must be an integer >= 2, got {n_neurons!r}")
        params = DiehlCookParams() if params is None else params
        if not isinstance(params, DiehlCookParams):
            raise TypeError(f"params must be a DiehlCookParams, got {type(params)}")
        params.validate()
        self.n_neurons = int(n_neurons)
        self.params = params
        # params is frozen and validated: the kernel's parameter vector and trace table once
        self._packed = params.packed()
        self._table = pre_trace_table(params.dt, params.tau_pre)
        self.rng = as_rng(rng)
        self.weights, self.theta = _check_start(weights, theta, self.n_neurons)
        self.timing_: dict = {}
        self._state: dict | None = None  # network state carried from image to image
        self._normalised = None  # weights_ if normalised with no learning since (partial_fit)

    # ------------------------------------------------------------------ state
    def init_weights(self) -> DiehlCook:
        """Start afresh: ``weights_`` (the given ``weights``, or drawn ``U(w_init_low,
        w_init_high)``), ``theta_`` (``theta`` or ``theta_init``) and the network state."""
        p = self.params
        if self.weights is None:
            self.weights_ = self.rng.uniform(p.w_init_low, p.w_init_high,
                                             size=(784, self.n_neurons))
        else:
            self.weights_ = self.weights.copy()
        self.theta_ = (np.full(self.n_neurons, p.theta_init) if self.theta is None
                       else self.theta.copy())
        self._state = None
        return self

    def _fresh_state(self) -> dict:
        """The neuron models' initial state (theta is ``theta_``), traces, global step 0."""
        n = self.n_neurons
        exc = self.params.excitatory().init_state(1, n)
        inh = self.params.inhibitory().init_state(1, n)
        return dict(v_e=exc["v"], ge_e=exc["ge"], gi_e=exc["gi"], ref_e=exc["ref"],
                    v_i=inh["v"], ge_i=inh["ge"], ref_i=inh["ref"], post1=np.zeros(n),
                    post2=np.zeros(n), last_pre=np.full(784, _NEVER, np.int64), t=0)

    def _events(self, pixels: np.ndarray, intensity: float, rng) -> tuple[np.ndarray, np.ndarray]:
        """Poisson input of one image: CSR ``(ptr, idx)`` over the presentation steps.

        The encoder ``"poisson_process"`` in its event form, at ``pixel / rate_divisor *
        intensity`` Hz over ``t_present`` ms (the loop reads events, not a dense raster).
        """
        p = self.params
        n_present = p.steps(p.t_present)
        rates = pixels[None] * (intensity / p.rate_divisor)  # Hz, (1, 784)
        return poisson_process_events(rates, n_present, rng=rng,
                                      duration=n_present * p.dt / 1000.0)

    def _present(self, st: dict, pixels, learn: bool, rng, record: bool = False) -> dict:
        """One image, raising the intensity until ``>= min_spikes`` exc spikes (D&C's loop).

        The weights are normalised before every presentation when learning, except before
        the first when they are still as the last :meth:`partial_fit` left them (normalised,
        ``self._normalised``): so learning in several calls equals learning in one.
        """
        p = self.params
        n_present, n_rest = p.steps(p.t_present), p.steps(p.t_rest)
        n_steps = n_present + n_rest
        intensity = p.intensity
        for attempt in range(p.max_intensity_raises + 1):
            if learn and (attempt or self._normalised is not self.weights_):
                normalize_columns(self.weights_, p.norm_total)  # [code] before every image
            ptr, idx = self._events(pixels, intensity, rng)
            counts = np.zeros(self.n_neurons, dtype=np.int64)
            shape = (n_steps, self.n_neurons) if record else (0, self.n_neurons)
            rec_e, rec_i = np.zeros(shape, np.int8), np.zeros(shape, np.int8)
            n_inh = present(self.weights_, st["v_e"], st["ge_e"], st["gi_e"], st["ref_e"],
                            self.theta_, st["v_i"], st["ge_i"], st["ref_i"], st["post1"],
                            st["post2"], st["last_pre"], ptr, idx, n_steps, n_present, st["t"],
                            self._packed, self._table, learn, counts, rec_e, rec_i)
            st["t"] += n_steps
            if counts.sum() >= p.min_spikes or attempt == p.max_intensity_raises:
                break
            intensity += 1.0
        if learn:
            self._normalised = None
        out = dict(counts=counts, intensity=intensity, attempts=attempt + 1,
                   n_input=int(idx.shape[0]), n_exc=int(counts.sum()), n_inh=int(n_inh))
        if record:
            inp = events_to_dense(ptr, idx, 784, n_steps, np.int8)
            out.update(input=inp, exc=rec_e, inh=rec_i)
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError("this DiehlCook is not fitted yet: call fit() or init_weights()")

    # ------------------------------------------------------------------ public API
    def fit(self, images, progress: bool = True, epochs: int = 1) -> DiehlCook:
        """Train from the initial weights with STDP on ``images``, in order, ``epochs`` times.

        Parameters
        ----------
        images : (n, 28, 28) or (n, 784) array of pixels 0-255 (uint8 MNIST)
        progress : bool
            Show a ``tqdm`` progress bar.
        epochs : int
            Passes over ``images``.

        Returns
        -------
        self

        Notes
        -----
        Starts from :meth:`init_weights` (random or the given ``weights``) and a fresh
        network state; ``fit(x)`` equals ``init_weights()`` then ``partial_fit`` over ``x``
        in any split. ``timing_`` includes the Numba compilation of the first call in a fresh
        environment (afterwards the kernels load from the on-disk cache).
        """
        x = _check_images(images)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
        self.init_weights()
        start, cpu = time.perf_counter(), time.process_time()
        self._learn(x, progress, epochs)
        sec, cpu = time.perf_counter() - start, time.process_time() - cpu
        n = len(x) * epochs
        self.timing_.update(fit_seconds=sec, fit_samples=n, fit_ms_per_sample=1000.0 * sec / n,
                            fit_cpu_ms_per_sample=1000.0 * cpu / n,
                            fit_presentations=int(self.spike_counts_["attempts"].sum()))
        return self

    def partial_fit(self, images, progress: bool = False) -> DiehlCook:
        """Learn ``images`` (one image or a batch) with STDP, continuing where learning stopped.

        The weights, thresholds and network state (membranes, traces) carry over from the
        last :meth:`fit` / :meth:`partial_fit` (an unfitted network starts with
        :meth:`init_weights`). Afterwards the weights are normalised, as the next image sees
        them. ``spike_counts_`` reports the spikes of each image.

        Parameters
        ----------
        images : (28, 28), (784,), (n, 28, 28) or (n, 784) array of pixels 0-255
        progress : bool
            Show a ``tqdm`` progress bar.

        Returns
        -------
        self

        Notes
        -----
        Edit ``weights_`` between calls by assigning a new array (it is then normalised
        before the next image), not in place.
        """
        x = np.asarray(images)
        x = _check_images(x[None] if x.ndim == 1 or x.shape == (28, 28) else x)
        if not hasattr(self, "weights_"):
            self.init_weights()
        self._learn(x, progress)
        return self

    def _learn(self, x: np.ndarray, progress: bool, epochs: int = 1) -> None:
        """STDP over ``x`` (``epochs`` passes) on the carried state; then normalise the weights
        and fill ``spike_counts_``."""
        if self._state is None:
            self._state = self._fresh_state()
        stats = np.zeros((4, len(x) * epochs), np.int64)
        bar = tqdm(total=len(x) * epochs, disable=not progress, desc="STDP", unit="img")
        for s in range(len(x) * epochs):
            out = self._present(self._state, x[s % len(x)], True, self.rng)
            stats[:, s] = out["n_input"], out["n_exc"], out["n_inh"], out["attempts"]
            bar.update()
        bar.close()
        normalize_columns(self.weights_, self.params.norm_total)  # as seen by the next image
        self._normalised = self.weights_
        self.spike_counts_ = dict(zip(("input", "exc", "inh", "attempts"), stats, strict=True))

    def responses(self, images, progress: bool = False, rng=None) -> np.ndarray:
        """Spike counts of the frozen network (no STDP, fixed theta) during each presentation.

        Each image is re-presented with a higher intensity until it evokes ``min_spikes``;
        the counts of the last presentation are returned. The network starts from its
        initial state (membranes at ``v_init``) and runs the images in order.

        Parameters
        ----------
        images : (n, 28, 28) or (n, 784) array of pixels 0-255
        progress : bool
            Show a ``tqdm`` progress bar.
        rng : Generator, int or None
            Source of the Poisson inputs; default: the network's own generator (so repeated
            calls draw new inputs; pass a seed for repeatable counts).

        Returns
        -------
        (n, N) int64 array
        """
        self._check_fitted()
        x = _check_images(images)
        rng = self.rng if rng is None else as_rng(rng)
        st = self._fresh_state()
        out = np.zeros((len(x), self.n_neurons), dtype=np.int64)
        start, cpu = time.perf_counter(), time.process_time()
        for s, pixels in enumerate(tqdm(x, disable=not progress, desc="frozen", unit="img")):
            out[s] = self._present(st, pixels, False, rng)["counts"]
        sec, cpu = time.perf_counter() - start, time.process_time() - cpu
        self.timing_.update(run_seconds=sec, run_ms_per_sample=1000.0 * sec / len(x),
                            run_cpu_ms_per_sample=1000.0 * cpu / len(x))
        return out

    def run_sample(self, image, learn: bool = False) -> dict:
        """Present one image from a fresh state and record everything (for plots).

        Returns
        -------
        dict
            ``input`` (T, 784), ``exc`` (T, N), ``inh`` (T, N) int8 rasters over the
            presentation and the rest (T steps of ``dt``), ``counts`` (N,), the final
            ``intensity``, the number of ``attempts``, and the spike totals of the last
            presentation (the first ``t_present`` ms): ``n_input``, ``n_exc``, ``n_inh``.
            With ``learn`` the weights and theta are updated as in training.
        """
        self._check_fitted()
        x = _check_images(np.asarray(image)[None], "image")
        return self._present(self._fresh_state(), x[0], learn, self.rng, record=True)

    def save(self, path) -> None:
        """Save weights, theta, assignments, timing and parameters to an ``.npz`` file.

        Plain arrays only (no pickle): ``weights``, ``theta``, ``n_neurons``, optionally
        ``assignments``, and ``meta``, a JSON string with the parameters and timings.
        """
        self._check_fitted()
        extra = {"assignments": self.assignments_} if hasattr(self, "assignments_") else {}
        meta = {"format": _FORMAT, "params": asdict(self.params), "timing": self.timing_}
        np.savez(path, weights=self.weights_, theta=self.theta_, n_neurons=self.n_neurons,
                 meta=np.array(json.dumps(meta)), **extra)

    @classmethod
    def load(cls, path, rng=None) -> DiehlCook:
        """Rebuild a trained network saved by :meth:`save` (read without pickle).

        Raises
        ------
        ValueError
            If the file is not a readable ``.npz`` archive, holds pickled objects (files
            written before snnlite stored the parameters as JSON: retrain), or its entries
            are not those :meth:`save` writes; the message names the file.
        """
        what = (f"a DiehlCook network saved by DiehlCook.save in format {_FORMAT} (older files "
                "held pickled parameters: retrain)")
        f = read_npz(path, required=("weights", "theta", "n_neurons", "meta"), what=what)
        meta = read_json(f, "meta", path)
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ValueError(f"{os.fspath(path)!r} is not {what}: its 'meta' entry is "
                             f"{str(meta)[:80]}")
        try:
            net = cls(int(f["n_neurons"]), DiehlCookParams(**meta["params"]), rng)
            timing = dict(meta["timing"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{os.fspath(path)!r} is not {what}: {err}") from None
        shapes = {"weights": (784, net.n_neurons), "theta": (net.n_neurons,),
                  "assignments": (net.n_neurons,)}
        for key, shape in shapes.items():
            if key in f and (f[key].shape != shape or f[key].dtype.kind not in "iuf"
                             or not np.isfinite(f[key]).all()):
                raise ValueError(f"{os.fspath(path)!r}: {key!r} must be a finite numeric "
                                 f"array of shape {shape}, got {f[key].dtype} {f[key].shape}")
        net.weights_ = np.ascontiguousarray(f["weights"], dtype=np.float64)
        net.theta_ = np.array(f["theta"], dtype=np.float64)
        net.timing_ = timing
        if "assignments" in f:
            net.assignments_ = np.array(f["assignments"], dtype=np.int64)
        return net
