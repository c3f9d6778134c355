"""Run a benchmark suite with the package code of another checkout (e.g. a git worktree).

    git worktree add ../before a9dc4e5
    python tools/measurements/suite_at_commit.py ../before OUT unsupervised \
        AutoEncoder DeepSVDD RobustAE MAF

The editable install's import hook is dropped and ROOT goes first on ``sys.path``, so
``skrobustad`` is imported from ROOT (checked); the cells run in this process
(``n_jobs=1``: worker processes would import the installed package). Seeds 0-2.
"""
import sys

root, out, suite, methods = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, root)
import os  # noqa: E402

import skrobustad  # noqa: E402

assert skrobustad.__file__.startswith(os.path.abspath(root)), skrobustad.__file__
from skrobustad.benchmark import run_benchmark  # noqa: E402

run_benchmark(suite, methods=methods, seeds=[0, 1, 2], out=out, n_jobs=1, plot=False)
