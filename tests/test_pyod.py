"""PyODAdapter: skrobustad detectors inside PyOD's tools (DESIGN.md §1)."""

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from pyod.models.base import BaseDetector
from pyod.models.feature_bagging import FeatureBagging
from pyod.models.iforest import IForest
from pyod.models.lscp import LSCP
from pyod.utils.data import generate_data
from pyod.utils.utility import precision_n_scores
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skrobustad import AESAD, IAD, AutoEncoder
from skrobustad.exceptions import LabelsIgnoredWarning
from skrobustad.pyod import PyODAdapter, make_pyod_adapter

TINY_AE = dict(hidden_dims=(4, 2), max_epochs=10, batch_size=64)


def tiny_ae(device, random_state=0, **overrides):
    return AutoEncoder(**{**TINY_AE, "random_state": random_state, "device": device, **overrides})


@pytest.fixture(scope="module")
def planted():
    """300 Gaussian inliers and 15 far-away planted anomalies (y: 1 = anomaly)."""
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(300, 5)), rng.normal(loc=5.0, size=(15, 5))]
    y = np.r_[np.zeros(300, int), np.ones(15, int)]
    return X, y


# --------------------------------------------------------------------- spies
class SpyDetector(OutlierMixin, BaseEstimator):
    """Distance to the training mean; records the y_partial its fit received.

    It declares that it uses anomaly labels, as a semi-supervised detector.
    """

    _uses_anomaly_labels = True

    def fit(self, X, y=None, *, y_partial=None):
        X = np.asarray(X, dtype=float)
        self.center_ = X.mean(axis=0)
        self.y_partial_ = None if y_partial is None else np.array(y_partial)
        self.n_fit_samples_ = X.shape[0]
        return self

    def score_samples(self, X):
        check_is_fitted(self)
        return -np.linalg.norm(np.asarray(X, dtype=float) - self.center_, axis=1)


class NoLabelDetector(SpyDetector):
    """Same detector, but its fit has no y_partial parameter."""

    def fit(self, X, y=None):
        return super().fit(X)


class UnsupervisedSpy(SpyDetector):
    """Takes y_partial in fit but does not declare that it uses anomaly labels."""

    _uses_anomaly_labels = False


class ThirdPartySpy(OutlierMixin, BaseEstimator):
    """A detector from elsewhere: fit takes y_partial, no _uses_anomaly_labels."""

    def fit(self, X, y=None, *, y_partial=None):
        self.y_partial_ = None if y_partial is None else np.array(y_partial)
        self.center_ = np.asarray(X, dtype=float).mean(axis=0)
        return self

    def score_samples(self, X):
        return -np.linalg.norm(np.asarray(X, dtype=float) - self.center_, axis=1)


class FakeMetaLearner(BaseEstimator):
    """A meta-learner: ``fit`` on a list of tasks, ``adapt`` returns a new detector.

    ``adapt`` returns a SpyDetector bound to the support set and leaves the
    meta-learner unchanged (it only logs the call, for the test).
    """

    _uses_anomaly_labels = True

    def __init__(self, adapt_log=None):
        self.adapt_log = adapt_log

    def fit(self, X, y=None, *, y_partial=None):
        self.n_tasks_ = len(X)
        self.n_meta_fits_ = getattr(self, "n_meta_fits_", 0) + 1
        return self

    def adapt(self, X_support, *, y_partial=None):
        check_is_fitted(self)
        if self.adapt_log is not None:
            self.adapt_log.append(len(X_support))
        return SpyDetector().fit(X_support, y_partial=y_partial)


class UnsupervisedMetaLearner(FakeMetaLearner):
    """A meta-learner whose adapt takes y_partial but does not use labels."""

    _uses_anomaly_labels = False


# ---------------------------------------------------------------- basic API
def test_adapter_is_a_pyod_detector_with_pyod_attributes(planted, device):
    X, y = planted
    clf = PyODAdapter(tiny_ae(device), contamination=0.05).fit(X)
    assert isinstance(clf, BaseDetector)
    assert isinstance(clf.estimator_, AutoEncoder) and clf.estimator_ is not clf.estimator
    assert clf.decision_scores_.shape == (len(X),)
    assert set(np.unique(clf.labels_)) <= {0, 1}
    np.testing.assert_array_equal(clf.labels_, clf.decision_scores_ > clf.threshold_)
    assert clf.threshold_ == pytest.approx(np.percentile(clf.decision_scores_, 95))
    # predict on the training data reproduces labels_
    np.testing.assert_array_equal(clf.predict(X), clf.labels_)


def test_sign_convention_higher_is_more_abnormal(planted, device):
    X, y = planted
    clf = PyODAdapter(tiny_ae(device)).fit(X)
    scores = clf.decision_function(X)
    np.testing.assert_allclose(scores, -clf.estimator_.score_samples(X))
    np.testing.assert_allclose(clf.decision_scores_, scores)
    assert scores[y == 1].mean() > scores[y == 0].mean()
    assert roc_auc_score(y, scores) > 0.9
    assert roc_auc_score(y, clf.predict_proba(X)[:, 1]) > 0.9


def test_predict_proba_confidence_and_fit_predict(planted, device):
    X, _ = planted
    clf = PyODAdapter(tiny_ae(device), contamination=0.05).fit(X)
    for method in ("linear", "unify"):
        proba = clf.predict_proba(X, method=method)
        assert proba.shape == (len(X), 2)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert ((proba >= 0) & (proba <= 1)).all()
    pred, conf = clf.predict(X[:20], return_confidence=True)
    assert set(np.unique(pred)) <= {0, 1}
    assert ((conf >= 0) & (conf <= 1)).all()
    conf = clf.predict_confidence(X[:20])
    assert conf.shape == (20,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # PyOD deprecates fit_predict
        labels = clone(clf).fit_predict(X)
    np.testing.assert_array_equal(labels, clf.labels_)


def test_get_params_set_params_and_clone(device):
    clf = PyODAdapter(tiny_ae(device), contamination=0.2)
    params = clf.get_params(deep=True)
    assert params["contamination"] == 0.2
    assert params["estimator__hidden_dims"] == (4, 2)
    clf.set_params(estimator__max_epochs=3, contamination=0.1)
    assert clf.estimator.max_epochs == 3 and clf.contamination == 0.1
    cloned = clone(clf)
    assert cloned.estimator is not clf.estimator
    assert cloned.get_params(deep=False).keys() == clf.get_params(deep=False).keys()
    assert cloned.estimator.get_params() == clf.estimator.get_params()
    assert "PyODAdapter" in repr(clf)


def test_not_fitted_and_invalid_parameters(planted, device):
    X, _ = planted
    with pytest.raises(NotFittedError):
        PyODAdapter(tiny_ae(device)).decision_function(X)
    with pytest.raises(ValueError, match=r"contamination must be in \(0, 0.5\]"):
        PyODAdapter(tiny_ae(device), contamination=0.7).fit(X)
    with pytest.raises(TypeError, match="score_samples"):
        PyODAdapter(object()).fit(X)


def test_wraps_scikit_learn_detectors_and_pipelines(planted):
    X, y = planted
    clf = PyODAdapter(IsolationForest(random_state=0)).fit(X)
    np.testing.assert_allclose(clf.decision_function(X), -clf.estimator_.score_samples(X))
    assert roc_auc_score(y, clf.decision_scores_) > 0.9
    pipe = PyODAdapter(make_pipeline(StandardScaler(), SpyDetector())).fit(X)
    assert roc_auc_score(y, pipe.decision_scores_) > 0.9


# ----------------------------------------------------------------- labels
def test_pyod_labels_reach_the_estimator_as_y_partial(planted):
    X, y = planted
    clf = PyODAdapter(SpyDetector()).fit(X, y)
    np.testing.assert_array_equal(clf.estimator_.y_partial_, np.where(y == 1, 1, -1))
    # also through a Pipeline (to its last step), and without labels
    pipe = PyODAdapter(make_pipeline(StandardScaler(), SpyDetector())).fit(X, y)
    np.testing.assert_array_equal(pipe.estimator_[-1].y_partial_, np.where(y == 1, 1, -1))
    assert PyODAdapter(SpyDetector()).fit(X).estimator_.y_partial_ is None
    # PyOD's generate_data returns float labels
    floats = PyODAdapter(SpyDetector()).fit(X, y.astype(float))
    np.testing.assert_array_equal(floats.estimator_.y_partial_, np.where(y == 1, 1, -1))


def tiny_aesad(device, random_state=0):
    return AESAD(**{**TINY_AE, "random_state": random_state, "device": device})


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(tiny_ae, id="AutoEncoder"),
        pytest.param(
            lambda device: make_pipeline(StandardScaler(), tiny_ae(device)), id="Pipeline-AE"
        ),
        pytest.param(
            lambda device: IAD(IsolationForest(n_estimators=20), max_iter=2, random_state=0),
            id="IAD-IsolationForest",
        ),
        pytest.param(lambda device: IsolationForest(random_state=0), id="IsolationForest"),
        pytest.param(lambda device: UnsupervisedSpy(), id="unsupervised-spy"),
        pytest.param(lambda device: ThirdPartySpy(), id="third-party-spy"),
    ],
)
def test_unsupervised_estimators_ignore_pyod_labels(planted, device, make):
    """PyOD's convention: fit(X, y) on an unsupervised detector is fit(X), with a warning.

    An unsupervised benchmark loop calling fit(X_train, y_train) must not leak
    the labels into the detector (skrobustad's AutoEncoder, told y_partial,
    would leave the labeled anomalies out of its training).
    """
    X, y = planted
    with pytest.warns(LabelsIgnoredWarning, match="does not use anomaly labels") as record:
        with_y = PyODAdapter(make(device)).fit(X, y)
    inner = with_y.estimator_
    inner = inner[-1] if hasattr(inner, "steps") else inner
    assert type(inner).__name__ in str(record[0].message)  # names who ignores y
    assert getattr(inner, "y_partial_", None) is None  # the spies saw no labels
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelsIgnoredWarning)
        without_y = PyODAdapter(make(device)).fit(X)
    np.testing.assert_allclose(with_y.decision_scores_, without_y.decision_scores_, rtol=1e-6)
    np.testing.assert_allclose(
        with_y.decision_function(X[:50]), without_y.decision_function(X[:50]), rtol=1e-6
    )
    np.testing.assert_array_equal(with_y.labels_, without_y.labels_)


def test_pyod_labels_train_a_semi_supervised_aesad(planted, device):
    """AESAD uses anomaly labels: PyOD's y reaches it as y_partial and changes the model."""
    X, y = planted
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelsIgnoredWarning)
        clf = PyODAdapter(tiny_aesad(device)).fit(X, y)
    ref = tiny_aesad(device).fit(X, y_partial=np.where(y == 1, 1, -1))
    with pytest.warns(UserWarning, match="no labeled anomalies"):
        plain = PyODAdapter(tiny_aesad(device)).fit(X)  # AESAD says it got no labels
    np.testing.assert_allclose(clf.decision_function(X), -ref.score_samples(X), rtol=1e-6)
    assert not np.allclose(clf.decision_function(X), plain.decision_function(X))


def test_iad_follows_its_base_estimator_for_pyod_labels(planted, device):
    """IAD hands labels on to its base estimator only: it uses them iff the base does."""
    X, y = planted
    y_partial = np.where(y == 1, 1, -1)
    iad = IAD(tiny_aesad(device), max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelsIgnoredWarning)
        clf = PyODAdapter(iad).fit(X, y)
    ref = clone(iad).fit(X, y_partial=y_partial)
    np.testing.assert_allclose(clf.decision_function(X), -ref.score_samples(X), rtol=1e-6)
    # IAD's default base estimator (IsolationForest) ignores them
    with pytest.warns(LabelsIgnoredWarning, match="IAD does not use anomaly labels"):
        PyODAdapter(IAD(max_iter=1, n_estimators=1, random_state=0)).fit(X, y)


def test_labels_without_y_partial_support_warn_and_bad_labels_raise(planted):
    X, y = planted
    with pytest.warns(LabelsIgnoredWarning, match="labeled anomalies in y are ignored"):
        PyODAdapter(NoLabelDetector()).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PyODAdapter(NoLabelDetector()).fit(X, np.zeros(len(X), int))  # nothing labeled
    with pytest.raises(ValueError, match=r"1 \(labeled anomaly\) and 0 \(unlabeled\)"):
        PyODAdapter(SpyDetector()).fit(X, np.where(y == 1, 1, -1))
    with pytest.raises(ValueError, match="entries but X has"):
        PyODAdapter(SpyDetector()).fit(X, y[:-1])


# ------------------------------------------------------------ meta-learners
def test_meta_learner_fit_means_adapt(planted):
    X, y = planted
    rng = np.random.RandomState(1)
    log = []
    meta = FakeMetaLearner(adapt_log=log).fit([rng.normal(size=(50, 5)) for _ in range(3)])
    clf = PyODAdapter(meta).fit(X)
    assert clf.estimator is meta  # not cloned: the meta-training is kept
    assert meta.n_meta_fits_ == 1 and log == [len(X)]  # adapted, not refitted
    assert isinstance(clf.estimator_, SpyDetector)
    np.testing.assert_allclose(clf.estimator_.center_, X.mean(axis=0))
    np.testing.assert_allclose(clf.decision_function(X), -clf.estimator_.score_samples(X))
    assert roc_auc_score(y, clf.decision_scores_) > 0.9

    # adapting to a second task gives a new detector; the first is untouched
    first = clf.estimator_
    other = PyODAdapter(meta).fit(X[:100] + 3.0)
    assert other.estimator_ is not first
    np.testing.assert_allclose(first.center_, X.mean(axis=0))
    # PyOD labels reach adapt as y_partial (the meta-learner uses anomaly labels)
    labeled = PyODAdapter(meta).fit(X, y)
    np.testing.assert_array_equal(labeled.estimator_.y_partial_, np.where(y == 1, 1, -1))
    # ... and an unsupervised meta-learner ignores them with a warning
    unsup = UnsupervisedMetaLearner().fit([X[:50]])
    with pytest.warns(LabelsIgnoredWarning, match="does not use anomaly labels"):
        ignored = PyODAdapter(unsup).fit(X, y)
    assert ignored.estimator_.y_partial_ is None


def test_meta_learner_must_be_meta_fitted(planted):
    X, _ = planted
    with pytest.raises(NotFittedError, match="must be meta-fitted"):
        PyODAdapter(FakeMetaLearner()).fit(X)


# ----------------------------------------------------- PyOD's own machinery
def test_pyod_benchmark_loop_beside_iforest(device):
    """The classic PyOD loop: generate_data, fit, decision_function, predict, AUROC."""
    X_train, X_test, y_train, y_test = generate_data(
        n_train=300, n_test=150, n_features=5, contamination=0.1, random_state=0
    )
    detectors = {
        "skrobustad AE": PyODAdapter(make_pipeline(StandardScaler(), tiny_ae(device))),
        "PyOD IForest": IForest(random_state=0),
    }
    results = {}
    for name, clf in detectors.items():
        clf.fit(X_train)
        train_scores = clf.decision_scores_
        test_scores = clf.decision_function(X_test)
        test_pred = clf.predict(X_test)
        proba = clf.predict_proba(X_test)
        assert set(np.unique(test_pred)) <= {0, 1}
        assert proba.shape == (len(X_test), 2)
        results[name] = (
            roc_auc_score(y_train, train_scores),
            roc_auc_score(y_test, test_scores),
            precision_n_scores(y_test, test_scores),
        )
    for name, (train_auc, test_auc, _) in results.items():
        assert train_auc > 0.9 and test_auc > 0.9, (name, results)


def test_suod_with_adapters(planted, device):
    pytest.importorskip("suod", reason="SUOD needs the optional suod package")
    from pyod.models.suod import SUOD

    X, y = planted
    with warnings.catch_warnings():
        # SUOD codes detectors it does not know as "UNK" (no random projection,
        # no approximation) and says so, at construction and at fit
        warnings.filterwarnings("ignore", message="UNK does not have a predefined code")
        clf = SUOD(
            base_estimators=[
                PyODAdapter(tiny_ae(device, random_state=0)),
                PyODAdapter(tiny_ae(device, random_state=1)),
                IForest(n_estimators=50, random_state=0),
            ],
            n_jobs=1,
            bps_flag=False,  # the cost predictor knows PyOD's detectors only
            combination="average",
        )
        clf.fit(X)
        scores = clf.decision_function(X)
        pred = clf.predict(X)
    fitted = clf.model_.base_estimators
    assert [type(e).__name__ for e in fitted] == ["PyODAdapter", "PyODAdapter", "IForest"]
    assert all(hasattr(e, "estimator_") for e in fitted[:2])
    assert roc_auc_score(y, clf.decision_scores_) > 0.9
    assert roc_auc_score(y, scores) > 0.9
    assert set(np.unique(pred)) <= {0, 1}


def test_lscp_with_adapters(planted, device):
    X, y = planted
    X, y = X[150:], y[150:]  # LSCP's local regions cost O(n^2): keep it small
    detectors = [PyODAdapter(tiny_ae(device, random_state=s)) for s in (0, 1)]
    clf = LSCP(detectors, local_region_size=30, n_bins=2, random_state=0).fit(X)
    assert all(hasattr(d, "estimator_") for d in detectors)  # LSCP fits them in place
    assert roc_auc_score(y, clf.decision_scores_) > 0.9
    assert roc_auc_score(y, clf.decision_function(X)) > 0.9


def test_feature_bagging_with_adapter(planted, device):
    X, y = planted
    clf = FeatureBagging(
        base_estimator=PyODAdapter(tiny_ae(device)), n_estimators=3, random_state=0
    ).fit(X)
    assert len(clf.estimators_) == 3
    assert all(isinstance(e, PyODAdapter) for e in clf.estimators_)
    # FeatureBagging seeds each clone through estimator__random_state
    seeds = {e.estimator_.random_state for e in clf.estimators_}
    assert len(seeds) == 3
    widths = [e.estimator_.n_features_in_ for e in clf.estimators_]
    assert widths == [len(f) for f in clf.estimators_features_]
    assert roc_auc_score(y, clf.decision_function(X)) > 0.9


# ---------------------------------------------------------------- ADEngine
def _knowledge_dir_with_skrobustad(path, device):
    """PyOD's bundled knowledge base plus one skrobustad detector and a rule."""
    import pyod.utils.knowledge as bundled

    source = Path(bundled.__file__).parent
    for name in ("algorithms.json", "benchmarks.json", "papers.json", "routing_rules.json"):
        shutil.copy(source / name, path / name)
    algorithms = json.loads((path / "algorithms.json").read_text())
    algorithms["SkrobustadAutoEncoder"] = {
        "class_path": "skrobustad.pyod.make_pyod_adapter",
        "full_name": "skrobustad AutoEncoder (PyODAdapter)",
        "status": "shipped",
        "data_types": ["tabular"],
        "category": "deep_learning",
        "complexity": {"time": "O(n * d * h * epochs)", "space": "O(d * h)"},
        "strengths": ["Robust training on contaminated data"],
        "weaknesses": ["Needs tuning of architecture and epochs"],
        "best_for": "Tabular data with nonlinear structure",
        "avoid_when": "Training time is limited",
        "benchmark_refs": [],
        "benchmark_rank": {},
        "paper": {"id": "autoencoder", "short": "Aggarwal, 2017"},
        "default_params": {"contamination": 0.1},
        "preprocessing_mode": "external",
        "requires": ["torch", "skrobustad"],
        "version_added": "skrobustad 0.1",
    }
    (path / "algorithms.json").write_text(json.dumps(algorithms))
    rules = json.loads((path / "routing_rules.json").read_text())
    rules["rules"].insert(
        0,
        {
            "id": "skrobustad_tabular_accuracy",
            "conditions": [
                {"field": "data_type", "op": "eq", "value": "tabular"},
                {"field": "priority", "op": "eq", "value": "accuracy"},
            ],
            "recommendations": [
                {
                    "detector": "SkrobustadAutoEncoder",
                    "params": {"estimator": "AutoEncoder", "device": device, "random_state": 0,
                               **{k: list(v) if isinstance(v, tuple) else v
                                  for k, v in TINY_AE.items()}},
                    "confidence": 0.95,
                }
            ],
            "reason": "Tabular data, accuracy first: a robust deep detector",
            "evidence": [],
        },
    )
    (path / "routing_rules.json").write_text(json.dumps(rules))
    return path


def test_adengine_selects_and_runs_a_skrobustad_detector(tmp_path, planted, device):
    from pyod.utils.ad_engine import ADEngine

    X, y = planted
    engine = ADEngine(knowledge_dir=str(_knowledge_dir_with_skrobustad(tmp_path, device)))
    names = [d["name"] for d in engine.list_detectors(data_type="tabular")]
    assert "SkrobustadAutoEncoder" in names and "IForest" in names

    profile = engine.profile_data(X)
    plan = engine.plan_detection(profile, priority="accuracy")
    assert plan["detector_name"] == "SkrobustadAutoEncoder"
    assert plan["params"]["contamination"] == 0.1  # from the entry's default_params
    result = engine.run_detection(X, plan, X_test=X[:20])
    clf = result["detector"]
    assert isinstance(clf, PyODAdapter) and isinstance(clf.estimator_, AutoEncoder)
    assert clf.estimator_.hidden_dims == [4, 2] and clf.estimator_.max_epochs == 10
    assert roc_auc_score(y, result["scores_train"]) > 0.9
    np.testing.assert_allclose(result["scores_test"], clf.decision_function(X[:20]))
    assert result["n_anomalies"] == clf.labels_.sum()

    # the other priorities still route to PyOD's own detectors
    assert engine.plan_detection(profile, priority="speed")["detector_name"] != (
        "SkrobustadAutoEncoder"
    )

    # the multi-detector investigation workflow runs it beside PyOD's detectors
    state = engine.plan(engine.start(X), priority="accuracy")
    state = engine.analyze(engine.run(state))
    assert [r["status"] for r in state.results] == ["success"] * len(state.results)
    assert state.results[0]["detector_name"] == "SkrobustadAutoEncoder"
    assert len(state.results) > 1


def test_adengine_caller_driven_plan_with_an_estimator_instance(tmp_path, planted, device):
    from pyod.utils.ad_engine import ADEngine

    X, y = planted
    engine = ADEngine(knowledge_dir=str(_knowledge_dir_with_skrobustad(tmp_path, device)))
    plan = engine.make_plan(
        ["SkrobustadAutoEncoder", "IForest"],
        params=[{"estimator": tiny_ae(device)}, {"random_state": 0}],
    )
    result = engine.run_detection(X, plan)
    assert isinstance(result["detector"], PyODAdapter)
    assert roc_auc_score(y, result["scores_train"]) > 0.9


def test_make_pyod_adapter_resolves_names_paths_and_instances(device):
    ae = make_pyod_adapter("AutoEncoder", contamination=0.2, hidden_dims=[8, 2], device=device)
    assert isinstance(ae, PyODAdapter) and ae.contamination == 0.2
    assert isinstance(ae.estimator, AutoEncoder) and ae.estimator.hidden_dims == [8, 2]
    iforest = make_pyod_adapter("sklearn.ensemble.IsolationForest", n_estimators=10)
    assert isinstance(iforest.estimator, IsolationForest)
    assert iforest.estimator.n_estimators == 10
    base = tiny_ae(device)
    from_instance = make_pyod_adapter(base, max_epochs=2)
    assert from_instance.estimator.max_epochs == 2 and base.max_epochs == 10
    iad = make_pyod_adapter("skrobustad.wrappers.IAD", max_iter=2)
    assert isinstance(iad.estimator, IAD) and iad.estimator.max_iter == 2
    ocsvm = make_pyod_adapter("sklearn.svm.OneClassSVM", nu=0.2)
    assert type(ocsvm.estimator).__name__ == "OneClassSVM" and ocsvm.estimator.nu == 0.2


# ------------------------------------------- make_pyod_adapter: hostile input
@pytest.mark.parametrize(
    "name, params, why",
    [
        # arbitrary callables: each would create the marker file if it were called
        ("os.system", lambda m: {"command": f"touch '{m}'"}, "module 'os' is not allowed"),
        ("subprocess.run", lambda m: {"args": ["touch", str(m)]}, "'subprocess' is not allowed"),
        ("builtins.open", lambda m: {"file": str(m), "mode": "w"}, "'builtins' is not allowed"),
        ("builtins.eval", lambda m: {}, "'builtins' is not allowed"),
        # functions and non-estimator classes of allowed modules
        ("skrobustad.pyod.make_pyod_adapter", lambda m: {}, "function, not an estimator class"),
        ("skrobustad.wrappers.importance_weights", lambda m: {"anomaly_scores": [0.0, 1.0]},
         "function, not an estimator class"),
        ("skrobustad.exceptions.LabelsIgnoredWarning", lambda m: {},
         "not a scikit-learn estimator class"),
        ("sklearn.ensemble.RandomForestClassifier", lambda m: {}, "not an outlier detector"),
        ("BaseDeepDetector", lambda m: {}, "abstract"),
        ("skrobustad.pyod.PyODAdapter", lambda m: {}, "already a PyOD detector"),
        ("pyod.models.iforest.IForest", lambda m: {}, "'pyod.models.iforest' is not allowed"),
        ("sklearn.ensemble._iforest.IsolationForest", lambda m: {}, "private component"),
        # names that do not exist or are not names
        ("NoSuchDetector", lambda m: {}, "not a public skrobustad estimator"),
        ("__version__", lambda m: {}, "not a public skrobustad estimator"),
        ("sklearn.ensemble.NoSuchForest", lambda m: {}, "cannot be imported"),
        ("skrobustad.no_such_module.Detector", lambda m: {}, "cannot be imported"),
        ("no_such_module.Detector", lambda m: {}, "'no_such_module' is not allowed"),
        ("..os.system", lambda m: {}, "not a \\(dotted\\) Python name"),
    ],
)
def test_make_pyod_adapter_refuses_anything_but_estimator_classes(tmp_path, name, params, why):
    """Knowledge-base strings are data: only allowed estimator classes are resolved."""
    marker = tmp_path / "executed"
    with pytest.raises(ValueError, match=why) as excinfo:
        make_pyod_adapter(name, **params(marker))
    message = str(excinfo.value)
    assert repr(name) in message  # names the string and what is allowed
    assert "sklearn.ensemble.IsolationForest" in message and "AutoEncoder" in message
    assert not marker.exists()  # nothing was called


def test_make_pyod_adapter_imports_no_refused_module(monkeypatch):
    """A refused module is not even imported (import-time code never runs)."""
    import importlib

    imported = []
    real = importlib.import_module

    def spy(module, *args):
        imported.append(module)
        return real(module, *args)

    monkeypatch.setattr(importlib, "import_module", spy)
    for name in ("os.system", "subprocess.run", "no_such_module.X", "pyod.models.base.X"):
        with pytest.raises(ValueError, match="is not allowed"):
            make_pyod_adapter(name)
    assert imported == []
    make_pyod_adapter("sklearn.ensemble.IsolationForest")  # the spy sees allowed imports
    assert imported == ["sklearn.ensemble"]
