"""The private skorch net and the functions estimators call to train and score."""

import contextlib
import math
import threading

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PassthroughScoring, PrintLog
from tqdm.auto import tqdm

from ..exceptions import TrainingDivergedError
from ..nn._dropout import Dropout
from ..utils._signals import SigintWatch
from ._data import BatchData, BatchIterator, StepBudget

#: Serialises the save / seed / restore of torch's global generators
#: (:func:`seeded`), so that fits running in threads neither see each other's
#: seeds nor leave the caller's generator changed.
_GLOBAL_RNG_LOCK = threading.RLock()


#: Whether a real Ctrl-C arrived while the outermost fit of the main thread
#: trains (skorch's callbacks also raise KeyboardInterrupt, to stop training).
_SIGINT = SigintWatch()


class _FitInterrupted(Exception):
    """Carries a KeyboardInterrupt past skorch, which swallows it in ``partial_fit``."""


class _StopRequested(Exception):
    """A callback asked to end training (skorch's KeyboardInterrupt from a hook)."""


class _DetectorNet(NeuralNet):
    """skorch net whose loss is a weighted mean of per-sample losses.

    Batches are dicts of tensors (``"X"`` plus whatever the estimator put in
    its :class:`BatchData`, at least ``"weight"``). The module sees
    ``batch["X"]`` (or ``input_fn(batch)``); ``loss_fn(output, batch)``
    returns one loss per sample and the batch loss is ``mean(weight * loss)``.
    ``step_fn(net, batch)``, when given, replaces the whole training step.
    """

    def __init__(self, module, *args, loss_fn=None, step_fn=None, input_fn=None,
                 default_callbacks=(), **kwargs):
        super().__init__(module, *args, **kwargs)
        self.loss_fn = loss_fn
        self.step_fn = step_fn
        self.input_fn = input_fn
        self.default_callbacks = list(default_callbacks)

    @property
    def _default_callbacks(self):
        # skorch's own defaults include a PrintLog; ours are chosen per fit
        return self.default_callbacks

    def notify(self, method_name, **cb_kwargs):
        # skorch's callbacks (EarlyStopping, for one) ask to stop training by
        # raising KeyboardInterrupt from a hook: tell that apart from Ctrl-C
        try:
            super().notify(method_name, **cb_kwargs)
        except KeyboardInterrupt:
            if _SIGINT.received and threading.current_thread() is threading.main_thread():
                raise  # Ctrl-C (signals only ever reach the main thread)
            raise _StopRequested() from None

    def fit_loop(self, X, y=None, **fit_params):
        # skorch ends training quietly on Ctrl-C; a detector must not return a
        # half-trained model as if it were fitted
        try:
            return super().fit_loop(X, y, **fit_params)
        except _StopRequested:
            return self
        except KeyboardInterrupt as exc:
            raise _FitInterrupted() from exc

    def _set_training(self, training=True):
        # skorch switches every module's mode on every batch; a recursive
        # ``train()`` per step costs as much as a small network's forward
        # pass, so switch only when the mode changes.
        if getattr(self, "_training_mode", None) is not training:
            super()._set_training(training)
            self._training_mode = training

    def get_dataset(self, X, y=None):
        if isinstance(X, BatchData):
            return X
        return super().get_dataset(X, y)

    def infer(self, x, **fit_params):
        return self.module_(x["X"] if self.input_fn is None else self.input_fn(x))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        losses = self.loss_fn(y_pred, X)
        return (losses * X["weight"]).mean()

    def train_step_single(self, batch, **fit_params):
        if self.step_fn is None:
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        return self.step_fn(self, batch[0])


class _ValidSplit:
    """Hold out a random fraction of a :class:`BatchData` for validation."""

    def __init__(self, fraction, generator):
        self.fraction = fraction
        self.generator = generator

    def __call__(self, dataset, y=None, **kwargs):
        n = len(dataset)
        n_valid = int(round(self.fraction * n))
        if n_valid < 1 or n_valid >= n:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves no training or no "
                f"validation samples out of {n}."
            )
        order = torch.randperm(n, generator=self.generator)
        return dataset.subset(order[n_valid:]), dataset.subset(order[:n_valid])


class _EpochProgressBar(Callback):
    """A tqdm bar over epochs showing the last training loss (``verbose=1``)."""

    def on_train_begin(self, net, **kwargs):
        self.bar_ = tqdm(total=net.max_epochs, desc=type(net.module_).__name__, leave=False)

    def on_epoch_end(self, net, **kwargs):
        self.bar_.update(1)
        self.bar_.set_postfix(loss=f"{net.history[-1, 'train_loss']:.4g}")

    def on_train_end(self, net, **kwargs):
        self.bar_.close()


class _FiniteGuard(Callback):
    """Stop training with :class:`TrainingDivergedError` once it diverges.

    Checked at the end of every epoch: the epoch's training loss, then every
    floating-point parameter and buffer of the module (batch norm statistics
    included). One check per epoch costs a few device synchronisations.
    """

    def __init__(self, name, X):
        self.name = name
        self.X = X  # for the error message only: its largest value is read on failure

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1].get("train_loss", 0.0)
        if not math.isfinite(loss):
            self._raise(net, f"the training loss is {loss}")
        tensors = [*net.module_.parameters(), *net.module_.buffers()]
        for t in tensors:
            if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                self._raise(net, "the network's parameters are no longer finite")

    def _raise(self, net, what):
        epoch = len(net.history)
        max_abs_input = float(self.X.abs().max()) if len(self.X) else 0.0
        raise TrainingDivergedError(
            f"{self.name} training diverged at epoch {epoch} of {net.max_epochs}: {what}. "
            "Likely causes: input values too large for the network (the largest absolute "
            f"training value is {max_abs_input:.3g}; scale the features, e.g. with "
            f"StandardScaler) or a learning rate that is too high (lr={net.lr:g})."
        )


class _EpochRecordsOnly(Callback):
    """Keep ``history`` per epoch: drop an epoch's per-batch records once it is over.

    skorch records every batch; at 200k rows that is 150k records for one
    Deep SVDD fit. The records of an epoch stay available to every callback
    until the next epoch begins; :func:`train_module` drops the last epoch's
    once training is over.
    """

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) > 1:
            net.history[-2]["batches"] = []


@contextlib.contextmanager
def dropout_generator(module, generator):
    """Let every skrobustad :class:`~skrobustad.nn.Dropout` of ``module`` draw from ``generator``.

    The generator is detached again on exit, so that a fitted module holds no
    fit-time state.
    """
    layers = [m for m in module.modules() if isinstance(m, Dropout)]
    for m in layers:
        m.generator = generator
    try:
        yield
    finally:
        for m in layers:
            m.generator = None


#: Optimizers whose ``fused=True`` implementation runs on CPU and CUDA.
_FUSED_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


@contextlib.contextmanager
def seeded(seed, device):
    """Run a block with torch's global generators seeded, then restore them.

    torch's layers draw their initial weights from the global generators;
    forking them keeps the caller's random state untouched while making the
    block deterministic. A process-wide lock serialises these blocks, so
    that two fits in threads never interleave their save / seed / restore.
    Keep the block short (building a module): everything random during
    training draws from a fit's own generators instead.
    """
    devices = []
    if device.type == "cuda":
        devices = [device.index if device.index is not None else torch.cuda.current_device()]
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def train_module(
    module,
    data,
    *,
    loss_fn=None,
    step_fn=None,
    input_fn=None,
    max_epochs,
    batch_size,
    lr,
    device,
    generator,
    optimizer=torch.optim.Adam,
    optimizer_kwargs=None,
    callbacks=None,
    verbose=0,
    validation_fraction=None,
    drop_last=False,
    name=None,
    max_steps=None,
    iterator_train=None,
):
    """Train ``module`` in place on ``data`` and return skorch's history.

    Parameters
    ----------
    module : torch.nn.Module
        Initialised module, already on ``device``; training continues from its
        current parameters (so calling this twice warm-starts).
    data : BatchData
        Training tensors on ``device``; must hold ``"X"`` and ``"weight"``.
    loss_fn : callable ``(output, batch) -> Tensor of shape (batch,)``
        Per-sample loss; the engine takes the weighted mean.
    step_fn : callable ``(net, batch) -> dict``, optional
        Replaces skorch's training step (must call ``backward`` and return
        ``{"loss": ..., "y_pred": ...}``).
    input_fn : callable ``(batch) -> Tensor``, optional
        The module's input for a batch (default ``batch["X"]``), e.g.
        RobustAE's ``X - S`` computed per batch instead of stored.
    max_epochs, batch_size, lr : int, int, float
    device : torch.device
    generator : torch.Generator
        Source of the shuffling order (and of the validation split). The
        dropout masks come from a second generator seeded from its initial
        seed; nothing draws from torch's global generators.
    optimizer : torch optimizer class, default=Adam
    optimizer_kwargs : dict, optional
        Extra keyword arguments for the optimizer (e.g. ``weight_decay``).
    callbacks : list of skorch callbacks, optional
        Used as given; the caller passes copies of the user's objects.
    verbose : {0, 1, 2}
        0 silent, 1 progress bar over epochs, 2 one line per epoch.
    validation_fraction : float or None
        Hold out this fraction to report ``valid_loss`` (for early stopping).
    drop_last : bool
        Drop the last incomplete batch (for modules with batch norm).
    name : str, optional
        Estimator name used in error messages.
    max_steps : int, optional
        Stop after this many gradient steps (the last epoch is then
        partial), or after ``max_epochs`` epochs, whichever comes first.
    iterator_train : BatchIterator subclass, optional
        The training iterator (default :class:`BatchIterator`), e.g.
        :class:`~skrobustad._engine.BalancedBatchIterator` for batches
        balanced between normal and outlier-exposure rows; built with the
        same arguments (dataset, batch size, generator, drop_last, budget).

    Returns
    -------
    history : skorch.History

    Raises
    ------
    TrainingDivergedError
        When an epoch ends with a non-finite loss or non-finite parameters.
    KeyboardInterrupt
        Propagated (skorch alone would end training early and return).
    """
    name = name or type(module).__name__
    default_callbacks = [
        ("epoch_timer", EpochTimer()),
        ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
        ("finite_guard", _FiniteGuard(name, data.tensors["X"])),
        ("epoch_records_only", _EpochRecordsOnly()),
    ]
    if validation_fraction is not None:
        default_callbacks.append(("valid_loss", PassthroughScoring(name="valid_loss")))
    if verbose == 1:
        default_callbacks.append(("progress_bar", _EpochProgressBar()))
    elif verbose >= 2:
        default_callbacks.append(("print_log", PrintLog()))

    optimizer_kwargs = dict(optimizer_kwargs or {})
    if (
        optimizer in _FUSED_OPTIMIZERS
        and device.type in ("cpu", "cuda")
        and not {"foreach", "fused"} & optimizer_kwargs.keys()
    ):
        # one fused kernel per step instead of a dozen per parameter: on a
        # small network the optimizer step otherwise costs as much as the
        # forward pass (torch only defaults to it on some accelerators)
        optimizer_kwargs["fused"] = True

    train_split = None
    if validation_fraction is not None:
        train_split = _ValidSplit(validation_fraction, generator)

    net = _DetectorNet(
        module,
        loss_fn=loss_fn,
        step_fn=step_fn,
        input_fn=input_fn,
        criterion=torch.nn.Identity,
        optimizer=optimizer,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        iterator_train=BatchIterator if iterator_train is None else iterator_train,
        iterator_valid=BatchIterator,
        iterator_train__shuffle=True,
        iterator_train__generator=generator,
        iterator_train__drop_last=drop_last,
        iterator_train__step_budget=None if max_steps is None else StepBudget(max_steps),
        train_split=train_split,
        callbacks=list(callbacks or []),
        device=device,
        default_callbacks=default_callbacks,
        **{f"optimizer__{k}": v for k, v in optimizer_kwargs.items()},
    )
    net._training_mode = None
    masks = torch.Generator(device=device)
    masks.manual_seed(generator.initial_seed() ^ _DROPOUT_SEED_SALT)
    try:
        with _SIGINT, dropout_generator(module, masks):
            net.fit(data, None)
    except _FitInterrupted:
        raise KeyboardInterrupt from None
    except _StopRequested:
        pass  # a callback's on_train_end asked to stop: training is over anyway
    if len(net.history):
        net.history[-1]["batches"] = []
    return net.history


#: Mixed into the data-order seed to seed the dropout masks.
_DROPOUT_SEED_SALT = 0x5DEECE66D


@torch.no_grad()
def map_chunks(fn, *tensors, chunk_size, device=None, min_rows=1, prepare=None):
    """Apply ``fn`` to row chunks of ``tensors`` and concatenate its outputs.

    The one chunked-inference loop of the package (scores, Deep SVDD's
    centre, RobustAE's attribute update): memory stays bounded by one chunk
    whatever the number of rows.

    Parameters
    ----------
    fn : callable ``(*chunks) -> Tensor``
        Evaluated in ``torch.no_grad`` mode; the caller sets ``eval()``. Its
        output has one row per input row.
    *tensors : torch.Tensor or ndarray
        Of equal length; chunked along the first dimension (arrays need
        ``prepare``).
    chunk_size : int
    device : torch.device, optional
        Each chunk is moved there first.
    min_rows : int, default=1
        Chunks shorter than this are padded with zero rows (and the padding's
        outputs dropped).
    prepare : callable ``(chunk) -> Tensor``, optional
        Applied to every chunk first (e.g. scaling rows of an array into a
        tensor), so that no converted copy of the whole input is made.

    Returns
    -------
    Tensor or None
        The concatenated outputs; ``None`` for empty input.
    """
    out = []
    for start in range(0, len(tensors[0]), chunk_size):
        chunks = [t[start:start + chunk_size] for t in tensors]
        if prepare is not None:
            chunks = [prepare(c) for c in chunks]
        if device is not None:
            chunks = [c.to(device) for c in chunks]
        n = len(chunks[0])
        if n < min_rows:
            chunks = [torch.cat([c, c.new_zeros((min_rows - n, *c.shape[1:]))]) for c in chunks]
        out.append(fn(*chunks)[:n])
    return torch.cat(out) if out else None


def predict_batches(fn, X, *, batch_size, device, prepare=None):
    """Apply ``fn`` to ``X`` in batches and return a float64 numpy array.

    Parameters
    ----------
    fn : callable ``(Tensor) -> Tensor``
        Evaluated in ``torch.no_grad`` mode; the caller sets ``eval()``.
    X : torch.Tensor or ndarray
        Input on any device; each batch is moved to ``device``.
    batch_size : int
    device : torch.device
    prepare : callable ``(batch of X) -> Tensor``, optional
        Turns each batch of ``X`` into the network's input (an array's rows
        scaled into a tensor): memory stays one batch, not a copy of ``X``.
    """
    # one- or two-row products take another BLAS kernel than larger ones
    # (matrix-vector), whose float32 rounding differs: the padding makes a
    # sample's score independent of what it is scored with
    out = map_chunks(
        lambda xb: fn(xb).detach().to("cpu", torch.float64),
        X, chunk_size=batch_size, device=device, min_rows=_MIN_SCORE_ROWS, prepare=prepare,
    )
    return np.empty(0) if out is None else out.numpy()


#: Scoring batches are padded to at least this many rows (see predict_batches).
_MIN_SCORE_ROWS = 16
