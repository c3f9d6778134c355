"""The API contract of DESIGN.md §1, checked on every public deep detector."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import EarlyStopping

from skrobustad.exceptions import LabelsIgnoredWarning

from ._instances import TINY_PARAMS, tiny

DETECTORS = list(TINY_PARAMS)
ids = [c.__name__ for c in DETECTORS]


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.RandomState(0)
    inliers = rng.normal(size=(150, 5))
    outliers = rng.normal(loc=6.0, size=(15, 5))
    X = np.r_[inliers, outliers]
    y = np.r_[np.zeros(150, int), np.ones(15, int)]
    return X, y


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_score_signs_and_predict(cls, blobs, device):
    X, y = blobs
    est = tiny(cls, device, max_epochs=30, contamination=0.1).fit(X)
    scores = est.score_samples(X)
    # higher = more normal: the far-away blob scores lower on average
    assert scores[y == 1].mean() < scores[y == 0].mean()
    np.testing.assert_allclose(est.decision_function(X), scores - est.offset_)
    pred = est.predict(X)
    assert set(np.unique(pred)) <= {-1, 1}
    np.testing.assert_array_equal(pred == -1, est.decision_function(X) < 0)
    assert abs((pred == -1).mean() - 0.1) < 0.03


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_auto_contamination_uses_tukey_fence(cls, blobs, device):
    X, _ = blobs
    est = tiny(cls, device).fit(X)
    anomaly = -est.score_samples(X)
    q1, q3 = np.percentile(anomaly, [25, 75])
    assert est.offset_ == pytest.approx(-(q3 + 1.5 * (q3 - q1)))


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_same_seed_same_scores_and_global_rng_untouched(cls, blobs, device):
    X, _ = blobs
    torch.manual_seed(123)
    np.random.seed(123)
    torch_state = torch.random.get_rng_state().clone()
    np_state = np.random.get_state()[1].copy()
    s1 = tiny(cls, device).fit(X).score_samples(X)
    s2 = tiny(cls, device).fit(X).score_samples(X)
    np.testing.assert_allclose(s1, s2, rtol=1e-6, atol=1e-7)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    s3 = tiny(cls, device, random_state=1).fit(X).score_samples(X)
    assert not np.allclose(s1, s3)


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_pickle_round_trip_gives_identical_scores(cls, blobs, device):
    X, _ = blobs
    est = tiny(cls, device).fit(X)
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(clone.score_samples(X), est.score_samples(X))
    assert clone.offset_ == est.offset_


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_zero_weight_excludes_points(cls, blobs, device):
    X, _ = blobs
    rng = np.random.RandomState(1)
    junk = rng.uniform(-50, 50, size=(40, X.shape[1]))
    w = np.r_[np.ones(len(X)), np.zeros(len(junk))]
    with_junk = tiny(cls, device).fit(np.r_[X, junk], sample_weight=w)
    without = tiny(cls, device).fit(X)
    np.testing.assert_allclose(
        with_junk.score_samples(X), without.score_samples(X), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_labeled_anomalies_are_left_out_of_training(cls, blobs, device):
    if cls._uses_anomaly_labels:
        pytest.skip(f"{cls.__name__} trains on labeled anomalies (its own tests cover them)")
    X, y = blobs
    y_partial = np.where(y == 1, 1, -1)
    est = tiny(cls, device).fit(X, y_partial=y_partial)
    ref = tiny(cls, device).fit(X[y == 0])
    np.testing.assert_allclose(est.score_samples(X), ref.score_samples(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_inputs_are_not_modified(cls, blobs, device):
    X, y = blobs
    X_copy, yp = X.copy(), np.where(y == 1, 1, -1)
    yp_copy, w = yp.copy(), np.ones(len(X))
    tiny(cls, device).fit(X, y_partial=yp, sample_weight=w).score_samples(X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(yp, yp_copy)
    np.testing.assert_array_equal(w, np.ones(len(X)))


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda n: np.full(n, 2), r"unknown label codes \[2\].*1 \(known anomaly\)"),
        (lambda n: np.ones(n - 1), "entries but X has"),
        (lambda n: np.array(["a"] * n), "integer codes"),
        (lambda n: np.full(n, np.nan), "NaN"),
    ],
    ids=["code", "length", "dtype", "nan"],
)
def test_y_partial_errors(cls, blobs, bad, match):
    X, _ = blobs
    with pytest.raises(ValueError, match=match):
        tiny(cls).fit(X, y_partial=bad(len(X)))


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_warns_on_likely_plus_minus_one_labels(cls, blobs):
    if cls._labels_are_exposure:
        pytest.skip(f"{cls.__name__}'s labeled anomalies are an exposure corpus (tested there)")
    X, _ = blobs
    yp = np.ones(len(X), int)
    yp[:10] = 0
    with pytest.warns(UserWarning, match="More than half"):
        try:
            tiny(cls).fit(X, y_partial=yp)
        except ValueError:
            pass  # unsupervised detectors may have nothing left to train on


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_positional_y_warns_and_names_y_partial(cls, blobs):
    X, y = blobs
    with pytest.warns(LabelsIgnoredWarning, match="y_partial"):
        tiny(cls).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelsIgnoredWarning)
        tiny(cls).fit(X, y, y_partial=np.full(len(X), -1))


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_bad_input_is_refused_clearly(cls, blobs):
    X, _ = blobs
    est = tiny(cls).fit(X)
    with pytest.raises(ValueError, match="features"):
        est.score_samples(X[:, :3])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tiny(cls).fit(X_nan)
    with pytest.raises(ValueError, match="NaN"):
        est.score_samples(X_nan)
    with pytest.raises(ValueError, match="0 sample"):
        tiny(cls).fit(X[:0])
    with pytest.raises(ValueError, match="sample_weight|zero"):
        tiny(cls).fit(X, sample_weight=np.zeros(len(X)))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_unavailable_cuda_is_a_clear_error(cls, blobs):
    X, _ = blobs
    est = tiny(cls, device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        est.fit(X)
    assert est.device == "cuda"  # the parameter is never mutated


@pytest.mark.parametrize("device_param", ["nonsense", "tpu"])
def test_unknown_device_is_a_clear_error(blobs, device_param):
    X, _ = blobs
    with pytest.raises(ValueError, match="device"):
        tiny(DETECTORS[0], device=device_param).fit(X)


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_history_and_callbacks(cls, blobs, device):
    X, _ = blobs
    stopper = EarlyStopping(monitor="valid_loss", patience=1, threshold=10.0)
    est = tiny(
        cls, device, max_epochs=20, validation_fraction=0.2, callbacks=[stopper]
    ).fit(X)
    assert est.n_iter_ < 20  # stopped early
    assert est.n_iter_ == len(est.loss_curve_)
    assert "valid_loss" in est.history_[-1]
    assert not hasattr(stopper, "best_epoch_"), "the user's callback object was modified"


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_verbose_levels(cls, blobs, capsys):
    X, _ = blobs
    tiny(cls, max_epochs=2).fit(X)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    tiny(cls, max_epochs=2, verbose=2).fit(X)
    assert "train_loss" in capsys.readouterr().out
    tiny(cls, max_epochs=2, verbose=1).fit(X)
    assert "2/2" in capsys.readouterr().err  # tqdm's bar over epochs


@pytest.mark.gpu
@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_gpu_fitted_model_loads_on_cpu(cls, blobs, device):
    if not device.startswith("cuda"):
        pytest.skip("needs --device cuda")
    X, _ = blobs
    est = tiny(cls, device).fit(X)
    state = est.__getstate__()
    assert all(t.device.type == "cpu" for t in state["module_"].state_dict().values())
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(clone.score_samples(X), est.score_samples(X), rtol=1e-5)


def test_warm_start_continues_training(blobs, device):
    from skrobustad import AutoEncoder

    X, _ = blobs
    est = AutoEncoder(
        hidden_dims=(4, 2), batch_norm=False, dropout=0.0, max_epochs=5, random_state=0,
        device=device,
    )
    cold = est.fit(X).loss_curve_
    est.set_params(warm_start=True)
    warm = est.fit(X).loss_curve_
    # the second fit starts where the first ended, not from a new network
    assert warm[0] < cold[0]
    assert warm[0] <= cold[-1] * 1.5
    with pytest.raises(ValueError, match="features"):
        est.fit(X[:, :3])


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_model_fitted_on_unavailable_device_loads_on_cpu(blobs):
    # A model pickled on a CUDA machine stores its module on the CPU
    # (``__getstate__``) and remembers ``device_``; loading it where CUDA is
    # missing falls back to the CPU with a warning instead of failing.
    from skrobustad import AutoEncoder

    X, _ = blobs
    est = AutoEncoder(hidden_dims=(4, 2), max_epochs=2, random_state=0, device="cpu").fit(X)
    expected = est.score_samples(X)
    est.device_ = torch.device("cuda")
    payload = pickle.dumps(est)
    with pytest.warns(UserWarning, match="not available here"):
        clone = pickle.loads(payload)
    assert clone.device_ == torch.device("cpu")
    np.testing.assert_array_equal(clone.score_samples(X), expected)


@pytest.mark.parametrize("name", ["AutoEncoder", "DeepSVDD", "MAF"])
def test_warm_start_is_available_where_iad_needs_it(name, blobs):
    import skrobustad

    X, _ = blobs
    cls = getattr(skrobustad, name)
    est = tiny(cls, warm_start=True, max_epochs=2)
    first = est.fit(X).module_
    state = {k: v.clone() for k, v in first.state_dict().items()}
    second = est.fit(X).module_
    assert second is first  # the same network went on training
    assert any(not torch.equal(state[k], v) for k, v in second.state_dict().items())


@pytest.mark.parametrize("activate_code", [True, False])
def test_autoencoder_code_layer(activate_code, blobs):
    """``activate_code`` gives the code PyOD's batch norm / activation / dropout."""
    from skrobustad import AutoEncoder

    ae = AutoEncoder(hidden_dims=(6, 3), activate_code=activate_code, max_epochs=1,
                     random_state=0, device="cpu").fit(blobs[0])
    last = list(ae.module_.encoder)[-1]
    if activate_code:
        assert isinstance(last, torch.nn.Dropout)
        kinds = [type(m) for m in ae.module_.encoder]
        assert kinds.count(torch.nn.BatchNorm1d) == kinds.count(torch.nn.Linear) == 2
    else:
        assert isinstance(last, torch.nn.Linear) and last.out_features == 3


def test_engine_uses_the_fused_optimizer_unless_told_otherwise(monkeypatch):
    from skrobustad._engine import BatchData, train_module

    seen = []
    adam_init = torch.optim.Adam.__init__

    def spy(self, params, **kwargs):
        seen.append({k: kwargs.get(k) for k in ("fused", "foreach")})
        adam_init(self, params, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "__init__", spy)

    def fit(**optimizer_kwargs):
        module = torch.nn.Linear(2, 2)
        data = BatchData({"X": torch.randn(8, 2), "weight": torch.ones(8)})
        train_module(
            module, data, loss_fn=lambda out, b: (out ** 2).sum(1), max_epochs=2,
            batch_size=4, lr=1e-2, device=torch.device("cpu"),
            generator=torch.Generator().manual_seed(0), optimizer_kwargs=optimizer_kwargs,
        )
        assert module.weight.isfinite().all()

    fit()
    fit(foreach=True)  # a caller's explicit choice is kept (torch refuses both at once)
    fit(fused=False)
    assert seen == [
        {"fused": True, "foreach": None},
        {"fused": None, "foreach": True},
        {"fused": False, "foreach": None},
    ]
