"""The documentation builds without warnings, and its gallery examples run.

Both builds are slow tests: CI runs them with ``python -m pytest -m slow
--smoke`` (.ci/run). They need the docs tools, which the ``test`` extra
installs; without them the tests skip.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

#: Wall-clock bound of the build that runs the gallery. Measured: 36 s on two
#: busy CPU cores (the examples themselves take 19 s of it). A slower build
#: means an example grew too slow for CI.
GALLERY_BUILD_TIMEOUT = 300
#: Bound on one example's running time, as sphinx-gallery reports it.
EXAMPLE_TIME_LIMIT = 120.0

_DOCS_MODULES = ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme")


def _sphinx(out, *options, timeout=None):
    for module in _DOCS_MODULES:
        pytest.importorskip(module, reason="the docs tools are not installed")
    cmd = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
        *options, "-d", str(out / "doctrees"), str(DOCS), str(out / "html"),
    ]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.setdefault("OMP_NUM_THREADS", "1")
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"the docs build took longer than {timeout} s: {' '.join(cmd)}\n"
            f"{(exc.stdout or '')[-3000:]}{(exc.stderr or '')[-3000:]}"
        )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    return out / "html"


def _examples():
    return sorted(p.stem for p in EXAMPLES.glob("plot_*.py"))


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    """``python -m sphinx -W -b html docs ...`` (gallery examples not run)."""
    html = _sphinx(tmp_path)
    pages = [
        "index", "getting_started", "api", "user_guide/index", "user_guide/choosing",
        "user_guide/pyod", "user_guide/metrics", "user_guide/conventions",
        "generated/skrobustad.IAD", "generated/skrobustad.wrappers",
        "generated/skrobustad.wrappers.importance_weights",
        "generated/skrobustad.pyod.PyODAdapter",
        "generated/skrobustad.metrics.masked_roc_auc_score",
        *(f"auto_examples/{name}" for name in _examples()),
    ]
    for page in pages:
        assert (html / f"{page}.html").is_file(), page
    # Types render as their names: an unresolved intersphinx target (numpydoc's
    # default aliases, see docs/conf.py) would print as ``python:float``.
    leaked = {}
    for page in html.rglob("*.html"):
        found = set(re.findall(r">(?:python|numpy):[\w.]+<", page.read_text(encoding="utf-8")))
        if found:
            leaked[str(page.relative_to(html))] = sorted(found)
    assert not leaked, leaked


@pytest.mark.slow
def test_docs_build_runs_gallery(tmp_path):
    """The docs build with every gallery example executed, in bounded time.

    sphinx-gallery fails the build when an example raises; every example page
    must then show the output of a run.
    """
    html = _sphinx(tmp_path, "-D", "plot_gallery=1", timeout=GALLERY_BUILD_TIMEOUT)
    times = {}
    for name in _examples():
        text = (html / "auto_examples" / f"{name}.html").read_text(encoding="utf-8")
        match = re.search(
            r"Total running time of the script:.*?\((\d+) minutes ([\d.]+) seconds\)",
            re.sub(r"<[^>]+>", "", text),
        )
        assert match, f"{name} was not run"
        times[name] = 60 * int(match.group(1)) + float(match.group(2))
    slow = {name: t for name, t in times.items() if t > EXAMPLE_TIME_LIMIT}
    assert not slow, f"examples slower than {EXAMPLE_TIME_LIMIT} s: {slow}"
