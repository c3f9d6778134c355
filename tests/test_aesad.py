"""Tests of AESAD, its loss, its convolutional network and its benchmark protocols."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler

import skrobustad.detectors._aesad as aesad_module
from skrobustad import AESAD, AutoEncoder
from skrobustad.benchmark import get_method, get_protocol, get_suite
from skrobustad.benchmark._suite_aesad import aesad_polluted_split, aesad_table2_split
from skrobustad.losses import TARGET_TRANSFORMS, aesad_loss
from skrobustad.nn import ConvAutoEncoder

TINY = dict(hidden_dims=(8, 4), max_epochs=20, batch_size=32, random_state=0)


def _aesad(device="cpu", **params):
    return AESAD(**{**TINY, "device": device, **params})


@pytest.fixture(scope="module")
def blobs():
    """Normals, labeled anomalies (one side) and unseen anomalies (other side)."""
    rng = np.random.RandomState(0)
    normal = rng.normal(size=(200, 5))
    seen = rng.normal(loc=3.0, size=(15, 5))
    unseen = rng.normal(loc=-3.0, size=(15, 5))
    X = np.r_[normal, seen, unseen]
    y_partial = np.r_[np.full(200, -1), np.ones(15, int), np.full(15, -1)]
    return X, y_partial


# --------------------------------------------------------------- the labels


def test_labels_change_the_model_and_the_scores(blobs, device):
    X, y_partial = blobs
    with pytest.warns(UserWarning, match="no labeled anomalies"):
        plain = _aesad(device).fit(X)
    labeled = _aesad(device).fit(X, y_partial=y_partial)
    params_plain = torch.cat([p.detach().cpu().flatten() for p in plain.module_.parameters()])
    params_labeled = torch.cat([p.detach().cpu().flatten() for p in labeled.module_.parameters()])
    assert not torch.allclose(params_plain, params_labeled)
    assert not np.allclose(plain.score_samples(X), labeled.score_samples(X))
    # the labeled anomalies score lower (more abnormal) once they are labeled
    seen = y_partial == 1
    assert labeled.score_samples(X[seen]).mean() < plain.score_samples(X[seen]).mean()


def test_labeled_anomalies_are_reconstructed_as_their_target(blobs, device):
    """Regression test for the authors' PyOD port, which dropped y silently.

    There the network trained as a plain autoencoder: the reconstruction of a
    labeled anomaly moved *towards* x. Here it must move towards F(x) = 1 - x
    (in scaled units), far from x.
    """
    X, y_partial = blobs
    est = _aesad(device, max_epochs=40).fit(X, y_partial=y_partial)
    seen = y_partial == 1
    x_scaled = est._scale_input(X[seen])
    x_hat = est._scale_input(est.reconstruct(X[seen]))
    to_target = np.square(x_hat - (1.0 - x_scaled)).sum(axis=1)
    to_input = np.square(x_hat - x_scaled).sum(axis=1)
    assert np.median(to_target) < np.median(to_input)


def test_the_loss_receives_the_labels(blobs, monkeypatch):
    X, y_partial = blobs
    seen_anomalies = []

    def spy(x, x_hat, is_anomaly, **kwargs):
        seen_anomalies.append(int(is_anomaly.sum()))
        return aesad_loss(x, x_hat, is_anomaly, **kwargs)

    monkeypatch.setattr(aesad_module, "aesad_loss", spy)
    est = _aesad(max_epochs=2).fit(X, y_partial=y_partial)
    assert sum(seen_anomalies) == 2 * 15  # every labeled anomaly, every epoch
    assert est.n_labeled_anomalies_ == 15


def test_target_transform_is_applied_only_to_labeled_anomalies(blobs):
    X, y_partial = blobs
    calls = []

    def recording_target(x):
        calls.append(x.detach().clone())
        return 1.0 - x

    est = _aesad(max_epochs=3, target_transform=recording_target).fit(X, y_partial=y_partial)
    # the first call checks the output shape on two labeled anomalies
    assert calls[0].shape[0] == 2
    rows = torch.cat(calls[1:]).double().numpy()
    assert rows.shape[0] == 3 * 15  # labeled anomalies only, each epoch
    anomalies = est._scale_input(X[y_partial == 1])
    for row in rows:
        assert np.abs(anomalies - row).max(axis=1).min() < 1e-6


def test_loss_matches_equation_two():
    torch.manual_seed(0)
    x, x_hat = torch.rand(6, 4), torch.rand(6, 4)
    is_anomaly = torch.tensor([0, 1, 0, 0, 1, 0], dtype=torch.bool)
    received = []

    def target(a):
        received.append(a)
        return 1.0 - a

    loss = aesad_loss(x, x_hat, is_anomaly, anomaly_weight=2.5, target_transform=target)
    expected = torch.where(
        is_anomaly,
        2.5 * ((1.0 - x) - x_hat).pow(2).sum(1),
        (x - x_hat).pow(2).sum(1),
    )
    torch.testing.assert_close(loss, expected)
    assert len(received) == 1 and torch.equal(received[0], x[is_anomaly])
    # no anomaly in the batch: F is not called at all
    aesad_loss(x, x_hat, torch.zeros(6, dtype=torch.bool), target_transform=target)
    assert len(received) == 1


@pytest.mark.parametrize("name", sorted(TARGET_TRANSFORMS))
def test_named_target_transforms_stay_in_the_unit_cube(name):
    x = torch.linspace(0, 1, 101)
    fx = TARGET_TRANSFORMS[name](x)
    assert fx.min() >= 0 and fx.max() <= 1
    if name == "negative":
        torch.testing.assert_close(fx, 1 - x)
    elif name == "threshold":
        torch.testing.assert_close(fx, (x <= 0.5).float())
        assert torch.all((fx - x).abs() >= 0.5)
    else:
        torch.testing.assert_close((fx - x).abs(), torch.full_like(x, 0.5))


@pytest.mark.parametrize("name", ["threshold", "shift"])
def test_other_named_transforms_train(blobs, name):
    X, y_partial = blobs
    est = _aesad(max_epochs=5, target_transform=name).fit(X, y_partial=y_partial)
    assert np.isfinite(est.score_samples(X)).all()


# ------------------------------------------------------------------- lambda


def test_lambda_auto_alpha_and_constant(blobs):
    X, y_partial = blobs
    n, s = len(X), 15
    fit = dict(X=X, y_partial=y_partial)
    est = _aesad(max_epochs=1).fit(**fit)
    assert est.anomaly_weight_ == pytest.approx((n - s) / s)
    est = _aesad(max_epochs=1, anomaly_weight="alpha", alpha=0.1).fit(**fit)
    assert est.anomaly_weight_ == pytest.approx(1 + 0.1 * (n / s - 1))
    est = _aesad(max_epochs=1, anomaly_weight=3.0).fit(**fit)
    assert est.anomaly_weight_ == 3.0


def test_lambda_auto_balances_weighted_totals(blobs):
    X, y_partial = blobs
    w = np.ones(len(X))
    w[y_partial == 1] = 2.0
    w[:10] = 0.0  # excluded from training
    est = _aesad(max_epochs=1).fit(X, y_partial=y_partial, sample_weight=w)
    w_anomaly = w[y_partial == 1].sum()
    w_rest = w[y_partial != 1].sum()
    assert est.anomaly_weight_ == pytest.approx(w_rest / w_anomaly)


def test_without_labeled_anomalies_warns_and_trains_a_plain_autoencoder(blobs):
    X, _ = blobs
    with pytest.warns(UserWarning, match="plain autoencoder"):
        est = _aesad().fit(X)
    assert est.anomaly_weight_ == 1.0 and est.n_labeled_anomalies_ == 0
    with pytest.warns(UserWarning, match="plain autoencoder"):
        normals = _aesad().fit(X, y_partial=np.zeros(len(X), int))
    np.testing.assert_allclose(est.score_samples(X), normals.score_samples(X), rtol=1e-6)


def test_only_labeled_anomalies_is_an_error(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="normal or unlabeled"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _aesad().fit(X, y_partial=np.ones(len(X), int))


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(anomaly_weight="big"), "anomaly_weight"),
        (dict(anomaly_weight=0.0), "anomaly_weight"),
        (dict(alpha=-1.0), "alpha"),
        (dict(target_transform="inverse"), "target_transform"),
    ],
)
def test_invalid_parameters_are_refused_at_fit(blobs, params, match):
    X, y_partial = blobs
    with pytest.raises(ValueError, match=match):
        _aesad(**params).fit(X, y_partial=y_partial)


def test_unfitted_estimator_is_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AESAD().score_samples(np.zeros((2, 3)))


# ------------------------------------------------------------------ scaling


def test_scaling_statistics_and_round_trip(blobs):
    X, y_partial = blobs
    w = np.ones(len(X))
    w[-3:] = 0.0  # zero-weight samples do not shape the scaling
    est = _aesad(max_epochs=5).fit(X, y_partial=y_partial, sample_weight=w)
    ref = MinMaxScaler().fit(X[:-3])
    np.testing.assert_allclose(est.data_min_, ref.data_min_)
    np.testing.assert_allclose(est.data_max_, ref.data_max_)
    np.testing.assert_allclose(est._scale_input(X), ref.transform(X))
    # reconstruct() maps back to the units of X
    x_hat = est.reconstruct(X)
    np.testing.assert_allclose(ref.inverse_transform(est._scale_input(x_hat)), x_hat, atol=1e-9)


def test_internal_scaling_equals_scaling_beforehand(blobs):
    X, y_partial = blobs
    X_affine = 50.0 * X + 7.0
    scaled = MinMaxScaler().fit_transform(X)
    inside = _aesad().fit(X_affine, y_partial=y_partial)
    outside = _aesad(scale=False).fit(scaled, y_partial=y_partial)
    np.testing.assert_allclose(
        inside.score_samples(X_affine), outside.score_samples(scaled), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        MinMaxScaler().fit(X_affine).transform(inside.reconstruct(X_affine)),
        outside.reconstruct(scaled),
        atol=1e-5,
    )


def test_test_data_outside_the_training_range_scores_by_its_distance(blobs):
    X, y_partial = blobs
    est = _aesad().fit(X, y_partial=y_partial)
    x = X[:1].copy()
    far = x.copy()
    far[0, 0] = X[:, 0].max() + 10 * (X[:, 0].max() - X[:, 0].min())
    farther = far.copy()
    farther[0, 0] += 100.0
    anomaly = -est.score_samples(np.r_[x, far, farther])
    assert anomaly[0] < anomaly[1] < anomaly[2]
    # at least the squared distance to [0, 1]^d (mean over the d features)
    assert anomaly[1] >= 10.0**2 / X.shape[1]


def test_unscaled_input_outside_unit_cube_warns(blobs):
    X, y_partial = blobs
    with pytest.warns(UserWarning, match="outside \\[0, 1\\]"):
        _aesad(scale=False, max_epochs=1).fit(X, y_partial=y_partial)


def test_constant_feature_is_scaled_to_zero(blobs):
    X, y_partial = blobs
    X = np.c_[X, np.full(len(X), 4.0)]
    est = _aesad(max_epochs=1).fit(X, y_partial=y_partial)
    assert est.data_range_[-1] == 1.0
    np.testing.assert_array_equal(est._scale_input(X)[:, -1], 0.0)


def test_warm_start_continues_training_with_the_first_scaling(blobs):
    X, y_partial = blobs
    est = _aesad(max_epochs=5).fit(X, y_partial=y_partial)
    cold = est.loss_curve_
    data_min = est.data_min_.copy()
    est.set_params(warm_start=True)
    warm = est.fit(X, y_partial=y_partial).loss_curve_
    assert warm[0] < cold[0]  # continued from the fitted network
    with pytest.warns(UserWarning, match="warm start keeping the first fit's"):
        est.set_params(max_epochs=1).fit(3.0 * X, y_partial=y_partial)
    np.testing.assert_array_equal(est.data_min_, data_min)


# ------------------------------------------------------ convolutional variant


@pytest.mark.parametrize("image_shape", [(1, 28, 28), (3, 7, 5), (2, 1, 1), (8, 8)])
@pytest.mark.parametrize("channels", [(4,), (4, 8)])
def test_conv_autoencoder_restores_any_image_shape(image_shape, channels):
    module = ConvAutoEncoder(
        image_shape, channels, (16, 4), batch_norm=True, output_activation="sigmoid"
    )
    x = torch.rand(3, int(np.prod(image_shape)))
    out = module(x)
    assert out.shape == x.shape
    assert out.min() >= 0 and out.max() <= 1


def test_conv_aesad_on_images_with_channels(device):
    rng = np.random.RandomState(0)
    n, shape = 60, (3, 6, 6)
    X = rng.uniform(size=(n, int(np.prod(shape))))
    y_partial = np.r_[np.ones(5, int), np.full(n - 5, -1)]
    est = _aesad(device, image_shape=shape, conv_channels=(4, 8), hidden_dims=(8,), max_epochs=2)
    est.fit(X, y_partial=y_partial)
    assert est.module_.image_shape == shape
    assert est.score_samples(X).shape == (n,)
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(clone.score_samples(X), est.score_samples(X))
    with pytest.raises(ValueError, match="image_shape"):
        _aesad(image_shape=(2, 6, 6), max_epochs=1).fit(X, y_partial=y_partial)


# --------------------------------------- the behaviour, on data of our own


def _auc(est, X, y):
    return roc_auc_score(y, -est.score_samples(X))


def test_aesad_beats_the_autoencoder_on_anomalies_it_can_reconstruct(device):
    """Anomalies inside the normals' subspace, which an autoencoder learns to reconstruct.

    Normals lie on three quarters of a ring in a 2-d subspace of R^8, the
    anomalies on the missing arc. A wide autoencoder learns the whole plane
    and reconstructs them well the longer it trains (the paper's Fig. 5);
    AE-SAD, given 15 labeled anomalies, separates unseen ones of the kind.
    """
    rng = np.random.RandomState(0)
    basis = rng.normal(size=(2, 8))

    def arc(n, start, stop):
        angle = np.pi * rng.uniform(start, stop, n)
        radius = rng.uniform(0.8, 1.0, n)
        return np.c_[radius * np.cos(angle), radius * np.sin(angle)] @ basis + 0.05 * rng.normal(
            size=(n, 8)
        )

    X_train = np.r_[arc(300, 0.0, 1.5), arc(15, 1.6, 1.9)]
    y_partial = np.r_[np.zeros(300, int), np.ones(15, int)]
    X_test = np.r_[arc(200, 0.0, 1.5), arc(50, 1.6, 1.9)]
    y_test = np.r_[np.zeros(200), np.ones(50)]
    scaler = MinMaxScaler().fit(X_train)
    # the same network for both (AESAD's architecture defaults)
    params = dict(
        hidden_dims=(32, 16), batch_norm=False, dropout=0.0, max_epochs=60, batch_size=32,
        random_state=0, device=device,
    )
    aesad = AESAD(**params).fit(X_train, y_partial=y_partial)
    # ... on the same input: AESAD's min-max scaling, no standardisation
    ae = AutoEncoder(activate_code=False, scale=False, **params).fit(
        scaler.transform(X_train), y_partial=y_partial
    )
    aesad_auc = _auc(aesad, X_test, y_test)
    ae_auc = _auc(ae, scaler.transform(X_test), y_test)
    assert aesad_auc > 0.95
    assert aesad_auc > ae_auc + 0.05


def test_aesad_beats_the_autoencoder_on_polluted_digits(device):
    """The paper's Table 5 setting on scikit-learn's digits, 12.5% pollution.

    14 digits 4/5/6 hide among the 110 training 3s labeled normal; 15 are
    labeled anomalies. The autoencoder learns to reconstruct the hidden ones;
    AE-SAD, told about a few, keeps them (and unseen digits) apart.
    """
    X, y = load_digits(return_X_y=True)
    split = aesad_polluted_split(X, y, random_state=0, pollution=0.125)
    scaler = MinMaxScaler().fit(split.X_train)
    params = dict(
        hidden_dims=(64, 32), batch_norm=False, dropout=0.0, max_epochs=200, batch_size=32,
        random_state=0, device=device,
    )
    aesad = AESAD(**params).fit(split.X_train, y_partial=split.y_partial_train)
    ae = AutoEncoder(activate_code=False, **params).fit(
        scaler.transform(split.X_train), y_partial=split.y_partial_train
    )
    aesad_auc = _auc(aesad, split.X_test, split.y_test)
    ae_auc = _auc(ae, scaler.transform(split.X_test), split.y_test)
    assert aesad_auc > ae_auc + 0.005, (aesad_auc, ae_auc)


# ------------------------------------------------------------------ protocols


def test_table2_protocol_proportions():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 3))
    y = (rng.uniform(size=1000) < 0.1).astype(int)
    split = get_protocol("aesad-table2")(X, y, random_state=0)
    n_normal = int((y == 0).sum())
    yp = split.y_partial_train
    assert set(np.unique(yp)) == {0, 1}
    assert (yp == 0).sum() == round(0.6 * n_normal)
    assert abs((yp == 1).mean() - 0.05) < 0.002
    assert len(split.X_train) + len(split.X_test) == len(X)
    assert split.y_test.sum() == y.sum() - (yp == 1).sum()
    # the same seed gives the same split, another one another split
    again = aesad_table2_split(X, y, random_state=0)
    np.testing.assert_array_equal(again.X_train, split.X_train)
    assert not np.array_equal(aesad_table2_split(X, y, random_state=1).X_train, split.X_train)


def test_table2_protocol_caps_training_anomalies_when_they_are_few():
    # thyroid-like: 5% of 60% of 1000 normals would be 32 anomalies out of 20
    X = np.zeros((1020, 2))
    y = np.r_[np.zeros(1000, int), np.ones(20, int)]
    split = aesad_table2_split(X, y, random_state=0)
    assert (split.y_partial_train == 1).sum() == 12  # 60% of the anomalies
    assert split.y_test.sum() == 8


def test_table2_protocol_keeps_an_anomaly_for_testing():
    X = np.arange(24, dtype=float).reshape(12, 2)
    y = np.r_[np.zeros(10, int), np.ones(2, int)]
    split = aesad_table2_split(X, y, random_state=0)
    assert split.y_test.sum() >= 1 and (split.y_partial_train == 1).sum() >= 1


@pytest.mark.parametrize("pollution, expected", [(0.0025, 0), (0.005, 1), (0.05, 6), (0.125, 14)])
def test_polluted_protocol_counts(pollution, expected):
    X, y = load_digits(return_X_y=True)
    split = aesad_polluted_split(X, y, random_state=0, pollution=pollution)
    info = split.info
    assert info["n_mislabeled_anomalies"] == round(pollution * info["n_normal"]) == expected
    assert info["n_labeled_anomalies"] == 15
    assert (split.y_partial_train == 1).sum() == 15
    assert (split.y_partial_train == 0).sum() == info["n_normal"] + expected
    assert 0 < split.y_test.mean() < 1


def test_polluted_protocol_needs_class_labels():
    X = np.zeros((20, 2))
    with pytest.raises(ValueError, match="class labels"):
        aesad_polluted_split(X, np.r_[np.zeros(18), np.ones(2)], random_state=0)


def test_suites_are_registered_with_the_paper_numbers():
    suite = get_suite("aesad")
    assert suite.protocol == "aesad-table2" and len(suite.datasets) == 14
    assert suite.reference[("cardio", "AESAD")] == 0.994
    assert suite.reference[("cardio", "AutoEncoder-normals")] == 0.857
    assert get_suite("aesad-polluted-12.5").protocol_kwargs == {"pollution": 0.125,
                                                               "n_labeled_per_class": 50}
    assert suite.methods[0] == "AESAD (lambda(0.1))"
    assert suite.reference[("cardio", "AESAD (lambda(0.1))")] == 0.994
    paper = get_method("AESAD (lambda(0.1))").make(0).estimator
    assert (paper.anomaly_weight, paper.alpha) == ("alpha", 0.1)


# -------------------------------------------------------------- reproductions


@pytest.mark.slow
def test_table2_reproduction(data_home, smoke):
    """AE-SAD above the autoencoder on the paper's ODDS datasets (Table 2, lambda(0.1))."""
    from skrobustad.benchmark import get_method
    from skrobustad.benchmark._suite_aesad import TABLE2_PAPER

    datasets = ("cardio",) if smoke else ("cardio", "thyroid", "vertebral", "wine")
    seeds = (0,) if smoke else (0, 1, 2)
    for name in datasets:
        path = next((data_home / "adbench" / "Classical").glob(f"*_{name}.npz"))
        with np.load(path) as npz:
            X, y = npz["X"], npz["y"].astype(int)
        aucs = {"AESAD (lambda(0.1))": [], "AutoEncoder-normals": []}
        for seed in seeds:
            split = aesad_table2_split(X, y, random_state=seed)
            scaler = MinMaxScaler().fit(split.X_train)
            X_train, X_test = scaler.transform(split.X_train), scaler.transform(split.X_test)
            for method in aucs:
                est = get_method(method).make(seed)
                if smoke:
                    est.set_params(estimator__max_epochs=50)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est.fit(X_train, y_partial=split.y_partial_train)
                aucs[method].append(roc_auc_score(split.y_test, -est.score_samples(X_test)))
        aesad, ae = np.mean(aucs["AESAD (lambda(0.1))"]), np.mean(aucs["AutoEncoder-normals"])
        assert aesad > ae, (name, aucs)
        assert aesad >= TABLE2_PAPER[name][0] - (0.05 if smoke else 0.03), (name, aucs)


@pytest.mark.slow
def test_polluted_digits_reproduction(smoke, device):
    """Table 5's claim on the digits: AE-SAD above the AE, stable as pollution grows.

    The full form is the ``aesad-polluted-*`` suites' setting at their end
    levels (the paper's s = 150 labeled anomalies and lambda(0.1), 5 seeds,
    200 epochs). At 0.25% (no mislabeled digit at all) the two are closest,
    so the smoke form (1 seed) checks the ordering at 12.5% only.
    """
    from skrobustad.benchmark._suite_aesad import TABLE5_LABELED_PER_CLASS

    X, y = load_digits(return_X_y=True)
    levels = (0.0025, 0.125)
    seeds = (0,) if smoke else (0, 1, 2, 3, 4)
    mean = {}
    for level in levels:
        aucs = {"AESAD": [], "AE": []}
        for seed in seeds:
            split = aesad_polluted_split(X, y, random_state=seed, pollution=level,
                                         n_labeled_per_class=TABLE5_LABELED_PER_CLASS)
            scaler = MinMaxScaler().fit(split.X_train)
            params = dict(
                hidden_dims=(64, 32),
                batch_norm=False,
                dropout=0.0,
                max_epochs=200,
                batch_size=32,
                random_state=seed,
                device=device,
            )
            aesad = AESAD(anomaly_weight="alpha", alpha=0.1, **params)
            aesad.fit(split.X_train, y_partial=split.y_partial_train)
            ae = AutoEncoder(activate_code=False, **params).fit(
                scaler.transform(split.X_train), y_partial=split.y_partial_train
            )
            aucs["AESAD"].append(_auc(aesad, split.X_test, split.y_test))
            aucs["AE"].append(_auc(ae, scaler.transform(split.X_test), split.y_test))
        mean[level] = {k: np.mean(v) for k, v in aucs.items()}
        if level == 0.125 or not smoke:
            assert mean[level]["AESAD"] > mean[level]["AE"], mean
    assert mean[0.125]["AESAD"] >= mean[0.0025]["AESAD"] - 0.02, mean


@pytest.mark.slow
def test_example_runs(monkeypatch):
    """``examples/plot_aesad_digits.py`` runs and draws its two figures."""
    import runpy
    from pathlib import Path

    matplotlib = pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    script = Path(__file__).resolve().parents[1] / "examples" / "plot_aesad_digits.py"
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runpy.run_path(str(script), run_name="__main__")
    assert len(plt.get_fignums()) == 2
    plt.close("all")
