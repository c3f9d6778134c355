"""RobustAE on all rows of 32_shuttle, the scale suite's seed-0 split: AUROC, loss curve, share of S non-zero.

    python tools/measurements/robust_ae_shuttle.py "dict(batch_norm=True, dropout=0.2)"
"""
import sys, time, numpy as np, torch, warnings
torch.set_num_threads(1)
from sklearn.metrics import roc_auc_score
from skrobustad.benchmark._suite_core import unsupervised
from skrobustad.benchmark._runner import load_dataset
from skrobustad import RobustAE
X, y = load_dataset("32_shuttle")
sp = unsupervised(X, y, random_state=0)
kw = eval(sys.argv[1]) if len(sys.argv) > 1 else {}
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    est = RobustAE(random_state=0, **kw).fit(sp.X_train)
print([str(x.message)[:80] for x in w])
s = -est.score_samples(sp.X_test)
print(kw, "auroc", round(roc_auc_score(sp.y_test, s), 3), "n", len(sp.X_train), "loss", np.round(est.loss_curve_[::10], 4).tolist(), "S nonzero", float((est.anomalous_attributes_ != 0).mean()))
