"""The documentation builds without warnings, and its gallery examples run."""

import os
import runpy
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    """``python -m sphinx -W -b html docs ...`` (gallery examples not run)."""
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(module, reason="the docs extra is not installed")
    cmd = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
        "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html"),
    ]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    html = tmp_path / "html"
    for page in ("index", "api", "user_guide/index", "user_guide/pyod",
                 "user_guide/metrics", "user_guide/conventions",
                 "generated/skrobustad.pyod.PyODAdapter",
                 "generated/skrobustad.metrics.masked_roc_auc_score",
                 "auto_examples/plot_pyod_interop"):
        assert (html / f"{page}.html").is_file(), page


@pytest.mark.slow
@pytest.mark.parametrize("script", ["plot_pyod_interop.py"])
def test_gallery_example_runs(script, monkeypatch):
    pytest.importorskip("suod")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    plt.close("all")
