"""Mutation score of the fast tests over the losses, the wrappers and the loss hooks.

Runs mutmut (``pip install mutmut``) on a copy of the committed tree (``git
archive HEAD``), so the working tree is never touched, and prints the
numbers of killed / surviving / untested mutants and the score.

    python tools/mutation_score.py                     # default scope and tests
    python tools/mutation_score.py --tests tests/test_iad.py

Scope: ``skrobustad/losses/``, ``skrobustad/wrappers/`` and the modules that
hold the detectors' loss and score hooks (``--scope`` to change). Tests: the
fast files that exercise them (``--tests``). mutmut runs the covering tests
of each mutant only; a few minutes on 2 cores.
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCOPE = [
    "skrobustad/losses/",
    "skrobustad/wrappers/",
    "skrobustad/detectors/_robust_ae.py",
    "skrobustad/detectors/_aesad.py",
    "skrobustad/detectors/_deep_svdd.py",
]
TESTS = [
    "tests/test_weights_reach_losses.py",
    "tests/test_aesad.py",
    "tests/test_iad.py",
    "tests/test_robust_ae.py",
    "tests/test_deep_svdd.py",
]


def _config(scope, tests, workdir):
    in_scope = lambda p: any(p == s or p.startswith(s) for s in scope)  # noqa: E731
    frozen = sorted(
        p for p in glob.glob("skrobustad/**/*.py", recursive=True, root_dir=workdir)
        if not in_scope(p)
    )
    lines = ["[mutmut]", "source_paths =", "    skrobustad/", "do_not_mutate ="]
    lines += [f"    {p}" for p in frozen]
    lines += ["pytest_add_cli_args_test_selection ="] + [f"    {t}" for t in tests]
    lines += ["pytest_add_cli_args =", "    -p", "    no:cacheprovider"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scope", nargs="+", default=SCOPE)
    parser.add_argument("--tests", nargs="+", default=TESTS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        with open(Path(tmp) / "setup.cfg", "a") as f:
            f.write("\n" + _config(args.scope, args.tests, tmp))
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        subprocess.run(["mutmut", "run"], cwd=tmp, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        results = subprocess.run(["mutmut", "results", "--all", "true"], cwd=tmp, env=env,
                                 capture_output=True, text=True).stdout
    counts = {}
    for status in re.findall(r":\s*(\w[\w ]*)$", results, flags=re.M):
        counts[status] = counts.get(status, 0) + 1
    total = sum(counts.values())
    killed = counts.get("killed", 0)
    print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    print(f"mutation score: {killed}/{total} = {killed / max(total, 1):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
