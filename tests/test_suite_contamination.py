"""The ``contamination`` suite: datasets it keeps, its methods, its splits."""

import json

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from skrobustad import IAD, AutoEncoder, DeepSVDD
from skrobustad.benchmark import get_method, get_protocol, get_suite, run_benchmark
from skrobustad.benchmark._suite_contamination import (
    CONTAMINATION_LEVELS,
    contamination_datasets,
)


def _write(home, name, n_normal, n_anomaly, n_features=3):
    folder = home / "adbench" / "Classical"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(n_normal, n_features)), rng.normal(4, 1, (n_anomaly, n_features))]
    y = np.r_[np.zeros(n_normal), np.ones(n_anomaly)]
    np.savez(folder / f"{name}.npz", X=X, y=y)


def test_datasets_are_those_that_allow_every_level(tmp_path):
    # 30% of a training part of 150 rows needs 45 training anomalies (64 in
    # all with the 30% test part); 0% needs 150 training normals (215 in all)
    _write(tmp_path, "1_enough", n_normal=400, n_anomaly=70)
    _write(tmp_path, "2_few_anomalies", n_normal=400, n_anomaly=30)
    _write(tmp_path, "3_few_normals", n_normal=150, n_anomaly=200)
    assert contamination_datasets(tmp_path) == ("1_enough",)
    with pytest.raises(FileNotFoundError, match="adbench"):
        contamination_datasets(tmp_path / "missing")


def test_suite_methods_are_the_defaults_beside_their_bases():
    suite = get_suite("contamination")
    assert suite.sweep == {"contamination": CONTAMINATION_LEVELS}
    assert suite.protocol_kwargs["labeled_anomalies"] == 0
    assert not any(get_method(m).uses_labels for m in suite.methods)
    for base, cls in (("AutoEncoder", AutoEncoder), ("DeepSVDD", DeepSVDD)):
        assert {f"{base}()", f"IAD({base}())"} <= set(suite.methods)
        plain = get_method(f"{base}()").make(3)
        assert plain.get_params() == cls(random_state=3).get_params()
        iad = get_method(f"IAD({base}())").make(3)
        assert iad.get_params(deep=False)["estimator"].get_params() == plain.get_params()
        assert {k: v for k, v in iad.get_params(deep=False).items() if k != "estimator"} == {
            k: v for k, v in IAD().get_params(deep=False).items() if k != "estimator"
        }
    paper = get_method("IAD(IsolationForest(), beta='median', max_iter=15, selection='min_h')")
    paper = paper.make(0)
    assert (paper.beta, paper.max_iter, paper.selection) == ("median", 15, "min_h")
    assert isinstance(paper.estimator, IsolationForest)
    earlier = get_method("IAD(DeepSVDD(), beta='tukey', max_iter=15, selection='min_h')").make(0)
    assert (earlier.beta, earlier.max_iter, earlier.selection) == ("tukey", 15, "min_h")
    rare = get_method("IAD(MAF(), beta='tukey')").make(0)
    assert (rare.beta, rare.max_iter, rare.selection) == ("tukey", 1, "average")
    estimate = get_method("IAD(AutoEncoder(), beta='estimate')").make(0)
    assert (estimate.beta, estimate.max_iter, estimate.selection) == ("estimate", 1, "average")


def test_splits_share_the_test_part_and_size_across_levels(tmp_path):
    _write(tmp_path, "1_enough", n_normal=400, n_anomaly=70)
    suite = get_suite("contamination")
    protocol = get_protocol(suite.protocol)
    from skrobustad.datasets import load_adbench

    X, y = load_adbench("1_enough", data_home=tmp_path, return_X_y=True)
    splits = [
        protocol(X, y, random_state=0, contamination=c, **suite.protocol_kwargs)
        for c in CONTAMINATION_LEVELS
    ]
    sizes = {len(s.y_partial_train) for s in splits}
    assert len(sizes) == 1 and sizes.pop() >= 150
    for split, level in zip(splits, CONTAMINATION_LEVELS):
        assert np.all(split.y_partial_train == -1)  # nobody gets labels
        assert split.info["train_contamination"] == pytest.approx(level)
        np.testing.assert_array_equal(split.X_test, splits[0].X_test)


def test_a_cell_runs(tmp_path):
    _write(tmp_path, "1_enough", n_normal=400, n_anomaly=70)
    paper = "IAD(IsolationForest(), beta='tukey', max_iter=15, selection='min_h')"
    result = run_benchmark(
        "contamination",
        methods=["IsolationForest()", "IAD(IsolationForest())", paper],
        seeds=[0],
        data_home=tmp_path,
        protocol_kwargs={"contamination": 0.2},
        progress=False,
    )
    assert not result.errors and len(result.rows) == 3
    assert all(r["auroc"] > 0.9 for r in result.rows)
    # IAD's cell records every round's test AUROC; the selected one is the cell's
    extra = {r["method"]: json.loads(r["extra"]) for r in result.rows if r["extra"]}
    auroc = {r["method"]: r["auroc"] for r in result.rows}
    assert len(extra[paper]["round_auroc"]) == len(extra[paper]["h"]) == 16
    assert extra[paper]["h"][0] is None
    assert extra[paper]["round_auroc"][extra[paper]["best_iter"]] == pytest.approx(
        auroc[paper], abs=1e-6)
    # the defaults: two rounds, scored together (no selected round)
    default = extra["IAD(IsolationForest())"]
    assert len(default["round_auroc"]) == 2 and default["best_iter"] is None
    # round 0 is the base itself
    assert default["round_auroc"][0] == pytest.approx(auroc["IsolationForest()"], abs=1e-6)
