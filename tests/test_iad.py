"""Tests of the IAD re-weighting wrapper (paper 002)."""

import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.svm import OneClassSVM

from skrobustad import IAD, AutoEncoder
from skrobustad.exceptions import (
    ConstantScoresWarning,
    LabelsIgnoredWarning,
    WeightsIgnoredWarning,
)
from skrobustad.wrappers._iad import importance_weights, median_crossings, otsu_contamination


class Centroid(OutlierMixin, BaseEstimator):
    """Deterministic toy detector: squared distance to the weighted mean."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None, sample_weight=None):
        X = np.asarray(X, dtype=float)
        self.weight_seen_ = np.ones(len(X)) if sample_weight is None else sample_weight.copy()
        self.center_ = np.average(X, axis=0, weights=self.weight_seen_)
        self.n_fit_ = len(X)
        return self

    def score_samples(self, X):
        return -((np.asarray(X) - self.center_) ** 2).sum(axis=1)


class LabelSpy(Centroid):
    """Centroid whose fit takes y_partial and records it."""

    def fit(self, X, y=None, *, y_partial=None, sample_weight=None):
        self.y_partial_seen_ = y_partial
        return super().fit(X, sample_weight=sample_weight)


@pytest.fixture(scope="module")
def contaminated():
    """300 normals around the origin and 30 anomalies in a cluster nearby."""
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(300, 2)), rng.normal(loc=(3.0, 3.0), size=(30, 2))]
    y = np.r_[np.zeros(300, int), np.ones(30, int)]
    return X, y


# ------------------------------------------------------------ weight rule
def test_importance_weights_match_hand_computation():
    # median 2, min 0, max 10: alpha = 1 / (tau * min(2 - 0, 10 - 2)) = 2
    s = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    expected = [
        1 / (1 + np.exp(-4.0)),  # 0.98201379
        1 / (1 + np.exp(-2.0)),  # 0.88079708
        0.5,
        1 / (1 + np.exp(2.0)),  # 0.11920292
        1 / (1 + np.exp(16.0)),  # 1.12535162e-07
    ]
    w = importance_weights(s, tau=0.25)
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    np.testing.assert_allclose(w, [0.98201379, 0.88079708, 0.5, 0.11920292, 1.12535162e-07],
                               rtol=1e-7)
    # tau = 1: alpha = 1 / 2; an explicit beta moves the 0.5 point
    np.testing.assert_allclose(importance_weights(s, tau=1.0)[0], 1 / (1 + np.exp(-1.0)))
    w_beta = importance_weights(s, tau=0.25, beta=3.0)  # alpha = 1 / (0.25 * 3)
    np.testing.assert_allclose(w_beta, 1 / (1 + np.exp((s - 3.0) / 0.75)), rtol=1e-12)


def test_importance_weights_are_not_clipped():
    # a far outlier's weight goes to 0 (clipping alpha * (s - beta) would stop at
    # e.g. 1 / (1 + e^10) = 4.5e-5), and no overflow warning is raised
    s = np.r_[np.linspace(0, 1, 99), 1e6]
    with np.errstate(over="raise"):
        w = importance_weights(s)
    assert w[-1] == 0.0
    assert w[0] == pytest.approx(1 / (1 + np.exp(-4.0)))


def test_importance_weights_of_constant_scores_are_uniform():
    np.testing.assert_array_equal(importance_weights(np.full(7, 3.0)), np.ones(7))


def test_iad_applies_the_rule_to_the_previous_round(contaminated):
    X, _ = contaminated
    iad = IAD(Centroid(), max_iter=3, tau=0.5, beta="median").fit(X)
    for t in range(1, iad.n_iter_):
        anomaly = -iad.round_scores_[t - 1]
        med = np.median(anomaly)
        alpha = 1 / (0.5 * min(med - anomaly.min(), anomaly.max() - med))
        expected = 1 / (1 + np.exp(alpha * (anomaly - med)))
        np.testing.assert_allclose(iad.round_weights_[t], expected, rtol=1e-10)
        # the weights really reached the estimator (the centroid's fit)
        fitted = iad.round_estimators_[t]
        np.testing.assert_allclose(fitted.weight_seen_, expected, rtol=1e-10)
    np.testing.assert_array_equal(iad.round_weights_[0], np.ones(len(X)))


def test_user_sample_weight_is_multiplied(contaminated):
    X, _ = contaminated
    user = np.random.RandomState(0).uniform(0.5, 2.0, len(X))
    iad = IAD(Centroid(), max_iter=2).fit(X, sample_weight=user)
    for t, model in enumerate(iad.round_estimators_):
        np.testing.assert_allclose(model.weight_seen_, user * iad.round_weights_[t])


# ------------------------------------------------------ termination value
def test_median_crossings_counts_ranks_not_argsort_indices():
    previous = np.array([5.0, 0.0, 4.0, 1.0, 3.0, 2.0])  # ranks 6 1 5 2 4 3
    current = np.array([0.0, 5.0, 4.0, 1.0, 3.0, 2.0])  # samples 0 and 1 swap ends
    # ranks: sample 0 goes 6 -> 1 and sample 1 goes 1 -> 6, both across ceil(6/2) = 3
    assert median_crossings(previous, current) == 2
    # comparing argsort outputs position by position would count 0 here
    buggy_prev, buggy_cur = np.argsort(previous), np.argsort(current)
    assert np.count_nonzero((buggy_prev < 3) != (buggy_cur < 3)) == 0
    assert median_crossings(previous, previous) == 0


def test_median_crossings_ignores_the_sample_on_the_median_rank():
    # n = 5, ceil(5 / 2) = 3: a move to or from rank 3 is not a crossing
    previous = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    current = np.array([3.0, 2.0, 1.0, 4.0, 5.0])  # ranks of samples 0 and 2 swap 1 <-> 3
    assert median_crossings(previous, current) == 0
    current = np.array([5.0, 2.0, 3.0, 4.0, 1.0])  # samples 0 and 4 swap 1 <-> 5
    assert median_crossings(previous, current) == 2


def test_selected_round_is_the_min_h_round(contaminated):
    X, _ = contaminated
    iad = IAD(IsolationForest(n_estimators=20, random_state=0), max_iter=4,
              selection="min_h").fit(X)
    assert iad.n_iter_ == 5
    assert np.isnan(iad.termination_values_[0])
    assert iad.best_iter_ == 1 + int(np.argmin(iad.termination_values_[1:]))
    assert iad.estimator_ is iad.round_estimators_[iad.best_iter_]
    np.testing.assert_allclose(iad.score_samples(X), iad.round_scores_[iad.best_iter_])
    for t in range(1, iad.n_iter_):
        assert iad.termination_values_[t] == median_crossings(
            -iad.round_scores_[t - 1], -iad.round_scores_[t]
        )
    staged = list(iad.staged_score_samples(X))
    np.testing.assert_allclose(staged, iad.round_scores_)
    last = IAD(Centroid(), max_iter=3, selection="last").fit(X)
    assert last.best_iter_ == 3
    plain = IAD(Centroid(), max_iter=0).fit(X)
    assert plain.best_iter_ == 0 and plain.n_iter_ == 1


def test_selection_average_averages_every_round_median_scaled(contaminated):
    X, _ = contaminated
    X_new = np.random.RandomState(1).normal(scale=2.0, size=(50, 2))
    iad = IAD(Centroid(), max_iter=2, beta="median", selection="average").fit(X)
    assert iad.best_iter_ is None and iad.n_iter_ == 3
    # each round's anomaly score (squared distance, >= 0: no shift) divided by
    # its median on the training data, then averaged
    train = [-s for s in iad.round_scores_]
    new = [-s for s in iad.staged_score_samples(X_new)]
    expected = -np.mean([a / np.median(t) for a, t in zip(new, train)], axis=0)
    np.testing.assert_allclose(iad.score_samples(X_new), expected)
    # the rounds differ, so the average is none of them
    for s in iad.staged_score_samples(X_new):
        assert not np.allclose(iad.score_samples(X_new), s)
    # weights, contamination and threshold follow the averaged training scores
    average_train = iad.score_samples(X)
    np.testing.assert_allclose(
        iad.sample_weight_, iad._weights_from(-average_train, iad.contamination_))
    assert iad.contamination_ == otsu_contamination(-average_train)
    assert np.mean(iad.predict(X) == -1) == np.mean(average_train < iad.offset_)
    # without re-weighted rounds there is nothing to average: the base itself
    plain = IAD(Centroid(), max_iter=0, selection="average").fit(X)
    assert plain.best_iter_ == 0
    np.testing.assert_allclose(plain.score_samples(X), plain.round_scores_[0])


def test_selection_average_refuses_the_likelihood_scale(contaminated):
    X, _ = contaminated
    with pytest.raises(ValueError, match="selection='average'"):
        IAD(GaussianDensity(), max_iter=1, selection="average",
            weight_scale="likelihood").fit(X)


# -------------------------------------------------- behaviour on the data
def test_weights_reach_both_ends_and_separate_anomalies(contaminated):
    X, y = contaminated
    iad = IAD(Centroid(), max_iter=5, beta="median", selection="min_h").fit(X)
    w = iad.sample_weight_
    assert w.max() > 0.98 and w.min() < 1e-6
    assert w[y == 0].mean() > 0.5 > w[y == 1].max()
    # the re-weighted centroid moved away from the anomalies: better ranking
    auc = [roc_auc_score(y, -s) for s in iad.round_scores_]
    assert auc[iad.best_iter_] > auc[0]
    # mean weights of normals and anomalies over rounds (the paper's Fig. 5a)
    gap = iad.round_weights_[:, y == 0].mean(1) - iad.round_weights_[:, y == 1].mean(1)
    assert gap[0] == 0 and np.all(gap[1:] > 0.4)


def test_iad_down_weights_anomalies_for_a_deep_detector(contaminated):
    X, y = contaminated
    iad = IAD(
        AutoEncoder(hidden_dims=(8, 1), max_epochs=10, batch_size=64, device="cpu"),
        max_iter=2,
        random_state=0,
    ).fit(X)
    auc = [roc_auc_score(y, -s) for s in iad.round_scores_]
    assert max(auc[1:]) >= auc[0]
    assert iad.sample_weight_[y == 1].mean() < 0.1 < 0.5 < iad.sample_weight_[y == 0].mean()


def test_defaults_hedge_the_median_rule_with_round_zero():
    # the defaults: the paper's median rule, one re-weighted round, scored by
    # the average of both rounds (round 0 hedges the median's cost on clean
    # data); Tukey's fence keeps almost every weight of clean data near 1
    X = np.random.RandomState(0).normal(size=(400, 3))
    default = IAD(Centroid()).fit(X)
    assert (default.beta, default.max_iter, default.selection) == ("median", 1, "average")
    assert default.n_iter_ == 2 and default.best_iter_ is None
    assert np.mean(default.round_weights_[1] < 0.5) == pytest.approx(0.5, abs=0.01)
    rounds = [-m.score_samples(X) for m in default.round_estimators_]
    mixed = sum(a / np.median(a) for a in rounds) / 2
    np.testing.assert_allclose(default.score_samples(X), -mixed)
    tukey = IAD(Centroid(), max_iter=2, beta="tukey").fit(X)
    assert np.mean(tukey.round_weights_[1] < 0.5) < 0.05
    assert np.median(tukey.round_weights_[1]) > 0.95


def test_beta_tukey_puts_the_half_weight_at_the_fence(contaminated):
    X, y = contaminated
    iad = IAD(Centroid(), max_iter=2, beta="tukey").fit(X)
    anomaly = -iad.round_scores_[0]
    q1, q3 = np.percentile(anomaly, [25, 75])
    np.testing.assert_allclose(
        iad.round_weights_[1], importance_weights(anomaly, beta=q3 + 1.5 * (q3 - q1))
    )
    # only outlying samples lose weight: most normals keep nearly all of theirs
    assert (iad.sample_weight_[y == 0] > 0.8).mean() > 0.8
    assert iad.sample_weight_[y == 1].mean() < 0.5


def test_beta_estimate_exposes_the_contamination(contaminated):
    X, y = contaminated
    iad = IAD(Centroid(), max_iter=3, beta="estimate", selection="min_h").fit(X)
    assert iad.contamination_ == pytest.approx(y.mean(), abs=0.02)
    # with beta at the (1 - c) quantile far fewer normals are down-weighted
    median = IAD(Centroid(), max_iter=3, beta="median", selection="min_h").fit(X)
    assert (iad.sample_weight_[y == 0] < 0.5).mean() < 0.1
    assert (median.sample_weight_[y == 0] < 0.5).mean() > 0.4
    known = IAD(Centroid(), max_iter=1, beta=0.1).fit(X)
    anomaly = -known.round_scores_[0]
    np.testing.assert_allclose(
        known.round_weights_[1],
        importance_weights(anomaly, beta=np.quantile(anomaly, 0.9)),
    )


def test_otsu_contamination():
    assert otsu_contamination(np.r_[np.zeros(90), np.full(10, 10.0)]) == pytest.approx(0.1)
    assert otsu_contamination(np.r_[np.zeros(10), np.full(90, 10.0)]) == 0.5  # clipped
    assert otsu_contamination(np.ones(20)) == pytest.approx(1 / 20)


# ------------------------------------------------------------ variants
def test_ensemble_variant(contaminated):
    X, _ = contaminated
    iad = IAD(Centroid(), max_iter=2, n_estimators=3, selection="min_h",
              random_state=0).fit(X)
    members = iad.estimator_.estimators_
    assert len(members) == 3
    assert all(m.n_fit_ == int(0.8 * len(X)) for m in members)
    # each member's anomaly scores are divided by their training median
    a = np.array([-m.score_samples(X) for m in members])
    expected = -(a / np.median(a, axis=1, keepdims=True)).mean(axis=0)
    np.testing.assert_allclose(iad.score_samples(X), expected)
    # the subsamples are drawn once and kept across rounds
    first = [m.weight_seen_.shape for m in iad.round_estimators_[0].estimators_]
    assert first == [m.weight_seen_.shape for m in members]
    full = IAD(Centroid(), max_iter=0, n_estimators=2, max_samples=1.0).fit(X)
    assert all(m.n_fit_ == len(X) for m in full.estimator_.estimators_)


def test_warm_start_continues_the_previous_round(contaminated):
    X, _ = contaminated
    ae = AutoEncoder(hidden_dims=(4, 2), max_epochs=4, batch_size=64, device="cpu")
    iad = IAD(ae, max_iter=2, warm_start=True, round_params={"max_epochs": 2},
              random_state=0).fit(X)
    r0, r1, r2 = iad.round_estimators_
    assert r0.n_iter_ == 4 and r1.n_iter_ == 2 and r2.n_iter_ == 2
    assert r1.loss_curve_[0] < r0.loss_curve_[0]  # started from round 0's network
    assert r0 is not r1 and r0.module_ is not r1.module_  # round 0 kept as it was
    np.testing.assert_allclose(r0.score_samples(X), iad.round_scores_[0])
    assert r0.warm_start is False and r1.warm_start is True


@pytest.mark.parametrize(
    "estimator, match",
    [
        (IsolationForest(), "adds ensemble members"),
        (OneClassSVM(), "warm_start parameter"),
    ],
)
def test_warm_start_refuses_estimators_that_cannot_continue(contaminated, estimator, match):
    X, _ = contaminated
    with pytest.raises(ValueError, match=match):
        IAD(estimator, warm_start=True).fit(X)


def test_estimator_without_sample_weight_is_a_clear_error(contaminated):
    X, _ = contaminated
    with pytest.raises(ValueError, match="fit takes sample_weight.*LocalOutlierFactor"):
        IAD(LocalOutlierFactor(novelty=True)).fit(X)
    with pytest.raises(ValueError, match="round_params|Invalid parameter"):
        IAD(Centroid(), round_params={"no_such_param": 1}).fit(X)


# ------------------------------------------------------------ labels
def test_labels_fix_weights_when_the_estimator_cannot_take_them(contaminated):
    X, y = contaminated
    yp = np.full(len(X), -1)
    yp[[0, 1]] = 0
    yp[[300, 301]] = 1
    iad = IAD(Centroid(), max_iter=2).fit(X, y_partial=yp)
    assert np.all(iad.round_weights_[:, [300, 301]] == 0)
    assert np.all(iad.round_weights_[:, [0, 1]] == 1)
    assert iad.sample_weight_[300] == 0


def test_labels_reach_an_estimator_that_takes_them(contaminated):
    X, y = contaminated
    yp = np.where(y == 1, 1, -1)
    iad = IAD(LabelSpy(), max_iter=1).fit(X, y_partial=yp)
    for model in iad.round_estimators_:
        np.testing.assert_array_equal(model.y_partial_seen_, yp)
    assert np.all(iad.round_weights_[:, y == 1] == 1)  # the estimator decides
    with pytest.raises(ValueError, match="unknown label codes"):
        IAD(Centroid()).fit(X, y_partial=np.full(len(X), 2))


def test_positional_y_warns_and_names_y_partial(contaminated):
    X, y = contaminated
    with pytest.warns(LabelsIgnoredWarning, match="y_partial"):
        IAD(Centroid(), max_iter=1).fit(X, y)


# -------------------------------------------------------- outlier API
def test_outlier_api_offset_and_pickle(contaminated):
    X, y = contaminated
    iad = IAD(IsolationForest(n_estimators=20), max_iter=2, contamination=0.1,
              random_state=0).fit(X)
    scores = iad.score_samples(X)
    np.testing.assert_allclose(iad.decision_function(X), scores - iad.offset_)
    pred = iad.predict(X)
    assert set(np.unique(pred)) == {-1, 1}
    assert abs((pred == -1).mean() - 0.1) < 0.01
    assert roc_auc_score(y, -scores) > 0.95
    auto = IAD(Centroid(), max_iter=1).fit(X)
    q1, q3 = np.percentile(-auto.score_samples(X), [25, 75])
    assert auto.offset_ == pytest.approx(-(q3 + 1.5 * (q3 - q1)))
    clone = pickle.loads(pickle.dumps(iad))
    np.testing.assert_array_equal(clone.score_samples(X), scores)
    again = IAD(IsolationForest(n_estimators=20), max_iter=2, contamination=0.1,
                random_state=0).fit(X)
    np.testing.assert_array_equal(again.score_samples(X), scores)


def test_default_estimator_is_isolation_forest_and_needs_no_torch(contaminated):
    root = Path(__file__).resolve().parents[1]
    code = textwrap.dedent(
        f"""
        import sys, types
        import numpy as np

        class BlockTorch:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError("torch is blocked in this test")

        sys.meta_path.insert(0, BlockTorch())
        pkg = types.ModuleType("skrobustad")
        pkg.__path__ = [{str(root / "skrobustad")!r}]
        sys.modules["skrobustad"] = pkg
        from skrobustad.wrappers import IAD
        X = np.random.RandomState(0).normal(size=(200, 3))
        iad = IAD(max_iter=2, random_state=0).fit(X)
        print(type(iad.round_estimators_[0]).__name__, iad.score_samples(X).shape)
        assert "torch" not in sys.modules
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "IsolationForest (200,)" in out.stdout


# ------------------------------------------------------------ benchmark suite
def test_benchmark_suite_and_oracle_protocol():
    from skrobustad.benchmark import get_method, get_protocol, get_suite
    from skrobustad.benchmark._suite_iad import BestRoundOracle

    suite = get_suite("iad")
    methods = [get_method(name) for name in suite.methods]
    # only the oracles are given labels, and they say so
    assert {m.name for m in methods if m.uses_labels} == {
        m.name for m in methods if "oracle" in m.name
    } == {f"IAD-Best-{b} (oracle)" for b in ("DeepSVDD", "MAF", "AE", "IForest")}
    # the options the paper leaves open are measured side by side; forests cannot warm-start
    names = set(suite.methods)
    variants = {"IAD-AE (warm start)", "IAD-MAF (beta=estimate)", "IAD-IForest (beta=estimate)"}
    assert variants <= names
    assert "IAD-IForest (warm start)" not in names
    table2 = get_suite("iad-table2")
    assert table2.reference[("6_cardio", "IAD-DeepSVDD")] == 0.853
    assert table2.reference[("6_cardio", "IAD-DeepSVDD (warm start)")] == 0.853
    # warm start against retraining, one change at a time (equal epochs per round; equal cost)
    warm20 = get_method("IAD-AE (warm start, 20 epochs)").make(0)
    assert warm20.warm_start and not warm20.round_params
    cold6 = get_method("IAD-DeepSVDD (6 epochs)").make(0)
    assert not cold6.warm_start and cold6.round_params == {"max_epochs": 6}
    assert {"IAD-MAF (warm start, 20 epochs)", "IAD-MAF (6 epochs)"} <= set(table2.methods)
    # the cheap IAD by rounds: the paper's rounds, fewer of them
    cheap = get_method("IAD-AE (3 rounds)").make(0)
    assert cheap.max_iter == 3 and not cheap.round_params and cheap.beta == "median"
    assert get_method("IAD-DeepSVDD (1 round)").make(0).max_iter == 1
    assert {"IAD-MAF (3 rounds)", "IAD-AE (1 round)"} <= set(table2.methods)
    # the paper's Deep SVDD setting runs beside the base in both suites (measured worse)
    for name in ("DeepSVDD (paper setting)", "DeepSVDD (paper setting, pre-trained)"):
        assert name in names and name in table2.methods
        paper = get_method(name).make(0)
        assert (paper.hidden_dims, paper.lr) == ((32, 16, 8), 1e-3)
        assert paper.max_epochs == get_method("DeepSVDD (IAD base)").make(0).max_epochs
    assert get_method("DeepSVDD (paper setting, pre-trained)").make(0).pretrain_epochs > 0

    rng = np.random.RandomState(0)
    y = (rng.uniform(size=400) < 0.1).astype(int)
    X = np.c_[np.arange(400), rng.normal(size=(400, 3)) + 3 * y[:, None]]
    plain = get_protocol("unsupervised")(X, y, random_state=3, max_train_samples=3000)
    oracle = get_protocol("iad-oracle")(X, y, random_state=3)
    np.testing.assert_array_equal(plain.X_train, oracle.X_train)
    np.testing.assert_array_equal(plain.X_test, oracle.X_test)
    np.testing.assert_array_equal(oracle.y_partial_train, y[oracle.X_train[:, 0].astype(int)])
    assert np.all(plain.y_partial_train == -1)

    est = BestRoundOracle(IAD(Centroid(), max_iter=3)).fit(
        oracle.X_train, y_partial=oracle.y_partial_train
    )
    assert est.best_round_ == int(np.argmax(est.round_auroc_))
    np.testing.assert_allclose(
        est.score_samples(X), est.iad_.round_estimators_[est.best_round_].score_samples(X)
    )
    with pytest.raises(ValueError, match="full training labels"):
        BestRoundOracle(IAD(Centroid())).fit(plain.X_train, y_partial=plain.y_partial_train)


# -------------------------------------------------------------- reproductions
def _digits_task():
    from sklearn.preprocessing import StandardScaler

    from skrobustad.datasets import load_digits_anomaly

    X, y = load_digits_anomaly(normal_class=0, contamination=0.2, return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.slow
def test_iad_improves_deep_svdd_on_embedded_digits(smoke, device):
    """The paper's claim on data every install has (scikit-learn's digits)."""
    from skrobustad.detectors import DeepSVDD

    X, y = _digits_task()
    seeds = (0,) if smoke else (0, 1, 2)
    gains = []
    for seed in seeds:
        base = DeepSVDD(hidden_dims=(32, 16, 8), max_epochs=30, batch_size=32,
                        random_state=seed, device=device)
        iad = IAD(base, max_iter=8 if smoke else 15, beta="median", selection="min_h").fit(X)
        auc = [roc_auc_score(y, -s) for s in iad.round_scores_]
        gains.append(auc[iad.best_iter_] - auc[0])
        assert iad.sample_weight_[y == 1].mean() < iad.sample_weight_[y == 0].mean() - 0.1
    # measured (15 rounds, seeds 0, 1, 2): +0.022, +0.094, +0.048
    assert min(gains) > 0 and np.mean(gains) > (0.01 if smoke else 0.03), gains


@pytest.mark.slow
def test_table2_deep_svdd_reproduction(data_home, smoke, device):
    """Table II of the paper: IAD above plain Deep SVDD, near the paper's IAD."""
    from sklearn.preprocessing import StandardScaler

    from skrobustad.detectors import DeepSVDD

    paper_iad = {"thyroid": 0.867, "satellite": 0.807, "cardio": 0.853, "satimage-2": 0.976}
    datasets = ("thyroid",) if smoke else tuple(paper_iad)
    seeds = (0,) if smoke else (0, 1, 2, 3, 4)
    for name in datasets:
        path = next((data_home / "adbench" / "Classical").glob(f"*_{name}.npz"))
        with np.load(path) as npz:
            X, y = StandardScaler().fit_transform(npz["X"]), npz["y"].astype(int)
        base_auc, iad_auc = [], []
        for seed in seeds:
            dims = (32, 16, 4) if name == "thyroid" else (32, 16, 8)
            base = DeepSVDD(hidden_dims=dims, activation="leaky_relu", lr=1e-4,
                            max_epochs=20, batch_size=128, random_state=seed, device=device)
            iad = IAD(base, max_iter=15, beta="tukey", selection="min_h").fit(X)
            auc = [roc_auc_score(y, -s) for s in iad.round_scores_]
            base_auc.append(auc[0])
            iad_auc.append(auc[iad.best_iter_])
        assert np.mean(iad_auc) > np.mean(base_auc), (name, base_auc, iad_auc)
        # closeness to the paper's 5-seed mean is only checked over 5 seeds; the
        # one-seed smoke form checks the behaviour (IAD above its base) alone
        if name == "thyroid" and not smoke:
            assert np.mean(iad_auc) >= paper_iad[name] - 0.03, iad_auc


def test_importance_weights_stay_finite_for_a_tiny_spread():
    from skrobustad.wrappers import importance_weights

    weights = importance_weights(np.array([2.2e-308, 0.0, 0.0]))
    assert np.all(np.isfinite(weights)) and np.all((weights >= 0) & (weights <= 1))


def test_warns_when_the_base_ignores_the_weights():
    # IsolationForest uses sample_weight only to draw its subsamples: with
    # max_samples='auto' = min(256, n) it draws every row of 200, so IAD's
    # rounds are the base; at 1000 rows the weights change the subsamples
    rng = np.random.RandomState(0)
    small, large = rng.normal(size=(200, 3)), rng.normal(size=(1000, 3))
    with pytest.warns(WeightsIgnoredWarning, match="IsolationForest.fit gave the same"):
        ignored = IAD(IsolationForest(n_estimators=20, random_state=0), max_iter=1).fit(small)
    np.testing.assert_array_equal(ignored.round_scores_[1], ignored.round_scores_[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeightsIgnoredWarning)
        IAD(IsolationForest(n_estimators=20, random_state=0), max_iter=1).fit(large)
        IAD(Centroid(), max_iter=2).fit(small)
    # constant scores give uniform weights, which leave a weighted fit unchanged
    with pytest.warns(ConstantScoresWarning) as record:
        IAD(Centroid(), max_iter=1).fit(np.ones((20, 2)))
    assert not any(issubclass(w.category, WeightsIgnoredWarning) for w in record)


def test_round_seeds_new_gives_every_round_its_own_seed():
    class SeedSpy(OutlierMixin, BaseEstimator):
        def __init__(self, random_state=None):
            self.random_state = random_state

        def fit(self, X, y=None, sample_weight=None):
            self.seen_ = self.random_state
            return self

        def score_samples(self, X):
            return -np.random.RandomState(self.random_state).uniform(size=len(X))

    X = np.random.RandomState(0).normal(size=(40, 2))
    fixed = IAD(SeedSpy(random_state=3), max_iter=3).fit(X)
    assert [m.seen_ for m in fixed.round_estimators_] == [3, 3, 3, 3]
    new = IAD(SeedSpy(random_state=3), max_iter=3, round_seeds="new").fit(X)
    seeds = [m.seen_ for m in new.round_estimators_]
    assert seeds[0] == 3 and len(set(seeds)) == 4
    again = IAD(SeedSpy(random_state=3), max_iter=3, round_seeds="new").fit(X)
    assert [m.seen_ for m in again.round_estimators_] == seeds  # deterministic
    drawn = IAD(SeedSpy(), max_iter=2, round_seeds="new", random_state=0).fit(X)
    assert len({m.seen_ for m in drawn.round_estimators_}) == 3


@pytest.mark.parametrize("make_base", [
    lambda: IsolationForest(n_estimators=20, random_state=0),
    lambda: AutoEncoder(hidden_dims=(4, 2), max_epochs=3, batch_size=32, random_state=5,
                        device="cpu"),
], ids=["IsolationForest", "AutoEncoder"])
def test_round_zero_is_exactly_the_base(contaminated, make_base):
    # round 0 has all-one weights: an unweighted fit, so IAD's first round is
    # the user's base (IsolationForest draws other subsamples when given
    # sample_weight, even all ones); user weights are still passed on
    X, _ = contaminated
    base = make_base().fit(X)
    iad = IAD(make_base(), max_iter=1).fit(X)
    np.testing.assert_array_equal(iad.round_scores_[0], base.score_samples(X))
    spy = IAD(Centroid(), max_iter=1).fit(X, sample_weight=np.full(len(X), 2.0))
    np.testing.assert_array_equal(spy.round_estimators_[0].weight_seen_, 2.0)


@pytest.mark.parametrize("params", [dict(round_seeds="fixed"), dict(round_seeds="new"),
                                    dict(n_estimators=2, random_state=0)],
                         ids=["fixed", "new", "ensemble"])
def test_fewer_rounds_are_the_first_rounds_of_more(contaminated, params):
    # the cheap IAD (max_iter=3) is the paper form stopped early, and the
    # contamination suite's per-round AUROCs rely on it (tools/measurements/iad_rounds.py)
    X, _ = contaminated
    base = AutoEncoder(hidden_dims=(4, 2), max_epochs=3, batch_size=32, random_state=5,
                       device="cpu")
    long = IAD(base, max_iter=6, selection="min_h", **params).fit(X)
    short = IAD(base, max_iter=3, selection="min_h", **params).fit(X)
    np.testing.assert_array_equal(short.round_scores_, long.round_scores_[:4])
    np.testing.assert_array_equal(short.termination_values_, long.termination_values_[:4])
    assert short.best_iter_ == 1 + int(np.nanargmin(long.termination_values_[1:4]))


# ------------------------------------------------------------ weight scale
class GaussianDensity(Centroid):
    """Toy density model: ``score_samples`` is the log-density of a unit Gaussian."""

    def score_samples(self, X):
        return 0.5 * super().score_samples(X) - np.log(2 * np.pi)


@pytest.mark.parametrize("beta", ["median", "tukey", 0.1, "estimate"])
def test_likelihood_weight_scale_weights_by_the_likelihood(contaminated, beta):
    # the paper's Eq. 8 scores a flow by -p(x), not -log p(x)
    X, _ = contaminated
    rule = IAD(Centroid(), beta=beta)
    iad = IAD(GaussianDensity(), max_iter=2, beta=beta, weight_scale="likelihood",
              selection="min_h").fit(X)
    minus_p = -np.exp(iad.round_scores_[0])
    np.testing.assert_allclose(
        iad.round_weights_[1], rule._weights_from(minus_p, otsu_contamination(minus_p)),
        rtol=1e-9, atol=1e-12,
    )
    score = IAD(GaussianDensity(), max_iter=2, beta=beta).fit(X)
    minus_log_p = -score.round_scores_[0]
    np.testing.assert_allclose(
        score.round_weights_[1],
        rule._weights_from(minus_log_p, otsu_contamination(minus_log_p)),
        rtol=1e-9, atol=1e-12,
    )
    assert not np.allclose(score.round_weights_[1], iad.round_weights_[1])


def test_likelihood_weights_are_bounded_below_as_in_the_paper(contaminated):
    # with beta = median and 1 / tau = 4 a zero likelihood gets sigmoid(-4) = 0.018
    # (here the median likelihood is nearer 0 than the largest, so the spread is
    # measured on that side); from -log p the far anomalies' weights reach 0
    X, _ = contaminated
    iad = IAD(GaussianDensity(), max_iter=1, beta="median", weight_scale="likelihood",
              selection="min_h").fit(X)
    assert iad.round_weights_[1].min() == pytest.approx(1 / (1 + np.exp(4)), rel=0.05)
    score = IAD(GaussianDensity(), max_iter=1, beta="median").fit(X)
    assert score.round_weights_[1].min() < 1e-3


def test_likelihood_weight_scale_needs_a_single_model_and_works_with_maf(contaminated):
    from sklearn.neighbors import KernelDensity

    from skrobustad import MAF

    X, _ = contaminated
    with pytest.raises(ValueError, match="single model per round"):
        IAD(GaussianDensity(), n_estimators=2, weight_scale="likelihood",
            selection="min_h").fit(X)
    kde = IAD(KernelDensity(bandwidth=0.5), max_iter=1, beta="median",
              weight_scale="likelihood", selection="min_h").fit(X)
    assert kde.round_weights_[1].min() > 0.01
    maf = {
        scale: IAD(MAF(max_epochs=2, random_state=0, device="cpu"), max_iter=1, beta="median",
                   weight_scale=scale, selection="min_h").fit(X)
        for scale in ("likelihood", "score")
    }
    # the same round 0; the likelihood's weights of the anomalies stay above 0
    np.testing.assert_array_equal(maf["likelihood"].round_scores_[0],
                                  maf["score"].round_scores_[0])
    assert maf["likelihood"].round_weights_[1].min() > 1e-3
    assert maf["score"].round_weights_[1].min() < 1e-6
    assert np.all(np.isfinite(maf["likelihood"].score_samples(X)))
