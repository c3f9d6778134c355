"""Iterative Anomaly Detection: importance re-weighting around any detector.

IAD (Kim et al., "An Iterative Method for Unsupervised Robust Anomaly
Detection under Data Contamination", IEEE TNNLS) fits a base detector
several times. After each round the training samples are re-weighted by a
sigmoid of their anomaly scores (Eqs. 12-14 of the paper), so that likely
anomalies teach the next round less; the round whose scores moved least
across the median (the termination value ``h``, Eqs. 15-16) is kept.

The wrapper is model-agnostic: it needs only ``fit(X, sample_weight=...)``
and ``score_samples`` (higher = more normal) from the base estimator, so it
imports no deep learning framework itself.
"""

import copy
import numbers
import warnings

import numpy as np
from scipy.special import expit
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.ensemble import BaseEnsemble, IsolationForest
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._metadata_requests import _routing_enabled
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from ..exceptions import ConstantScoresWarning, LabelsIgnoredWarning, WeightsIgnoredWarning
from ..utils._scores import OffsetOutlierMixin, offset_from_anomaly_scores, tukey_fence

__all__ = ["IAD", "importance_weights", "median_crossings", "otsu_contamination"]

_LABEL_ANOMALY = 1
_LABEL_NORMAL = 0


def _weighting_scores(anomaly, likelihood):
    """The anomaly scores IAD's weights come from: ``-p(x)`` or ``anomaly`` itself.

    With ``likelihood``, ``anomaly`` is ``-log p(x)`` and the result
    ``-exp(log p - max log p)``, a positive multiple of ``-p(x)``: the
    weights, the quantiles and Otsu's threshold do not change under it, and
    it cannot overflow.
    """
    if not likelihood:
        return anomaly
    return -np.exp(anomaly.min() - anomaly)


def _final_step(estimator):
    """The estimator a (nested) Pipeline ends in, and the step names leading to it."""
    path = []
    while isinstance(estimator, Pipeline):
        name, estimator = estimator.steps[-1]
        path.append(name)
    return estimator, path


def _fit_params_for(estimator, params):
    """``fit`` keyword arguments that hand ``params`` to ``estimator``'s final step.

    A plain estimator takes them as they are. A Pipeline takes
    ``"<step>__<name>"`` keys when metadata routing is off; with routing on
    (``sklearn.set_config(enable_metadata_routing=True)``) it takes the plain
    names and routes them to the steps that request them (IAD requests them
    for the final step of its own clones, see :func:`_request_for_final_step`).
    """
    _, path = _final_step(estimator)
    if not path or _routing_enabled():
        return dict(params)
    prefix = "__".join(path)
    return {f"{prefix}__{name}": value for name, value in params.items()}


def _request_for_final_step(estimator, names):
    """With metadata routing on, route ``names`` to the final step of a Pipeline.

    Only requests the user left unset are changed, and only on IAD's clone,
    never on the user's object: the final step requests ``names`` and the
    steps before it that could take them do not (IAD's importance weights
    are meant for the detector; a StandardScaler before it keeps its plain
    fit unless the user requests ``sample_weight`` for it).
    """
    if not isinstance(estimator, Pipeline) or not _routing_enabled():
        return
    *head, (_, final) = estimator.steps
    for _, step in head:
        _set_unset_requests(step, names, False)
    if isinstance(final, Pipeline):
        _request_for_final_step(final, names)
    else:
        _set_unset_requests(final, names, True)


def _set_unset_requests(step, names, value):
    if step is None or step == "passthrough" or not hasattr(step, "set_fit_request"):
        return
    requests = step._get_metadata_request().fit.requests
    unset = {name: value for name in names if name in requests and requests[name] is None}
    if unset:
        step.set_fit_request(**unset)


def importance_weights(anomaly_scores, *, tau=0.25, beta=None):
    """Importance weights of the IAD update rule (Kim et al., Eqs. 12-14).

    ``w_i = 1 / (1 + exp(alpha * (s_i - beta)))`` with
    ``alpha = 1 / (tau * min(beta - s_min, s_max - beta))``: the sample with
    the lowest (highest) anomaly score gets a weight near 1 (near 0) and a
    sample scored exactly ``beta`` gets 0.5. Nothing is clipped, so weights
    of far outliers reach 0 (and of the most normal samples, 1) to machine
    precision.

    Parameters
    ----------
    anomaly_scores : array-like of shape (n_samples,)
        Anomaly scores, higher = more abnormal.
    tau : float > 0, default=0.25
        Temperature; the paper uses ``1 / tau = 4``. Smaller values give
        harder (closer to 0 / 1) weights.
    beta : float or None, default=None
        Score at which the weight is 0.5; ``None`` is the median (Eq. 14).

    Returns
    -------
    weights : ndarray of shape (n_samples,)
        Weights in [0, 1]. Constant scores give weights of 1 (nothing to
        tell the samples apart).
    """
    s = np.asarray(anomaly_scores, dtype=np.float64)
    if beta is None:
        beta = np.median(s)
    s_min, s_max = s.min(), s.max()
    spread = min(beta - s_min, s_max - beta)
    if not spread > 0:
        # more than half of the samples tie at one end: use the other side
        spread = max(beta - s_min, s_max - beta)
    if not (np.isfinite(spread) and spread > 0):
        return np.ones_like(s)
    # alpha = 1 / (tau * spread), applied as a division: 1 / tiny overflows
    # to inf, and inf * 0 would make the weight of a sample at beta NaN
    return expit(-(s - beta) / (tau * spread))


def median_crossings(previous_scores, scores):
    """Termination value ``h``: samples whose rank crossed the median (Eqs. 15-16).

    Samples are ranked by anomaly score in ascending order (rank 1 = most
    normal; tied scores share their average rank). A sample counts when its
    rank is below ``ceil(n / 2)`` in one round and above it in the other.

    Parameters
    ----------
    previous_scores, scores : array-like of shape (n_samples,)
        Anomaly scores of the same samples in rounds ``t - 1`` and ``t``.

    Returns
    -------
    h : int
    """
    previous = rankdata(previous_scores, method="average")
    current = rankdata(scores, method="average")
    half = np.ceil(len(current) / 2)
    crossed = ((current < half) & (previous > half)) | ((current > half) & (previous < half))
    return int(np.count_nonzero(crossed))


def otsu_contamination(anomaly_scores):
    """Estimate the fraction of anomalies by Otsu's threshold on the scores.

    The threshold maximises the between-class variance of the two groups of
    scores it separates (Otsu, 1979), searched exactly over the sorted
    scores; the estimate is the fraction of samples above it, clipped to
    ``[1 / n_samples, 0.5]``.

    It is a rough estimate, and biased upwards when anomalies are rare:
    Otsu's split balances two groups, so with a few percent of anomalies it
    cuts into the normals' tail. On the 21 ADBench tabular datasets of the
    shared data, with :class:`~sklearn.ensemble.IsolationForest` scores of
    the whole dataset (at most 20,000 rows), the mean absolute error was
    0.149, the median ratio estimate / true rate 2.9, and 8 of 21 estimates
    were within a factor of 2 (``10_cover``: true 0.009, estimate 0.277;
    ``18_Ionosphere``: 0.359 and 0.359). Use it to order contamination
    levels, not as a calibrated rate.

    Parameters
    ----------
    anomaly_scores : array-like of shape (n_samples,)
        Anomaly scores, higher = more abnormal.

    Returns
    -------
    contamination : float
    """
    s = np.sort(np.asarray(anomaly_scores, dtype=np.float64))
    n = s.shape[0]
    if n < 2 or not s[-1] > s[0]:
        return 0.5 if n < 2 else 1.0 / n
    # split after position k - 1: the low group is s[:k], k = 1..n-1, only
    # where consecutive scores differ
    k = np.flatnonzero(np.diff(s) > 0) + 1
    centred = s - s.mean()
    low_sum = np.cumsum(centred)[k - 1]
    # between-class variance up to constant factors: S_low^2 / (k (n - k))
    between = low_sum**2 / (k * (n - k))
    n_low = k[np.argmax(between)]
    return float(np.clip((n - n_low) / n, 1.0 / n, 0.5))


class _MedianScaledEnsemble(OffsetOutlierMixin, BaseEstimator):
    """Average of detectors whose anomaly scores are scaled to median 1.

    The ensemble of Table V of the IAD paper. Member ``k``'s anomaly score
    ``a_k`` is divided by its median on the training data; members whose
    training scores are not all positive (e.g. negative log-likelihoods) are
    first shifted so that their training minimum is 0.

    The members are fitted already (by IAD); :meth:`fit` only computes the
    shifts and scales from the training data ``X``.

    Parameters
    ----------
    estimators : list of fitted outlier detectors
    contamination : "auto" or float in (0, 0.5], default="auto"
        Sets ``offset_`` from the training scores, as in :class:`IAD`.

    Attributes
    ----------
    estimators_ : list of fitted outlier detectors
    shifts_, scales_ : ndarray of shape (n_estimators,)
    offset_ : float
    """

    def __init__(self, estimators, contamination="auto"):
        self.estimators = estimators
        self.contamination = contamination

    def fit(self, X, y=None):
        """Compute each member's shift and median scale on the training data ``X``."""
        self.estimators_ = list(self.estimators)
        self.shifts_ = np.zeros(len(self.estimators_))
        self.scales_ = np.ones(len(self.estimators_))
        for k, est in enumerate(self.estimators_):
            a = -np.asarray(est.score_samples(X), dtype=np.float64)
            shift = 0.0 if a.min() >= 0 else a.min()
            median = np.median(a - shift)
            self.shifts_[k] = shift
            self.scales_[k] = median if median > 0 else 1.0
        self.offset_ = offset_from_anomaly_scores(-self.score_samples(X), self.contamination)
        return self

    def score_samples(self, X):
        """Minus the mean of the members' scaled anomaly scores (higher = more normal)."""
        check_is_fitted(self)
        anomaly = np.zeros(len(X))
        for est, shift, scale in zip(self.estimators_, self.shifts_, self.scales_):
            anomaly += (-np.asarray(est.score_samples(X), dtype=np.float64) - shift) / scale
        return -anomaly / len(self.estimators_)


class IAD(OffsetOutlierMixin, MetaEstimatorMixin, BaseEstimator):
    """Iterative importance re-weighting of a detector on contaminated data.

    IAD (Kim et al.) turns any outlier detector whose ``fit`` accepts
    ``sample_weight`` into one that is robust to anomalies in its training
    data. Round 0 fits the estimator as usual. Each following round fits a
    new copy with the importance weights

    ``w_i = 1 / (1 + exp(alpha * (s_i - beta)))``,
    ``alpha = 1 / (tau * min(beta - s_min, s_max - beta))``

    computed from the previous round's anomaly scores ``s`` (the negated
    ``score_samples``), ``beta`` being their median (Eqs. 12-14). After each
    round ``t >= 1`` the termination value ``h(t)``, the number of samples
    whose rank crossed the median between rounds ``t - 1`` and ``t``
    (Eqs. 15-16), is recorded. The paper runs 15 rounds and keeps the round
    with the smallest ``h`` (``max_iter=15, selection="min_h"``). The
    defaults here are cheaper and hedged (beyond the paper): one re-weighted
    round, scored together with the unweighted round 0 (the average of
    their median-scaled anomaly scores), two fits of the estimator in all.

    Why (``contamination`` suite: 17 ADBench datasets, a fixed test part,
    training parts of at most 2,000 rows at 0 / 5 / 10 / 20 / 30%
    contamination, 3 seeds, every base at its defaults; mean test AUROC
    minus the base's): around ``AutoEncoder()`` the defaults gain -.006 /
    +.015 / +.010 / +.008 / +.009, around ``DeepSVDD()`` -.006 / +.008 /
    +.012 / +.016 / +.013, around ``MAF()`` -.002 / +.008 / +.003 / +.003 /
    -.001, around ``IsolationForest()`` -.014 / -.005 / -.002 / .000 / .000;
    the paper's form (15 rounds, min-h round) with Tukey's fence as ``beta``
    gained -.012 / -.002 / +.001 / -.003 / -.007 around the autoencoder and
    -.006 to -.001 around MAF at 8 times the cost, and the re-weighted round
    alone (``selection="min_h"``) -.012 at 0% around the autoencoder: round
    0 is what keeps clean data within .01 of the base. IAD cannot rank its
    training anomalies better than its base does (a base's AUROC on its own
    training part is within .01 of its test AUROC at every level), so the
    gains are small, and around IsolationForest there are none (the forest
    uses the weights only to draw its subsamples, and on 256 rows or fewer it
    draws every row: IAD warns with
    :class:`~skrobustad.exceptions.WeightsIgnoredWarning` when a re-weighted
    round scores the training data exactly as round 0 did). Where
    anomalies are rare (``10_cover``, 1%, 3,000 rows, 10 seeds) the defaults
    cost Deep SVDD .014 AUROC, ``beta="tukey"`` (one round averaged with
    round 0, as at the defaults) .0005 (.002 at 30,000 rows), and Tukey's
    fence with 15 rounds .004: with little or no contamination expected, use
    ``beta="tukey"`` or the plain estimator.

    Read more in the :ref:`User Guide <iad>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        An outlier detector with ``fit(X, sample_weight=...)`` and
        ``score_samples`` (higher = more normal): skrobustad's deep
        detectors, :class:`~sklearn.ensemble.IsolationForest`,
        :class:`~sklearn.svm.OneClassSVM`, ... Each round fits a clone (or,
        with ``warm_start``, a copy of the previous round). ``None`` uses
        ``IsolationForest(random_state=...)``, which needs no deep learning
        framework and is fast (its ``sample_weight`` drives which samples
        each tree is grown on).
    max_iter : int, default=1
        Number of re-weighted rounds ``T`` after the unweighted round 0, so
        the estimator is fitted ``max_iter + 1`` times (``n_estimators``
        times as many for an ensemble). The paper uses 15 on tabular data
        and 10 on images. ``0`` fits the plain estimator. ``IAD(max_iter=T)``
        is the first ``T + 1`` rounds of a longer fit (same seeds, same
        weights); on the 21-dataset ``iad`` suite (natural contamination, 3
        seeds, the paper's other settings: ``beta="median"``, the min-h
        round) 1 round scored .782 around Deep SVDD, .801 around the
        autoencoder and .771 around MAF, 3 rounds .784 / .803 / .774, 15
        rounds .782 / .799 / .777 (bases .758 / .783 / .750).
    tau : float > 0, default=0.25
        Temperature of the weight update; the paper's ``1 / tau = 4``. A
        larger ``tau`` gives softer weights: the most normal sample gets
        ``1 / (1 + e^{-1 / tau})`` (0.98 at 0.25, 0.88 at 0.5, 0.73 at 1)
        and the normals just above ``beta`` lose less weight, so clean data
        costs less and contaminated data gains less. Measured at the other
        defaults on the ``contamination`` suite (17 datasets, 3 seeds, mean
        test AUROC minus the base's at 0 / 5 / 10 / 20 / 30%; every row in
        the :ref:`User Guide <iad>`): around the autoencoder -.006 / +.015 /
        +.010 / +.008 / +.009 at ``tau=0.25``, -.004 / +.010 / +.008 / +.006
        / +.005 at 0.5, -.003 / +.005 / +.005 / +.002 / +.002 at 1.0;
        around Deep SVDD -.006 / +.008 / +.012 / +.016 / +.013, -.004 /
        +.007 / +.010 / +.015 / +.012 and -.002 / +.006 / +.007 / +.012 /
        +.010. Averaged over the levels at ``tau`` 0.25 / 0.5 / 1.0, the
        paper's 0.25 gains the most around every deep base (+.0072 / +.0049
        / +.0022 around the autoencoder, +.0087 / +.0079 / +.0064 around
        Deep SVDD, +.0023 / +.0009 / -.0003 around MAF), and stays the
        default; softer weights help only IsolationForest (-.0041 / -.0026
        / -.0014). Where anomalies are rare a larger ``tau`` costs less: on
        ``10_cover`` (1% anomalies, paired with round 0 as below)
        ``IAD(DeepSVDD())`` loses .0139 / .0082 / .0034 at 3,000 rows (seeds
        0-9) and .0096 / .0066 / .0045 at 30,000 rows (seeds 0-2) at
        ``tau`` 0.25 / 0.5 / 1.0 (``beta="tukey"`` costs less still).
    beta : {"median", "tukey", "estimate"} or float in (0, 0.5], default="median"
        Where a sample's weight is 0.5. ``"median"``: the median anomaly
        score (the paper, Eq. 14). It treats half of the data as suspicious
        whatever the contamination, so a re-weighted round alone gains under
        contamination and loses on clean data (one round around the
        autoencoder on the ``contamination`` suite: -.012 at 0%, +.016 at
        5%); the default ``selection="average"`` keeps round 0 in the score
        to hedge that. ``"tukey"`` (beyond the paper): Tukey's fence ``Q3 +
        1.5 (Q3 - Q1)`` of the scores, the rule of ``contamination="auto"``,
        so only samples that look like outliers are down-weighted and clean
        data is left almost as it is; it gains little under contamination
        (15 rounds, min-h round: -.012 / -.002 / +.001 / -.003 / -.007
        around the autoencoder at 0-30%, -.005 / +.007 / +.006 / +.013 /
        +.004 around Deep SVDD), and is the better choice where anomalies
        are rare: on ``10_cover`` (1% anomalies, raw features, 3,000 /
        30,000 training rows), paired with its own round 0 (IAD keeps the
        base's seed, so round 0 is the base; Deep SVDD's AUROC spreads
        .84-.955 over model seeds on one split, which unpaired comparisons
        mix in), ``IAD(DeepSVDD(), beta="tukey", max_iter=15,
        selection="min_h")`` scored .903 / .906 against DeepSVDD() .907 /
        .909 over seeds 0-9 (-.004 / -.003), the defaults -.014 (3,000
        rows, seeds 0-9) and -.010 (30,000 rows, seeds 0-2), ``"median"``
        with 15 rounds and the min-h round .827 / .832 (it lowers the
        normals' mean weight to about 0.5; see
        ``tools/measurements/iad_cover_paired.py``). ``"estimate"``: the ``1
        - c`` quantile of the scores, ``c`` being the fraction of anomalies
        estimated each round from the scores by Otsu's threshold (see
        :func:`~skrobustad.wrappers.otsu_contamination`; beyond the paper;
        the estimate is biased upwards when anomalies are rare). A float
        ``c``: the ``1 - c`` quantile for a known contamination ``c``.
    selection : {"average", "min_h", "last"}, default="average"
        Which model becomes ``estimator_``. ``"average"`` (beyond the
        paper): all rounds together, their anomaly scores each shifted and
        scaled to median 1 on the training data and averaged (the scaling
        of the ensemble, ``n_estimators``), so the unweighted round 0
        hedges the re-weighted ones; ``best_iter_`` is then None.
        ``"min_h"``: the round with the smallest termination value ``h``
        (the paper; ties: the earliest). ``"last"``: the last round.
    warm_start : bool, default=False
        If False each round trains a fresh clone of ``estimator`` from
        scratch. If True, rounds ``t >= 1`` continue training the previous
        round's model: a copy of it with its own ``warm_start=True``
        (skrobustad's deep detectors, :class:`~sklearn.linear_model.SGDOneClassSVM`).
        Estimators without a ``warm_start`` parameter, and ensembles such
        as :class:`~sklearn.ensemble.IsolationForest` (whose ``warm_start``
        adds trees instead of refitting), raise ``ValueError``. Measured on
        the paper's Table II cells: worse than retraining for Deep SVDD, the
        autoencoder and MAF, at equal epochs per round as well as at equal
        cost; for a cheaper IAD, retrain with short rounds
        (``round_params``) instead (see the :ref:`User Guide <iad>`).
    round_params : dict or None, default=None
        Estimator parameters changed for the re-weighted rounds ``t >= 1``,
        e.g. ``{"max_epochs": 4}``: short retrained rounds (with 15 rounds,
        4 epochs after a 20-epoch round 0 cost 4x the base instead of 16x;
        fewer rounds, ``max_iter``, measured better at that cost).
    n_estimators : int, default=1
        Models per round. Above 1, the ensemble variant of the paper's
        Table V: each model is fitted on its own random subsample of the
        training data (drawn once, kept for all rounds) and the anomaly
        scores of the models, each scaled to median 1 on the training data,
        are averaged.
    max_samples : "auto", int or float in (0, 1], default="auto"
        Size of each model's subsample: ``"auto"`` is all samples for a
        single model and 80% (the paper) for an ensemble; a float is a
        fraction of the training samples, an int a count.
    contamination : "auto" or float in (0, 0.5], default="auto"
        Sets ``offset_`` from the training scores of ``estimator_``: a float
        ``c`` is the ``100 * c`` percentile of ``score_samples``; ``"auto"``
        is Tukey's fence of skrobustad's detectors (a sample is an outlier
        when its anomaly score exceeds ``Q3 + 1.5 * (Q3 - Q1)``).
    round_seeds : {"fixed", "new"}, default="fixed"
        ``"fixed"``: model ``k`` keeps one seed in every round, so a round is
        a deterministic function of its weights (the termination value
        ``h`` can fall to 0 and stay there; ties then go to the earliest
        round). ``"new"``: every round draws its models' seeds afresh
        (derived from ``random_state``, or from the estimator's own integer
        ``random_state``), as the paper's termination criterion assumes
        ("the order of anomaly scores frequently changes over rounds").
        Estimators without a ``random_state`` are unaffected. On the
        21-dataset ``iad`` suite (3 seeds) IAD(DeepSVDD) scored .787 mean
        AUROC with ``"new"`` and .782 with ``"fixed"`` (above its base on 15
        and 16 datasets): not yet a reason to change the default.
    weight_scale : {"score", "likelihood"}, default="score"
        Which anomaly scores the weights (and ``beta`` and
        ``contamination_``) are computed from. ``"score"``: the negated
        ``score_samples`` as they are. ``"likelihood"``, for an estimator
        whose ``score_samples`` is a log-density ``log p(x)``
        (:class:`~skrobustad.MAF`,
        :class:`~sklearn.neighbors.KernelDensity`): the negative
        likelihood ``-p(x)``, the score of the paper's Eq. 8 for flows. The
        ranking is the same, the weights are not: the likelihood is bounded,
        so a zero likelihood keeps a weight above 0 (``1 / (1 + e^4) =
        0.018`` with ``beta="median"`` when the median likelihood is nearer
        0 than the largest one), where from ``-log p`` far outliers'
        weights fall to 0.
        Measured around the ``iad`` suite's MAF (21 datasets, 3 seeds, 20
        epochs a round; ``tools/measurements/iad_maf_scale.py``): mean
        AUROC .759 with ``"likelihood"`` and .777 with ``"score"`` (above
        the base's .750 on 10 and 16 datasets) with ``beta="median"``, .755
        and .765 (11 and 14) with ``beta="tukey"`` (the likely cause: the
        floor keeps the anomalies in training), so ``"score"`` is the
        default for every estimator.
        Needs a single model per round (the ensemble averages median-scaled
        scores, no log-densities).
    random_state : int, RandomState instance or None, default=None
        Draws the ensemble's subsamples and, when not None (or for an
        ensemble), the ``random_state`` of every model (see
        ``round_seeds``). ``None`` with one model keeps the estimator's own
        ``random_state``.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted model of the selected round (for ``n_estimators > 1``,
        an object averaging the round's models; they are in
        ``estimator_.estimators_``). With ``selection="average"``, an object
        averaging every round's model (``round_estimators_``).
    round_estimators_ : list of estimator objects
        The fitted model of every round, ``round_estimators_[t]`` for round
        ``t`` (see :meth:`staged_score_samples`).
    best_iter_ : int or None
        Index of the selected round (0 is the unweighted fit); None with
        ``selection="average"``.
    n_iter_ : int
        Number of rounds fitted, ``max_iter + 1``.
    termination_values_ : ndarray of shape (`n_iter_`,)
        ``h(t)``; ``termination_values_[0]`` is NaN (no previous round).
    round_scores_ : ndarray of shape (n_iter_, n_samples)
        ``score_samples`` of the training data after each round (higher =
        more normal).
    round_weights_ : ndarray of shape (n_iter_, n_samples)
        Importance weights each round was trained with (row 0 is all ones);
        the estimator received them multiplied by the user's
        ``sample_weight``.
    sample_weight_ : ndarray of shape (n_samples,)
        Importance weights computed from the selected round's scores (with
        ``selection="average"``, from the averaged scores), in [0, 1]: how
        normal IAD judges each training sample (low = likely anomaly).
    contamination_ : float
        Fraction of anomalies in the training data estimated from the
        selected round's (or the averaged) scores by Otsu's threshold (beyond the paper; rough,
        and too high when anomalies are rare: see
        :func:`~skrobustad.wrappers.otsu_contamination`).
    offset_ : float
        ``decision_function = score_samples - offset_`` (see
        ``contamination``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names.

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier : the same wrapper
        pattern for pseudo-labelling classifiers.

    Notes
    -----
    Samples labeled in ``y_partial`` keep a fixed importance weight: 1 for
    known normals; known anomalies get 1 when the estimator's ``fit`` takes
    ``y_partial`` (it decides what to do with them, e.g. leaves them out)
    and 0 otherwise. Their scores still enter the statistics of the update.

    References
    ----------
    M. Kim, J. Yu, J. Kim, T.-H. Oh and J. K. Choi, "An Iterative Method
    for Unsupervised Robust Anomaly Detection under Data Contamination",
    IEEE Transactions on Neural Networks and Learning Systems, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import IsolationForest
    >>> from skrobustad import IAD
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(size=(300, 2)), rng.uniform(-6, 6, size=(30, 2))]
    >>> iad = IAD(IsolationForest(n_estimators=50), max_iter=5, random_state=0).fit(X)
    >>> iad.round_weights_.shape
    (6, 330)
    >>> bool(iad.sample_weight_[:300].mean() > iad.sample_weight_[300:].mean())
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "score_samples"]), None],
        "max_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "tau": [Interval(numbers.Real, 0, None, closed="neither")],
        "beta": [
            StrOptions({"median", "estimate", "tukey"}),
            Interval(numbers.Real, 0, 0.5, closed="right"),
        ],
        "selection": [StrOptions({"min_h", "last", "average"})],
        "warm_start": ["boolean"],
        "round_params": [dict, None],
        "n_estimators": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_samples": [
            StrOptions({"auto"}),
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="right"),
        ],
        "contamination": [
            StrOptions({"auto"}),
            Interval(numbers.Real, 0, 0.5, closed="right"),
        ],
        "round_seeds": [StrOptions({"fixed", "new"})],
        "weight_scale": [StrOptions({"score", "likelihood"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        max_iter=1,
        tau=0.25,
        beta="median",
        selection="average",
        warm_start=False,
        round_params=None,
        n_estimators=1,
        max_samples="auto",
        contamination="auto",
        round_seeds="fixed",
        weight_scale="score",
        random_state=None,
    ):
        self.estimator = estimator
        self.max_iter = max_iter
        self.tau = tau
        self.beta = beta
        self.selection = selection
        self.warm_start = warm_start
        self.round_params = round_params
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.contamination = contamination
        self.round_seeds = round_seeds
        self.weight_scale = weight_scale
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    @_fit_context(
        # the estimator is validated by its own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None, *, y_partial=None, sample_weight=None):
        """Fit the estimator for ``max_iter + 1`` re-weighted rounds.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, possibly contaminated with anomalies.
        y : Ignored
            Not used, present for API consistency (pass labels as
            ``y_partial``).
        y_partial : array-like of shape (n_samples,), default=None
            Partial labels: 1 = known anomaly, 0 = known normal,
            -1 = unlabeled. Passed on to the estimator when its ``fit``
            takes ``y_partial``; labeled samples keep fixed importance
            weights (see Notes of :class:`IAD`).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative user weights, multiplied with the importance
            weights of every round.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        if y is not None and y_partial is None:
            warnings.warn(
                "IAD.fit ignores the positional y; pass partial labels as "
                "y_partial=... (1 = anomaly, 0 = normal, -1 = unlabeled).",
                LabelsIgnoredWarning,
                stacklevel=2,
            )
        template = self._template_estimator()
        X = self._validate_input(X, ensure_min_samples=2)
        n_samples = X.shape[0]
        if y_partial is None:
            y_partial = np.full(n_samples, -1, dtype=np.int8)
        else:
            # imported here: skrobustad.utils._validation imports torch
            from ..utils._validation import check_y_partial

            y_partial = check_y_partial(y_partial, n_samples)
        user_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        passes_labels = has_fit_parameter(_final_step(template)[0], "y_partial")
        _request_for_final_step(
            template, ["sample_weight", "y_partial"] if passes_labels else ["sample_weight"]
        )
        rng = check_random_state(self.random_state)
        seeds, subsets = self._draw_members(template, n_samples, rng)
        likelihood = self._uses_likelihood()

        n_rounds = self.max_iter + 1
        self.round_estimators_ = []
        self.round_scores_ = np.empty((n_rounds, n_samples))
        self.round_weights_ = np.empty((n_rounds, n_samples))
        self.termination_values_ = np.full(n_rounds, np.nan)
        round_contamination = np.empty(n_rounds)

        weights = self._with_label_weights(np.ones(n_samples), y_partial, passes_labels)
        members = None
        for t in range(n_rounds):
            members = self._fit_members(
                template, members, t, X, user_weight * weights, y_partial, passes_labels,
                seeds, subsets,
            )
            model = (
                members[0]
                if len(members) == 1
                else _MedianScaledEnsemble(members, contamination=self.contamination).fit(X)
            )
            anomaly = -np.asarray(model.score_samples(X), dtype=np.float64)
            self.round_estimators_.append(model)
            self.round_weights_[t] = weights
            self.round_scores_[t] = -anomaly
            if t > 0:
                self.termination_values_[t] = median_crossings(-self.round_scores_[t - 1], anomaly)
            weighted = _weighting_scores(anomaly, likelihood)
            round_contamination[t] = otsu_contamination(weighted)
            weights = self._with_label_weights(
                self._update_weights(weighted, t, round_contamination[t]), y_partial,
                passes_labels,
            )
        self.n_iter_ = n_rounds
        if n_rounds > 1:
            self._warn_if_weights_ignored(template)

        if self.selection == "average" and n_rounds > 1:
            self.best_iter_ = None
            self.estimator_ = _MedianScaledEnsemble(
                self.round_estimators_, contamination=self.contamination
            ).fit(X)
            best_anomaly = -np.asarray(self.estimator_.score_samples(X), dtype=np.float64)
            self.contamination_ = otsu_contamination(_weighting_scores(best_anomaly, likelihood))
        else:
            if self.selection == "last" or n_rounds == 1:
                self.best_iter_ = n_rounds - 1
            else:
                self.best_iter_ = int(np.nanargmin(self.termination_values_))
            self.estimator_ = self.round_estimators_[self.best_iter_]
            best_anomaly = -self.round_scores_[self.best_iter_]
            self.contamination_ = float(round_contamination[self.best_iter_])
        self.sample_weight_ = self._with_label_weights(
            self._weights_from(_weighting_scores(best_anomaly, likelihood), self.contamination_),
            y_partial, passes_labels,
        )
        self._set_offset(best_anomaly)
        return self

    def _uses_likelihood(self):
        """Whether the weights come from likelihoods (see ``weight_scale``)."""
        if self.weight_scale == "score":
            return False
        if self.n_estimators > 1:
            raise ValueError(
                "weight_scale='likelihood' needs a single model per round; the "
                f"ensemble (n_estimators={self.n_estimators}) averages scaled scores, "
                "which are not log-densities. Use weight_scale='score'."
            )
        if self.selection == "average" and self.max_iter > 0:
            raise ValueError(
                "weight_scale='likelihood' needs the selected model's score to be a "
                "log-density; selection='average' averages scaled scores of the rounds. "
                "Use weight_scale='score', or selection='min_h' (the paper's)."
            )
        return True

    def _template_estimator(self):
        if self.estimator is None:
            template = IsolationForest()
        else:
            template = clone(self.estimator)
        final, _ = _final_step(template)
        if not has_fit_parameter(final, "sample_weight"):
            where = "" if final is template else f" (the final step of {type(template).__name__})"
            raise ValueError(
                f"IAD needs an estimator whose fit takes sample_weight; "
                f"{type(final).__name__}.fit{where} does not. Wrap a detector such as "
                "skrobustad.AutoEncoder, skrobustad.DeepSVDD, IsolationForest or "
                "OneClassSVM."
            )
        if self.warm_start:
            if isinstance(template, BaseEnsemble):
                raise ValueError(
                    f"warm_start=True cannot continue training {type(template).__name__}: "
                    "its own warm_start adds ensemble members and ignores new weights. "
                    "Use warm_start=False (each round refits from scratch)."
                )
            if "warm_start" not in template.get_params(deep=False):
                raise ValueError(
                    f"warm_start=True needs an estimator with a warm_start parameter; "
                    f"{type(template).__name__} has none. Use warm_start=False."
                )
            template.set_params(warm_start=False)
        if self.round_params:
            # fail early on an unknown parameter name
            clone(template).set_params(**self.round_params)
        return template

    def _draw_members(self, template, n_samples, rng):
        """Seeds (or None) and subsample indices of the ensemble members."""
        n_members = self.n_estimators
        has_seed = "random_state" in template.get_params(deep=False)
        if has_seed and (self.random_state is not None or n_members > 1):
            seeds = rng.randint(np.iinfo(np.int32).max, size=n_members)
        else:
            seeds = [None] * n_members
        if self.max_samples == "auto":
            size = n_samples if n_members == 1 else int(0.8 * n_samples)
        elif isinstance(self.max_samples, numbers.Integral):
            size = self.max_samples
        else:
            size = int(self.max_samples * n_samples)
        size = min(max(size, 2), n_samples)
        if size == n_samples:
            subsets = [None] * n_members
        else:
            subsets = [np.sort(rng.choice(n_samples, size, replace=False)) for _ in seeds]
        return seeds, subsets

    def _round_seed(self, member, seed, t):
        """The seed of a member in round ``t`` (see ``round_seeds``)."""
        if self.round_seeds == "fixed" or t == 0:
            return seed
        if seed is None:
            own = member.get_params(deep=False).get("random_state")
            if not isinstance(own, numbers.Integral):
                return None  # None or a RandomState: already differs per fit
            seed = own
        return (int(seed) + 7919 * t) % np.iinfo(np.int32).max

    def _fit_members(self, template, previous, t, X, weight, y_partial, passes_labels,
                     seeds, subsets):
        members = []
        for k, (seed, rows) in enumerate(zip(seeds, subsets)):
            if self.warm_start and t > 0:
                member = copy.deepcopy(previous[k])
                member.set_params(warm_start=True)
            else:
                member = clone(template)
                seed = self._round_seed(member, seed, t)
                if seed is not None:
                    member.set_params(random_state=int(seed))
            if t > 0 and self.round_params:
                member.set_params(**self.round_params)
            # a zero weight means "not in training": such rows never reach the
            # estimator (IsolationForest's weighted subsampling, for one,
            # fails when fewer rows than max_samples have non-zero weight);
            # with every weight positive, or for skrobustad's detectors (which
            # leave zero-weight rows out themselves), the whole X goes in,
            # uncopied: far outliers get weights of exactly 0, and a copy of
            # the other rows would double the memory of a large fit
            if rows is None:
                whole = np.all(weight > 0) or getattr(member, "_skips_zero_weight_rows", False)
                rows = slice(None) if whole else np.flatnonzero(weight > 0)
            else:
                rows = rows[weight[rows] > 0]
            member_weight = weight[rows]
            if not np.any(member_weight > 0):
                raise ValueError(
                    "IAD has no training sample with non-zero weight (every sample is "
                    "a labeled anomaly or has sample_weight 0)."
                )
            # weights that are all 1 are an unweighted fit: pass none, so that
            # round 0 is exactly the base (IsolationForest, for one, draws
            # other subsamples once it is given sample_weight, even all ones)
            fit_params = {}
            if not np.all(member_weight == 1.0):
                fit_params["sample_weight"] = member_weight
            if passes_labels:
                fit_params["y_partial"] = y_partial[rows]
            member.fit(X[rows], **_fit_params_for(member, fit_params))
            members.append(member)
        return members

    def _warn_if_weights_ignored(self, template):
        """Warn when round 1's weights left the training scores unchanged."""
        weights = self.round_weights_[1]
        if np.ptp(weights) > 0 and np.array_equal(self.round_scores_[1], self.round_scores_[0]):
            final = _final_step(template)[0]
            why = (
                " (IsolationForest uses the weights only to draw its subsamples, and "
                "draws every row when max_samples is at least the number of rows: "
                "max_samples='auto' is min(256, n_samples).)"
                if isinstance(final, IsolationForest) else ""
            )
            warnings.warn(
                f"{type(final).__name__}.fit gave the same training scores with IAD's "
                "importance weights as without them: the weights have no effect on this "
                f"data, so IAD returns the base estimator at the cost of every round.{why}",
                WeightsIgnoredWarning,
                stacklevel=4,  # the caller of fit (through sklearn's _fit_context)
            )

    def _update_weights(self, anomaly, t, contamination):
        if not np.ptp(anomaly) > 0:
            warnings.warn(
                f"Round {t} of IAD gives constant anomaly scores on the training data; "
                "the next round is trained with uniform weights.",
                ConstantScoresWarning,
                stacklevel=4,
            )
        return self._weights_from(anomaly, contamination)

    def _weights_from(self, anomaly, estimated_contamination):
        if self.beta == "median":
            beta = None
        elif self.beta == "tukey":
            beta = min(tukey_fence(anomaly), float(anomaly.max()))
        else:
            c = estimated_contamination if self.beta == "estimate" else self.beta
            beta = float(np.quantile(anomaly, 1.0 - c))
        return importance_weights(anomaly, tau=self.tau, beta=beta)

    @staticmethod
    def _with_label_weights(weights, y_partial, passes_labels):
        weights = weights.copy()
        weights[y_partial == _LABEL_NORMAL] = 1.0
        weights[y_partial == _LABEL_ANOMALY] = 1.0 if passes_labels else 0.0
        return weights

    def _set_offset(self, train_anomaly_scores):
        self.offset_ = offset_from_anomaly_scores(train_anomaly_scores, self.contamination)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.estimator is not None:
            # the input IAD accepts is what its estimator accepts (e.g. a
            # Pipeline starting with an imputer takes NaN)
            inner = get_tags(self.estimator)
            tags.input_tags.allow_nan = inner.input_tags.allow_nan
            tags.non_deterministic = inner.non_deterministic
        return tags

    def _validate_input(self, X, **kwargs):
        allow_nan = self.__sklearn_tags__().input_tags.allow_nan
        return validate_data(
            self, X, dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan" if allow_nan else True, **kwargs,
        )

    # --------------------------------------------------------------- scores
    def score_samples(self, X):
        """Normality score of the selected round (higher = more normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``estimator_.score_samples(X)``.
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        return np.asarray(self.estimator_.score_samples(X), dtype=np.float64)

    def staged_score_samples(self, X):
        """Normality scores of every round's model, round by round.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Yields
        ------
        scores : ndarray of shape (n_samples,)
            ``score_samples`` of ``round_estimators_[t]`` for ``t = 0, 1, ...``.
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        for model in self.round_estimators_:
            yield np.asarray(model.score_samples(X), dtype=np.float64)
