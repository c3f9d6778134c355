"""ELITE: the meta-gradient, pseudo labels, labels reaching the model, fallbacks."""

import copy

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback

from skrobustad import ELITE, DeepSVDD
from skrobustad.detectors._elite import NoValidationLabelsWarning
from skrobustad.losses._hinge import hinge_loss
from skrobustad.meta._lookahead import lookahead_meta_gradient
from skrobustad.nn import HypersphereEncoder

FAST = {"hidden_dims": (16, 4), "max_epochs": 20, "random_state": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def polluted():
    """300 normals, 60 planted anomalies; 10 + 10 of them labeled."""
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(300, 4)), rng.normal(4, 1, size=(60, 4))]
    y = np.r_[np.zeros(300, int), np.ones(60, int)]
    y_partial = np.full(len(X), -1)
    y_partial[:10], y_partial[-10:] = 0, 1
    return X, y, y_partial


class _Snapshot(Callback):
    """Keep a copy of the module as training starts (the initial parameters).

    The estimator copies its callbacks at fit time; this one stays itself so
    that the test can read what it kept.
    """

    def __deepcopy__(self, memo):
        return self

    def on_train_begin(self, net, **kwargs):
        self.module_ = copy.deepcopy(net.module_)


def _explicit_meta_gradients(module, omega, x, x_val, is_anomaly_val, w_val, margin, lr):
    """``M_i`` by separate autograd calls per sample: ``-lr / n <grad L_v, grad Omega_i>``."""
    params = [p for p in module.parameters()]
    score_v = omega(module(x_val), x_val)
    loss_v = (w_val / w_val.sum() * hinge_loss(score_v, is_anomaly_val, margin)).sum()
    g_v = torch.autograd.grad(loss_v, params)
    n = x.shape[0]
    out = []
    for i in range(n):
        g_i = torch.autograd.grad(omega(module(x[i:i + 1]), x[i:i + 1])[0], params)
        out.append(-lr / n * sum((a * b).sum() for a, b in zip(g_v, g_i)))
    return torch.stack(out)


def test_lookahead_equals_per_sample_autograd_and_finite_differences():
    torch.manual_seed(0)
    module = HypersphereEncoder(3, (5, 2)).double()
    module.center.copy_(torch.tensor([0.3, -0.2], dtype=torch.float64))
    x = torch.randn(6, 3, dtype=torch.float64)
    x_val = torch.randn(4, 3, dtype=torch.float64)
    is_anom = torch.tensor([False, True, False, True])
    w_val = torch.ones(4, dtype=torch.float64)
    lr, margin = 0.05, 1.5

    def omega(out, _):
        return torch.sqrt(out + 1e-12)

    def valid_loss(params):
        out = torch.func.functional_call(module, params, (x_val,))
        return (w_val / 4 * hinge_loss(omega(out, x_val), is_anom, margin)).sum()

    meta, _, value = lookahead_meta_gradient(module, x, omega, valid_loss, lr)
    explicit = _explicit_meta_gradients(module, omega, x, x_val, is_anom, w_val, margin, lr)
    np.testing.assert_allclose(meta.numpy(), explicit.detach().numpy(), rtol=1e-9, atol=1e-14)
    assert np.all(meta.numpy() != 0)

    # finite differences of L_v(theta - lr/n * eps_i grad Omega_i) in eps_i
    params = list(module.parameters())
    h = 1e-4
    for i in range(len(x)):
        g_i = torch.autograd.grad(omega(module(x[i:i + 1]), None)[0], params)

        def at(e, g_i=g_i):
            new = {name: p - lr * e / len(x) * g for (name, p), g in
                   zip(module.named_parameters(), g_i)}
            return float(valid_loss({**new, "center": module.center}).detach())

        fd = (at(h) - at(-h)) / (2 * h)
        assert fd == pytest.approx(float(meta[i]), rel=1e-5, abs=1e-12)
    with torch.no_grad():
        at_theta = valid_loss(dict(module.named_parameters()) | dict(module.named_buffers()))
    assert value == pytest.approx(float(at_theta))


@pytest.mark.parametrize("backbone", ["svdd", "ae"])
def test_fitted_meta_gradients_are_those_of_the_initial_network(backbone):
    """End to end: one batch, one epoch; the recorded M equals a per-sample recomputation."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(40, 3))
    y_partial = np.full(40, -1)
    y_partial[:3], y_partial[-3:] = 0, 1
    snap = _Snapshot()
    est = ELITE(backbone, hidden_dims=(5, 2), max_epochs=1, batch_size=64, dtype="float64",
                lr=0.01, random_state=0, device="cpu", callbacks=[snap])
    est.fit(X, y_partial=y_partial)
    Xs = torch.as_tensor(est._scale_input(X))
    rows = est.training_rows_
    np.testing.assert_array_equal(rows, np.arange(3, 37))
    labeled = y_partial != -1
    w_val = torch.ones(int(labeled.sum()), dtype=torch.float64)
    module = snap.module_
    explicit = _explicit_meta_gradients(
        module, est._omega, Xs[rows], Xs[labeled], torch.as_tensor(y_partial[labeled] == 1),
        w_val, est.margin_, est.lr,
    ).detach().numpy()
    np.testing.assert_allclose(est.meta_gradients_, explicit, rtol=1e-7, atol=1e-16)
    np.testing.assert_array_equal(est.pseudo_labels_, (explicit > 0).astype(int))
    np.testing.assert_allclose(est.meta_weights_, est.eta_m * np.abs(explicit), rtol=1e-7)


@pytest.mark.parametrize("margin", ["labeled-max", "initial-loss"])
@pytest.mark.parametrize("backbone", ["svdd", "ae"])
def test_pseudo_labels_flip_for_planted_anomalies(polluted, backbone, margin):
    X, y, y_partial = polluted
    est = ELITE(backbone, margin=margin, **FAST).fit(X, y_partial=y_partial)
    truth = y[est.training_rows_]
    assert est.pseudo_labels_.shape == truth.shape == (340,)
    # every sample starts as normal; the hidden anomalies end up pseudo-labelled
    # anomalous, most normals normal (measured: at most 34% of the normals, the
    # labeled-max margin on svdd, where they carry 4% of an anomaly's weight)
    assert est.pseudo_labels_[truth == 1].mean() > 0.9
    assert est.pseudo_labels_[truth == 0].mean() < 0.4
    # the paper's y_hat * |M| separates them (Fig. 7c)
    signed = -est.meta_gradients_
    assert roc_auc_score(truth, -signed) > 0.9
    assert roc_auc_score(y, -est.score_samples(X)) > 0.9


def test_labels_reach_the_model(polluted):
    X, y, y_partial = polluted
    ref = ELITE(**FAST).fit(X, y_partial=y_partial)
    # the same rows labeled, with the anomalies relabeled as normal
    flipped = np.where(y_partial == 1, 0, y_partial)
    other = ELITE(**FAST).fit(X, y_partial=flipped)
    assert not np.allclose(ref.score_samples(X), other.score_samples(X), rtol=1e-3)
    assert not np.array_equal(ref.pseudo_labels_, other.pseudo_labels_)
    # without the labeled anomalies the hidden ones are no longer found
    truth = y[ref.training_rows_]
    assert other.pseudo_labels_[truth == 1].mean() < ref.pseudo_labels_[truth == 1].mean()


def _movement(est, snap):
    before = torch.cat([p.detach().flatten() for p in snap.module_.parameters()])
    after = torch.cat([p.detach().flatten() for p in est.module_.parameters()])
    return float((after - before).norm() / before.norm())


@pytest.mark.parametrize("backbone", ["svdd", "ae"])
def test_parameters_move_and_history_records_alpha(polluted, backbone):
    X, _, y_partial = polluted
    # no weight decay: it alone would move (shrink) the parameters whatever alpha
    params = {**FAST, "max_epochs": 5, "weight_decay": 0.0}
    snap = _Snapshot()
    est = ELITE(backbone, **params, callbacks=[snap]).fit(X, y_partial=y_partial)
    moved = _movement(est, snap)
    # as far as the unsupervised backbone moves in the same steps (Adam: ~ lr per step)
    with pytest.warns(NoValidationLabelsWarning):
        backbone_fit = ELITE(backbone, **params, callbacks=[snap]).fit(X)
    assert moved > 0.3 * _movement(backbone_fit, snap) > 0
    # weights far below Adam's eps do not move it: what the default eta_m avoids
    tiny = ELITE(backbone, eta_m=1e-9, **params, callbacks=[snap]).fit(X, y_partial=y_partial)
    assert _movement(tiny, snap) < 0.1 * moved
    sum_alpha = [h["sum_alpha"] for h in est.history_]
    assert len(sum_alpha) == 5 and all(s > 0 for s in sum_alpha)
    # the default eta_m puts the weights at the scale of the loss, not at 1e-6
    assert 1e-3 < sum_alpha[0] / len(est.training_rows_) < 10
    assert len(est.validation_loss_curve_) == 5
    assert np.all(np.isfinite(est.validation_loss_curve_))


def test_validation_loss_decreases(polluted):
    X, _, y_partial = polluted
    est = ELITE(**{**FAST, "max_epochs": 30}).fit(X, y_partial=y_partial)
    curve = est.validation_loss_curve_
    assert curve[-1] < curve[0]


def test_margin_rules(polluted):
    X, _, y_partial = polluted
    snap = _Snapshot()
    est = ELITE(margin="labeled-max", **{**FAST, "max_epochs": 1}, callbacks=[snap])
    est.fit(X, y_partial=y_partial)
    Xs = torch.as_tensor(est._scale_input(X), dtype=torch.float32)
    with torch.no_grad():
        omega = est._omega(snap.module_(Xs), Xs).numpy()
    assert est.margin_ == pytest.approx(omega[y_partial != -1].max(), rel=1e-5)
    default = ELITE(**{**FAST, "max_epochs": 1}).fit(X, y_partial=y_partial)
    assert default.margin_ == est.margin_  # the authors' rule is the default
    initial = ELITE(margin="initial-loss", **{**FAST, "max_epochs": 1})
    initial.fit(X, y_partial=y_partial)
    assert initial.margin_ == pytest.approx(omega[y_partial == -1].mean(), rel=1e-5)
    fixed = ELITE(margin=2.5, **{**FAST, "max_epochs": 1}).fit(X, y_partial=y_partial)
    assert fixed.margin_ == 2.5


def test_without_labels_warns_and_trains_the_backbone(polluted):
    X, _, _ = polluted
    with pytest.warns(NoValidationLabelsWarning, match="no labeled samples"):
        est = ELITE(**FAST).fit(X)
    assert np.isnan(est.margin_) and est.validation_loss_curve_ == []
    np.testing.assert_array_equal(est.pseudo_labels_, 0)
    np.testing.assert_array_equal(est.meta_weights_, 1.0)
    # the unsupervised loss: the mean distance shrinks
    assert est.loss_curve_[-1] < est.loss_curve_[0]


@pytest.mark.parametrize("code", [0, 1])
def test_one_class_of_labels_works(polluted, code):
    X, y, y_partial = polluted
    one = np.where(y_partial == code, code, -1)
    est = ELITE(**FAST).fit(X, y_partial=one)
    assert len(est.validation_loss_curve_) == FAST["max_epochs"]
    assert np.all(np.isfinite(est.meta_gradients_))
    assert roc_auc_score(y, -est.score_samples(X)) > 0.8


def test_train_on_labeled_adds_the_labeled_rows(polluted):
    X, _, y_partial = polluted
    est = ELITE(train_on_labeled=True, **{**FAST, "max_epochs": 2}).fit(X, y_partial=y_partial)
    np.testing.assert_array_equal(est.training_rows_, np.arange(len(X)))
    assert est.pseudo_labels_.shape == (len(X),)


def test_zero_weight_rows_neither_train_nor_validate(polluted):
    X, _, y_partial = polluted
    w = np.ones(len(X))
    w[[0, 1, 100, -1]] = 0.0
    est = ELITE(**{**FAST, "max_epochs": 2}).fit(X, y_partial=y_partial, sample_weight=w)
    assert 100 not in est.training_rows_ and len(est.training_rows_) == 339


def test_bad_input():
    X = np.random.RandomState(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="needs unlabeled training samples"):
        ELITE(**FAST).fit(X, y_partial=np.r_[np.zeros(10), np.ones(10)])
    with pytest.raises(InvalidParameterError, match="backbone"):
        ELITE("vae", **FAST).fit(X)
    with pytest.raises(InvalidParameterError, match="margin"):
        ELITE(margin=-1.0, **FAST).fit(X)
    with pytest.raises(InvalidParameterError, match="eta_m"):
        ELITE(eta_m=0, **FAST).fit(X)
    with pytest.raises(ValueError, match="unknown label codes"):
        ELITE(**FAST).fit(X, y_partial=np.full(20, 2))


# ------------------------------------------------------------------ benchmark
def test_digits_protocol_sizes_and_fixed_test_set():
    from skrobustad.benchmark._runner import load_dataset
    from skrobustad.benchmark._suite_elite import POLLUTION_LEVELS, elite_digits

    X, y = load_dataset("embedded:digits-classes")
    tests = []
    for rp in POLLUTION_LEVELS:
        split = elite_digits(X, y, random_state=0, normal_class=3, pollution=rp)
        yp = split.y_partial_train
        assert (yp == 0).sum() == 10 and (yp == 1).sum() == 10
        assert split.info["unlabeled_pollution"] == pytest.approx(rp, abs=0.01)
        # about 126 training normals: 10 labeled and the rest unlabeled
        n_unlabeled_normals = round((1 - split.info["unlabeled_pollution"])
                                    * split.info["n_unlabeled"])
        assert 110 <= n_unlabeled_normals <= 120
        tests.append(split.X_test)
        # no training row is in the test set
        train = {r.tobytes() for r in split.X_train}
        assert not any(r.tobytes() in train for r in split.X_test)
    # the same test set at every r_p of a seed
    for other in tests[1:]:
        np.testing.assert_array_equal(other, tests[0])


@pytest.mark.data
def test_cifar_protocol_draws_anomalies_from_the_other_files(data_home):
    from skrobustad.benchmark._suite_elite import elite_cifar
    from skrobustad.datasets import load_adbench

    X, y = load_adbench("CIFAR10_0", data_home=data_home, return_X_y=True)
    split = elite_cifar(X, y, random_state=0, pollution=0.5, data_home=data_home)
    assert len(split.X_train) == 2000
    yp = split.y_partial_train
    assert (yp == 0).sum() == 25 and (yp == 1).sum() == 25
    assert split.info["unlabeled_pollution"] == pytest.approx(0.5)
    own = {r.tobytes() for r in np.asarray(X, dtype=np.float64)}
    anomalies = split.X_test[split.y_test == 1]
    assert not any(r.tobytes() in own for r in anomalies)
    normals = split.X_test[split.y_test == 0]
    assert all(r.tobytes() in own for r in normals[:50])


def test_elite_suites_are_registered():
    import importlib.util

    from skrobustad.benchmark import get_suite

    suite = get_suite("elite")
    assert suite.sweep["pollution"] == (0.1, 0.2, 0.3, 0.4, 0.5)
    assert suite.sweep["normal_class"] == tuple(range(10))
    assert {"ELITE (svdd)", "ELITE (ae)", "ELITE (svdd, paper margin)", "ELITE (ae, paper margin)",
            "DeepSAD", "DeepSAD (hinge)", "pyod.DevNet"} <= set(suite.methods)
    # the default entries take the authors' margin, the "paper margin" ones the paper's
    from skrobustad.benchmark._registry import get_method

    for backbone in ("svdd", "ae"):
        assert get_method(f"ELITE ({backbone})").make(0).margin == "labeled-max"
        paper = get_method(f"ELITE ({backbone}, paper margin)").make(0)
        assert (paper.backbone, paper.margin) == (backbone, "initial-loss")
    has_xgboost = importlib.util.find_spec("xgboost") is not None
    assert ("pyod.XGBOD" in suite.methods) == has_xgboost
    assert set(get_suite("elite-cifar").datasets) == {"CIFAR10_0", "CIFAR10_4", "CIFAR10_6"}


@pytest.mark.parametrize("cls", ["ELITE", "DeepSAD"])
def test_pyod_adapter_hands_the_labels_on(polluted, cls):
    import warnings

    import skrobustad
    from skrobustad.pyod import PyODAdapter

    X, _, y_partial = polluted
    est = getattr(skrobustad, cls)(**{**FAST, "max_epochs": 3})
    y = (y_partial == 1).astype(int)  # PyOD's y: 1 labeled anomaly, 0 unlabeled
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "labels ignored" warning
        adapter = PyODAdapter(est).fit(X, y)
    inner = adapter.estimator_
    direct = getattr(skrobustad, cls)(**{**FAST, "max_epochs": 3}).fit(
        X, y_partial=np.where(y == 1, 1, -1))
    np.testing.assert_allclose(inner.score_samples(X), direct.score_samples(X), rtol=1e-6)


@pytest.mark.slow
def test_elite_is_robust_to_pollution_on_digits(smoke):
    """Paper claim (a) on the ``elite`` suite's digits protocol.

    ELITE's mean AUROC at r_p = 0.5 is at least its r_p = 0.1 value minus
    0.02, while Deep SVDD's and Deep SAD's drop by more. Smoke form: normal
    classes 0 and 3, one seed; full form: the 10 classes, 3 seeds.
    """
    from skrobustad import DeepSAD
    from skrobustad.benchmark._runner import load_dataset
    from skrobustad.benchmark._suite_elite import elite_digits

    X, digit = load_dataset("embedded:digits-classes")
    classes, seeds = ((0, 3), (0,)) if smoke else (tuple(range(10)), (0, 1, 2))
    common = {"hidden_dims": (64, 32), "batch_size": 128, "device": "cpu"}
    makers = {
        "ELITE": lambda s: ELITE(random_state=s, **common),
        "DeepSVDD": lambda s: DeepSVDD(max_epochs=50, random_state=s, **common),
        "DeepSAD": lambda s: DeepSAD(max_epochs=50, random_state=s, **common),
    }
    auroc = {(m, rp): [] for m in makers for rp in (0.1, 0.5)}
    for c in classes:
        for seed in seeds:
            for rp in (0.1, 0.5):
                split = elite_digits(X, digit, random_state=seed, normal_class=c,
                                     pollution=rp)
                for name, make in makers.items():
                    labels = None if name == "DeepSVDD" else split.y_partial_train
                    est = make(seed).fit(split.X_train, y_partial=labels)
                    auroc[name, rp].append(
                        roc_auc_score(split.y_test, -est.score_samples(split.X_test)))
    drop = {m: np.mean(auroc[m, 0.1]) - np.mean(auroc[m, 0.5]) for m in makers}
    assert drop["ELITE"] <= 0.02, drop
    assert drop["DeepSVDD"] > drop["ELITE"] and drop["DeepSAD"] > drop["ELITE"], drop
