"""Peak memory of one detector's fit + score on all of ``10_cover``'s training part.

Usage::

    python tools/measurements/fit_memory.py "RobustAE()"
    MALLOC_MMAP_THRESHOLD_=131072 python tools/measurements/fit_memory.py "RobustAE()"

The detector (an expression over ``skrobustad``'s names, seed 0, one torch
thread) first fits 3,000 rows (torch's code pages, lazy imports), then the
full 200,233 x 10 training part (15.3 MiB as float64) and scores the test
part; printed: the peak resident memory above the start of that full fit
(``PeakMemory``, as the benchmark's ``peak_rss_mb``), fit CPU seconds, test
AUROC. glibc raises its mmap threshold after large blocks are freed and then
keeps freed heap memory resident, which adds up to ~20 MiB of noise to the
default run; a fixed threshold (the second command) measures the memory the
fit holds.
"""

import copy
import os
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import skrobustad
from skrobustad.datasets import get_data_home
from skrobustad.utils._memory import PeakMemory

warnings.simplefilter("ignore")
torch.set_num_threads(1)
path = os.path.join(get_data_home(), "adbench", "Classical", "10_cover.npz")
with np.load(path) as data:
    X, y = data["X"].astype(np.float64), data["y"].astype(int)
X_train, X_test, _, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
del X
est = eval(sys.argv[1], {name: getattr(skrobustad, name) for name in skrobustad.__all__})
inner = est.estimator if hasattr(est, "estimator") else est
inner.set_params(random_state=0, device="cpu")
copy.deepcopy(est).fit(X_train[:3000]).score_samples(X_test[:3000])
with PeakMemory() as peak:
    start = time.process_time()
    est.fit(X_train)
    fit_seconds = time.process_time() - start
    scores = -est.score_samples(X_test)
print(f"{sys.argv[1]}: peak {peak.mib:.1f} MiB above the fit's start (training part "
      f"{X_train.nbytes / 2**20:.1f} MiB), fit {fit_seconds:.1f} CPU s, "
      f"AUROC {roc_auc_score(y_test, scores):.3f}")
