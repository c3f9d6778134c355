"""The frozen API: IAD around pipelines, metadata routing, fit-time state and the
engine's step hook."""

import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skrobustad import IAD, AutoEncoder
from skrobustad._engine import BatchData, train_module
from skrobustad.exceptions import TrainingDivergedError


@pytest.fixture(scope="module")
def raw():
    """Contaminated data far from the origin and unscaled."""
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(200, 3)), rng.uniform(-6, 6, size=(20, 3))]
    return 10 * X + 50, np.r_[np.zeros(200), np.ones(20)]


class WeightSpy(OutlierMixin, BaseEstimator):
    """Distance to the weighted mean; records the weights each fit received."""

    def fit(self, X, y=None, sample_weight=None):
        self.sample_weight_ = None if sample_weight is None else np.array(sample_weight)
        w = np.ones(len(X)) if sample_weight is None else sample_weight
        self.center_ = np.average(X, axis=0, weights=w)
        return self

    def score_samples(self, X):
        return -np.linalg.norm(X - self.center_, axis=1)


class ScalerSpy(StandardScaler):
    """A StandardScaler that records whether its fit received weights."""

    def fit(self, X, y=None, sample_weight=None):
        self.got_weights_ = sample_weight is not None
        return super().fit(X, y, sample_weight=sample_weight)


# ------------------------------------------------------- IAD and pipelines
@pytest.mark.parametrize(
    "detector",
    [IsolationForest(n_estimators=50, random_state=0),
     AutoEncoder(hidden_dims=(4, 2), max_epochs=5, device="cpu", random_state=0)],
    ids=["IsolationForest", "AutoEncoder"],
)
def test_iad_wraps_a_pipeline(detector, raw):
    from sklearn.metrics import roc_auc_score

    X, y = raw
    iad = IAD(make_pipeline(StandardScaler(), detector), max_iter=2, random_state=0).fit(X)
    scores = iad.score_samples(X)
    assert np.all(np.isfinite(scores)) and roc_auc_score(y, -scores) > 0.8
    assert iad.sample_weight_[200:].mean() < iad.sample_weight_[:200].mean()


@pytest.mark.parametrize("routing", [False, True], ids=["no-routing", "routing"])
def test_iad_weights_reach_the_final_step_only(routing, raw):
    X, _ = raw
    pipe = make_pipeline(ScalerSpy(), make_pipeline(ScalerSpy(), WeightSpy()))
    with sklearn.config_context(enable_metadata_routing=routing):
        iad = IAD(pipe, max_iter=2, random_state=0).fit(X)
    for t, model in enumerate(iad.round_estimators_):
        spy = model[-1][-1]
        if t == 0:  # all-one weights: the unweighted fit of the base
            assert spy.sample_weight_ is None and np.all(iad.round_weights_[0] == 1)
        else:
            np.testing.assert_allclose(spy.sample_weight_, iad.round_weights_[t])
        assert not model[0].got_weights_ and not model[-1][0].got_weights_
    # round 1 was fitted on re-weighted data: the weights changed the model
    assert not np.allclose(iad.round_estimators_[0][-1][-1].center_,
                           iad.round_estimators_[1][-1][-1].center_)
    assert not hasattr(pipe[-1][-1], "sample_weight_"), "the user's pipeline was fitted"


def test_iad_with_routing_leaves_the_users_requests_alone(raw):
    X, _ = raw
    with sklearn.config_context(enable_metadata_routing=True):
        scaler = ScalerSpy().set_fit_request(sample_weight=True)
        spy = WeightSpy()
        pipe = make_pipeline(scaler, spy)
        iad = IAD(pipe, max_iter=1, random_state=0).fit(X)
        assert iad.round_estimators_[1][0].got_weights_, "the user asked the scaler for weights"
        assert spy._get_metadata_request().fit.requests["sample_weight"] is None


def test_iad_refuses_a_pipeline_whose_final_step_takes_no_weights(raw):
    from sklearn.neighbors import LocalOutlierFactor

    X, _ = raw
    pipe = make_pipeline(StandardScaler(), LocalOutlierFactor(novelty=True))
    with pytest.raises(ValueError, match="LocalOutlierFactor.fit \\(the final step of Pipeline\\)"):
        IAD(pipe, max_iter=1).fit(X)


def test_iad_ensemble_estimator_is_a_fitted_estimator(raw):
    X, _ = raw
    iad = IAD(IsolationForest(n_estimators=10), n_estimators=3, max_iter=1,
              selection="min_h", random_state=0).fit(X)
    ensemble = iad.estimator_
    assert isinstance(ensemble, BaseEstimator)
    check_is_fitted(ensemble)
    assert len(ensemble.estimators_) == 3
    np.testing.assert_array_equal(ensemble.score_samples(X), iad.score_samples(X))
    assert set(np.unique(ensemble.predict(X))) <= {-1, 1}
    assert sklearn.base.clone(ensemble).get_params()["estimators"] is not None


def test_iad_delegates_nan_support_to_its_estimator(raw):
    X, _ = raw
    X = X.copy()
    X[0, 0] = np.nan
    IAD(IsolationForest(n_estimators=10, random_state=0), max_iter=1).fit(X).score_samples(X)
    with pytest.raises(ValueError, match="NaN"):
        IAD(AutoEncoder(max_epochs=1, device="cpu"), max_iter=1).fit(X)


# --------------------------------------------------------- fit-time state
@pytest.mark.parametrize("warm_start", [False, True])
def test_a_fit_that_raises_leaves_no_fit_time_state(warm_start, raw):
    X, _ = raw
    est = AutoEncoder(hidden_dims=(4, 2), max_epochs=2, device="cpu", warm_start=warm_start)
    if warm_start:
        est.fit(X / 100)
    before = {k for k in vars(est) if not k.endswith("_")}
    huge = X.copy()
    huge[:3] = 1e30
    with pytest.raises(TrainingDivergedError):
        est.set_params(lr=1e30).fit(huge)
    assert {k for k in vars(est) if not k.endswith("_")} == before


# ------------------------------------------------------------- step hook
def test_engine_step_fn_replaces_the_training_step():
    torch.manual_seed(0)
    module = torch.nn.Linear(3, 3)
    X = torch.randn(40, 3)
    data = BatchData({"X": X, "weight": torch.ones(40)})
    seen = []

    def step_fn(net, batch):
        # a hand-made step: the loss of X towards zero, backward, one SGD step
        net.optimizer_.zero_grad()
        output = net.module_(batch["X"])
        loss = output.pow(2).mean()
        loss.backward()
        net.optimizer_.step()
        seen.append(len(batch["X"]))
        return {"loss": loss, "y_pred": output}

    before = module.weight.detach().clone()
    history = train_module(
        module, data, step_fn=step_fn, loss_fn=None, max_epochs=3, batch_size=16, lr=0.1,
        device=torch.device("cpu"), generator=torch.Generator().manual_seed(0),
    )
    assert seen == [16, 16, 8] * 3
    assert len(history) == 3 and history[-1]["train_loss"] < history[0]["train_loss"]
    assert not torch.equal(before, module.weight)
