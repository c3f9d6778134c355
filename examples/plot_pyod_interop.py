"""
==========================================
skrobustad detectors inside PyOD's toolbox
==========================================

:class:`skrobustad.pyod.PyODAdapter` turns any skrobustad detector into a
PyOD detector: ``decision_function`` is higher for more abnormal samples,
``predict`` returns 0/1 and ``fit`` sets ``decision_scores_``, ``threshold_``
and ``labels_``. This example runs a skrobustad
:class:`~skrobustad.AutoEncoder`

1. in the classic PyOD benchmark loop, beside PyOD's own detectors;
2. with PyOD's labels (1 = labeled anomaly, 0 = unlabeled), which only the
   semi-supervised detectors use;
3. inside PyOD's combination frameworks (SUOD, LSCP, FeatureBagging);
4. in PyOD's ``ADEngine``, registered through a custom knowledge directory so
   the engine can select and run it.
"""

# %%
# Data and detectors
# ------------------
# ``generate_data`` puts the inliers around a common centre and scatters the
# outliers uniformly, with 10% contamination in the training data. The
# autoencoder sees standardised data through a Pipeline; PyODAdapter accepts a
# Pipeline like any other estimator.
import json
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pyod.utils.knowledge
from pyod.models.ecod import ECOD
from pyod.models.feature_bagging import FeatureBagging
from pyod.models.iforest import IForest
from pyod.models.lscp import LSCP
from pyod.utils.ad_engine import ADEngine
from pyod.utils.data import generate_data
from pyod.utils.utility import precision_n_scores
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrobustad import AESAD, AutoEncoder
from skrobustad.exceptions import LabelsIgnoredWarning
from skrobustad.pyod import PyODAdapter

X_train, X_test, y_train, y_test = generate_data(
    n_train=500, n_test=250, n_features=6, contamination=0.1, random_state=42
)


def autoencoder(random_state=0):
    return make_pipeline(
        StandardScaler(),
        AutoEncoder(
            hidden_dims=(16, 4), max_epochs=30, batch_size=64, random_state=random_state,
            device="cpu",
        ),
    )


detectors = {
    "skrobustad AutoEncoder": PyODAdapter(autoencoder(), contamination=0.1),
    "PyOD IForest": IForest(random_state=0),
    "PyOD ECOD": ECOD(),
}

# %%
# The PyOD benchmark loop
# -----------------------
# Every detector goes through the same calls; the adapter needs no special case.
# ``decision_function`` is an anomaly score, so ROC AUC is computed on it as is.
print(f"{'detector':<24} {'train AUROC':>11} {'test AUROC':>10} {'test P@n':>8} {'time':>6}")
test_scores = {}
for name, clf in detectors.items():
    start = time.perf_counter()
    clf.fit(X_train)
    elapsed = time.perf_counter() - start
    test_scores[name] = clf.decision_function(X_test)
    test_labels = clf.predict(X_test)  # 0 inlier, 1 outlier
    test_proba = clf.predict_proba(X_test)[:, 1]  # outlier probability
    print(
        f"{name:<24} {roc_auc_score(y_train, clf.decision_scores_):>11.3f} "
        f"{roc_auc_score(y_test, test_scores[name]):>10.3f} "
        f"{precision_n_scores(y_test, test_scores[name]):>8.3f} {elapsed:>5.1f}s"
    )

# %%
# The two sign conventions stay apart: the adapter speaks PyOD (higher = more
# abnormal) and its fitted ``estimator_`` speaks scikit-learn (higher = more
# normal).
adapter = detectors["skrobustad AutoEncoder"]
assert np.allclose(adapter.decision_function(X_test), -adapter.estimator_.score_samples(X_test))

fig, ax = plt.subplots(figsize=(6, 3))
for label, name in [(0, "inliers"), (1, "outliers")]:
    ax.hist(test_scores["skrobustad AutoEncoder"][y_test == label], bins=30, alpha=0.6,
            label=name)
ax.axvline(adapter.threshold_, color="k", linestyle="--", label="threshold_")
ax.set_xlabel("decision_function (higher = more abnormal)")
ax.legend()
fig.tight_layout()

# %%
# PyOD labels: used by semi-supervised detectors only
# ---------------------------------------------------
# PyOD's ``fit(X, y)`` takes ``y`` with 1 = labeled anomaly and 0 = unlabeled.
# As in PyOD, unsupervised detectors ignore it: the adapter fits the
# AutoEncoder exactly as ``fit(X)`` and says so with a
# :class:`~skrobustad.exceptions.LabelsIgnoredWarning`, so a benchmark loop
# calling ``fit(X_train, y_train)`` leaks no labels. A semi-supervised
# detector such as :class:`~skrobustad.AESAD` receives ``y`` as skrobustad's
# ``y_partial`` (1 -> 1, 0 -> -1) and trains on the labeled anomalies.
rng = np.random.RandomState(0)
y_known = np.zeros_like(y_train)
anomalies = np.flatnonzero(y_train == 1)
y_known[rng.choice(anomalies, size=len(anomalies) // 2, replace=False)] = 1

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", LabelsIgnoredWarning)
    unsupervised = PyODAdapter(autoencoder()).fit(X_train, y_known)
print("AutoEncoder:", caught[0].message)
same_as_fit_X = detectors["skrobustad AutoEncoder"].decision_scores_
assert np.allclose(unsupervised.decision_scores_, same_as_fit_X)

aesad = AESAD(hidden_dims=(16, 4), max_epochs=30, batch_size=64, random_state=0, device="cpu")
labeled = PyODAdapter(aesad).fit(X_train, y_known)
print("AESAD test AUROC with half of the training anomalies labeled:",
      round(roc_auc_score(y_test, labeled.decision_function(X_test)), 3))

# %%
# Combination frameworks
# ----------------------
# SUOD clones its base estimators, LSCP fits them in place and FeatureBagging
# clones one base estimator per feature subset (seeding each clone through
# ``estimator__random_state``): adapters work in all three. SUOD's balanced
# scheduling (``bps_flag``) predicts each detector's cost from PyOD's names
# only, so it is turned off for custom detectors.
from pyod.models.suod import SUOD  # noqa: E402 (needs the optional suod package)

ensembles = {
    "SUOD": SUOD(
        base_estimators=[PyODAdapter(autoencoder(0)), PyODAdapter(autoencoder(1)),
                         IForest(random_state=0)],
        n_jobs=1, bps_flag=False, combination="average",
    ),
    "LSCP": LSCP([PyODAdapter(autoencoder(0)), PyODAdapter(autoencoder(1))],
                 n_bins=2, random_state=0),
    "FeatureBagging": FeatureBagging(base_estimator=PyODAdapter(autoencoder()),
                                     n_estimators=3, random_state=0),
}
for name, clf in ensembles.items():
    clf.fit(X_train)
    print(f"{name:<15} test AUROC {roc_auc_score(y_test, clf.decision_function(X_test)):.3f}")

# %%
# ADEngine with a custom knowledge directory
# ------------------------------------------
# PyOD's ``ADEngine`` picks detectors from a knowledge base: a directory with
# ``algorithms.json`` (one entry per detector, with the ``class_path`` it
# builds as ``cls(**params)``), ``routing_rules.json`` (which detectors to
# recommend for which data profile), ``benchmarks.json`` and ``papers.json``.
# Plan parameters are JSON, so the entry points at
# :func:`skrobustad.pyod.make_pyod_adapter`, which builds a PyODAdapter from an
# estimator name and its parameters. Start from PyOD's bundled files and add
# the skrobustad detector and a rule that recommends it.
knowledge_dir = Path(tempfile.mkdtemp(prefix="skrobustad_knowledge_"))
bundled = Path(pyod.utils.knowledge.__file__).parent
for filename in ("algorithms.json", "benchmarks.json", "papers.json", "routing_rules.json"):
    shutil.copy(bundled / filename, knowledge_dir / filename)

algorithms = json.loads((knowledge_dir / "algorithms.json").read_text())
algorithms["SkrobustadAutoEncoder"] = {
    "class_path": "skrobustad.pyod.make_pyod_adapter",
    "full_name": "skrobustad AutoEncoder through PyODAdapter",
    "status": "shipped",  # ADEngine only plans and builds shipped detectors
    "data_types": ["tabular"],
    "category": "deep_learning",
    "complexity": {"time": "O(n * d * h * epochs)", "space": "O(d * h)"},
    "strengths": ["Nonlinear structure", "Trains robustly on contaminated data"],
    "weaknesses": ["Needs standardised inputs and a few epochs of training"],
    "best_for": "Tabular data with nonlinear structure",
    "avoid_when": "Training time is very limited",
    "benchmark_refs": [],
    "benchmark_rank": {},
    "paper": {"id": "autoencoder", "short": "Aggarwal, 2017"},
    "default_params": {"contamination": 0.1},  # ADEngine adds it to every plan
    "preprocessing_mode": "external",
    "requires": ["torch", "skrobustad"],
    "version_added": "skrobustad 0.1",
}
(knowledge_dir / "algorithms.json").write_text(json.dumps(algorithms, indent=1))

rules = json.loads((knowledge_dir / "routing_rules.json").read_text())
rules["rules"].insert(0, {
    "id": "skrobustad_tabular_accuracy",
    "conditions": [
        {"field": "data_type", "op": "eq", "value": "tabular"},
        {"field": "priority", "op": "eq", "value": "accuracy"},
    ],
    "recommendations": [{
        "detector": "SkrobustadAutoEncoder",
        "params": {"estimator": "AutoEncoder", "hidden_dims": [16, 4], "max_epochs": 30,
                   "batch_size": 64, "device": "cpu", "random_state": 0},
        "confidence": 0.95,
    }],
    "reason": "Tabular data with accuracy first: a deep detector trained robustly",
    "evidence": [],
})
(knowledge_dir / "routing_rules.json").write_text(json.dumps(rules, indent=1))

# %%
# The engine now lists, plans, builds and runs the skrobustad detector. The
# plain AutoEncoder entry has no scaler, so the engine gets standardised data.
engine = ADEngine(knowledge_dir=str(knowledge_dir))
scaler = StandardScaler().fit(X_train)
Z_train, Z_test = scaler.transform(X_train), scaler.transform(X_test)

profile = engine.profile_data(Z_train)
plan = engine.plan_detection(profile, priority="accuracy")
print("planned:", plan["detector_name"], "| alternatives:",
      [alt["detector_name"] for alt in plan["alternatives"]])
result = engine.run_detection(Z_train, plan, X_test=Z_test)
print(type(result["detector"]).__name__, "flagged", result["n_anomalies"], "training samples;",
      "test AUROC", round(roc_auc_score(y_test, result["scores_test"]), 3))

# %%
# The investigation workflow runs the planned detectors side by side and
# compares them.
state = engine.plan(engine.start(Z_train), priority="accuracy")
state = engine.analyze(engine.run(state))
for entry in state.results:
    print(f"{entry['detector_name']:<22} {entry['status']:<8} "
          f"train AUROC {roc_auc_score(y_train, entry['scores_train']):.3f}")

# %%
# A caller can also pick detectors by name and pass an estimator instance
# (plans built in Python need not be JSON).
plan = engine.make_plan(
    ["SkrobustadAutoEncoder"],
    params=[{"estimator": AutoEncoder(hidden_dims=(16, 4), max_epochs=30, random_state=0,
                                      device="cpu")}],
)
print("make_plan:", type(engine.run_detection(Z_train, plan)["detector"].estimator_).__name__)

shutil.rmtree(knowledge_dir)
