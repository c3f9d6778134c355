"""Tiny, fast settings of every public estimator for the test suite.

Each entry maps an estimator class to the keyword arguments that make it fit
in well under a second on the small arrays scikit-learn's checks use, and to
the checks expected to fail with the written reason.
"""

from skrobustad import AESAD, MAF, AutoEncoder, DeepSVDD, RobustAE

_STOCHASTIC = (
    "Training by mini-batch SGD is stochastic: an integer weight is not "
    "equivalent to repeating the sample, because the repeated sample changes "
    "the batch composition and the data order."
)

TINY_PARAMS = {
    AutoEncoder: dict(hidden_dims=(4, 2), max_epochs=3, batch_size=32),
    AESAD: dict(hidden_dims=(4, 2), max_epochs=3, batch_size=32),
    DeepSVDD: dict(hidden_dims=(4, 2), max_epochs=3, batch_size=32, lr=1e-3),
    # one round: the engine draws one progress bar per round (test_verbose_levels);
    # tests/test_robust_ae.py reruns the contract checks with several rounds
    RobustAE: dict(hidden_dims=(4, 2), max_epochs=3, n_outer_iter=1, batch_size=32),
    MAF: dict(n_transforms=1, hidden_dims=(4,), max_epochs=3, batch_size=32),
}

EXPECTED_FAILED_CHECKS = {
    AutoEncoder: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    AESAD: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    DeepSVDD: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    RobustAE: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
    MAF: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC},
}


def tiny(cls, device="cpu", **overrides):
    """A fast instance of ``cls`` on ``device`` with a fixed seed."""
    params = {**TINY_PARAMS[cls], "random_state": 0, "device": device, **overrides}
    return cls(**params)
