"""The ``scale`` suite (full size, raw data), peak memory and results of 0.1."""

import csv
import sys

import numpy as np
import pytest

from skrobustad import IAD, RobustAE
from skrobustad.benchmark import get_method, get_suite, run_benchmark
from skrobustad.benchmark._runner import _PREVIOUS_COLUMNS, CSV_COLUMNS
from skrobustad.benchmark._suite_scale import SCALE_DATASETS, SCALE_TRAIN_SAMPLES
from skrobustad.utils._memory import PeakMemory

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _write(home, name, n_normal, n_anomaly, n_features=3, shift=5.0):
    folder = home / "adbench" / "Classical"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(n_normal, n_features)),
              rng.normal(4, 1, (n_anomaly, n_features))] * 100 + shift  # raw units
    # and a column of pure noise a thousand times wider: unscaled, it drowns the rest
    X = np.c_[X, rng.normal(0, 1e5, len(X))]
    y = np.r_[np.zeros(n_normal), np.ones(n_anomaly)]
    np.savez(folder / f"{name}.npz", X=X, y=y)


def test_suite_is_full_size_raw_and_reports_costs():
    suite = get_suite("scale")
    assert suite.sweep == {"max_train_samples": SCALE_TRAIN_SAMPLES}
    assert SCALE_TRAIN_SAMPLES[-1] is None and "max_train_samples" not in suite.protocol_kwargs
    assert suite.scale is None and suite.costs
    assert suite.datasets == SCALE_DATASETS
    for base in ("AutoEncoder", "DeepSVDD", "RobustAE", "MAF"):
        assert {f"{base}()", f"IAD({base}())"} <= set(suite.methods)
    pyod_methods = {"pyod.AutoEncoder(preprocessing=True)", "pyod.IForest", "pyod.ECOD"}
    assert pyod_methods <= set(suite.methods)
    assert "pyod.AutoEncoder" not in suite.methods  # it expects standardised splits

    iad = get_method("IAD(RobustAE())").make(2)
    assert isinstance(iad, IAD) and isinstance(iad.estimator, RobustAE)
    assert iad.estimator.random_state == 2


def test_learning_curve_run_records_sizes_costs_and_the_cap(tmp_path):
    _write(tmp_path, "1_big", n_normal=1400, n_anomaly=60)
    result = run_benchmark(
        "scale", datasets=["1_big"], methods=["pyod.IForest"], seeds=[0],
        data_home=tmp_path, out=tmp_path / "out",
    )  # fmt: skip
    sizes = [r["n_train"] for r in result.rows]
    assert sizes == [1022] * len(SCALE_TRAIN_SAMPLES)  # 70% of 1460: below every cap
    report = (tmp_path / "out" / "scale.md").read_text()
    assert "swept: max_train_samples = 3000, 10000, 30000, 100000, all" in report
    assert "### Fit seconds" in report and "### Peak resident memory" in report
    assert "| 1_big | all |" in report
    only_full = run_benchmark(
        "scale", datasets=["1_big"], methods=["pyod.IForest"], seeds=[0],
        data_home=tmp_path, protocol_kwargs={"max_train_samples": None},
    )  # fmt: skip
    assert len(only_full.rows) == 1
    assert "(max_train_samples=None (all rows))" in only_full.to_markdown()


def test_small_cap_subsamples_the_training_part(tmp_path):
    _write(tmp_path, "1_big", n_normal=1400, n_anomaly=60)
    result = run_benchmark(
        "scale", datasets=["1_big"], methods=["pyod.ECOD", "pyod.AutoEncoder(preprocessing=True)"],
        seeds=[0], data_home=tmp_path, protocol_kwargs={"max_train_samples": 300},
    )  # fmt: skip
    for row in result.rows:
        assert row["n_train"] == 300 and row["n_test"] == 438
        assert row["auroc"] > 0.9, row["method"]  # raw units, no scaling by the runner


@linux_only
def test_peak_memory_sees_a_short_lived_allocation():
    with PeakMemory() as peak:
        block = np.ones(40 * 2**20 // 8)  # 40 MiB, touched
        del block
    assert 35 < peak.mib < 80
    with PeakMemory() as small:
        pass
    assert small.mib < 10


@linux_only
def test_cells_record_their_peak_memory(tmp_path):
    _write(tmp_path, "1_big", n_normal=1400, n_anomaly=60)
    result = run_benchmark(
        "scale", datasets=["1_big"], methods=["DeepSVDD()"], seeds=[0], data_home=tmp_path,
        protocol_kwargs={"max_train_samples": None},
    )  # fmt: skip
    (row,) = result.rows
    assert not row["error"] and 0 <= row["peak_rss_mb"] < 200


def test_results_file_of_the_previous_version_is_read_and_upgraded(tmp_path):
    _write(tmp_path, "1_big", n_normal=1400, n_anomaly=60)
    out = tmp_path / "out"
    kwargs = dict(datasets=["1_big"], seeds=[0], data_home=tmp_path, out=out,
                  protocol_kwargs={"max_train_samples": 300})  # fmt: skip
    first = run_benchmark("scale", methods=["pyod.ECOD"], **kwargs).rows[0]
    path = out / "scale.csv"
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(path, "w", newline="") as f:  # as skrobustad 0.1 wrote it
        writer = csv.DictWriter(f, fieldnames=_PREVIOUS_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    resumed = run_benchmark("scale", methods=["pyod.ECOD"], **kwargs)
    assert resumed.n_resumed == 1 and resumed.rows[0]["auroc"] == first["auroc"]
    assert np.isnan(resumed.rows[0]["peak_rss_mb"])
    run_benchmark("scale", methods=["pyod.ECOD", "pyod.IForest"], **kwargs)  # appends
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == CSV_COLUMNS
        upgraded = list(reader)
    assert [r["method"] for r in upgraded] == ["pyod.ECOD", "pyod.IForest"]
    assert upgraded[0]["auroc"] == rows[0]["auroc"]


def test_sweep_points_with_the_same_split_share_one_fit(tmp_path):
    from skrobustad.benchmark import Suite

    _write(tmp_path, "1_big", n_normal=1400, n_anomaly=60)
    suite = Suite("curve", protocol="unsupervised", datasets=("1_big",),
                  methods=("pyod.IForest", "DeepSVDD()"), seeds=(0, 1),
                  sweep={"max_train_samples": (300, 5000, None)}, scale=None)  # fmt: skip
    result = run_benchmark(suite, data_home=tmp_path, out=tmp_path / "out")
    assert result.n_computed == 12 and not result.errors
    for method in ("pyod.IForest", "DeepSVDD()"):
        for seed in (0, 1):
            mine = [r for r in result.rows if r["method"] == method and r["seed"] == seed]
            capped, above, every = mine
            assert capped["n_train"] == 300 and above["n_train"] == every["n_train"] == 1022
            shared = ("auroc", "fit_seconds", "finished_at", "n_train")
            assert all(above[k] == every[k] for k in shared)  # one fit, two rows
            assert capped["fit_seconds"] != every["fit_seconds"]
            assert above["config"] != every["config"]
    # the seeds' splits differ: they are never shared
    seeds = [r["auroc"] for r in result.rows if r["method"] == "DeepSVDD()"][-2:]
    assert seeds[0] != seeds[1]
    resumed = run_benchmark(suite, data_home=tmp_path, out=tmp_path / "out")
    assert resumed.n_computed == 0 and resumed.n_resumed == 12
