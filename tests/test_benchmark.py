"""The benchmark runner, its resume logic, reports and the skrobustad-bench CLI."""

import csv
import pickle
from functools import partial

import numpy as np
import pytest
import torch
from sklearn.ensemble import IsolationForest

from skrobustad import AutoEncoder
from skrobustad.benchmark import (
    Method,
    Suite,
    get_method,
    get_protocol,
    get_suite,
    list_methods,
    list_suites,
    run_benchmark,
)
from skrobustad.benchmark._cli import main
from skrobustad.benchmark._report import markdown_table, mean_ranks, summarize
from skrobustad.benchmark._runner import CSV_COLUMNS, resolve_datasets, resolve_methods
from skrobustad.datasets import load_breast_cancer_anomaly, load_wine_anomaly


# ----------------------------------------------------- test methods and suite
def _iforest(random_state, **params):
    return IsolationForest(random_state=random_state, **params)


def _tiny_ae(random_state):
    return AutoEncoder(hidden_dims=(4, 2), max_epochs=3, device="cpu", random_state=random_state)


_FLAKY = {"fail": True}


def _flaky(random_state):
    if _FLAKY["fail"]:
        raise RuntimeError("flaky method failed on purpose")
    return _iforest(random_state, n_estimators=10)


_SEEN_THREADS = []


def _threads_probe(random_state):
    _SEEN_THREADS.append(torch.get_num_threads())
    return _iforest(random_state, n_estimators=10)


IFOREST = Method("test.IForest", partial(_iforest, n_estimators=20), family="sklearn")
TINY_AE = Method("test.TinyAE", _tiny_ae)
FLAKY = Method("test.Flaky", _flaky, family="sklearn")
TINY_SUITE = Suite(
    "test-tiny",
    protocol="unsupervised",
    datasets=("embedded:wine", "embedded:breast_cancer"),
    methods=(),
    seeds=(0, 1),
    description="Test suite.",
)


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------ registry
def test_core_registrations():
    assert {"quick", "unsupervised", "semi-supervised", "transductive"} <= set(list_suites())
    expected = {"AutoEncoder", "DeepSVDD", "RobustAE", "MAF", "pyod.IForest", "pyod.ECOD"}
    assert expected | {"pyod.AutoEncoder", "pyod.DeepSVDD", "pyod.DevNet"} <= set(list_methods())
    assert get_method("pyod.DevNet").uses_labels and get_method("pyod.DevNet").api == "pyod"
    assert "pyod.DevNet" in get_suite("semi-supervised").methods
    for name in list_methods():  # process and dask backends ship methods to workers
        pickle.loads(pickle.dumps(get_method(name)))
    quick = get_suite("quick")
    assert all(d.startswith("embedded:") for d in quick.datasets)
    assert quick.protocol == "contamination-levels"
    assert quick.sweep == {"contamination": (0.05, 0.2)}
    assert quick.dataset_kwargs == {"contamination": None}  # every anomaly, for 20%
    bases = {"AutoEncoder": "IAD(AutoEncoder)", "DeepSVDD": "IAD(DeepSVDD)"}
    assert {*bases, *bases.values(), "RobustAE", "AESAD"} <= set(quick.methods)
    assert {"pyod.IForest", "pyod.ECOD", "pyod.AutoEncoder", "pyod.DeepSVDD"} <= set(
        quick.methods
    )
    # AESAD is the only method of the suite given labels
    assert [m for m in quick.methods if get_method(m).uses_labels] == ["AESAD"]
    for base, iad in bases.items():  # IAD wraps exactly the base shown beside it
        base_params = get_method(base).make(0).get_params()
        assert get_method(iad).make(0).estimator.get_params() == base_params


def test_protocols():
    X, y = load_breast_cancer_anomaly(contamination=None, return_X_y=True)
    split = get_protocol("unsupervised")(X, y, random_state=0, max_train_samples=200)
    assert split.X_train.shape == (200, 30) and split.X_test.shape == (171, 30)
    assert np.all(split.y_partial_train == -1)
    assert split.info == {"train_contamination": pytest.approx(74 / 200)}

    split = get_protocol("transductive")(X, y, random_state=0, contamination=0.1)
    assert split.X_test is split.X_train and np.all(split.y_partial_train == -1)
    assert int(split.y_test.sum()) == round(0.1 * 357 / 0.9)

    split = get_protocol("semi-supervised")(
        X, y, random_state=0, contamination=0.2, labeled_anomalies=5, labeled_normals=10
    )
    n_anomalies = int(round(0.2 * 250 / 0.8))
    assert split.X_train.shape[0] == 250 + n_anomalies
    assert int((split.y_partial_train == 1).sum()) == 5
    assert int((split.y_partial_train == 0).sum()) == 10
    assert split.info["train_contamination"] == pytest.approx(n_anomalies / (250 + n_anomalies))


class _Recorder:
    """Records what ``fit`` was given; scores at random."""

    seen = []

    def __init__(self, random_state):
        self.random_state = random_state

    def fit(self, X, y=None, *, y_partial=None):
        _Recorder.seen.append((len(X), y_partial))
        return self

    def score_samples(self, X):
        return np.random.RandomState(self.random_state).uniform(size=len(X))


def test_contamination_levels_protocol():
    X, y = load_wine_anomaly(contamination=None, return_X_y=True)
    protocol = get_protocol("contamination-levels")
    splits = {c: protocol(X, y, random_state=1, contamination=c) for c in (0.05, 0.2)}
    for level, split in splits.items():
        assert split.X_train.shape == (80, 13)  # one training size for both levels
        assert split.info["train_contamination"] == level  # exact
        # the 3 labeled anomalies, nothing else labeled
        assert sorted(np.unique(split.y_partial_train, return_counts=True)[1]) == [3, 77]
        assert set(np.unique(split.y_partial_train)) == {-1, 1}
    low, high = splits[0.05], splits[0.2]
    assert np.array_equal(low.X_test, high.X_test) and np.array_equal(low.y_test, high.y_test)
    assert low.X_test.shape == (54, 13) and int(low.y_test.sum()) == 18
    # another level fixes the training size from the suite's levels as well
    other = protocol(X, y, random_state=1, contamination=0.1, levels=(0.05, 0.2))
    assert other.info["train_contamination"] == 0.1 and np.array_equal(other.X_test, low.X_test)
    with pytest.raises(ValueError, match="impossible"):
        protocol(X, y, random_state=1, contamination=0.99)  # n = 100k rows needed
    with pytest.raises(ValueError, match="labeled_anomalies=5 asks for more"):
        protocol(X, y, random_state=1, contamination=0.05, labeled_anomalies=5)

    # the runner gives the labels to label-using methods only
    _Recorder.seen.clear()
    with_labels = Method("test.Labels", _Recorder, uses_labels=True)
    without = Method("test.NoLabels", _Recorder)
    result = run_benchmark("quick", datasets=["wine"], methods=[with_labels, without], seeds=[0])
    assert not result.errors and len(result.rows) == 4
    assert [r["train_contamination"] for r in result.rows] == [0.05, 0.05, 0.2, 0.2]
    assert all(r["n_labeled_anomalies"] == 3 for r in result.rows)
    assert [n for n, _ in _Recorder.seen] == [80] * 4
    given = [y_partial for _, y_partial in _Recorder.seen]
    assert given[1] is None and given[3] is None
    assert all(int((yp == 1).sum()) == 3 and int((yp == -1).sum()) == 77 for yp in given[::2])


SWEEP_SUITE = Suite(
    "test-sweep",
    protocol="semi-supervised",
    datasets=("embedded:wine",),
    methods=(),
    seeds=(0,),
    protocol_kwargs={"labeled_anomalies": 2},
    sweep={"contamination": (0.05, 0.1)},
)


def test_sweep_resume_report_and_plot(tmp_path):
    result = run_benchmark(SWEEP_SUITE, methods=[IFOREST], out=tmp_path)
    assert result.sweep == {"contamination": (0.05, 0.1)} and result.n_computed == 2
    assert result.config == {"labeled_anomalies": 2}
    assert [round(r["train_contamination"], 2) for r in result.rows] == [0.05, 0.1]
    lines = result.to_markdown().splitlines()
    header = lines.index("| dataset | contamination | test.IForest |")
    assert lines[header + 2].startswith("| wine | 0.05 | ")
    assert lines[header + 3].startswith("| wine | 0.1 | ")
    assert lines[header + 4].startswith("| mean AUROC | 0.05 | ")
    assert lines[header + 6] == "| mean rank | all | 1.00 |"
    assert (tmp_path / "test-sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = run_benchmark(SWEEP_SUITE, methods=[IFOREST], out=tmp_path)
    assert (again.n_computed, again.n_resumed) == (0, 2)
    # an option the caller sets is not swept
    fixed = run_benchmark(
        SWEEP_SUITE, methods=[IFOREST], out=tmp_path, protocol_kwargs={"contamination": 0.1}
    )
    assert fixed.sweep == {} and len(fixed.rows) == 1
    assert (fixed.n_computed, fixed.n_resumed) == (0, 1)  # the same cell as the swept one
    assert fixed.rows[0]["auroc"] == result.rows[1]["auroc"]


# ---------------------------------------------------------------- resolution
def test_resolve_methods():
    assert resolve_methods(["IForest", "ecod"])[0].name == "pyod.IForest"
    assert resolve_methods(["AutoEncoder"])[0].name == "AutoEncoder"
    with pytest.raises(ValueError, match="ambiguous: use one of AutoEncoder, pyod.AutoEncoder"):
        resolve_methods(["autoencoder"])
    with pytest.raises(ValueError, match="Unknown method 'LOF'; available: .*pyod.IForest"):
        resolve_methods(["LOF"])


def test_resolve_datasets(tmp_path):
    quick = get_suite("quick")
    assert resolve_datasets(quick, ["wine", "embedded:digits"]) == (
        "embedded:wine",
        "embedded:digits",
    )
    with pytest.raises(ValueError, match="Unknown dataset 'iris'.*embedded:wine"):
        resolve_datasets(quick, ["iris"], data_home=tmp_path)


# ------------------------------------------------------------------- runner
def test_run_in_memory_and_rng_untouched():
    np_state, torch_state = np.random.get_state(), torch.random.get_rng_state()
    result = run_benchmark(TINY_SUITE, methods=[IFOREST, TINY_AE], seeds=[0])
    assert len(result.rows) == 4 and not result.errors and result.paths == {}
    for row in result.rows:
        assert 0.0 <= row["auroc"] <= 1.0 and 0.0 <= row["average_precision"] <= 1.0
        assert row["fit_seconds"] >= 0 and row["n_train"] + row["n_test"] in (132, 397)
    # same seed, same numbers; the caller's global generators are left alone
    again = run_benchmark(TINY_SUITE, methods=[IFOREST, TINY_AE], seeds=[0])
    assert [r["auroc"] for r in again.rows] == [r["auroc"] for r in result.rows]
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    assert torch.equal(torch.random.get_rng_state(), torch_state)


def test_threads_per_cell_are_limited_and_restored():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        probe = Method("test.Probe", _threads_probe, family="sklearn")
        run_benchmark(TINY_SUITE, datasets=["wine"], methods=[probe], seeds=[0])
        run_benchmark(TINY_SUITE, datasets=["wine"], methods=[probe], seeds=[0], n_threads=None)
        assert _SEEN_THREADS[-2:] == [1, 2] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_resume_skips_finished_cells(tmp_path):
    result = run_benchmark(TINY_SUITE, methods=[IFOREST], out=tmp_path, plot=False)
    csv_path = tmp_path / "test-tiny.csv"
    assert result.n_computed == 4 and len(_read_csv(csv_path)) == 4
    assert set(result.paths) == {"csv", "markdown"}

    again = run_benchmark(TINY_SUITE, methods=[IFOREST], out=tmp_path, plot=False)
    assert (again.n_computed, again.n_resumed) == (0, 4)
    assert len(_read_csv(csv_path)) == 4
    assert [r["auroc"] for r in again.rows] == [r["auroc"] for r in result.rows]

    # an interrupted write leaves half a line: it is dropped and recomputed
    text = csv_path.read_text()
    csv_path.write_text(text[: text.rstrip("\n").rfind("\n") + 1] + "test-tiny,unsup")
    resumed = run_benchmark(TINY_SUITE, methods=[IFOREST], out=tmp_path, plot=False)
    assert (resumed.n_computed, resumed.n_resumed) == (1, 3)
    rows = _read_csv(csv_path)
    assert len(rows) == 4 and all(row["finished_at"] for row in rows)
    assert [r["auroc"] for r in resumed.rows] == [r["auroc"] for r in result.rows]

    # a larger request computes only the new cells; other options are new cells
    more = run_benchmark(TINY_SUITE, methods=[IFOREST, TINY_AE], out=tmp_path, plot=False)
    assert (more.n_computed, more.n_resumed) == (4, 4)
    other = run_benchmark(
        TINY_SUITE, methods=[IFOREST], seeds=[0], out=tmp_path, plot=False,
        protocol_kwargs={"contamination": 0.05},
    )  # fmt: skip
    assert other.n_computed == 2 and len(_read_csv(csv_path)) == 10


def test_failed_cells_are_recorded_and_retried(tmp_path):
    _FLAKY["fail"] = True
    try:
        result = run_benchmark(
            TINY_SUITE, methods=[IFOREST, FLAKY], seeds=[0], out=tmp_path, plot=False
        )
        assert len(result.errors) == 2 and len(result.rows) == 4
        assert "RuntimeError: flaky method failed on purpose" in result.errors[0]["error"]
        assert "Failed cells (2)" in (tmp_path / "test-tiny.md").read_text()
        _FLAKY["fail"] = False
        retried = run_benchmark(
            TINY_SUITE, methods=[IFOREST, FLAKY], seeds=[0], out=tmp_path, plot=False
        )
    finally:
        _FLAKY["fail"] = True
    assert (retried.n_computed, retried.n_resumed) == (2, 2) and not retried.errors
    assert "Failed cells" not in (tmp_path / "test-tiny.md").read_text()


def test_run_refuses_bad_input(tmp_path):
    with pytest.raises(ValueError, match="Unknown suite 'nope'; available: .*quick"):
        run_benchmark("nope")
    with pytest.raises(ValueError, match="Unknown option\\(s\\) \\['pollution'\\]"):
        run_benchmark(TINY_SUITE, methods=[IFOREST], protocol_kwargs={"pollution": 0.1})
    (tmp_path / "test-tiny.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="choose another output folder"):
        run_benchmark(TINY_SUITE, methods=[IFOREST], out=tmp_path)


def test_dask_backend(tmp_path):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    sequential = run_benchmark(TINY_SUITE, methods=[IFOREST, TINY_AE], seeds=[0])
    with (
        distributed.LocalCluster(
            # one thread: torch's global generator, which weight initialisation
            # draws from, is shared by the threads of a process (see the user guide)
            processes=False,
            n_workers=1,
            threads_per_worker=1,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
    ):
        with parallel_config(backend="dask"):
            result = run_benchmark(
                TINY_SUITE, methods=[IFOREST, TINY_AE], seeds=[0], n_jobs=2, out=tmp_path
            )
    assert result.n_computed == 4 and not result.errors
    assert [r["auroc"] for r in result.rows] == [r["auroc"] for r in sequential.rows]
    assert len(_read_csv(tmp_path / "test-tiny.csv")) == 4


@pytest.mark.data
def test_adbench_suite_on_real_data(data_home):
    result = run_benchmark(
        "unsupervised", datasets=["wine"], methods=[IFOREST], seeds=[0], data_home=data_home
    )
    (row,) = result.rows
    assert row["dataset"] == "45_wine" and row["n_train"] == 90 and row["auroc"] > 0.5


# ------------------------------------------------------------------- report
def _row(dataset, method, seed, auroc, error=""):
    return dict.fromkeys(CSV_COLUMNS, "") | dict(
        dataset=dataset, method=method, seed=seed, auroc=auroc, error=error
    )


def test_report_tables():
    rows = [
        _row("6_cardio", "A", 0, 0.9),
        _row("6_cardio", "A", 1, 0.8),
        _row("6_cardio", "B", 0, 0.7),
        _row("embedded:wine", "A", 0, 0.6),
        _row("embedded:wine", "B", 0, 0.6),
        _row("embedded:wine", "B", 1, float("nan"), error="ValueError: boom"),
    ]
    summary = summarize(rows)
    assert summary[("6_cardio", "A")] == pytest.approx((0.85, 0.05, 2))
    assert summary[("embedded:wine", "B")] == (0.6, 0.0, 1)  # the failed seed is left out
    datasets = ("6_cardio", "embedded:wine")
    assert mean_ranks(summary, datasets, ("A", "B")) == {"A": 1.25, "B": 1.75}
    table = markdown_table(
        rows, datasets=datasets, methods=("A", "B"), reference={("cardio", "B"): 0.75}
    )
    lines = table.splitlines()
    assert lines[0] == "| dataset | A | B | B (paper) |"
    assert lines[2] == "| 6_cardio | **0.850 ± 0.050** | 0.700 | 0.750 |"
    assert lines[3] == "| wine | **0.600** | **0.600** |  |"
    assert lines[4] == "| mean AUROC | 0.725 | 0.650 |  |"
    assert lines[5] == "| mean rank | 1.25 | 1.75 |  |"


# ---------------------------------------------------------------------- CLI
def test_cli_end_to_end(tmp_path, capsys):
    out = tmp_path / "results"
    argv = ["run", "--suite", "quick", "--datasets", "wine", "--methods", "IForest",
            "AutoEncoder", "--seeds", "0", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "| dataset | contamination | pyod.IForest | AutoEncoder |" in captured.out
    assert "| wine | 0.05 |" in captured.out and "| wine | 0.2 |" in captured.out
    assert "quick.png" in captured.out
    assert {p.name for p in out.iterdir()} == {"quick.csv", "quick.md", "quick.png"}
    assert (out / "quick.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = _read_csv(out / "quick.csv")
    cells = [("pyod.IForest", ""), ("AutoEncoder", "")] * 2  # at 5%, then at 20%
    assert [(r["method"], r["error"]) for r in rows] == cells
    assert main(argv + ["--quiet"]) == 0  # resumed: nothing recomputed
    assert capsys.readouterr().out == "" and len(_read_csv(out / "quick.csv")) == 4


def test_cli_list(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("SKROBUSTAD_DATA_HOME", raising=False)
    assert main(["list", "--data-home", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    for expected in ("quick", "unsupervised", "semi-supervised", "embedded:wine", "pyod.DevNet"):
        assert expected in text
    assert f"none found in {tmp_path / 'adbench'}" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--suite", "nope"], "Unknown suite 'nope'; available: "),
        (["run", "--methods", "LOF"], "Unknown method 'LOF'; available: "),
        (["run", "--datasets", "iris"], "Unknown dataset 'iris'"),
        (["run", "--set", "pollution=0.1"], "Unknown option(s) ['pollution']"),
    ],
)
def test_cli_refuses_bad_input(argv, message, capsys, tmp_path):
    assert main(argv + ["--out", str(tmp_path), "--data-home", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skrobustad-bench: error: ") and message in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_cli_missing_data_home(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("SKROBUSTAD_DATA_HOME", raising=False)
    missing = tmp_path / "no-data"
    assert main(["run", "--suite", "unsupervised", "--data-home", str(missing),
                 "--out", str(tmp_path / "out")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert f"looked for <collection>/*.npz files in {missing / 'adbench'}" in err
    assert "SKROBUSTAD_DATA_HOME" in err and "--data-home" in err
    with pytest.raises(SystemExit):
        main(["run", "--set", "contamination"])


def test_method_diagnostics_are_recorded_in_the_extra_column(tmp_path):
    import json

    from skrobustad import IAD
    from skrobustad.benchmark._suite_iad import iad_diagnostics

    iad_forest = Method(
        "test.IAD-IForest",
        lambda rs: IAD(IsolationForest(n_estimators=20), max_iter=2, selection="min_h",
                       random_state=rs),
        diagnostics=iad_diagnostics,
    )
    result = run_benchmark(TINY_SUITE, methods=[iad_forest, IFOREST], seeds=[0], out=tmp_path,
                           plot=False)
    assert not result.errors
    by_method = {r["method"]: r for r in result.rows}
    extra = json.loads(by_method["test.IAD-IForest"]["extra"])
    assert extra["n_iter"] == 3 and 0 <= extra["best_iter"] <= 2 and len(extra["h"]) == 3
    assert extra["h"][0] is None and "weight_normals" not in extra  # not transductive
    assert by_method[IFOREST.name]["extra"] == ""
    # the column round-trips through the results file (and a resume)
    again = run_benchmark(TINY_SUITE, methods=[iad_forest, IFOREST], seeds=[0], out=tmp_path,
                          plot=False)
    assert again.n_computed == 0
    saved = {r["method"]: r for r in again.rows}
    assert json.loads(saved["test.IAD-IForest"]["extra"]) == extra


def test_iad_diagnostics_on_a_transductive_split():
    from skrobustad import IAD
    from skrobustad.benchmark import Split
    from skrobustad.benchmark._suite_iad import iad_diagnostics

    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(100, 2)), rng.normal(loc=5.0, size=(10, 2))]
    y = np.r_[np.zeros(100, int), np.ones(10, int)]
    split = Split(X, np.full(110, -1), X, y)
    iad = IAD(IsolationForest(n_estimators=20, random_state=0), max_iter=2).fit(X)
    extra = iad_diagnostics(iad, split)
    assert extra["weight_anomalies"] < extra["weight_normals"]
