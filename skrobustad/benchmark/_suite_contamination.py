"""The ``contamination`` suite: the library's headline benchmark.

What a user gets, at the estimators' **defaults**, when anomalies hide in the
training data, measured as the contamination grows and nothing else changes.

Protocol ``contamination-levels``
    :func:`~skrobustad.datasets.make_contamination_levels` (the ``quick``
    suite's protocol): per dataset one fixed test part (30% of each class)
    and training parts of one size whose contamination is exactly 0, 5, 10,
    20 and 30% (:data:`CONTAMINATION_LEVELS`), at most
    :data:`CONTAMINATION_TRAIN_SAMPLES` rows. No label is given to any
    method. The runner standardises each training part (and the test part
    with the training statistics), as a user's pipeline would.

Datasets
    The ADBench tabular files (:func:`contamination_datasets`) whose
    anomalies allow a 30%-contaminated training part of at least
    :data:`MIN_TRAIN_SAMPLES` rows while their normals allow a clean one of
    the same size. Of the 21 shared files, 17 do; glass, vertebral, WBC
    and wine (9-30 anomalies: 21-70 training rows at 30%) do not, and are
    left out (run them with ``--datasets`` and a smaller ``--set levels``).

Methods
    Every robust method beside its base, each at its class defaults (the
    names are the constructor calls; ``random_state`` is the seed):
    ``AutoEncoder()`` / ``IAD(AutoEncoder())`` / ``RobustAE()``,
    ``DeepSVDD()`` / ``IAD(DeepSVDD())``, ``MAF()`` / ``IAD(MAF())``,
    ``IsolationForest()`` / ``IAD(IsolationForest())``; PyOD's IForest,
    ECOD and AutoEncoder (the core suites' settings). IAD keeps its base's
    seed in every round, so that its round 0 is exactly the base (IAD
    passes no ``sample_weight`` while every weight is 1); its cells record
    ``h(t)`` and the test AUROC of every round in ``extra``
    (:func:`iad_rounds`), which give IAD with fewer rounds without a refit.
    Registered beside them, not in the default run: around each base
    ``IAD(<base>(), beta='median', max_iter=15, selection='min_h')`` (the
    paper's form), ``IAD(<base>(), beta='median', max_iter=1,
    selection='min_h')`` (the defaults' re-weighted round alone),
    ``IAD(<base>(), beta='tukey')`` and ``IAD(<base>(), beta='estimate')``
    (the defaults with another ``beta``), ``IAD(<base>(), tau=0.5)`` and
    ``IAD(<base>(), tau=1.0)`` (the defaults with softer weights) and
    ``IAD(<base>(), beta='tukey', max_iter=15, selection='min_h')`` (IAD's
    earlier defaults).
"""

from functools import partial

import numpy as np

from ..datasets import list_adbench, load_adbench
from ._registry import Method, Suite, register_method, register_suite

#: Training contaminations of the suite.
CONTAMINATION_LEVELS = (0.0, 0.05, 0.1, 0.2, 0.3)

#: Cap on the training parts (the size of the issue's user study).
CONTAMINATION_TRAIN_SAMPLES = 2000

#: Smallest training part a dataset must allow at every level to be in the suite.
MIN_TRAIN_SAMPLES = 150

#: Fraction of each class in the fixed test part.
TEST_SIZE = 0.3


def _largest_train_size(n_normal, n_anomaly, levels=CONTAMINATION_LEVELS, test_size=TEST_SIZE):
    """The training size every level allows (before the whole-number rounding)."""
    normals = n_normal - round(test_size * n_normal)
    anomalies = n_anomaly - round(test_size * n_anomaly)
    low, high = min(levels), max(levels)
    size = normals / (1 - low)
    if high > 0:
        size = min(size, anomalies / high)
    return int(size)


def contamination_datasets(data_home, min_train_samples=MIN_TRAIN_SAMPLES):
    """ADBench tabular datasets that allow every level at ``min_train_samples`` rows.

    The ``datasets`` of the ``contamination`` suite; raises when no ADBench
    file is found, saying where it looked.
    """
    names = []
    for name in list_adbench(data_home, collection="Classical", require=True):
        y = np.asarray(load_adbench(name, data_home=data_home, return_X_y=True)[1])
        n_anomaly = int(y.sum())
        if _largest_train_size(len(y) - n_anomaly, n_anomaly) >= min_train_samples:
            names.append(name)
    return tuple(names)


# ------------------------------------------------------------------- methods
def _default(name, random_state):
    from .. import detectors

    return getattr(detectors, name)(random_state=random_state)


def _isolation_forest(random_state):
    from sklearn.ensemble import IsolationForest

    return IsolationForest(random_state=random_state)


def _iad(make_base, random_state, **params):
    from ..wrappers import IAD

    return IAD(make_base(random_state), **params)


def iad_rounds(iad, split):
    """IAD's selected round, ``h(t)`` and the test AUROC of every round.

    Round ``t`` depends only on the rounds before it (its seed is derived
    from the base's seed and ``t``), so ``IAD(max_iter=T)`` is the first
    ``T + 1`` rounds of the same fit: these columns give the AUROC of every
    shorter IAD without refitting (``tools/measurements/iad_rounds.py``).
    """
    from sklearn.metrics import roc_auc_score

    round_auroc = [
        round(float(roc_auc_score(split.y_test, -np.asarray(m.score_samples(split.X_test)))), 6)
        for m in iad.round_estimators_
    ]
    return {
        "best_iter": None if iad.best_iter_ is None else int(iad.best_iter_),
        "h": [None if np.isnan(h) else int(h) for h in iad.termination_values_],
        "round_auroc": round_auroc,
    }


_BASES = {
    "AutoEncoder": partial(_default, "AutoEncoder"),
    "DeepSVDD": partial(_default, "DeepSVDD"),
    "MAF": partial(_default, "MAF"),
    "IsolationForest": _isolation_forest,
}

for _name, _make in _BASES.items():
    _family = "sklearn" if _name == "IsolationForest" else "skrobustad"
    register_method(
        Method(
            f"{_name}()",
            _make,
            api="sklearn",
            family=_family,
            description=f"{_name} at its defaults (the contamination suite's base).",
        )
    )
    register_method(
        Method(
            f"IAD({_name}())",
            partial(_iad, _make),
            api="sklearn",
            family="skrobustad",
            description=f"skrobustad.IAD at its defaults around {_name} at its defaults.",
            diagnostics=iad_rounds,
        )
    )
    _VARIANTS = {
        "beta='median', max_iter=15, selection='min_h'": (
            dict(beta="median", max_iter=15, selection="min_h"),
            "the paper's form: beta='median', 15 re-weighted rounds, the min-h round",
        ),
        "beta='median', max_iter=1, selection='min_h'": (
            dict(beta="median", max_iter=1, selection="min_h"),
            "the defaults' re-weighted round alone, without round 0 in the score",
        ),
        "beta='tukey'": (
            dict(beta="tukey"),
            "Tukey's fence as beta (the advice where anomalies are rare), one "
            "re-weighted round averaged with round 0 as at the defaults",
        ),
        "beta='estimate'": (
            dict(beta="estimate"),
            "the 1 - c quantile as beta, c estimated each round by Otsu's threshold, "
            "one re-weighted round averaged with round 0 as at the defaults",
        ),
        "beta='tukey', max_iter=15, selection='min_h'": (
            dict(beta="tukey", max_iter=15, selection="min_h"),
            "IAD's earlier defaults: Tukey's fence, 15 re-weighted rounds, the min-h round",
        ),
        **{
            f"tau={_tau}": (
                dict(tau=_tau),
                f"softer weights than the paper's 1 / tau = 4 (tau={_tau}), one "
                "re-weighted round averaged with round 0 as at the defaults",
            )
            for _tau in (0.5, 1.0)
        },
    }
    for _args, (_params, _text) in _VARIANTS.items():
        register_method(
            Method(
                f"IAD({_name}(), {_args})",
                partial(_iad, _make, **_params),
                api="sklearn",
                family="skrobustad",
                description=f"skrobustad.IAD around {_name} at its defaults with {_text}.",
                diagnostics=iad_rounds,
            )
        )
register_method(
    Method(
        "RobustAE()",
        partial(_default, "RobustAE"),
        api="sklearn",
        family="skrobustad",
        description="RobustAE at its defaults (the robust autoencoder beside AutoEncoder()).",
    )
)


# --------------------------------------------------------------------- suite
CONTAMINATION_METHODS = (
    "AutoEncoder()",
    "IAD(AutoEncoder())",
    "RobustAE()",
    "DeepSVDD()",
    "IAD(DeepSVDD())",
    "MAF()",
    "IAD(MAF())",
    "IsolationForest()",
    "IAD(IsolationForest())",
    "pyod.IForest",
    "pyod.ECOD",
    "pyod.AutoEncoder",
)

register_suite(
    Suite(
        "contamination",
        protocol="contamination-levels",
        datasets=contamination_datasets,
        methods=CONTAMINATION_METHODS,
        seeds=(0, 1, 2),
        protocol_kwargs={
            "levels": CONTAMINATION_LEVELS,
            "test_size": TEST_SIZE,
            "max_train_samples": CONTAMINATION_TRAIN_SAMPLES,
            "labeled_anomalies": 0,
        },
        sweep={"contamination": CONTAMINATION_LEVELS},
        description=(
            "The headline benchmark: ADBench tabular datasets whose anomalies allow it "
            f"(17 of the 21 shared files), a fixed test part (30% of each class) and "
            f"training parts of one size per dataset (at most {CONTAMINATION_TRAIN_SAMPLES} "
            "rows, no labels) at exactly 0, 5, 10, 20 and 30% contamination; AUROC on the "
            "test part, 3 seeds. Every robust method beside its base, all at their "
            "defaults: AutoEncoder / IAD / RobustAE, DeepSVDD / IAD, MAF / IAD, "
            "IsolationForest / IAD; PyOD's IForest, ECOD and AutoEncoder."
        ),
    )
)
