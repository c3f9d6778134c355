"""cover learning curve: DeepSVDD / AutoEncoder defaults (raw features, internal scaling) vs IForest."""
import os
from skrobustad.datasets import get_data_home
import sys, time, numpy as np, torch
from sklearn.model_selection import train_test_split
from sklearn.metrics import roc_auc_score
from sklearn.ensemble import IsolationForest
torch.set_num_threads(1)
from skrobustad import DeepSVDD, IAD
d = np.load(os.path.join(get_data_home(), "adbench", "Classical", "10_cover.npz")); X, y = d["X"].astype(float), d["y"].astype(int)
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
makers = {"DeepSVDD": lambda: DeepSVDD(random_state=seed, device="cpu"),
          "IAD(DeepSVDD)": lambda: IAD(DeepSVDD(random_state=seed, device="cpu"), random_state=seed),
          "IAD(DeepSVDD beta=median)": lambda: IAD(DeepSVDD(random_state=seed, device="cpu"), beta="median", random_state=seed),
          "IAD(DeepSVDD beta=estimate)": lambda: IAD(DeepSVDD(random_state=seed, device="cpu"), beta="estimate", random_state=seed),
          "IForest": lambda: IsolationForest(random_state=seed)}
for name in sys.argv[3].split(","):
    for n in [int(v) for v in sys.argv[1].split(",")]:
        idx = train_test_split(np.arange(len(Xtr)), train_size=n, stratify=ytr, random_state=seed)[0] if n < len(Xtr) else np.arange(len(Xtr))
        t = time.process_time(); est = makers[name]().fit(Xtr[idx]); ft = time.process_time() - t
        auc = roc_auc_score(yte, -est.score_samples(Xte))
        print(f"{name} n={n} seed={seed} auroc={auc:.3f} fit_cpu_s={ft:.1f}", flush=True)
