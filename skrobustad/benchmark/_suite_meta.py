"""MetaRAE's benchmark (paper 000): meta-learning over rotated digits and MVTec-AD.

Protocol
--------
``meta-episodes``
    On a task family (dataset names ``meta:rotated_digits`` and
    ``meta:mvtec``, see :class:`~skrobustad.benchmark._registry.TaskSource`),
    the seed is the random domain split: it builds the source, validation and
    target tasks (:func:`~skrobustad.datasets.make_rotated_digits_tasks`,
    :func:`~skrobustad.datasets.load_mvtec_tasks`) as one
    :class:`~skrobustad.benchmark._registry.MetaSplit`. Option ``l_r``: the
    source tasks' label ratio (the target episodes do not depend on it, so
    the cells of one seed are paired across ``l_r`` and across methods);
    ``scale="standard"`` standardises every task with the pooled source rows
    (MVTec's ResNet features; the digits' pixels stay in [0, 1], as the
    paper's).

Methods
-------
``MetaRAE``
    The paper's model (appendix D/E: K = J = 32, 32 hidden units, I = 10,
    lambda_0 = 1, mu_0 = 0.1, Adam 1e-3, early stopping on the validation
    tasks' AUROC, query = every labeled point, support 50 points). The paper
    gives no patience: training stops after 5 evaluations (500
    meta-iterations) without a better validation AUROC; on split 0 the
    validation AUROC peaked within the first few hundred meta-iterations.
``MetaRAE w/o A``, ``w/o Initial``, ``w/o Iter``, ``w/o hTask``, ``w/o ATask``, ``w/o Task``
    Table 2's ablations; ``MetaRAE (svdd)`` appendix B's form;
    ``MetaRAE (lambda_0=0.1)`` the paper grid's smallest lambda_0, and
    ``MetaRAE w/o Initial (lambda_0=0.1)`` with ``A_0 = 0`` (the best form
    measured on these pixels, see the user guide).
``Proto``, ``RProto``
    Prototypical meta-learners of Table 1, trained by the same engine and
    outer objective (smoothed AUC): an embedding network (appendix D: four
    layers, 32 hidden units), score = squared distance to the prototype of
    the embedded support set; RProto's prototype is the mean of the support
    points whose embedding lies within the median distance of the plain mean
    (it drops the far half, the "robust re-weighting" reduced to a hard
    rule).
``IForest (n_estimators=...)``, ``OCSVM (nu=...)``, ``AE (max_epochs=...)``, ``RAE (alpha=...)``
    The unsupervised baselines, fitted on each target support set; each
    grid point is its own method and ``tools/measurements/meta_tables.py``
    reports each family at its best grid point (best mean test AUROC, as the
    paper's appendix E does for its baselines). ``5-NN``: distance to the
    5th nearest support point (MVTec's reference).

Suites
------
``meta``: rotated digits, 5 domain splits x l_r in {0.1, 0.2, 0.3}, every
method above but 5-NN. ``meta-mvtec``: MVTec-AD (10 / 2 / 3 categories per
split), reported beside IForest (73.6) and 5-NN (77.3). ``meta-grid`` (slow
mode): MetaRAE with the paper's grid (K in {32, 64, 128} x lambda_0 in {0.1,
1, 10}) chosen on the validation tasks.
"""

from functools import partial

import numpy as np
import torch
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..datasets import load_mvtec_tasks, make_rotated_digits_tasks
from ..meta import MetaRAE
from ..nn import MLP
from ._registry import (
    MetaSplit,
    Method,
    Suite,
    TaskSource,
    register_method,
    register_protocol,
    register_suite,
)


# ---------------------------------------------------------------- protocol
def meta_episodes(X, y=None, *, random_state, l_r=0.1, scale=None, image_size=16,
                  n_per_class=100):
    """A :class:`MetaSplit` of a task family (``X`` is a :class:`TaskSource`)."""
    if not isinstance(X, TaskSource):
        raise ValueError("The meta-episodes protocol runs on task families ('meta:<name>').")
    if X.name == "rotated_digits":
        tasks = make_rotated_digits_tasks(l_r=l_r, image_size=image_size,
                                          n_per_class=n_per_class, random_state=random_state)
    elif X.name == "mvtec":
        tasks = load_mvtec_tasks(data_home=X.data_home, l_r=l_r, random_state=random_state)
    else:
        raise ValueError(f"Unknown task family {X.name!r}; known: rotated_digits, mvtec.")
    source, valid = list(tasks.X_source), list(tasks.X_validation)
    episodes = [dict(e) for e in tasks.target]
    if scale == "standard":
        scaler = StandardScaler().fit(np.vstack(source))
        source = [scaler.transform(Xt) for Xt in source]
        valid = [scaler.transform(Xt) for Xt in valid]
        for e in episodes:
            e["X_support"], e["X_test"] = (scaler.transform(e["X_support"]),
                                           scaler.transform(e["X_test"]))
    elif scale is not None:
        raise ValueError(f"scale must be None or 'standard', got {scale!r}.")
    return MetaSplit(source, list(tasks.y_partial_source), valid,
                     list(tasks.y_partial_validation), episodes,
                     info={"domains": tasks.domains, "l_r": float(l_r)})


register_protocol("meta-episodes", meta_episodes)


# ------------------------------------------------------- meta-learners
#: MetaRAE's settings in the suites (appendix D / E; lambda_0 = 1 as gated).
METARAE_PARAMS = dict(task_dim=32, code_dim=32, hidden_dim=32, lambda_init=1.0, mu_init=0.1,
                      n_inner_iter=10, support_size=50, lr=1e-3, max_iter=10000,
                      eval_every=100, n_iter_no_change=5, scale=False, device="cpu")

#: Table 2's variants: name suffix -> MetaRAE parameters.
METARAE_VARIANTS = {
    "": {},
    " w/o A": dict(attributes=False),
    " w/o Initial": dict(initial_attributes="zero"),
    " w/o Iter": dict(iterate=False),
    " w/o hTask": dict(task_representation="attributes"),
    " w/o ATask": dict(task_representation="encoder"),
    " w/o Task": dict(task_representation="none"),
    " (svdd)": dict(score="svdd"),
    " (lambda_0=0.1)": dict(lambda_init=0.1),
    " w/o Initial (lambda_0=0.1)": dict(initial_attributes="zero", lambda_init=0.1),
}


class _ProtoNet(nn.Module):
    """Embedding e(x); prototype = mean embedding of the support (robust: the near half)."""

    def __init__(self, n_features, hidden_dim=32, robust=False):
        super().__init__()
        self.e = MLP(n_features, (hidden_dim,) * 3, hidden_dim)
        self.robust = robust

    def adapt(self, S, trace=None, tol=None):
        E = self.e(S)
        proto = E.mean(dim=0)
        if self.robust and len(E) > 2:
            d = (E - proto).pow(2).sum(dim=1)
            keep = d <= d.median()
            proto = E[keep].mean(dim=0)
        return None, proto, None

    def anomaly_score(self, X, z, proto):
        return (self.e(X) - proto).pow(2).sum(dim=1)


class _ProtoDetector(OutlierMixin, BaseEstimator):
    """A support-bound prototype detector (higher score_samples = more normal)."""

    def __init__(self, module=None, prototype=None):
        self.module = module
        self.prototype = prototype

    def fit(self, X, y=None):
        self.offset_ = 0.0
        return self

    def score_samples(self, X):
        check_is_fitted(self)
        X_t = torch.as_tensor(np.asarray(X), dtype=torch.float32)
        with torch.no_grad():
            return -self.module.anomaly_score(X_t, None, self.prototype).double().numpy()


class ProtoMetaLearner(MetaRAE):
    """Proto / RProto (Table 1): MetaRAE's meta-training with a prototype inner step."""

    def __init__(self, *, robust=False, hidden_dim=32, support_size=50, max_iter=10000,
                 eval_every=100, n_iter_no_change=10, lr=1e-3, device="cpu",
                 random_state=None):
        super().__init__(hidden_dim=hidden_dim, support_size=support_size, max_iter=max_iter,
                         eval_every=eval_every, n_iter_no_change=n_iter_no_change, lr=lr,
                         scale=False, device=device, random_state=random_state)
        self.robust = robust

    def _build_module(self, n_features):
        return _ProtoNet(n_features, self.hidden_dim, self.robust)

    def adapt(self, X_support):
        check_is_fitted(self)
        S = torch.as_tensor(np.asarray(X_support), dtype=torch.float32)
        with torch.no_grad():
            _, proto, _ = self.module_.adapt(S)
        return _ProtoDetector(self.module_, proto).fit(X_support)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "module_")


ProtoMetaLearner._parameter_constraints = {
    k: v for k, v in MetaRAE._parameter_constraints.items()
    if k in ("hidden_dim", "support_size", "max_iter", "eval_every", "n_iter_no_change", "lr",
             "device", "random_state")
} | {"robust": ["boolean"]}


class ValidationSelectedMetaRAE(BaseEstimator):
    """MetaRAE at the grid point of best validation AUROC (the paper's model selection)."""

    def __init__(self, grid=(), params=None, random_state=None):
        self.grid = grid
        self.params = params
        self.random_state = random_state

    def fit(self, X, y=None, **kwargs):
        best = None
        self.scores_ = []
        for point in self.grid:
            m = MetaRAE(**{**(self.params or {}), **point, "random_state": self.random_state})
            m.fit(X, y, **kwargs)
            self.scores_.append((point, m.best_validation_score_))
            if best is None or (m.best_validation_score_ or -1) > (best.best_validation_score_
                                                                   or -1):
                best = m
        self.best_ = best
        return self

    def adapt(self, X_support):
        return self.best_.adapt(X_support)


def _diagnostics(est, split):
    est = getattr(est, "best_", est)
    return {
        "n_iter": int(getattr(est, "n_iter_", 0) or 0),
        "best_iteration": getattr(est, "best_iteration_", None),
        "best_validation_auroc": getattr(est, "best_validation_score_", None),
        "lambda": getattr(est, "lambda_", None),
        "mu": getattr(est, "mu_", None),
    }


# the factories are module-level functions under functools.partial, so that
# methods pickle (process and dask backends ship them to workers)
def _metarae(random_state, **params):
    return MetaRAE(**{**METARAE_PARAMS, **params, "random_state": random_state})


def _proto(random_state, robust):
    return ProtoMetaLearner(robust=robust, random_state=random_state)


def _paper_grid(random_state):
    return ValidationSelectedMetaRAE(
        grid=tuple({"task_dim": k, "lambda_init": lam} for k in (32, 64, 128)
                   for lam in (0.1, 1.0, 10.0)),
        params={k: v for k, v in METARAE_PARAMS.items() if k not in ("task_dim", "lambda_init")},
        random_state=random_state)


for suffix, params in METARAE_VARIANTS.items():
    register_method(Method(
        f"MetaRAE{suffix}", partial(_metarae, **params), api="meta",
        description=f"MetaRAE{suffix} (paper 000)", diagnostics=_diagnostics,
    ))
for name, robust in (("Proto", False), ("RProto", True)):
    register_method(Method(
        name, partial(_proto, robust=robust), api="meta",
        description=f"{name}: prototypical meta-learner (Table 1)", diagnostics=_diagnostics,
    ))
register_method(Method(
    "MetaRAE (paper grid)", _paper_grid, api="meta",
    description="MetaRAE, K and lambda_0 chosen on the validation tasks",
    diagnostics=_diagnostics,
))


# --------------------------------------------------------------- baselines
class KNNDetector(OutlierMixin, BaseEstimator):
    """Distance to the k-th nearest support point (higher score_samples = more normal)."""

    def __init__(self, n_neighbors=5):
        self.n_neighbors = n_neighbors

    def fit(self, X, y=None):
        self.nn_ = NearestNeighbors(n_neighbors=self.n_neighbors).fit(X)
        self.offset_ = 0.0
        return self

    def score_samples(self, X):
        distances, _ = self.nn_.kneighbors(X, n_neighbors=self.n_neighbors)
        return -distances[:, -1]


def _iforest(random_state, n_estimators):
    return IsolationForest(n_estimators=n_estimators, random_state=random_state)


def _ocsvm(random_state, nu):
    return OneClassSVM(nu=nu)


def _knn(random_state, n_neighbors):
    return KNNDetector(n_neighbors)


def _ae(max_epochs, rs):
    from ..detectors import AutoEncoder

    return AutoEncoder(hidden_dims=(32, 32), max_epochs=max_epochs, batch_size=64,
                       device="cpu", random_state=rs)


def _rae(alpha, rs):
    from ..detectors import RobustAE

    # the plain network (no batch norm or dropout) that the metarae tables
    # of the user guide were measured with; RobustAE's defaults have both now
    return RobustAE(hidden_dims=(32, 32), alpha=alpha, batch_norm=False, dropout=0.0,
                    max_epochs=300, batch_size=64, device="cpu", random_state=rs)


#: Baseline grids (appendix E, cut to what 50-point support sets need):
#: family -> [(method name, factory)].
BASELINE_GRID = {
    "IForest": [(f"IForest (n_estimators={n})", partial(_iforest, n_estimators=n))
                for n in (50, 100, 200)],
    "OCSVM": [(f"OCSVM (nu={nu})", partial(_ocsvm, nu=nu)) for nu in (0.1, 0.3, 0.5)],
    "AE": [(f"AE (max_epochs={e})", partial(_ae, e)) for e in (100, 300)],
    "RAE": [(f"RAE (alpha={a})", partial(_rae, a)) for a in (0.1, 1.0, 10.0)],
}
for family, entries in BASELINE_GRID.items():
    for name, make in entries:
        register_method(Method(name, make, api="sklearn", family="sklearn"
                               if family in ("IForest", "OCSVM") else "skrobustad",
                               description=f"{family} on the target support set"))
register_method(Method("5-NN", partial(_knn, n_neighbors=5), api="sklearn", family="sklearn",
                       description="distance to the 5th nearest support point"))

_BASELINES = tuple(name for entries in BASELINE_GRID.values() for name, _ in entries)
_META = tuple(f"MetaRAE{s}" for s in METARAE_VARIANTS) + ("Proto", "RProto")

register_suite(Suite(
    "meta", protocol="meta-episodes", datasets=("meta:rotated_digits",),
    methods=_META + _BASELINES, seeds=(0, 1, 2, 3, 4), scale=None,
    sweep={"l_r": (0.1, 0.2, 0.3)},
    description="MetaRAE (paper 000) on rotated digits: 5 domain splits x 3 label ratios, "
                "50 target episodes each (10 tasks x 5 support anomaly ratios)",
))
register_suite(Suite(
    "meta-mvtec", protocol="meta-episodes", datasets=("meta:mvtec",),
    methods=("MetaRAE", "Proto", "RProto", "IForest (n_estimators=100)", "5-NN"),
    seeds=(0, 1, 2, 3, 4), scale=None, protocol_kwargs={"l_r": 0.2, "scale": "standard"},
    description="MetaRAE on MVTec-AD ResNet-18 features (not gated)",
    reference={("meta:mvtec", "IForest (n_estimators=100)"): 0.736,
               ("meta:mvtec", "5-NN"): 0.773},
))
register_suite(Suite(
    "meta-grid", protocol="meta-episodes", datasets=("meta:rotated_digits",),
    methods=("MetaRAE (paper grid)",), seeds=(0, 1, 2, 3, 4), scale=None,
    sweep={"l_r": (0.1, 0.2, 0.3)},
    description="slow mode: MetaRAE with the paper's K x lambda_0 grid, chosen on validation",
))
