"""Base class of every skrobustad deep outlier detector.

:class:`BaseDeepDetector` owns the public contract (see DESIGN.md §1): input
and label validation, device and seed handling, the fit/score template, the
sign convention and ``offset_``. A subclass only provides hooks:

- ``_build_module(n_features)``: a fresh torch module;
- ``_loss(output, batch)``: the per-sample training loss;
- ``_score_batch(module, X)``: the per-sample *anomaly* score (higher = more
  abnormal) of a batch; the base class negates it for ``score_samples``;
- optionally ``_initialize_module(module, data, state)`` (e.g. Deep SVDD's
  centre), ``_training_mask(y_partial, sample_weight)`` or
  ``_fit_module(data, state)`` (for alternating schemes that call
  :meth:`_train` several times);
- for another input scaling (AESAD's min-max, ADRA's per channel),
  ``_fit_input_scaling`` (fits it), ``_scale_input`` (applies it to rows)
  and ``_training_input`` (the rows the network trains on). The base class
  applies them chunk by chunk, never to the whole input at once.

What one call of ``fit`` knows beyond its data (its seed, whether it
continues a fitted module) travels in a :class:`_FitState` passed to the
hooks, never as attributes on the estimator: a fit that raises leaves nothing
behind. Optional features are class-level declarations (``_has_warm_start``,
``_has_batch_norm``), set by the subclasses that have those parameters.
"""

import copy
import numbers
import warnings
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from skorch.callbacks import Callback
from sklearn.base import BaseEstimator, _fit_context
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._engine import BatchData, n_batches, predict_batches, seeded, train_module
from .exceptions import ConstantScoresWarning, LabelsIgnoredWarning, TrainingDivergedError
from .utils._scores import OffsetOutlierMixin, offset_from_anomaly_scores
from .utils._validation import LABEL_ANOMALY, check_y_partial, resolve_device

_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


#: Bytes of ``X`` scaled or summarised at a time (4 MiB: 52,428 rows of 10
#: float64 features): input scaling never makes a copy of the whole input.
_CHUNK_BYTES = 2**22


def _row_chunks(X, mask):
    """The rows of ``X`` selected by ``mask``, in order, about ``_CHUNK_BYTES`` at a time."""
    n_rows = max(1, _CHUNK_BYTES // max(1, X[:1].nbytes))
    for start in range(0, X.shape[0], n_rows):
        rows, keep = X[start:start + n_rows], mask[start:start + n_rows]
        if keep.all():
            yield rows
        elif keep.any():
            yield rows[keep]


@dataclass(frozen=True)
class _FitState:
    """The per-call state of one ``fit``, handed to the hooks.

    Attributes
    ----------
    seed : int
        Drawn from ``random_state`` once per fit; every torch generator of
        the fit derives from it.
    warm : bool
        True when the fit continues training ``module_`` (``warm_start``,
        or a :meth:`~BaseDeepDetector.partial_fit` after the first).
    max_epochs : int or None
        Epochs to train regardless of ``max_epochs`` / ``max_steps``
        (1 for ``partial_fit``); ``None`` uses the estimator's budget.
    n_samples : int or None
        Rows of the input ``X``, training rows or not.
    """

    seed: int
    warm: bool
    max_epochs: Optional[int] = None
    n_samples: Optional[int] = None

    def generator(self, offset=0):
        """A CPU :class:`torch.Generator` seeded with ``seed + offset``."""
        generator = torch.Generator()
        generator.manual_seed(self.seed + offset)
        return generator


def _check_callbacks(callbacks):
    """Refuse anything but skorch callbacks (or ``(name, callback)`` pairs)."""
    for entry in callbacks or ():
        callback = entry[1] if isinstance(entry, tuple) and len(entry) == 2 else entry
        if not isinstance(callback, Callback):
            raise ValueError(
                "callbacks must be a list of skorch callbacks (instances of "
                "skorch.callbacks.Callback) or (name, callback) pairs; got "
                f"{entry!r}."
            )


class BaseDeepDetector(OffsetOutlierMixin, BaseEstimator, metaclass=ABCMeta):
    """Template for deep outlier detectors with scikit-learn's outlier API.

    Scores follow :class:`~sklearn.ensemble.IsolationForest`:
    ``score_samples`` is higher for more normal samples,
    ``decision_function = score_samples - offset_`` is negative for outliers
    and ``predict`` returns +1 (inlier) / -1 (outlier).

    Parameters
    ----------
    contamination : "auto" or float in (0, 0.5], default="auto"
        Expected fraction of outliers; sets ``offset_`` to the
        ``100 * contamination`` percentile of the training scores. ``"auto"``
        uses Tukey's fence on the training anomaly scores: a sample is an
        outlier when its anomaly score exceeds ``Q3 + 1.5 * (Q3 - Q1)``.
    max_epochs : int, default=100
        Passes over the training data.
    max_steps : int or None, default=None
        Budget of gradient steps: training stops after ``max_steps`` steps
        or ``max_epochs`` epochs, whichever comes first (the last epoch may
        then be partial), so that the amount of training stops growing with
        the number of training rows. ``None``: ``max_epochs`` epochs.
        ``n_iter_`` is the number of epochs run, a partial one included.
        (:class:`~skrobustad.RobustAE` splits whole epochs across its rounds.)
    batch_size : int, default=64
    lr : float, default=1e-3
        Learning rate of the Adam optimiser.
    weight_decay : float, default=0.0
        L2 penalty of the optimiser.
    validation_fraction : float in (0, 1) or None, default=None
        Hold out this fraction of the training data to record ``valid_loss``
        in ``history_`` (e.g. for :class:`skorch.callbacks.EarlyStopping`).
        ``None`` trains on everything and records no validation loss.
    device : str or torch.device, default="auto"
        ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda"``,
        ``"cuda:N"``, ``"mps"`` or a :class:`torch.device`. Resolved at fit
        time into ``device_``; an unavailable device raises ``ValueError``.
    random_state : int, RandomState instance or None, default=None
        Controls weight initialisation and data order. The same integer gives
        the same scores on CPU. Torch's global generators are left untouched.
    verbose : {0, 1, 2}, default=0
        0 silent, 1 a progress bar over epochs, 2 one line per epoch.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (copied at fit time, never modified).
    dtype : {"float32", "float64"}, default="float32"
        Floating point precision of the torch module.
    scale : bool, default=True
        Standardise every feature inside the estimator with the mean and
        standard deviation of the training rows (those with non-zero
        ``sample_weight``, counted equally), as PyOD's deep detectors do, so that raw,
        uncentred features work; the fitted scaler is ``scaler_``. ``False``
        feeds ``X`` to the network as it is (for data already scaled).
    """

    _parameter_constraints = {
        "contamination": [StrOptions({"auto"}), Interval(numbers.Real, 0, 0.5, closed="right")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_steps": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": [Interval(numbers.Integral, 0, 2, closed="both")],
        "callbacks": [list, None],
        "dtype": [StrOptions(set(_TORCH_DTYPES))],
        "scale": ["boolean"],
    }

    #: Unsupervised detectors leave labeled anomalies out of training.
    _uses_anomaly_labels = False

    #: Estimators whose labeled anomalies are an outlier-exposure corpus
    #: (ADRA), usually larger than the normal set, set this: no warning when
    #: more than half of ``y_partial`` is 1.
    _labels_are_exposure = False

    #: Subclasses with a ``warm_start`` parameter set this (see ``_initial_module``).
    _has_warm_start = False

    #: Subclasses with a ``batch_norm`` parameter set this: batch norm needs
    #: two samples per training batch, and the last incomplete batch is dropped.
    _has_batch_norm = False

    #: Rows with zero ``sample_weight`` never train (``_training_mask``):
    #: IAD passes them in rather than copying the other rows.
    _skips_zero_weight_rows = True

    def __init__(
        self,
        *,
        contamination="auto",
        max_epochs=100,
        max_steps=None,
        batch_size=64,
        lr=1e-3,
        weight_decay=0.0,
        validation_fraction=None,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        dtype="float32",
        scale=True,
    ):
        self.contamination = contamination
        self.max_epochs = max_epochs
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.dtype = dtype
        self.scale = scale

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _build_module(self, n_features):
        """Return a freshly initialised torch module for ``n_features`` inputs."""

    @abstractmethod
    def _loss(self, output, batch):
        """Per-sample training loss, shape ``(batch,)``."""

    @abstractmethod
    def _score_batch(self, module, X):
        """Per-sample anomaly score of a batch (higher = more abnormal)."""

    def _initialize_module(self, module, data, state):
        """Prepare a new module before training (default: nothing)."""

    def _training_mask(self, y_partial, sample_weight):
        """Boolean mask of the samples the module trains on.

        Samples with zero weight never train. Unless the estimator uses
        anomaly labels, known anomalies (``y_partial == 1``) are left out too.
        """
        mask = sample_weight > 0
        if not self._uses_anomaly_labels:
            mask &= y_partial != LABEL_ANOMALY
        return mask

    def _fit_module(self, data, state):
        """Build (or reuse), train the module; return ``(module, history)``."""
        module = self._initial_module(data, state)
        history = self._train(module, data, state)
        return module, history

    # ------------------------------------------------------------- fit/score
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, y_partial=None, sample_weight=None):
        """Fit the detector.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, possibly contaminated with anomalies.
        y : Ignored
            Not used, present for API consistency (pass labels as
            ``y_partial``).
        y_partial : array-like of shape (n_samples,), default=None
            Partial labels: 1 = known anomaly, 0 = known normal,
            -1 = unlabeled. ``None`` means all unlabeled.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights of the training loss. A zero
            weight removes the sample from training.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        warm = self._has_warm_start and self.warm_start and hasattr(self, "module_")
        return self._fit(X, y, y_partial, sample_weight, warm=warm, method="fit")

    @available_if(lambda est: est._has_warm_start)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, *, y_partial=None, sample_weight=None):
        """Train for one epoch on a chunk of data.

        The first call (on an unfitted estimator) builds the network and
        fits the input scaling on its chunk; every call trains one epoch on
        its chunk, so that one call on ``X`` equals ``fit(X)`` with
        ``max_epochs=1`` (``max_epochs`` and ``max_steps`` are not used).
        Calls after a ``fit`` continue training the fitted network. The
        chunk of the last call sets ``offset_``. Use it to train on data that
        does not fit in memory, chunk by chunk (see the user guide).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : Ignored
        y_partial : array-like of shape (n_samples,), default=None
            Partial labels of the chunk (see :meth:`fit`).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the chunk's samples (see :meth:`fit`).

        Returns
        -------
        self : object
        """
        warm = hasattr(self, "module_")
        if not (warm and hasattr(self, "_partial_fit_seed")):
            # the first call, or the first after a fit(), which was epoch 0
            self._partial_fit_seed = self._draw_seed()
            self._partial_fit_calls = int(warm)
        seed = self._partial_fit_seed + 1_000_003 * self._partial_fit_calls
        loss_curve = list(getattr(self, "loss_curve_", [])) if warm else []
        self._fit(X, y, y_partial, sample_weight, warm=warm, method="partial_fit",
                  seed=seed, max_epochs=1)
        self._partial_fit_calls += 1
        self.loss_curve_ = loss_curve + self.loss_curve_
        self.n_iter_ = len(self.loss_curve_)
        return self

    def _fit(self, X, y, y_partial, sample_weight, *, warm, method, seed=None,
             max_epochs=None):
        """The shared body of :meth:`fit` and :meth:`partial_fit`."""
        if y is not None and y_partial is None:
            warnings.warn(
                f"{type(self).__name__}.{method} ignores the positional y; pass partial "
                "labels as y_partial=... (1 = anomaly, 0 = normal, -1 = unlabeled).",
                LabelsIgnoredWarning,
                stacklevel=3,
            )
        X = self._validate_X(X, reset=not warm)
        y_partial = check_y_partial(
            y_partial, X.shape[0], warn_majority=not self._labels_are_exposure
        )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        self.device_ = resolve_device(self.device)
        _check_callbacks(self.callbacks)
        if seed is None:
            seed = self._draw_seed()
        state = _FitState(seed=seed, warm=warm, max_epochs=max_epochs, n_samples=X.shape[0])

        mask = self._training_mask(y_partial, sample_weight)
        if not np.any(mask):
            raise ValueError(
                "No training samples left: every sample has zero sample_weight or is a "
                "labeled anomaly that this unsupervised detector excludes."
            )
        self._fit_input_scaling(X, sample_weight, mask, state)
        data = self._make_data(X, y_partial, sample_weight, mask, state)
        module, history = self._fit_module(data, state)
        del data  # the training tensors are freed before the training rows are scored
        self.module_, self.history_ = module, history
        self.module_.eval()
        self.loss_curve_ = [float(h["train_loss"]) for h in self.history_ if "train_loss" in h]
        self.n_iter_ = len(self.loss_curve_)

        train_scores = self._anomaly_scores(X, training=True)
        self._check_collapse(train_scores)
        self._set_offset(train_scores)
        return self

    def score_samples(self, X):
        """Normality score of each sample (higher = more normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The negated anomaly score of the detector.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return -self._anomaly_scores(X)

    # --------------------------------------------------------------- helpers
    def _validate_X(self, X, *, reset):
        """Validate ``X`` (2-D floats; sets or checks ``n_features_in_``).

        Estimators taking other shapes (ADRA's images) override this.
        """
        return validate_data(
            self, X, dtype=[np.float64, np.float32], ensure_min_samples=1, reset=reset
        )

    def _draw_seed(self):
        """One integer seed from ``random_state`` (a fit's torch generators derive from it)."""
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    @property
    def _torch_dtype(self):
        return _TORCH_DTYPES[self.dtype]

    def _fit_input_scaling(self, X, sample_weight, mask, state):
        """Fit the input scaling on the training rows (``mask``) of ``X``.

        Standardisation (``scale=True``) with the mean and standard
        deviation of the rows in ``mask``; a warm start keeps the first fit's
        scaler. The statistics are accumulated over chunks of rows
        (``StandardScaler.partial_fit``), so no temporary of the size of
        ``X`` is made; data of at most one chunk (4 MiB) gives exactly the
        scaler of ``StandardScaler().fit``. Subclasses with another scaling override
        this and :meth:`_scale_input`.
        """
        if state.warm and hasattr(self, "scaler_"):
            return
        self.scaler_ = None
        if self.scale:
            # the training rows count equally: with IAD's fractional
            # weights, a weighted scaler moves the input space every round
            # (``iad`` suite, 21 datasets, 3 seeds: IAD(DeepSVDD) above its
            # base on 12 with weighted statistics, 16 with these)
            scaler = StandardScaler()
            for rows in _row_chunks(X, mask):
                scaler.partial_fit(rows)
            self.scaler_ = scaler

    def _scale_input(self, X):
        """``X`` in the network's input space (a new array when scaled)."""
        if self.scaler_ is None:
            return X
        return self.scaler_.transform(X)

    def _training_input(self, X):
        """Rows of ``X`` as the network trains on them (scaled; AESAD also clips)."""
        return self._scale_input(X)

    def _network_input(self, X):
        """Rows of ``X`` scaled into a new tensor of the module's dtype (on the CPU)."""
        return torch.tensor(self._scale_input(X), dtype=self._torch_dtype)

    def _make_data(self, X, y_partial, sample_weight, mask, state):
        """Training tensors on ``device_``: X (scaled), weight (mean 1), y, index.

        The training rows are scaled chunk by chunk into one tensor of the
        module's dtype, a copy (never a view of the caller's array); the
        only full-size buffer is that tensor.
        """
        index = np.flatnonzero(mask)
        weight = sample_weight[index]
        weight = weight / weight.mean()
        rows = torch.empty((index.size, *X.shape[1:]), dtype=self._torch_dtype)
        start = 0
        for chunk in _row_chunks(X, mask):
            rows[start:start + len(chunk)] = torch.from_numpy(
                np.ascontiguousarray(self._training_input(chunk))
            )
            start += len(chunk)
        tensors = {
            "X": rows,
            "weight": torch.as_tensor(weight, dtype=self._torch_dtype),
            "y": torch.as_tensor(y_partial[index], dtype=torch.int8),
            "index": torch.as_tensor(index, dtype=torch.long),
        }
        return BatchData(tensors).to(self.device_)

    def _check_batch_norm(self, n_samples):
        """Batch norm needs two samples in every training batch: say so up front."""
        if not (self._has_batch_norm and self.batch_norm):
            return
        n_train = self._n_train_rows(n_samples)
        if self.batch_size < 2:
            raise ValueError(
                f"{type(self).__name__} with batch_norm=True needs batch_size >= 2 "
                f"(batch norm cannot normalise a batch of one sample); got "
                f"batch_size={self.batch_size}. Use a larger batch_size or batch_norm=False."
            )
        if n_train < 2:
            detail = (
                f" after holding out validation_fraction={self.validation_fraction}"
                if n_train != n_samples
                else ""
            )
            raise ValueError(
                f"{type(self).__name__} with batch_norm=True needs at least 2 training "
                f"samples; got {n_train} sample{detail}. Use batch_norm=False for fewer "
                "samples."
            )

    def _n_train_rows(self, n_samples):
        """Rows left to train on once ``validation_fraction`` is held out."""
        if self.validation_fraction is None:
            return n_samples
        return n_samples - int(round(self.validation_fraction * n_samples))

    def _drop_last(self, n_samples):
        """Whether training drops its last incomplete batch (batch norm only)."""
        return self._has_batch_norm and self.batch_norm and n_samples > self.batch_size

    def _new_module(self, data, state):
        """Build the module on ``device_`` and run ``_initialize_module``."""
        with seeded(state.seed, self.device_):
            # torch's layers draw their initial weights from the global
            # generator: seeded (and locked) for the construction only
            module = self._build_module(data.tensors["X"].shape[1])
            module = module.to(device=self.device_, dtype=self._torch_dtype)
        self._initialize_module(module, data, state)
        return module

    def _initial_module(self, data, state):
        """The module training starts from.

        With a true ``warm_start`` parameter and a fitted module, training
        continues from ``module_`` (already initialised, on ``device_``);
        otherwise a new module is built by :meth:`_new_module`.
        """
        if state.warm:
            return self.module_.to(device=self.device_, dtype=self._torch_dtype)
        return self._new_module(data, state)

    def _epoch_budget(self, n_samples, state):
        """Epochs a fit on ``n_samples`` rows runs: ``max_epochs``, capped by ``max_steps``."""
        if state.max_epochs is not None:
            return state.max_epochs
        if self.max_steps is None:
            return self.max_epochs
        batches = self._batches_per_epoch(n_samples)
        return max(1, min(self.max_epochs, -(-self.max_steps // batches)))

    def _batches_per_epoch(self, n_samples):
        """Training batches in one epoch over ``n_samples`` rows (at least 1)."""
        batches = n_batches(self._n_train_rows(n_samples), self.batch_size,
                            self._drop_last(n_samples))
        return max(batches, 1)

    def _step_budget(self, max_epochs, max_steps, state):
        """The engine's step budget: an explicit one, else the estimator's if it sets epochs."""
        if max_steps is not None:
            return max_steps
        return self.max_steps if max_epochs is None and state.max_epochs is None else None

    def _train(self, module, data, state, *, max_epochs=None, max_steps=None, step_fn=None,
               loss_fn=None, input_fn=None, generator_offset=0, optimizer=None,
               optimizer_kwargs=None, iterator=None, extra_callbacks=()):
        """Train ``module`` with the shared engine and this estimator's settings.

        ``max_epochs`` / ``max_steps`` replace the estimator's budget (a
        given ``max_epochs`` alone trains exactly that many epochs).
        ``loss_fn`` / ``input_fn`` replace ``_loss`` and the module's input
        ``batch["X"]`` (RobustAE's ``X - S``, formed per batch).

        ``optimizer`` / ``optimizer_kwargs`` replace Adam and its
        ``weight_decay`` (ADRA's SGD with momentum), ``iterator`` the
        training batch iterator (ADRA's balanced batches), and
        ``extra_callbacks`` (e.g. a learning-rate schedule) run before the
        user's ``callbacks``.
        """
        self._check_batch_norm(len(data))
        if optimizer_kwargs is None:
            optimizer_kwargs = {"weight_decay": self.weight_decay}
        callbacks = list(extra_callbacks) + list(copy.deepcopy(self.callbacks) or [])
        return train_module(
            module,
            data,
            loss_fn=self._loss if loss_fn is None else loss_fn,
            step_fn=step_fn,
            input_fn=input_fn,
            max_epochs=self._epoch_budget(len(data), state) if max_epochs is None else max_epochs,
            max_steps=self._step_budget(max_epochs, max_steps, state),
            batch_size=self.batch_size,
            lr=self.lr,
            device=self.device_,
            generator=state.generator(generator_offset),
            optimizer=torch.optim.Adam if optimizer is None else optimizer,
            optimizer_kwargs=optimizer_kwargs,
            callbacks=callbacks,
            verbose=self.verbose,
            validation_fraction=self.validation_fraction,
            drop_last=self._drop_last(len(data)),
            name=type(self).__name__,
            iterator_train=iterator,
        )

    def _anomaly_scores(self, X, training=False):
        """Anomaly scores (higher = more abnormal) of validated ``X``.

        Scores are never silently non-finite: NaN raises (at fit time as
        :class:`TrainingDivergedError`), and an overflowing score (``+inf``
        for a point far outside the training data) becomes the largest
        float, so the point ranks as the most anomalous.
        """
        module = self.module_
        module.eval()
        scores = predict_batches(
            lambda xb: self._score_batch(module, xb),
            X,
            batch_size=max(self.batch_size, 1024),
            device=self.device_,
            prepare=self._network_input,  # batch by batch: no scaled copy of X
        )
        if np.all(np.isfinite(scores)):
            return scores
        n_nan = int(np.count_nonzero(np.isnan(scores)))
        if training and n_nan:
            raise TrainingDivergedError(
                f"{type(self).__name__} scores {n_nan} of its {scores.size} training "
                "samples as NaN after training: the network is numerically broken. "
                "Likely causes: input values too large for the network (scale the "
                "features, e.g. with StandardScaler) or a learning rate that is too "
                f"high (lr={self.lr:g})."
            )
        if n_nan:
            raise ValueError(
                f"{type(self).__name__} scores {n_nan} of {scores.size} samples as NaN: "
                "their values are probably far outside the training data for "
                f"{self.dtype} arithmetic (try dtype='float64' or scale the features)."
            )
        finfo = np.finfo(np.float64)
        return np.nan_to_num(scores, posinf=finfo.max, neginf=finfo.min)

    def _check_collapse(self, scores):
        if scores.shape[0] < 2:
            return
        spread = np.ptp(scores)
        if not np.isfinite(spread) or spread <= 1e-10 * max(1.0, float(np.abs(scores).max())):
            warnings.warn(
                f"{type(self).__name__} gives (nearly) constant anomaly scores on its "
                "training data (the model collapsed, or the data has no spread); its "
                "scores cannot rank samples. Try other hidden_dims, lr or max_epochs.",
                ConstantScoresWarning,
                stacklevel=3,
            )

    def _set_offset(self, train_anomaly_scores):
        self.offset_ = offset_from_anomaly_scores(train_anomaly_scores, self.contamination)

    def __sklearn_is_fitted__(self):
        # Fitted means a trained module exists: a fit that raised (a diverged
        # training, Ctrl-C) may have set ``device_`` and other attributes
        # ending in "_" already, which scikit-learn's default test counts.
        return hasattr(self, "module_")

    # ---------------------------------------------------------------- pickle
    def __getstate__(self):
        state = super().__getstate__()
        module = state.get("module_")
        if module is not None:
            on_cpu = all(t.device.type == "cpu" for t in module.state_dict().values())
            if not on_cpu:
                state["module_"] = copy.deepcopy(module).to("cpu")
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        device = getattr(self, "device_", None)
        if getattr(self, "module_", None) is None or device is None:
            return
        try:
            resolve_device(device)
        except ValueError:
            warnings.warn(
                f"This model was fitted on {device}, which is not available here; "
                "it was loaded on the CPU.",
                UserWarning,
                stacklevel=2,
            )
            self.device_ = torch.device("cpu")
        self.module_.to(self.device_)
