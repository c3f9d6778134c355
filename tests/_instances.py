"""Tiny, fast settings of every public estimator for the test suite.

``TINY_PARAMS`` maps each deep detector class to keyword arguments that make
it fit in well under a second on the small arrays scikit-learn's checks use
(the contract tests run on these). ``CHECK_PARAMS`` lists, for *every*
public estimator of ``skrobustad.__all__``, the parameter sets scikit-learn's
common checks run on; ``tests/test_common.py`` fails for a public estimator
without an entry. ``EXPECTED_FAILED_CHECKS`` gives the checks expected to
fail, each with its written reason.
"""

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import IsolationForest

from skrobustad import (
    ADRA, AESAD, ELITE, IAD, MAF, AutoEncoder, DeepSAD, DeepSVDD, MetaRAE, RobustAE,
)
from skrobustad.meta import AdaptedMetaRAE
from skrobustad.nn import ResidualCNN, ResidualMLP

_STOCHASTIC = (
    "Training by mini-batch SGD is stochastic: an integer weight is not "
    "equivalent to repeating the sample, because the repeated sample changes "
    "the batch composition and the data order."
)

_IAD_REWEIGHTS = (
    "IAD re-weights by the anomaly-score statistics of all rows: a repeated "
    "row shifts the median and the min/max spread, so an integer weight is not "
    "equivalent to repeating the row."
)

def tiny_backbone(input_shape):
    """A tiny "pretrained" backbone for ADRA of any input shape (random weights).

    The common checks fit on arrays of many widths: a factory builds a
    backbone for each (a residual MLP for ``(d,)``, a residual CNN for
    ``(C, H, W)``).
    """
    if len(input_shape) == 1:
        return ResidualMLP(input_shape[0], width=4, n_blocks=1)
    return ResidualCNN(input_shape[0], channels=(4,), blocks=1)


TINY_PARAMS = {
    ADRA: dict(backbone=tiny_backbone, n_experts=2, rank=2, head_dim=4, max_epochs=3,
               batch_size=32),
    AutoEncoder: dict(hidden_dims=(4, 2), max_epochs=3, batch_size=32),
    AESAD: dict(hidden_dims=(4, 2), max_epochs=3, batch_size=32),
    DeepSVDD: dict(hidden_dims=(4, 2), max_epochs=3, batch_size=32, lr=1e-3),
    DeepSAD: dict(hidden_dims=(4, 2), max_epochs=3, batch_size=32, lr=1e-3),
    ELITE: dict(hidden_dims=(4, 2), max_epochs=3, batch_size=32, lr=1e-3),
    # one round: the engine draws one progress bar per round (test_verbose_levels);
    # tests/test_robust_ae.py reruns the contract checks with several rounds
    RobustAE: dict(hidden_dims=(4, 2), max_epochs=3, n_outer_iter=1, batch_size=32),
    MAF: dict(n_transforms=1, hidden_dims=(4,), max_epochs=3, batch_size=32),
}


#: MetaRAE's tiny settings (it is not in TINY_PARAMS: the contract tests of
#: tests/test_contract.py fit one array with sample_weight and a training
#: history, while MetaRAE meta-trains on a list of tasks; its own tests are in
#: tests/test_metarae.py).
META_TINY_PARAMS = dict(task_dim=4, code_dim=4, hidden_dim=8, n_inner_iter=3, max_iter=4,
                        eval_every=2, support_size=10, validation_fraction=None)


def toy_tasks(n_features, n_tasks=3, seed=0):
    """Gaussian tasks of width ``n_features``: normals N(0, 1), anomalies shifted by 4."""
    rng = np.random.RandomState(seed)
    X_tasks, y_tasks = [], []
    for t in range(n_tasks):
        X = rng.normal(size=(30, n_features)) + 0.3 * t
        X[:6] += 4.0
        y = np.full(30, -1, dtype=np.int8)
        y[:2], y[6:10] = 1, 0
        X_tasks.append(X)
        y_tasks.append(y)
    return X_tasks, y_tasks


class SelfTrainingAdaptedMetaRAE(AdaptedMetaRAE):
    """The adapted detector of scikit-learn's common checks (tests only).

    scikit-learn's checks fit one array of whatever width they choose; an
    :class:`AdaptedMetaRAE` adapts a MetaRAE meta-trained on that width. This
    subclass changes only where the meta-trained model comes from: at fit
    time it meta-trains a clone of ``meta_estimator`` (tiny, unfitted) on toy
    tasks of the support set's width; validation, adaptation, scoring and
    the offset are :class:`AdaptedMetaRAE`'s own code.
    """

    def _meta_model(self, n_features):
        X_tasks, y_tasks = toy_tasks(n_features)
        return clone(self.meta_estimator).fit(X_tasks, y_partial=y_tasks)


def _tiny_ae(**overrides):
    return AutoEncoder(**{**TINY_PARAMS[AutoEncoder], "device": "cpu", **overrides})


#: Parameter sets of scikit-learn's common checks, per public estimator.
#: AESAD with ``image_shape`` is not among them: it fixes the number of
#: features, and the checks fit on arrays of many widths; its convolutional
#: path has its own tests in tests/test_aesad.py.
CHECK_PARAMS = {
    # scale=True: on make_blobs' raw coordinates (up to +-10) the tiny random
    # backbone's seed-0 scores have no point beyond Tukey's fence, which
    # check_outliers_fit_predict requires of contamination="auto"; the
    # default scale=False is covered by the contract tests and tests/test_adra.py
    # (one set: the checks cost ~15 s per set; K = 1, layers="linear" and
    # per-task batch norm are covered in tests/test_adra.py)
    ADRA: [dict(scale=True)],
    AutoEncoder: [
        {},
        # the plain network: no batch norm or dropout, linear code
        dict(batch_norm=False, dropout=0.0, activate_code=False),
    ],
    AESAD: [{}, dict(batch_norm=True, target_transform="threshold")],
    DeepSVDD: [{}, dict(batch_norm=False, pretrain_epochs=1)],
    DeepSAD: [{}, dict(loss="hinge", batch_norm=True, pretrain_epochs=1)],
    # the checks fit without labels (the unsupervised backbone): Tukey's fence
    # ("auto") flags no point of their data for the autoencoder backbone
    ELITE: [{}, dict(backbone="ae", margin="labeled-max", contamination=0.1)],
    RobustAE: [{}, dict(n_outer_iter=2, batch_norm=False, dropout=0.0)],
    MAF: [{}],
    # the checks run on the adapted detector (see SelfTrainingAdaptedMetaRAE)
    # (svdd in float64: ||c - W h||^2 cancels, and float32 kernels round a row
    # differently by its position, which the sample-order checks see)
    MetaRAE: [{}, dict(score="svdd", dtype="float64")],
    IAD: [
        dict(estimator=IsolationForest(n_estimators=10), max_iter=1),
        dict(estimator=IsolationForest(n_estimators=10), max_iter=1, selection="average"),
        dict(estimator=_tiny_ae(max_epochs=1), max_iter=1),
        dict(estimator=_tiny_ae(max_epochs=1), max_iter=1, n_estimators=2),
    ],
}

EXPECTED_FAILED_CHECKS = {
    ADRA: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    AutoEncoder: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    AESAD: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    DeepSVDD: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    DeepSAD: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    ELITE: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    RobustAE: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    MAF: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    IAD: {"check_sample_weight_equivalence_on_dense_data": _IAD_REWEIGHTS},
}


def tiny(cls, device="cpu", **overrides):
    """A fast instance of ``cls`` on ``device`` with a fixed seed."""
    params = {**TINY_PARAMS[cls], "random_state": 0, "device": device, **overrides}
    return cls(**params)


def check_instances():
    """Every estimator of ``CHECK_PARAMS`` with each of its parameter sets."""
    out = []
    for cls, param_sets in CHECK_PARAMS.items():
        for params in param_sets:
            if cls is MetaRAE:
                meta = MetaRAE(**{**META_TINY_PARAMS, "random_state": 0, "device": "cpu",
                                  **params})
                out.append(SelfTrainingAdaptedMetaRAE(meta))
            elif cls in TINY_PARAMS:
                out.append(tiny(cls, **params))
            else:
                out.append(cls(**{"random_state": 0, **params}))
    return out
