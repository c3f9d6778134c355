"""Faults and hostile input of the benchmark: unusable outputs and options, Ctrl-C.

Interrupts are tested at two levels: in process, with test methods whose
``fit`` raises :class:`KeyboardInterrupt`, swallows a real SIGINT (as skorch's
training loop did) or turns it into another error; and end to end, with SIGINT
sent to the process group of a ``skrobustad-bench`` run in the middle of the
quick suite, as Ctrl-C in a terminal does, then resumed.
"""

import csv
import os
import signal
import subprocess
import sys
import time
from functools import partial

import pytest
from sklearn.ensemble import IsolationForest

from skrobustad.benchmark import Method, Suite, _registry, run_benchmark
from skrobustad.benchmark._cli import main
from skrobustad.benchmark._runner import CSV_COLUMNS

TIMING_COLUMNS = ("fit_seconds", "score_seconds", "cpu_seconds", "peak_rss_mb", "finished_at")


# ------------------------------------------------------------ test methods
class _InterruptedForest(IsolationForest):
    """An isolation forest whose fit is interrupted while ``_INTERRUPT`` is set.

    ``interrupt`` says how: ``"raise"`` raises KeyboardInterrupt (a training
    loop that lets Ctrl-C through), ``"swallow"`` sends itself SIGINT, catches
    the KeyboardInterrupt and returns a fitted model anyway (what skorch did),
    ``"chain"`` turns it into a RuntimeError (a library wrapping the error).
    """

    def __init__(self, *, interrupt="raise", n_estimators=10, random_state=None):
        super().__init__(n_estimators=n_estimators, random_state=random_state)
        self.interrupt = interrupt

    def fit(self, X, y=None, sample_weight=None):
        if _INTERRUPT["on"]:
            if self.interrupt == "raise":
                raise KeyboardInterrupt
            if self.interrupt == "chain":
                try:
                    raise KeyboardInterrupt
                except KeyboardInterrupt as exc:
                    raise RuntimeError("training stopped") from exc
            try:  # "swallow"
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(10)  # the signal interrupts the sleep
            except KeyboardInterrupt:
                pass
        return super().fit(X, y, sample_weight)


_INTERRUPT = {"on": True}


def _interrupted(random_state, interrupt):
    return _InterruptedForest(interrupt=interrupt, random_state=random_state)


def _forest(random_state):
    return IsolationForest(n_estimators=20, random_state=random_state)


FOREST = Method("test.Forest", _forest, family="sklearn")
SUITE = Suite(
    "test-faults",
    protocol="unsupervised",
    datasets=("embedded:wine", "embedded:breast_cancer"),
    methods=(),
    seeds=(0,),
)


def _method(interrupt):
    return Method("test.Interrupted", partial(_interrupted, interrupt=interrupt), family="sklearn")


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _cells(rows):
    """``{(dataset, method, seed, config): numbers}`` without the timing columns."""
    cells = {}
    for row in rows:
        key = (row["dataset"], row["method"], row["seed"], row["config"])
        assert key not in cells, f"cell {key} recorded twice"
        cells[key] = {c: row[c] for c in CSV_COLUMNS if c not in TIMING_COLUMNS}
    return cells


@pytest.fixture
def interrupting():
    _INTERRUPT["on"] = True
    yield
    _INTERRUPT["on"] = True


# ------------------------------------------- unusable outputs and options
def _out_is_file(tmp_path):
    out = tmp_path / "out"
    out.write_text("")
    return ["--out", str(out)], f"The output folder {out} is an existing file, not a folder"


def _out_inside_file(tmp_path):
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "out"
    return ["--out", str(out)], f"{out} cannot be created: {tmp_path / 'file'} is a file"


def _csv_is_folder(tmp_path):
    (tmp_path / "out" / "quick.csv").mkdir(parents=True)
    return ["--out", str(tmp_path / "out")], f"{tmp_path / 'out' / 'quick.csv'} is a folder"


def _report_is_folder(tmp_path):
    (tmp_path / "out" / "quick.md").mkdir(parents=True)
    return ["--out", str(tmp_path / "out")], f"{tmp_path / 'out' / 'quick.md'} is a folder"


def _csv_not_text(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "quick.csv").write_bytes(bytes(range(256)))
    return ["--out", str(tmp_path / "out")], (
        f"{tmp_path / 'out' / 'quick.csv'} is not a results file of skrobustad-bench "
        "(it is not UTF-8 text)"
    )


def _negative_threads(tmp_path):
    return ["--out", str(tmp_path / "out"), "--threads", "-1"], "--threads must be"


def _zero_jobs(tmp_path):
    return ["--out", str(tmp_path / "out"), "--n-jobs", "0"], "--n-jobs must be"


@pytest.mark.parametrize(
    "setup",
    [_out_is_file, _out_inside_file, _csv_is_folder, _report_is_folder, _csv_not_text,
     _negative_threads, _zero_jobs],
)  # fmt: skip
def test_cli_refuses_unusable_output_and_options(setup, tmp_path, capsys):
    extra, message = setup(tmp_path)
    argv = ["run", "--datasets", "wine", "--methods", "IForest", "--seeds", "0", "--quiet"]
    assert main(argv + extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("skrobustad-bench: error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "out" / "quick.csv").is_file() or setup is _csv_not_text


def test_run_benchmark_refuses_bad_threads_and_jobs():
    with pytest.raises(ValueError, match="n_threads must be a positive integer or None, got -1"):
        run_benchmark(SUITE, methods=[FOREST], n_threads=-1)
    with pytest.raises(ValueError, match="n_jobs must be a non-zero integer"):
        run_benchmark(SUITE, methods=[FOREST], n_jobs=0)


@pytest.mark.parametrize("content", ["", "suite,protocol,con"])
def test_empty_results_file_is_a_fresh_run(content, tmp_path):
    """An empty file, or a header cut short, is a run that had not started."""
    (tmp_path / "test-faults.csv").write_text(content)
    result = run_benchmark(SUITE, methods=[FOREST], out=tmp_path, plot=False)
    assert result.n_computed == 2 and not result.errors
    rows = _read_csv(tmp_path / "test-faults.csv")
    assert len(rows) == 2 and all(row["auroc"] for row in rows)
    assert list(rows[0]) == list(CSV_COLUMNS)


def test_results_file_not_csv_names_the_file(tmp_path):
    path = tmp_path / "test-faults.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match="is not a results file") as info:
        run_benchmark(SUITE, methods=[FOREST], out=tmp_path)
    assert str(path) in str(info.value)
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="its columns differ") as info:
        run_benchmark(SUITE, methods=[FOREST], out=tmp_path)
    assert str(path) in str(info.value)


def test_broken_adbench_file_fails_its_cells_naming_it(tmp_path):
    folder = tmp_path / "adbench" / "Classical"
    folder.mkdir(parents=True)
    (folder / "1_broken.npz").write_bytes(b"")
    suite = Suite("test-broken", protocol="unsupervised", datasets=("1_broken",), methods=())
    result = run_benchmark(suite, methods=[FOREST], seeds=[0], data_home=tmp_path)
    (row,) = result.errors
    assert row["error"] == (
        f"loading 1_broken: ValueError: Cannot read the ADBench file {folder / '1_broken.npz'}: "
        "the file is empty. Replace it with a fresh copy of ADBench's file (or delete it "
        "and pass download_if_missing=True)."
    )


# ---------------------------------------------------------------- Ctrl-C
@pytest.mark.parametrize("interrupt", ["raise", "swallow", "chain"])
def test_interrupted_cell_is_not_recorded(interrupt, interrupting, tmp_path):
    """The run stops at the interrupted cell; resuming completes it as if never stopped."""
    method = _method(interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(SUITE, methods=[FOREST, method], out=tmp_path, plot=False)
    # wine/Forest finished before wine/Interrupted was interrupted; nothing else
    rows = _read_csv(tmp_path / "test-faults.csv")
    assert [(r["dataset"], r["method"], r["error"]) for r in rows] == [
        ("embedded:wine", "test.Forest", "")
    ]

    _INTERRUPT["on"] = False
    resumed = run_benchmark(SUITE, methods=[FOREST, method], out=tmp_path, plot=False)
    assert (resumed.n_computed, resumed.n_resumed) == (3, 1) and not resumed.errors
    run_benchmark(SUITE, methods=[FOREST, method], out=tmp_path / "ref", plot=False)
    assert _cells(_read_csv(tmp_path / "test-faults.csv")) == _cells(
        _read_csv(tmp_path / "ref" / "test-faults.csv")
    )


def test_interrupt_in_a_process_worker_is_not_recorded(interrupting, tmp_path):
    """With loky workers (n_jobs=2), a worker's interrupted cell stops the run."""
    method = _method("swallow")
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(SUITE, methods=[FOREST, method], out=tmp_path, n_jobs=2, plot=False)
    rows = _read_csv(tmp_path / "test-faults.csv")
    assert all(r["method"] == "test.Forest" and not r["error"] for r in rows)
    _INTERRUPT["on"] = False
    resumed = run_benchmark(SUITE, methods=[FOREST, method], out=tmp_path, plot=False)
    assert resumed.n_computed == 4 - len(rows) and not resumed.errors


def test_cli_interrupted_exits_130(interrupting, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(_registry._METHODS, "test.Interrupted", _method("raise"))
    argv = ["run", "--datasets", "wine", "--methods", "IForest", "test.Interrupted",
            "--seeds", "0", "--out", str(tmp_path), "--quiet"]  # fmt: skip
    assert main(argv) == 130
    assert capsys.readouterr().err == (
        f"skrobustad-bench: interrupted; the finished cells are saved in "
        f"{tmp_path / 'quick.csv'}: rerun the same command to resume.\n"
    )
    rows = _read_csv(tmp_path / "quick.csv")
    assert [(r["method"], r["error"]) for r in rows] == [("pyod.IForest", "")]


# ------------------------------------------------------- SIGINT end to end
QUICK_ARGV = ["run", "--suite", "quick", "--datasets", "wine", "breast_cancer", "--methods",
              "IForest", "AutoEncoder", "--seeds", "0", "--no-plot", "--quiet"]  # fmt: skip


def _cli(out, *extra, **kwargs):
    command = [sys.executable, "-m", "skrobustad.benchmark._cli", *QUICK_ARGV, "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [*command, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env, **kwargs,
    )  # fmt: skip


def _wait_for_rows(process, path, n_rows, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if path.is_file() and len(path.read_text().splitlines()) > n_rows:
            return True
        time.sleep(0.01)
    return False


def _sigint_then_resume(tmp_path, n_jobs):
    out = tmp_path / "interrupted"
    # its own session and process group: SIGINT reaches the run and its
    # workers, as Ctrl-C in a terminal does, and not pytest
    process = _cli(out, "--n-jobs", str(n_jobs), start_new_session=True)
    try:
        assert _wait_for_rows(process, out / "quick.csv", 1, timeout=120), process.communicate()
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err
    assert "Traceback" not in err or n_jobs > 1, err  # workers starting up may print theirs
    assert err.splitlines()[-1] == (
        f"skrobustad-bench: interrupted; the finished cells are saved in {out / 'quick.csv'}: "
        "rerun the same command to resume."
    )
    interrupted = _read_csv(out / "quick.csv")
    assert 1 <= len(interrupted) < 4 and not any(row["error"] for row in interrupted)

    resumed = _cli(out)
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert main([*QUICK_ARGV, "--out", str(tmp_path / "reference")]) == 0
    rows = _read_csv(out / "quick.csv")
    assert rows[: len(interrupted)] == interrupted  # finished cells are kept as they were
    assert _cells(rows) == _cells(_read_csv(tmp_path / "reference" / "quick.csv"))


def test_sigint_then_resume_matches_uninterrupted_run(tmp_path):
    _sigint_then_resume(tmp_path, n_jobs=1)


@pytest.mark.slow
def test_sigint_with_process_workers_then_resume_matches(tmp_path):
    _sigint_then_resume(tmp_path, n_jobs=2)
