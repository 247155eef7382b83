"""Classifying with an unsupervised spiking network: label each neuron by its responses.

Diehl & Cook (2015)'s evaluation ([code] ``get_new_assignments`` / ``get_recognized_number``):
after learning, every excitatory neuron is labelled with the class whose images make it fire
most on average; an image is then classified as the class whose neurons fire most on average.
:class:`ResponseLabels` adds this to any network class with a ``responses(images, progress)``
method returning spike counts ``(n, N)`` (:class:`~snnlite.learn.diehl_cook.DiehlCook`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ResponseLabels"]


class ResponseLabels:
    """Label assignment and prediction from spike counts (mixin; module docstring).

    Attributes
    ----------
    assignments_ : (N,) int64 array
        Class of each neuron (after :meth:`assign_labels`; -1 if it never fired).
    class_rates_ : (10, N) float64 array
        Mean spike count of each neuron per class (on the assignment images).
    """

    def assign_labels(self, images, labels, progress: bool = False, counts=None) -> ResponseLabels:
        """Label each neuron with its class of highest mean response ([code] get_new_assignments).

        Parameters
        ----------
        images : (n, 28, 28) array, or None when ``counts`` is given
        labels : (n,) int array of digits 0-9
        counts : (n, N) array, optional
            Precomputed :meth:`responses` (then ``images`` is not simulated).

        Returns
        -------
        self
        """
        y = np.asarray(labels)
        if counts is None:
            counts = self.responses(images, progress=progress)
        counts = np.asarray(counts, dtype=np.float64)
        if y.ndim != 1 or len(y) != len(counts) or y.dtype.kind not in "ui" \
                or y.min() < 0 or y.max() > 9:
            raise ValueError(f"labels must be (n,) integers 0-9 matching {len(counts)} images, "
                             f"got shape {y.shape}, dtype {y.dtype}")
        rates = np.zeros((10, counts.shape[1]))
        for c in range(10):
            if np.any(y == c):
                rates[c] = counts[y == c].mean(axis=0)
        self.class_rates_ = rates
        self.assignments_ = np.where(rates.max(axis=0) > 0, rates.argmax(axis=0), -1)
        return self

    def predict_counts(self, counts) -> np.ndarray:
        """Classes from spike counts: argmax over classes of the mean count of their neurons.

        Parameters
        ----------
        counts : (n, N) array
            Spike counts, e.g. from :meth:`responses`.

        Returns
        -------
        (n,) int64 array
            Predicted digit 0-9 of each sample.
        """
        if not hasattr(self, "assignments_"):
            raise RuntimeError("no labels assigned yet: call assign_labels() first")
        counts = np.asarray(counts, dtype=np.float64)
        score = np.full((len(counts), 10), -1.0)  # classes without neurons never win
        for c in range(10):
            sel = self.assignments_ == c
            if sel.any():
                score[:, c] = counts[:, sel].mean(axis=1)
        return score.argmax(axis=1)

    def predict(self, images, progress: bool = False) -> np.ndarray:
        """Predicted digit of each image, shape ``(n,)``."""
        return self.predict_counts(self.responses(images, progress=progress))

    def evaluate(self, images, labels, progress: bool = False) -> float:
        """Accuracy (fraction correct) on labelled images.

        Parameters
        ----------
        images : (n, 28, 28) or (n, 784) array of pixels 0-255
        labels : (n,) int array of digits 0-9
        progress : bool
            Show a ``tqdm`` progress bar.

        Returns
        -------
        float
            Fraction of the ``n`` images whose predicted digit equals the label.
        """
        y = np.asarray(labels)
        pred = self.predict(images, progress=progress)
        if y.shape != pred.shape:
            raise ValueError(f"labels must have shape {pred.shape}, got {y.shape}")
        return float(np.mean(pred == y))
