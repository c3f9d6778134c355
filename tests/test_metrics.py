"""Masked scorers: model selection with partial labels (DESIGN.md §1)."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from pyod.utils.data import generate_data
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skrobustad import AutoEncoder
from skrobustad.metrics import (
    make_masked_scorer,
    masked_average_precision_score,
    masked_average_precision_scorer,
    masked_roc_auc_score,
    masked_roc_auc_scorer,
)


class SpyDetector(OutlierMixin, BaseEstimator):
    """Distance to the training mean; records the y_partial its fit received."""

    def fit(self, X, y=None, *, y_partial=None):
        X = np.asarray(X, dtype=float)
        self.center_ = X.mean(axis=0)
        self.n_fit_samples_ = X.shape[0]
        self.y_partial_ = None if y_partial is None else np.array(y_partial)
        return self

    def score_samples(self, X):
        check_is_fitted(self)
        return -np.linalg.norm(np.asarray(X, dtype=float) - self.center_, axis=1)


def partial_labels(y, fraction, random_state):
    """Label ``fraction`` of each class of ``y`` (1 anomaly, 0 normal); -1 elsewhere."""
    rng = np.random.RandomState(random_state)
    y_eval = np.full(len(y), -1)
    for label in (0, 1):
        idx = np.flatnonzero(y == label)
        chosen = rng.choice(idx, size=max(1, int(fraction * len(idx))), replace=False)
        y_eval[chosen] = label
    return y_eval


@pytest.fixture(scope="module")
def scored():
    rng = np.random.RandomState(0)
    y_eval = rng.choice([-1, 0, 1], size=200, p=[0.6, 0.3, 0.1])
    score = rng.normal(size=200) + (y_eval == 1)
    weight = rng.uniform(0.5, 2.0, size=200)
    return y_eval, score, weight


@pytest.fixture(scope="module")
def planted():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(300, 4)), rng.normal(loc=5.0, size=(30, 4))]
    y = np.r_[np.zeros(300, int), np.ones(30, int)]
    return X, y, partial_labels(y, 0.3, random_state=0)


# ------------------------------------------------------------------ metrics
@pytest.mark.parametrize(
    "masked, reference",
    [(masked_roc_auc_score, roc_auc_score), (masked_average_precision_score,
                                               average_precision_score)],
    ids=["roc_auc", "average_precision"],
)
def test_equals_sklearn_on_the_labeled_subset(masked, reference, scored):
    y_eval, score, weight = scored
    m = y_eval != -1
    assert masked(y_eval, score) == reference(y_eval[m], score[m])
    assert masked(y_eval, score, sample_weight=weight) == reference(
        y_eval[m], score[m], sample_weight=weight[m]
    )
    # the unlabeled entries have no influence at all
    shuffled = score.copy()
    shuffled[~m] = np.random.RandomState(1).permutation(score[~m]) * 100
    assert masked(y_eval, shuffled) == masked(y_eval, score)
    # lists, float codes and column vectors are accepted
    assert masked(list(y_eval), list(score)) == masked(y_eval.astype(float), score[:, None])


@pytest.mark.parametrize("masked", [masked_roc_auc_score, masked_average_precision_score])
@pytest.mark.parametrize(
    "y_eval", [[0, 0, -1, -1], [1, 1, -1, -1], [-1, -1, -1, -1]],
    ids=["normals-only", "anomalies-only", "unlabeled-only"],
)
def test_single_class_fold_returns_nan_with_warning(masked, y_eval):
    with pytest.warns(UndefinedMetricWarning, match="both"):
        assert np.isnan(masked(y_eval, [0.1, 0.2, 0.3, 0.4]))


@pytest.mark.parametrize("masked", [masked_roc_auc_score, masked_average_precision_score])
def test_invalid_inputs_raise(masked):
    with pytest.raises(ValueError, match=r"unknown label codes \[2\]"):
        masked([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        masked([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="codes"):
        masked(["a", "b"], [0.1, 0.2])


# ------------------------------------------------------------------ scorers
def test_scorers_negate_score_samples(planted):
    X, y, y_eval = planted
    est = SpyDetector().fit(X)
    anomaly = -est.score_samples(X)
    assert masked_roc_auc_scorer(est, X, y_eval) == masked_roc_auc_score(y_eval, anomaly)
    assert masked_average_precision_scorer(est, X, y_eval) == (
        masked_average_precision_score(y_eval, anomaly)
    )
    # the sign is right: far-away planted anomalies are found, not ranked last
    assert masked_roc_auc_scorer(est, X, y_eval) > 0.9
    assert masked_average_precision_scorer(est, X, y_eval) > 0.9
    w = np.linspace(0.5, 1.5, len(X))
    assert masked_roc_auc_scorer(est, X, y_eval, sample_weight=w) == masked_roc_auc_score(
        y_eval, anomaly, sample_weight=w
    )


def test_scorers_work_on_pipelines(planted):
    X, _, y_eval = planted
    pipe = make_pipeline(StandardScaler(), SpyDetector()).fit(X)
    expected = masked_roc_auc_score(y_eval, -pipe.score_samples(X))
    assert masked_roc_auc_scorer(pipe, X, y_eval) == expected
    scores = cross_val_score(
        make_pipeline(StandardScaler(), SpyDetector()), X, y_eval,
        scoring=masked_roc_auc_scorer, cv=StratifiedKFold(3, shuffle=True, random_state=0),
    )
    assert np.all(scores > 0.9)


def test_make_masked_scorer_with_a_custom_metric(planted):
    X, _, y_eval = planted
    est = SpyDetector().fit(X)

    def partial_auc(y_true, anomaly_score, max_fpr):
        m = y_true != -1
        return roc_auc_score(y_true[m], anomaly_score[m], max_fpr=max_fpr)

    scorer = make_masked_scorer(partial_auc, max_fpr=0.1)
    m = y_eval != -1
    assert scorer(est, X, y_eval) == roc_auc_score(
        y_eval[m], -est.score_samples(X)[m], max_fpr=0.1
    )
    assert "partial_auc" in repr(scorer) and "max_fpr=0.1" in repr(scorer)
    assert "masked_roc_auc_score" in repr(masked_roc_auc_scorer)
    with pytest.raises(TypeError, match="callable"):
        make_masked_scorer("roc_auc")


def test_scorers_are_sklearn_scorers_on_score_samples(planted):
    from sklearn.metrics._scorer import _BaseScorer

    X, _, y_eval = planted
    est = SpyDetector().fit(X)
    assert isinstance(masked_roc_auc_scorer, _BaseScorer)
    assert list(masked_roc_auc_scorer._response_method) == ["score_samples"]
    # the sign is handled: a perfect detector scores 1, its negation 0
    m = y_eval != -1
    assert masked_roc_auc_scorer(est, X, y_eval) == roc_auc_score(
        y_eval[m], -est.score_samples(X)[m]
    )
    assert pickle.loads(pickle.dumps(masked_roc_auc_scorer))(est, X, y_eval) == (
        masked_roc_auc_scorer(est, X, y_eval)
    )


def test_scorer_routes_sample_weight_with_metadata_routing():
    from sklearn import config_context
    from sklearn.model_selection import cross_validate

    # an imperfect ranking, so that weights change the AUROC
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 2))
    y_eval = rng.choice([-1, 0, 1], size=120)
    weight = rng.uniform(0.1, 5.0, size=120)
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    with config_context(enable_metadata_routing=True):
        scorer = make_masked_scorer(masked_roc_auc_score).set_score_request(sample_weight=True)
        weighted = cross_validate(
            SpyDetector(), X, y_eval, cv=cv, scoring=scorer,
            params={"sample_weight": weight},
        )["test_score"]
        plain = cross_validate(
            SpyDetector(), X, y_eval, cv=cv, scoring=make_masked_scorer(masked_roc_auc_score)
        )["test_score"]
    expected = [
        masked_roc_auc_score(
            y_eval[test], -SpyDetector().fit(X[train]).score_samples(X[test]),
            sample_weight=weight[test],
        )
        for train, test in cv.split(X, y_eval)
    ]
    np.testing.assert_allclose(weighted, expected)
    assert not np.allclose(weighted, plain)


def test_scorer_refuses_estimators_without_score_samples(planted):
    from pyod.models.iforest import IForest

    X, _, y_eval = planted
    with pytest.raises(AttributeError, match="score_samples"):
        masked_roc_auc_scorer(IForest(n_estimators=10).fit(X), X, y_eval)


# --------------------------------------------------------- GridSearchCV
def test_gridsearch_slices_y_partial_per_fold_in_a_pipeline(planted):
    """GridSearchCV slices the step__y_partial fit parameter like X and y_eval."""
    X, _, y_eval = planted
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    train_folds = [train for train, _ in cv.split(X, y_eval)]
    scoring = {
        "auc": masked_roc_auc_scorer,
        "n_fit": lambda est, X, y: est[-1].n_fit_samples_,
        "n_y_partial": lambda est, X, y: est[-1].y_partial_.size,
        "n_labeled_anomalies": lambda est, X, y: int((est[-1].y_partial_ == 1).sum()),
    }
    pipe = Pipeline([("scaler", StandardScaler()), ("detector", SpyDetector())])
    search = GridSearchCV(
        pipe, {"scaler": [StandardScaler(), "passthrough"]}, scoring=scoring,
        refit="auc", cv=cv,
    ).fit(X, y_eval, detector__y_partial=y_eval)
    for i, train in enumerate(train_folds):
        for key in ("n_fit", "n_y_partial"):
            np.testing.assert_array_equal(search.cv_results_[f"split{i}_test_{key}"], len(train))
        np.testing.assert_array_equal(
            search.cv_results_[f"split{i}_test_n_labeled_anomalies"],
            (y_eval[train] == 1).sum(),
        )
    # the refit on everything received the full y_partial
    np.testing.assert_array_equal(search.best_estimator_[-1].y_partial_, y_eval)
    # the unprefixed spelling is refused by a Pipeline when routing is off
    with pytest.raises(ValueError, match="stepname__parameter"):
        GridSearchCV(pipe, {"scaler": ["passthrough"]}, scoring=masked_roc_auc_scorer,
                     cv=cv).fit(X, y_eval, y_partial=y_eval)


def test_gridsearch_with_metadata_routing(planted):
    """With metadata routing on, request y_partial once and pass it unprefixed."""
    X, _, y_eval = planted
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        detector = SpyDetector().set_fit_request(y_partial=True)
        pipe = make_pipeline(StandardScaler(), detector)
        search = GridSearchCV(
            pipe, {"standardscaler": ["passthrough"]}, cv=cv,
            scoring={"auc": masked_roc_auc_scorer,
                     "n_y_partial": lambda est, X, y: est[-1].y_partial_.size},
            refit="auc",
        ).fit(X, y_eval, y_partial=y_eval)
    for i, (train, _) in enumerate(cv.split(X, y_eval)):
        assert search.cv_results_[f"split{i}_test_n_y_partial"][0] == len(train)
    assert search.best_score_ > 0.9


def test_gridsearch_pipeline_autoencoder_picks_the_scaler(device):
    """Pipeline(StandardScaler, AutoEncoder) tuned on a few labels picks scaling.

    generate_data puts the inliers far from the origin: a briefly trained
    autoencoder on the raw data reconstructs the scattered outliers near the
    origin better than the inliers (masked AUROC near 0), and a scorer with
    the wrong sign would prefer exactly that candidate.
    """
    X, _, y, _ = generate_data(
        n_train=300, n_test=10, n_features=5, contamination=0.1, random_state=0
    )
    y_eval = partial_labels(y.astype(int), 0.3, random_state=0)
    pipe = Pipeline([
        ("scaler", StandardScaler()),
        # scale=False: the pipeline's scaler is the only standardisation
        ("autoencoder", AutoEncoder(hidden_dims=(4, 2), max_epochs=10, batch_size=64,
                                    scale=False, random_state=0, device=device)),
    ])
    search = GridSearchCV(
        pipe, {"scaler": [StandardScaler(), "passthrough"]},
        scoring=masked_roc_auc_scorer,
        cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedMetricWarning)  # every fold has both classes
        search.fit(X, y_eval, autoencoder__y_partial=y_eval)
    assert isinstance(search.best_params_["scaler"], StandardScaler)
    scaled, raw = search.cv_results_["mean_test_score"]
    assert scaled > 0.9 and raw < 0.5
    assert search.best_estimator_.named_steps["autoencoder"].n_iter_ == 10
