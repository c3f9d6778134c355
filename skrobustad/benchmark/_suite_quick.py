"""The ``quick`` suite: the library's main job, on data scikit-learn ships.

What skrobustad is for, measured in about 1.5 minutes on 2 CPU cores with no
download: detectors trained on **contaminated** data, each robust method
beside the detector it makes robust, and PyOD's baselines.

Protocol ``contamination-levels``
    :func:`~skrobustad.datasets.make_contamination_levels`: a fixed test part
    (30% of each class, the same at every level) and training parts of one
    size per dataset whose contamination is exactly the level (the levels
    swap normal training samples for anomalies, the rest is shared).
    ``labeled_anomalies`` of the training anomalies are labeled
    (``y_partial = 1``, every other sample unlabeled); the runner gives these
    labels only to the methods that use labels (``uses_labels=True``: AESAD
    here), the others are fitted on the features alone.

Datasets
    The embedded tasks with every anomaly kept
    (``dataset_kwargs={"contamination": None}``), so that 20% is possible:

    ============== ======= ========= ======================== ==============
    task           normals anomalies test part (normals+anom.) training part
    ============== ======= ========= ======================== ==============
    digits (0)     178     1619      53 + 486                 120 rows
    breast_cancer  357     212       107 + 64                 260 rows
    wine           119     59        36 + 18                  80 rows
    ============== ======= ========= ======================== ==============

    At 5% / 20% the training parts hold 6 / 24 (digits), 13 / 52 (breast
    cancer) and 4 / 16 (wine) anomalies. The lowest level bounds the size
    (it needs the most normals): wine's 83 normal training samples allow
    at most 87 rows at 5%, and 80 is the largest size that makes both levels
    whole numbers. Levels the data cannot give (e.g. a clean 0% level keeps
    the sizes; 50% would need 40 of wine's 41 training anomalies) raise an
    error naming the counts.

Methods
    ``AutoEncoder``, ``DeepSVDD`` and ``RobustAE``: the core suites'
    (:data:`~skrobustad.benchmark._suite_core.DEEP_PARAMS`, 50 epochs, MLP
    (64, 32)); ``IAD(AutoEncoder)`` and ``IAD(DeepSVDD)``: IAD with the
    paper's settings (15 rounds from scratch, ``1 / tau = 4``, beta = median,
    the round of smallest ``h``) around exactly those detectors;
    ``AESAD`` (AE-SAD's suites: 200 epochs, batches of max(32, n / 16)) with
    :data:`QUICK_LABELED_ANOMALIES` labeled anomalies; PyOD's IForest, ECOD,
    AutoEncoder and DeepSVDD (the same widths, epochs, batch size and
    learning rate as ours).
"""

from functools import partial

from sklearn.utils import check_random_state

from ..datasets import make_contamination_levels, mask_labels
from ._registry import Method, Split, Suite, register_method, register_protocol, register_suite
from ._suite_core import DEEP_PARAMS, EMBEDDED, _ours, train_info
from ._suite_iad import IAD_PARAMS

#: Training contaminations of the quick suite.
QUICK_LEVELS = (0.05, 0.2)

#: Training anomalies labeled for the methods that use labels. Five would be
#: every anomaly but none of wine's training part at 5% (it holds 4).
QUICK_LABELED_ANOMALIES = 3


# ------------------------------------------------------------------ protocol
def contamination_levels(
    X,
    y,
    *,
    random_state,
    contamination=QUICK_LEVELS[0],
    levels=QUICK_LEVELS,
    test_size=0.3,
    max_train_samples=None,
    labeled_anomalies=QUICK_LABELED_ANOMALIES,
):
    """One level of :func:`~skrobustad.datasets.make_contamination_levels`.

    The split of ``random_state`` depends on ``levels`` (which fix the
    training size), never on ``contamination``: the test part is the same at
    every level. ``contamination`` is added to ``levels`` when missing.

    Parameters
    ----------
    contamination : float in [0, 1), default=0.05
        Contamination of the training part.
    levels : tuple of float, default=(0.05, 0.2)
        Every level of the study (the training parts share their size).
    test_size : float, default=0.3
    max_train_samples : int or None, default=None
    labeled_anomalies : int or float, default=3
        Training anomalies labeled 1 in ``y_partial_train`` (see
        :func:`~skrobustad.datasets.mask_labels`); no normal is labeled.
    """
    levels = sorted({float(c) for c in levels} | {float(contamination)})
    rng = check_random_state(random_state)
    X_test, y_test, train = make_contamination_levels(
        X, y, levels=levels, test_size=test_size, max_train_samples=max_train_samples,
        random_state=rng,
    )  # fmt: skip
    X_train, y_train = train[levels.index(float(contamination))]
    y_partial = mask_labels(
        y_train, labeled_anomalies=labeled_anomalies, labeled_normals=0, random_state=rng
    )
    return Split(X_train, y_partial, X_test, y_test, train_info(y_train))


register_protocol("contamination-levels", contamination_levels)


# ------------------------------------------------------------------- methods
def _iad_around(name, random_state, **params):
    """IAD (:data:`~skrobustad.benchmark._suite_iad.IAD_PARAMS`) around the
    core suites' method ``name``, seeded as that method is."""
    from ..wrappers import IAD

    return IAD(_ours(name, random_state, **DEEP_PARAMS[name]), **{**IAD_PARAMS, **params})


for _name in ("AutoEncoder", "DeepSVDD"):
    register_method(
        Method(
            f"IAD({_name})",
            partial(_iad_around, _name),
            api="sklearn",
            family="skrobustad",
            description=(
                f"IAD (15 rounds from scratch, min-h round) around the {_name} method "
                "(same network and epochs)."
            ),
        )
    )


# --------------------------------------------------------------------- suite
QUICK_METHODS = (
    "AutoEncoder",
    "IAD(AutoEncoder)",
    "RobustAE",
    "DeepSVDD",
    "IAD(DeepSVDD)",
    "AESAD",
    "pyod.IForest",
    "pyod.ECOD",
    "pyod.AutoEncoder",
    "pyod.DeepSVDD",
)

register_suite(
    Suite(
        "quick",
        protocol="contamination-levels",
        datasets=EMBEDDED,
        methods=QUICK_METHODS,
        seeds=(0, 1, 2),
        protocol_kwargs={"levels": QUICK_LEVELS, "labeled_anomalies": QUICK_LABELED_ANOMALIES},
        sweep={"contamination": QUICK_LEVELS},
        dataset_kwargs={"contamination": None},
        description=(
            "Contaminated training data, the library's main job: scikit-learn's digits, "
            "breast cancer and wine as anomaly tasks (every anomaly kept); a fixed test "
            "part (30% of each class) and training parts of one size per dataset (120, "
            "260, 80 rows) at exactly 5% and 20% contamination; AUROC on the test part, "
            "3 seeds. Each robust method beside its base: AutoEncoder / IAD(AutoEncoder) / "
            "RobustAE, DeepSVDD / IAD(DeepSVDD) (bases: MLP (64, 32), 50 epochs; IAD: "
            "15 rounds from scratch), AESAD given 3 labeled training anomalies (the only "
            "method given labels); PyOD's IForest, ECOD, AutoEncoder, DeepSVDD. About 1.5 "
            "minutes on 2 CPU cores (IAD: 60% of it)."
        ),
    )
)
