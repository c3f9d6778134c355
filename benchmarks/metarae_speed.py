"""MetaRAE's speed: adapt + score on a support set, and one meta-training run.

Protocol (issue 14's acceptance, paper Table 3): rotated digits
(``make_rotated_digits_tasks(l_r=0.1, random_state=0)``, D = 256), MetaRAE
with the ``meta`` suite's settings (:data:`METARAE_PARAMS`) at one torch
thread. Reports

- the meta-training seconds (wall and process CPU) and meta-iterations run
  (``--max-iter`` caps it; the default is the suite's 10,000 with early
  stopping);
- for support sets of ``--support-sizes`` points (drawn from the target
  tasks' points, with replacement past the task's size), the median and the
  maximum over ``--repeats`` runs of ``adapt(X_support)`` followed by
  ``score_samples`` of the same points (wall and CPU ms), after two warm-up
  runs.

``--params`` adds MetaRAE parameters to the suite's (e.g.
``"{'lambda_init': 0.1, 'adapt_tol': None}"``).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/metarae_speed.py --support-sizes 50 500 --repeats 50
"""

import argparse
import ast
import time

import numpy as np
import torch

from skrobustad import MetaRAE
from skrobustad.benchmark._suite_meta import METARAE_PARAMS
from skrobustad.datasets import make_rotated_digits_tasks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--support-sizes", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--params", type=ast.literal_eval, default={},
                        help="dict literal of MetaRAE parameters over the suite's, "
                             "e.g. \"{'lambda_init': 0.1}\"")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    tasks = make_rotated_digits_tasks(l_r=0.1, random_state=0)
    params = dict(METARAE_PARAMS, random_state=0, **args.params)
    if args.max_iter is not None:
        params["max_iter"] = args.max_iter
    meta = MetaRAE(**params)
    wall, cpu = time.perf_counter(), time.process_time()
    meta.fit(tasks.X_source, y_partial=tasks.y_partial_source,
             validation_tasks=tasks.X_validation, validation_y_partial=tasks.y_partial_validation)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"meta-training: {wall:.1f} s wall, {cpu:.1f} s CPU, {meta.n_iter_} meta-iterations "
          f"(best at {meta.best_iteration_}), {args.threads} torch thread(s)")

    pool = np.vstack([e["X_test"] for e in tasks.target[:5]])
    rng = np.random.RandomState(0)
    for n in args.support_sizes:
        X = pool[rng.choice(len(pool), n, replace=n > len(pool))]
        for _ in range(2):
            meta.adapt(X).score_samples(X)
        walls, cpus = [], []
        for _ in range(args.repeats):
            w, c = time.perf_counter(), time.process_time()
            meta.adapt(X).score_samples(X)
            walls.append(1000 * (time.perf_counter() - w))
            cpus.append(1000 * (time.process_time() - c))
        print(f"adapt + score, N_S = {n}: median {np.median(walls):.1f} ms wall "
              f"(max {np.max(walls):.1f}), median {np.median(cpus):.1f} ms CPU")


if __name__ == "__main__":
    main()
