"""One detector on the full cover training part in a fresh process: fit CPU s, peak RSS, AUROC."""
import os
from skrobustad.datasets import get_data_home
import sys, time, resource, numpy as np, torch, warnings
warnings.simplefilter("ignore")
torch.set_num_threads(1)
from sklearn.model_selection import train_test_split
from sklearn.metrics import roc_auc_score
d = np.load(os.path.join(get_data_home(), "adbench", "Classical", "10_cover.npz")); X, y = d["X"].astype(np.float64), d["y"].astype(int)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
del X
name, epochs = sys.argv[1], int(sys.argv[2])
if name.startswith("pyod"):
    from pyod.models.auto_encoder import AutoEncoder as PAE
    est = PAE(epoch_num=epochs, batch_size=64, verbose=0, random_state=0)
else:
    import skrobustad
    cls = getattr(skrobustad, name)
    kw = {} if name == "DeepSVDD" else {"max_epochs": epochs}
    est = cls(random_state=0, device="cpu", **kw)
import copy
copy.deepcopy(est).fit(Xtr[:500])  # warm-up: torch's lazy buffers, imports
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.process_time(); est.fit(Xtr); fit = time.process_time() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
s = est.decision_function(Xte) if name.startswith("pyod") else -est.score_samples(Xte)
data_mb = Xtr.nbytes / 2**20
print(f"{name} epochs={epochs if name != 'DeepSVDD' else 'budget 500 steps'} fit_cpu_s={fit:.1f} peak_rss_MB={peak:.0f} before_fit_MB={base_rss:.0f} train_data_MB={data_mb:.1f} auroc={roc_auc_score(yte, s):.3f}", flush=True)
