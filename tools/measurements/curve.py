"""Learning curve of one detector on one ADBench file: raw features, stratified 70/30 per seed.

usage: curve.py DATASET SIZES SEEDS CLASS [KWARGS]
  e.g. curve.py 28_pendigits 3000,10000000 0,1,2 AutoEncoder "dict(max_steps=2000)"
A size above the training part trains on all of it. Prints test AUROC and fit CPU s
per (size, seed) and the mean over seeds per size.
"""
import os
import sys
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import skrobustad
from skrobustad.datasets import get_data_home

torch.set_num_threads(1)
name, sizes, seeds, cls = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
kwargs = eval(sys.argv[5]) if len(sys.argv) > 5 else {}
d = np.load(os.path.join(get_data_home(), "adbench", "Classical", f"{name}.npz"))
X, y = d["X"].astype(float), d["y"].astype(int)
for n in [int(v) for v in sizes.split(",")]:
    aucs = []
    for seed in [int(v) for v in seeds.split(",")]:
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        if n < len(Xtr):
            idx = train_test_split(np.arange(len(Xtr)), train_size=n, stratify=ytr,
                                   random_state=seed)[0]
        else:
            idx = np.arange(len(Xtr))
        est = getattr(skrobustad, cls)(random_state=seed, device="cpu", **kwargs)
        t = time.process_time()
        est.fit(Xtr[idx])
        ft = time.process_time() - t
        aucs.append(roc_auc_score(yte, -est.score_samples(Xte)))
        print(f"{name} {cls} {kwargs} n={len(idx)} seed={seed} auroc={aucs[-1]:.3f} "
              f"fit_cpu_s={ft:.1f}", flush=True)
    print(f"MEAN {name} {cls} {kwargs} n={len(idx)} auroc={np.mean(aucs):.3f}", flush=True)
