"""Faults and hostile input: divergence, Ctrl-C, threads, degenerate settings.

Each test here failed on the code before issue 9's fixes: a diverged fit
returned NaN scores, Ctrl-C returned a half-trained model, concurrent fits in
threads gave other scores than sequential ones, and a few bad settings failed
deep inside torch or scikit-learn.
"""

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from joblib import Parallel, delayed
from skorch.callbacks import Callback

from skrobustad import AESAD, IAD, AutoEncoder, DeepSVDD
from skrobustad.exceptions import TrainingDivergedError
from skrobustad.nn._dropout import Dropout
from skrobustad.pyod import PyODAdapter

from ._instances import TINY_PARAMS, tiny

DETECTORS = list(TINY_PARAMS)
ids = [c.__name__ for c in DETECTORS]


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    return np.r_[rng.normal(size=(150, 5)), rng.normal(loc=6.0, size=(10, 5))]


def _with_labels(cls, X):
    """fit kwargs: AESAD needs labeled anomalies to be more than a plain AE."""
    if cls is AESAD:
        y_partial = np.full(len(X), -1)
        y_partial[-5:] = 1
        return {"y_partial": y_partial}
    return {}


# ------------------------------------------------------------- divergence
@pytest.fixture(scope="module")
def huge():
    X = np.random.RandomState(0).normal(size=(60, 4))
    X[:3] = 1e30
    return X


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_huge_inputs_are_a_divergence_error_not_nan_scores(cls, huge, device):
    if cls is AESAD:
        pytest.skip("AESAD scales its input to [0, 1]: huge values cannot diverge it")
    # scale=False: the network sees the huge values (the internal
    # standardisation would bring them down to a few units)
    with pytest.raises(TrainingDivergedError, match="diverged.*scale the features"):
        tiny(cls, device, batch_size=16, scale=False).fit(huge)
    # the internal scaling (ADRA's is off by default: a pretrained backbone
    # expects its own preprocessing) brings them down
    tiny(cls, device, batch_size=16, scale=True).fit(huge)


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_huge_learning_rate_is_a_divergence_error(cls, data, device):
    with pytest.raises(TrainingDivergedError, match=r"learning rate.*lr=1e\+30"):
        tiny(cls, device, lr=1e30, max_epochs=5).fit(data, **_with_labels(cls, data))


def test_divergence_error_reaches_wrappers(huge):
    base = AutoEncoder(hidden_dims=(4, 2), max_epochs=3, batch_size=16, device="cpu",
                       scale=False)
    with pytest.raises(TrainingDivergedError):
        IAD(base, max_iter=1, random_state=0).fit(huge)
    with pytest.raises(TrainingDivergedError):
        PyODAdapter(base).fit(huge)


def test_non_finite_parameters_stop_training(data):
    class Poison(Callback):
        def on_batch_end(self, net, **kwargs):
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("nan"))

    est = tiny(AutoEncoder, callbacks=[Poison()])
    with pytest.raises(TrainingDivergedError, match="epoch 1 of 3"):
        est.fit(data)
    assert not hasattr(est, "module_")


def test_nan_scores_at_score_time_raise(data):
    est = tiny(AutoEncoder).fit(data)
    with torch.no_grad():
        est.module_.decoder[-1].bias.fill_(float("nan"))
    with pytest.raises(ValueError, match="NaN"):
        est.score_samples(data)


# ---------------------------------------------------------------- Ctrl-C
class _InterruptAt:
    """A loss that raises KeyboardInterrupt on its ``n``-th call (Ctrl-C mid-epoch)."""

    def __init__(self, loss, n):
        self.loss, self.n, self.calls = loss, n, 0

    def __call__(self, output, batch):
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return self.loss(output, batch)


def test_keyboard_interrupt_propagates_out_of_fit(data, monkeypatch):
    est = tiny(AutoEncoder, max_epochs=50)
    monkeypatch.setattr(est, "_loss", _InterruptAt(est._loss, n=20))
    with pytest.raises(KeyboardInterrupt):
        est.fit(data)
    assert not hasattr(est, "module_"), "an interrupted fit must not look fitted"
    assert not hasattr(est, "_seed"), "fit-time state left behind"


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs POSIX signals")
def test_real_sigint_stops_a_long_fit(data):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    # a first short fit does torch's lazy imports: a signal landing inside an
    # import would leave the module half-initialised for later tests
    AutoEncoder(hidden_dims=(4, 2), max_epochs=1, batch_size=8, device="cpu").fit(data)
    # an earlier test that left its own SIGINT handler installed would make
    # the fit below ignore the signal: fail here instead of training forever
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    class Watchdog(Callback):
        """Fails the fit (instead of hanging) when the signal never arrives."""

        def on_epoch_end(self, net, **kwargs):
            if time.monotonic() - started > 120:
                raise AssertionError("SIGINT did not reach the fit within 120 s")

    timer = threading.Timer(0.5, os.kill, args=(os.getpid(), signal.SIGINT))
    est = AutoEncoder(
        hidden_dims=(4, 2), max_epochs=100_000, batch_size=8, device="cpu",
        callbacks=[Watchdog()],
    )  # fmt: skip
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            est.fit(data)
    finally:
        timer.cancel()
    assert not hasattr(est, "module_")


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs POSIX signals")
def test_sigint_landing_inside_a_callback_hook_still_interrupts(data):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")

    class CtrlCInHook(Callback):
        def on_batch_end(self, net, **kwargs):
            os.kill(os.getpid(), signal.SIGINT)  # delivered while the hook runs

    est = tiny(AutoEncoder, max_epochs=10, callbacks=[CtrlCInHook()])
    with pytest.raises(KeyboardInterrupt):
        est.fit(data)
    assert not hasattr(est, "module_")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_callbacks_that_stop_training_still_stop_it_quietly(data):
    # skorch's EarlyStopping (and any callback) ends training by raising
    # KeyboardInterrupt from a hook: that is a finished fit, not a Ctrl-C
    class StopAfter(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    est = tiny(AutoEncoder, max_epochs=10, callbacks=[StopAfter()]).fit(data)
    assert est.n_iter_ == 2


# --------------------------------------------------------------- threads
def _factories():
    kw = dict(random_state=0, device="cpu", max_epochs=4)
    out = {cls.__name__: (lambda cls=cls: tiny(cls, **kw)) for cls in DETECTORS}
    # the default network: batch norm and dropout, so dropout masks are drawn
    out["AutoEncoder(defaults)"] = lambda: AutoEncoder(**kw)
    out["IAD(AutoEncoder)"] = lambda: IAD(AutoEncoder(**kw), max_iter=2, random_state=0)
    return out


_FACTORIES = _factories()


def _fit_scores(make, X):
    est = make()
    fit_kw = _with_labels(type(est), X)
    return est.fit(X, **fit_kw).score_samples(X)


@pytest.mark.parametrize("name", list(_FACTORIES))
def test_concurrent_fits_equal_the_sequential_fit(name, data):
    make = _FACTORIES[name]
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    reference = _fit_scores(make, data)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: _fit_scores(make, data), range(4)))
    for scores in results:
        np.testing.assert_array_equal(scores, reference)
    assert torch.equal(torch.get_rng_state(), torch_state), "global torch RNG changed"
    after = np.random.get_state()
    assert np.array_equal(after[1], np_state[1]) and after[2] == np_state[2]


def test_threading_and_process_backends_equal_the_sequential_fit(data):
    make = _FACTORIES["AutoEncoder(defaults)"]
    reference = _fit_scores(make, data)
    for backend in ("threading", "loky"):
        results = Parallel(n_jobs=2, backend=backend)(
            delayed(_fit_scores)(make, data) for _ in range(2)
        )
        for scores in results:
            np.testing.assert_array_equal(scores, reference)


def test_dropout_draws_from_the_fit_generator_only(data):
    est = AutoEncoder(max_epochs=2, random_state=0, device="cpu")
    est.fit(data)
    layers = [m for m in est.module_.modules() if isinstance(m, Dropout)]
    assert layers, "the AutoEncoder's default network has dropout"
    assert all(m.generator is None for m in layers), "fit-time generator left on the module"
    # the masks are random: another seed gives another model
    other = AutoEncoder(max_epochs=2, random_state=1, device="cpu").fit(data)
    assert not np.array_equal(est.score_samples(data), other.score_samples(data))


def test_dropout_module_matches_torch_without_a_generator():
    x = torch.ones(1000, 10)
    layer = Dropout(0.3).train()
    torch.manual_seed(0)
    ours = layer(x)
    torch.manual_seed(0)
    theirs = torch.nn.functional.dropout(x, 0.3, True)
    assert torch.equal(ours, theirs)
    layer.generator = torch.Generator().manual_seed(0)
    masked = layer(x)
    assert 0.6 < float((masked > 0).float().mean()) < 0.8
    assert torch.allclose(masked[masked > 0], torch.full_like(masked[masked > 0], 1 / 0.7))
    assert torch.equal(layer.eval()(x), x)


# ---------------------------------------------------------- IAD and labels
@pytest.mark.parametrize("n", [60, 200, 300])
def test_iad_default_isolation_forest_takes_labels(n):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 3))
    y_partial = np.full(n, -1)
    y_partial[:3] = 1
    iad = IAD(max_iter=1, random_state=0).fit(X, y_partial=y_partial)
    assert np.all(np.isfinite(iad.score_samples(X)))
    assert np.all(iad.sample_weight_[:3] == 0)


def test_iad_refuses_all_zero_weights():
    X = np.random.RandomState(0).normal(size=(40, 3))
    with pytest.raises(ValueError, match="no training sample with non-zero weight"):
        IAD(max_iter=1).fit(X, y_partial=np.ones(40))


# ------------------------------------------------------- smaller settings
def test_batch_norm_with_batches_of_one_is_a_clear_error(data):
    with pytest.raises(ValueError, match="batch_norm=True needs batch_size >= 2"):
        AutoEncoder(batch_size=1, max_epochs=1, device="cpu").fit(data)
    with pytest.raises(ValueError, match="needs at least 2 training samples.*validation_fraction"):
        AutoEncoder(validation_fraction=0.995, max_epochs=1, device="cpu").fit(data)
    # without batch norm, one sample per batch trains
    AutoEncoder(batch_norm=False, batch_size=1, max_epochs=1, device="cpu").fit(data[:20])


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
def test_callbacks_are_validated_at_fit(cls, data):
    with pytest.raises(ValueError, match="callbacks must be a list of skorch callbacks"):
        tiny(cls, callbacks=[object()]).fit(data)


@pytest.mark.parametrize("cls", DETECTORS, ids=ids)
@pytest.mark.parametrize("bad", [(2.5,), ("a",), (True,), (0,)])
def test_hidden_dims_are_validated_by_name(cls, bad, data):
    if "hidden_dims" not in cls._parameter_constraints:
        pytest.skip(f"{cls.__name__} has no hidden_dims (its network is the user's backbone)")
    with pytest.raises(ValueError, match="hidden_dims must be"):
        tiny(cls, hidden_dims=bad).fit(data)


def test_aesad_target_transform_of_the_wrong_shape_is_refused(data):
    y_partial = np.full(len(data), -1)
    y_partial[-5:] = 1
    est = tiny(AESAD, target_transform=lambda x: x[:, :2])
    with pytest.raises(ValueError, match="target_transform must return a tensor of the shape"):
        est.fit(data, y_partial=y_partial)


@pytest.mark.parametrize("cls", [AutoEncoder, DeepSVDD], ids=["AutoEncoder", "DeepSVDD"])
def test_object_dtype_integer_labels_are_accepted(cls, data):
    codes = np.full(len(data), -1)
    codes[-3:] = 1
    as_objects = codes.astype(object)
    a = tiny(cls).fit(data, y_partial=as_objects).score_samples(data)
    b = tiny(cls).fit(data, y_partial=codes).score_samples(data)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="integer codes"):
        tiny(cls).fit(data, y_partial=np.array(["a"] * len(data), dtype=object))
