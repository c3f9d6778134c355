"""Tiny, fast settings of every public estimator for the test suite.

``TINY_PARAMS`` maps each deep detector class to keyword arguments that make
it fit in well under a second on the small arrays scikit-learn's checks use
(the contract tests run on these). ``CHECK_PARAMS`` lists, for *every*
public estimator of ``skrobustad.__all__``, the parameter sets scikit-learn's
common checks run on; ``tests/test_common.py`` fails for a public estimator
without an entry. ``EXPECTED_FAILED_CHECKS`` gives the checks expected to
fail, each with its written reason.
"""

from sklearn.ensemble import IsolationForest

from skrobustad import ADRA, AESAD, IAD, MAF, AutoEncoder, DeepSVDD, RobustAE
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
    # one round: the engine draws one progress bar per round (test_verbose_levels);
    # tests/test_robust_ae.py reruns the contract checks with several rounds
    RobustAE: dict(hidden_dims=(4, 2), max_epochs=3, n_outer_iter=1, batch_size=32),
    MAF: dict(n_transforms=1, hidden_dims=(4,), max_epochs=3, batch_size=32),
}


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
    DeepSVDD: [{}, dict(batch_norm=True, pretrain_epochs=1)],
    RobustAE: [{}, dict(n_outer_iter=2, batch_norm=True)],
    MAF: [{}],
    IAD: [
        dict(estimator=IsolationForest(n_estimators=10), max_iter=1),
        dict(estimator=_tiny_ae(max_epochs=1), max_iter=1),
        dict(estimator=_tiny_ae(max_epochs=1), max_iter=1, n_estimators=2),
    ],
}

EXPECTED_FAILED_CHECKS = {
    ADRA: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    AutoEncoder: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    AESAD: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    DeepSVDD: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
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
            if cls in TINY_PARAMS:
                out.append(tiny(cls, **params))
            else:
                out.append(cls(**{"random_state": 0, **params}))
    return out
