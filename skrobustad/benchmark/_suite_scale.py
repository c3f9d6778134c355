"""The ``scale`` suite: the detectors at full training size, on raw features.

Every other ADBench suite caps its training parts at a few thousand rows and
standardises them before a detector sees them. This one does neither, as a
user with a large, raw table would: it trains each method on 3,000, 10,000,
30,000 and 100,000 rows of the training part and on all of it (the learning
curve, :data:`SCALE_TRAIN_SAMPLES`), with the features as the files hold
them, and records the cost beside the accuracy.

Protocol ``unsupervised``
    Stratified 70/30 split per seed (the same test part at every size), an
    unlabeled contaminated training part subsampled (stratified) to the
    size of the cell. A size above the training part trains on all of it
    (``max_train_samples`` = all): the runner fits the shuttle, mammography
    and pendigits cells at those sizes once, with the full-size cell (same
    split, same rows). ``--set
    max_train_samples=None`` runs the full size only.

Datasets
    :data:`SCALE_DATASETS`: ``10_cover`` (200,226 training rows),
    ``32_shuttle`` (34,183), ``23_mammography`` (7,827) and
    ``28_pendigits`` (4,809).

Methods
    Our unsupervised detectors at their defaults and IAD around each, beside
    PyOD's AutoEncoder (the core suites' settings, but with PyOD's own
    input standardisation on: ``preprocessing=True``), IForest and ECOD. The
    deep detectors standardise their input themselves (``scale=True``), as
    PyOD's deep models do; the forest and ECOD need no scaling. (The core
    suites' ``pyod.AutoEncoder`` has ``preprocessing=False``, as they
    standardise every split: on raw cover it scored AUROC .013.)

Report
    AUROC and average precision, then fit seconds, score seconds and the
    peak resident memory of fit + score above the cell's start
    (``peak_rss_mb``, Linux), per dataset and size.
"""

from functools import partial

from ._registry import Method, Suite, register_method, register_suite
from ._suite_contamination import _default, _iad
from ._suite_core import DEEP_PARAMS, _pyod_at_fit

#: Training sizes of the learning curve; None trains on the whole training part.
SCALE_TRAIN_SAMPLES = (3000, 10000, 30000, 100000, None)

#: Datasets of the suite: the largest ADBench tabular files (and two smaller).
SCALE_DATASETS = ("10_cover", "32_shuttle", "23_mammography", "28_pendigits")

register_method(
    Method(
        "IAD(RobustAE())",
        partial(_iad, partial(_default, "RobustAE")),
        api="sklearn",
        family="skrobustad",
        description="skrobustad.IAD at its defaults around RobustAE at its defaults.",
    )
)

register_method(
    Method(
        "pyod.AutoEncoder(preprocessing=True)",
        partial(_pyod_at_fit, "auto_encoder", "AutoEncoder",
                **{**DEEP_PARAMS["pyod.AutoEncoder"], "preprocessing": True}),
        api="pyod",
        family="pyod",
        description=(
            "PyOD's autoencoder with the core suites' settings, standardising its input "
            "itself (PyOD's default), for suites that do not scale the features."
        ),
    )
)  # fmt: skip

SCALE_METHODS = (
    "AutoEncoder()",
    "IAD(AutoEncoder())",
    "DeepSVDD()",
    "IAD(DeepSVDD())",
    "RobustAE()",
    "IAD(RobustAE())",
    "MAF()",
    "IAD(MAF())",
    "pyod.AutoEncoder(preprocessing=True)",
    "pyod.IForest",
    "pyod.ECOD",
)

register_suite(
    Suite(
        "scale",
        protocol="unsupervised",
        datasets=SCALE_DATASETS,
        methods=SCALE_METHODS,
        seeds=(0, 1, 2),
        sweep={"max_train_samples": SCALE_TRAIN_SAMPLES},
        scale=None,
        costs=True,
        description=(
            "Full size, raw data: the largest ADBench tabular files, stratified 70/30, "
            "unlabeled training parts of 3,000, 10,000, 30,000 and 100,000 rows and all "
            "of them (max_train_samples = all; a size above a dataset's training part "
            "trains on all of it), features not scaled by the runner (the deep detectors "
            "standardise internally); AUROC on the 30%, fit and score seconds and peak "
            "memory per cell."
        ),
    )
)
