"""The core protocols, methods and suites of the benchmark.

Protocols (DESIGN.md §5):

- ``unsupervised``: stratified 70/30 split; the detector trains without
  labels on the contaminated 70% and is scored on the 30%.
- ``transductive``: the detector trains without labels on the whole
  contaminated dataset and is scored on the same samples (the IAD paper's
  setting).
- ``semi-supervised``: as ``unsupervised``, with a few training labels
  (10% of the training anomalies and as many normals by default); the
  training contamination can be set to vary the pollution.

Every deep method's hyperparameters are fixed in one place,
:data:`DEEP_PARAMS`: a pair of like-for-like methods (ours and PyOD's
autoencoder; ours and PyOD's Deep SVDD) trains the same network widths for
the same number of epochs with the same batch size and learning rate.

Large datasets are capped: :data:`MAX_TRAIN_SAMPLES` training rows at most
(a stratified draw, recorded in the results as ``n_train``); the test part is
never subsampled.
"""

import importlib
from functools import partial

import numpy as np
from sklearn.utils import check_random_state

from ..datasets import (
    list_adbench,
    make_contaminated_sample,
    make_contaminated_split,
    mask_labels,
)
from ..utils._validation import LABEL_UNLABELED
from ._registry import Method, Split, Suite, register_method, register_protocol, register_suite

#: Training budget of every deep method, ours and PyOD's alike.
EPOCHS = 50
#: Mini-batch size of every deep method.
BATCH_SIZE = 128
#: Hidden widths of every dense network (encoder; decoders mirror them).
HIDDEN_DIMS = (64, 32)

#: Hyperparameters of every deep method, keyed by method name. Pairs share
#: widths, epochs, batch size and learning rate.
DEEP_PARAMS = {
    "AutoEncoder": dict(hidden_dims=HIDDEN_DIMS, max_epochs=EPOCHS, batch_size=BATCH_SIZE, lr=1e-3),
    "pyod.AutoEncoder": dict(
        hidden_neuron_list=list(HIDDEN_DIMS),
        epoch_num=EPOCHS,
        batch_size=BATCH_SIZE,
        lr=1e-3,
        preprocessing=False,  # the suite standardises every split
        verbose=0,
    ),
    # no batch norm, as PyOD's DeepSVDD (skrobustad's default is batch_norm=True)
    "DeepSVDD": dict(
        hidden_dims=HIDDEN_DIMS, batch_norm=False, max_epochs=EPOCHS, batch_size=BATCH_SIZE, lr=1e-4
    ),
    "pyod.DeepSVDD": dict(
        hidden_neurons=list(HIDDEN_DIMS),
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        learning_rate=1e-4,
        preprocessing=False,
        verbose=0,
    ),
    "RobustAE": dict(hidden_dims=HIDDEN_DIMS, max_epochs=EPOCHS, batch_size=BATCH_SIZE, lr=1e-3),
    "MAF": dict(
        n_transforms=5, hidden_dims=(64, 64), max_epochs=EPOCHS, batch_size=BATCH_SIZE, lr=1e-3
    ),
    "pyod.DevNet": dict(epochs=EPOCHS, batch_size=BATCH_SIZE),
}

#: Cap on the training part of the ADBench suites (stratified draw).
MAX_TRAIN_SAMPLES = 3000


# ----------------------------------------------------------------- protocols
def train_info(y_train):
    """A split's ``info``: what the runner cannot read off the split itself.

    The runner records the sizes and label counts from the split's arrays;
    only the training contamination needs the training labels, which a
    :class:`Split` does not hold.
    """
    return {"train_contamination": float(np.mean(y_train)) if y_train.size else float("nan")}


def unsupervised(X, y, *, random_state, test_size=0.3, contamination=None, max_train_samples=None):
    """Stratified split; unlabeled contaminated training part, labeled test part.

    See :func:`~skrobustad.datasets.make_contaminated_split` for the
    parameters.
    """
    X_train, X_test, y_train, y_test = make_contaminated_split(
        X,
        y,
        test_size=test_size,
        contamination=contamination,
        max_train_samples=max_train_samples,
        random_state=random_state,
    )
    y_partial = np.full(y_train.shape[0], LABEL_UNLABELED, dtype=np.int8)
    return Split(X_train, y_partial, X_test, y_test, train_info(y_train))


def transductive(X, y, *, random_state, contamination=None, max_samples=None):
    """Train unlabeled on the whole (optionally resampled) dataset, score it.

    Parameters
    ----------
    contamination : float in [0, 1) or None, default=None
        Resample the anomalies (or normals) to this exact fraction.
    max_samples : int or None, default=None
        Stratified cap on the number of samples.
    """
    X, y = make_contaminated_sample(
        X, y, contamination=contamination, max_samples=max_samples, random_state=random_state
    )
    y_partial = np.full(y.shape[0], LABEL_UNLABELED, dtype=np.int8)
    return Split(X, y_partial, X, y, train_info(y))


def semi_supervised(
    X,
    y,
    *,
    random_state,
    test_size=0.3,
    contamination=None,
    max_train_samples=None,
    labeled_anomalies=0.1,
    labeled_normals="same",
):
    """Contaminated split with a few training labels.

    See :func:`~skrobustad.datasets.make_contaminated_split` and
    :func:`~skrobustad.datasets.mask_labels` for the parameters.
    """
    rng = check_random_state(random_state)
    X_train, X_test, y_train, y_test = make_contaminated_split(
        X,
        y,
        test_size=test_size,
        contamination=contamination,
        max_train_samples=max_train_samples,
        random_state=rng,
    )
    y_partial = mask_labels(
        y_train,
        labeled_anomalies=labeled_anomalies,
        labeled_normals=labeled_normals,
        random_state=rng,
    )
    return Split(X_train, y_partial, X_test, y_test, train_info(y_train))


register_protocol("unsupervised", unsupervised)
register_protocol("transductive", transductive)
register_protocol("semi-supervised", semi_supervised)


# ------------------------------------------------------------------- methods
def _ours(name, random_state, **params):
    """A skrobustad detector by class name (imported when first built)."""
    from .. import detectors

    return getattr(detectors, name)(random_state=random_state, **params)


def _pyod(module, name, random_state, *, seeded=True, **params):
    """A PyOD detector (imported when first built).

    ``seeded=False`` for detectors without a ``random_state`` parameter.
    """
    cls = getattr(importlib.import_module(f"pyod.models.{module}"), name)
    if seeded:
        params["random_state"] = random_state
    return cls(**params)


class _BuildAtFit:
    """A PyOD detector built in ``fit``, once the training data is known.

    PyOD's ``DeepSVDD(n_features, ...)`` needs the number of features in its
    constructor. PyOD's ``AutoEncoder`` drops the last incomplete batch, so a
    training set smaller than one batch would train on nothing: the batch
    size is capped at the number of training samples (the batch our
    estimators use then).
    """

    def __init__(self, make, *, pass_n_features=False, **params):
        self.make = make
        self.pass_n_features = pass_n_features
        self.params = params

    def fit(self, X, y=None):
        params = dict(self.params)
        if "batch_size" in params:
            params["batch_size"] = min(params["batch_size"], X.shape[0])
        if self.pass_n_features:
            params["n_features"] = X.shape[1]
        self.estimator_ = self.make(**params)
        self.estimator_.fit(X, y)
        return self

    def decision_function(self, X):
        return self.estimator_.decision_function(X)


def _pyod_at_fit(module, name, random_state, *, pass_n_features=False, **params):
    return _BuildAtFit(
        partial(_pyod, module, name, random_state), pass_n_features=pass_n_features, **params
    )


_OURS = {
    "AutoEncoder": "Dense autoencoder, reconstruction error.",
    "DeepSVDD": "Deep SVDD (one-class), distance to the hypersphere centre.",
    "RobustAE": "Robust autoencoder separating anomalous attributes.",
    "MAF": "Masked autoregressive flow, negative log-likelihood.",
}
for _name, _description in _OURS.items():
    register_method(
        Method(
            _name,
            partial(_ours, _name, **DEEP_PARAMS[_name]),
            api="sklearn",
            family="skrobustad",
            description=_description,
        )
    )

register_method(
    Method(
        "pyod.IForest",
        partial(_pyod, "iforest", "IForest", n_estimators=100),
        api="pyod",
        family="pyod",
        description="PyOD's isolation forest, 100 trees.",
    )
)
register_method(
    Method(
        "pyod.ECOD",
        partial(_pyod, "ecod", "ECOD", seeded=False),
        api="pyod",
        family="pyod",
        description="PyOD's empirical-CDF outlier detection (deterministic).",
    )
)
register_method(
    Method(
        "pyod.AutoEncoder",
        partial(_pyod_at_fit, "auto_encoder", "AutoEncoder", **DEEP_PARAMS["pyod.AutoEncoder"]),
        api="pyod",
        family="pyod",
        description="PyOD's autoencoder (its default batch norm and dropout 0.2).",
    )
)
register_method(
    Method(
        "pyod.DeepSVDD",
        partial(
            _pyod_at_fit,
            "deep_svdd",
            "DeepSVDD",
            pass_n_features=True,
            **DEEP_PARAMS["pyod.DeepSVDD"],
        ),
        api="pyod",
        family="pyod",
        description="PyOD's Deep SVDD.",
    )
)
register_method(
    Method(
        "pyod.DevNet",
        partial(
            # No random_state in PyOD's DevNet: the runner seeds torch around each cell.
            _pyod,
            "devnet",
            "DevNet",
            seeded=False,
            **DEEP_PARAMS["pyod.DevNet"],
        ),
        api="pyod",
        uses_labels=True,
        family="pyod",
        description="PyOD's deviation network; y = 1 for labeled anomalies, 0 otherwise.",
    )
)


# -------------------------------------------------------------------- suites
def adbench_datasets(data_home, collection="Classical"):
    """Names of the ADBench datasets of ``collection`` found in the data home.

    The ``datasets`` of the ADBench suites; raises when none is found, saying
    where it looked and how to point to the data.
    """
    return tuple(list_adbench(data_home, collection=collection, require=True))


EMBEDDED = ("embedded:digits", "embedded:breast_cancer", "embedded:wine")
UNSUPERVISED_METHODS = (
    "AutoEncoder",
    "DeepSVDD",
    "RobustAE",
    "MAF",
    "pyod.IForest",
    "pyod.ECOD",
    "pyod.AutoEncoder",
    "pyod.DeepSVDD",
)

register_suite(
    Suite(
        "unsupervised",
        protocol="unsupervised",
        datasets=partial(adbench_datasets, collection="Classical"),
        methods=UNSUPERVISED_METHODS,
        seeds=(0, 1, 2, 3, 4),
        protocol_kwargs={"max_train_samples": MAX_TRAIN_SAMPLES},
        description=(
            "ADBench tabular datasets, stratified 70/30, unlabeled contaminated "
            f"training part (at most {MAX_TRAIN_SAMPLES} rows), AUROC on the 30%."
        ),
    )
)
register_suite(
    Suite(
        "transductive",
        protocol="transductive",
        datasets=partial(adbench_datasets, collection="Classical"),
        methods=UNSUPERVISED_METHODS,
        seeds=(0, 1, 2, 3, 4),
        protocol_kwargs={"max_samples": MAX_TRAIN_SAMPLES},
        description=(
            "ADBench tabular datasets, trained unlabeled on all (at most "
            f"{MAX_TRAIN_SAMPLES}) samples and scored on the same samples."
        ),
    )
)
register_suite(
    Suite(
        "semi-supervised",
        protocol="semi-supervised",
        datasets=partial(adbench_datasets, collection="Classical"),
        methods=UNSUPERVISED_METHODS + ("pyod.DevNet",),
        seeds=(0, 1, 2, 3, 4),
        protocol_kwargs={
            "max_train_samples": MAX_TRAIN_SAMPLES,
            "labeled_anomalies": 0.1,
            "labeled_normals": "same",
        },
        description=(
            "ADBench tabular datasets, stratified 70/30, 10% of the training "
            "anomalies and as many normals labeled, natural contamination "
            "(vary it with --set contamination=0.05)."
        ),
    )
)
