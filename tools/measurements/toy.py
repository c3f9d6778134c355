"""scikit-learn's outlier-comparison datasets: densest inlier and far-field inliers per detector."""
import sys, warnings
import numpy as np
from sklearn.datasets import make_blobs, make_moons
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import KernelDensity
from scipy.spatial import cKDTree
import torch
torch.set_num_threads(1)
warnings.simplefilter("ignore")
from skrobustad import AutoEncoder, DeepSVDD, RobustAE, MAF

n_samples, outliers_fraction = 300, 0.15
n_outliers = int(outliers_fraction * n_samples); n_inliers = n_samples - n_outliers
blobs_params = dict(random_state=0, n_samples=n_inliers, n_features=2)
datasets = [
    make_blobs(centers=[[0, 0], [0, 0]], cluster_std=0.5, **blobs_params)[0],
    make_blobs(centers=[[2, 2], [-2, -2]], cluster_std=[0.5, 0.5], **blobs_params)[0],
    make_blobs(centers=[[2, 2], [-2, -2]], cluster_std=[1.5, 0.3], **blobs_params)[0],
    4.0 * (make_moons(n_samples=n_samples, noise=0.05, random_state=0)[0] - np.array([0.5, 0.25])),
    14.0 * (np.random.RandomState(42).rand(n_samples, 2) - 0.5),
]
xx, yy = np.meshgrid(np.linspace(-7, 7, 150), np.linspace(-7, 7, 150))
grid = np.c_[xx.ravel(), yy.ravel()]
extra = eval(sys.argv[1]) if len(sys.argv) > 1 else {}
makers = {
    "AutoEncoder": lambda: AutoEncoder(contamination=0.15, random_state=0, device="cpu", **extra.get("AutoEncoder", {})),
    "DeepSVDD": lambda: DeepSVDD(contamination=0.15, random_state=0, device="cpu", **extra.get("DeepSVDD", {})),
    "RobustAE": lambda: RobustAE(contamination=0.15, random_state=0, device="cpu", **extra.get("RobustAE", {})),
    "MAF": lambda: MAF(contamination=0.15, random_state=0, device="cpu", **extra.get("MAF", {})),
    "IForest": lambda: IsolationForest(contamination=0.15, random_state=0),
}
only = sys.argv[2].split(",") if len(sys.argv) > 2 else list(makers)
for name in only:
    row = []
    for k, X_in in enumerate(datasets):
        rng = np.random.RandomState(42)
        X_in = X_in[:n_inliers]
        X = np.concatenate([X_in, rng.uniform(low=-6, high=6, size=(n_outliers, 2))], axis=0)
        est = makers[name]().fit(X)
        dens = KernelDensity(bandwidth=0.3).fit(X_in).score_samples(X_in)
        densest = X_in[np.argmax(dens)]
        far = cKDTree(X_in).query(grid)[0] > 2
        pred = est.predict(grid)
        row.append((int(est.predict(densest[None])[0]), round(100 * float((pred[far] == 1).mean()), 1)))
    print(name, row, flush=True)
