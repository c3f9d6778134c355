"""DeepSVDD AUROC on cover vs. training steps, at several training sizes."""
import os
from skrobustad.datasets import get_data_home
import sys, time, numpy as np, torch
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import roc_auc_score
from skorch.callbacks import Callback
from skrobustad import DeepSVDD
torch.set_num_threads(1)
ROWS = []
d = np.load(os.path.join(get_data_home(), "adbench", "Classical", "10_cover.npz")); X, y = d["X"].astype(float), d["y"].astype(int)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
rng = np.random.RandomState(0); te = rng.choice(len(Xte), 20000, replace=False); Xte, yte = Xte[te], yte[te]
shift = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
for n in [int(v) for v in sys.argv[1].split(",")]:
    idx = train_test_split(np.arange(len(Xtr)), train_size=n, stratify=ytr, random_state=0)[0] if n < len(Xtr) else np.arange(len(Xtr))
    sc = StandardScaler().fit(Xtr[idx]); A = sc.transform(Xtr[idx]) + shift; B = sc.transform(Xte) + shift
    class Probe(Callback):
        pass
        def on_epoch_end(self, net, **kw):
            e = len(net.history)
            if e in (1, 2, 5, 10, 20, 35, 50):
                m = net.module_; m.eval()
                with torch.no_grad(): s = m(torch.tensor(B, dtype=torch.float32)).numpy()
                with torch.no_grad(): st = m(torch.tensor(A[:5000], dtype=torch.float32)).numpy()
                m.train()
                ROWS.append((e, e * int(np.ceil(len(A) / 64)), roc_auc_score(yte, s), float(np.median(st))))
    ROWS.clear(); p = Probe(); t = time.time()
    DeepSVDD(random_state=0, device="cpu", callbacks=[p], scale=False).fit(A)
    print(f"n={n} shift={shift} fit {time.time()-t:.0f}s", flush=True)
    for r in ROWS: print("  epoch %d steps %d auroc %.3f median_train_dist %.2e" % r, flush=True)
