"""ELITE: robust deep anomaly detection with a meta-gradient (Zhang et al., KDD 2021).

The labeled samples are a validation set; the unlabeled (polluted) samples
are the training set. Every mini-batch, the per-sample meta-gradient of the
validation loss (:func:`skrobustad.meta._lookahead.lookahead_meta_gradient`)
gives each training sample a pseudo label (its sign) and a weight (its size),
and the network takes one step on the weighted hinge loss of Eq. 4.

The step is a custom step of the one training engine (``step_fn``): skorch's
loop, optimiser, callbacks, history and divergence guard are the engine's;
only what happens inside one batch differs from the backbones.
"""

import numbers
import warnings

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .._engine import BatchData
from ..base import BaseDeepDetector
from ..losses._hinge import euclidean_norm, hinge_loss, initial_margin
from ..meta._lookahead import lookahead_meta_gradient
from ..nn import HypersphereEncoder, MLPAutoEncoder
from ..nn._mlp import _ACTIVATIONS
from ..utils._validation import LABEL_ANOMALY, LABEL_NORMAL, LABEL_UNLABELED
from ._deep_svdd import set_center


class NoValidationLabelsWarning(UserWarning):
    """ELITE got no labeled sample: it trains its unsupervised backbone."""


def _omega_svdd(output, x):
    # HypersphereEncoder returns ||phi(x) - c||^2; ELITE's score is the norm
    return euclidean_norm(output)


def _omega_ae(output, x):
    return euclidean_norm((output - x).pow(2).flatten(1).sum(dim=1))


_OMEGA = {"svdd": _omega_svdd, "ae": _omega_ae}


class _EliteStep:
    """One ELITE training step on a batch of the polluted training set.

    Holds what the step needs beyond the batch (the validation set, the
    margin) and what it records: each training row's last meta-gradient, and
    per epoch the sum of the weights ``alpha`` and the mean validation loss
    (written into the engine's history).
    """

    def __init__(self, *, omega, X_val, y_val, w_val, margin, eta_m, lr, n_rows):
        self.omega = omega
        self.X_val = X_val
        self.is_anomaly_val = y_val == LABEL_ANOMALY
        self.w_val = w_val / w_val.sum()
        self.margin = margin
        self.eta_m = eta_m
        self.lr = lr
        self.meta_gradient = torch.full((n_rows,), float("nan"), dtype=X_val.dtype,
                                        device=X_val.device)
        self.pseudo_label = torch.zeros(n_rows, dtype=torch.int64, device=X_val.device)
        self.alpha = torch.full((n_rows,), float("nan"), dtype=X_val.dtype,
                                device=X_val.device)
        self._epoch = None

    def validation_loss(self, module, params):
        """Eq. 6: the weighted mean of Eq. 4 over the labeled set, true labels."""
        out = torch.func.functional_call(module, params, (self.X_val,))
        score = self.omega(out, self.X_val)
        return (self.w_val * hinge_loss(score, self.is_anomaly_val, self.margin)).sum()

    def __call__(self, net, batch):
        module = net.module_
        x = batch["X"]
        meta, score, valid_value = lookahead_meta_gradient(
            module, x, self.omega, lambda params: self.validation_loss(module, params),
            self.lr, retain_graph=True,
        )
        # pseudo label: anomaly where M_i > 0 (the paper's y_hat = -sign(M)
        # with its -1 = anomaly); weight alpha_i = eta_M |M_i|, not normalised
        is_anomaly = meta > 0
        alpha = self.eta_m * meta.abs()
        losses = hinge_loss(score, is_anomaly, self.margin)
        loss = (alpha * batch["weight"] * losses).mean()
        loss.backward()
        self.meta_gradient[batch["pos"]] = meta
        self.pseudo_label[batch["pos"]] = is_anomaly.to(torch.int64)
        self.alpha[batch["pos"]] = alpha
        self._record(net, float(alpha.sum()), valid_value, x.shape[0])
        return {"loss": loss.detach(), "y_pred": score.detach()}

    def _record(self, net, sum_alpha, valid_value, n):
        epoch = len(net.history)
        if epoch != self._epoch:
            self._epoch, self._sum_alpha, self._valid_sum, self._n = epoch, 0.0, 0.0, 0
        self._sum_alpha += sum_alpha
        self._valid_sum += valid_value * n
        self._n += n
        net.history.record("sum_alpha", self._sum_alpha)
        net.history.record("validation_loss", self._valid_sum / self._n)


class ELITE(BaseDeepDetector):
    """ELITE: pseudo labels for polluted training data from a validation meta-gradient.

    The labeled samples (``y_partial`` 0 or 1) form a validation set; the
    unlabeled samples (``y_partial == -1``), which may hide anomalies, form
    the training set (Zhang et al., KDD 2021). With ``Omega`` the anomaly
    score of the backbone and ``C`` a margin, the loss of a sample with
    label ``y`` is Eq. 4 of the paper:

    .. math::

        l(x, \\text{normal}) = \\Omega(x), \\qquad
        l(x, \\text{anomaly}) = \\max(C - \\Omega(x), 0)

    and the validation loss ``L_v`` is its weighted mean over the labeled
    samples with their true labels (Eq. 6). For every mini-batch of ``n``
    training samples, ELITE

    1. takes a virtual SGD step on the batch's scores with per-sample
       weights ``eps_i = 0``:
       ``theta_hat = theta - lr / n * sum_i eps_i grad Omega(x_i)`` (Eq. 11,
       Algorithm 1);
    2. computes the meta-gradients ``M_i = dL_v(theta_hat) / d eps_i`` at
       ``eps = 0`` (all of the batch in one double backward);
    3. pseudo-labels ``x_i`` an anomaly where ``M_i > 0`` (treating it as
       normal would raise the validation loss), normal otherwise;
    4. updates the network with ``mean_i alpha_i l(x_i, y_hat_i)``,
       ``alpha_i = eta_m * |M_i|`` (Eq. 14, not normalised).

    Pseudo labels are recomputed for every batch (Algorithm 1, line 7).

    Read more in the :ref:`User Guide <elite>`.

    Parameters
    ----------
    backbone : {"svdd", "ae"}, default="svdd"
        ``"svdd"``: a bias-free encoder ``phi`` with a fixed centre ``c``
        (set as :class:`DeepSVDD` sets it: the mean representation of the
        training samples at initialisation, coordinates at least ``eps``
        away from 0), ``Omega(x) = ||phi(x) - c||`` (the Euclidean norm, not
        squared: Algorithm 1 and the authors' code). ``"ae"``: a dense
        autoencoder, ``Omega(x) = ||x_hat - x||``.
    eta_m : float > 0, default=1e6
        ``eta_M``, the factor of the sample weights ``alpha_i = eta_m |M_i|``.
        ``M_i`` carries the factor ``lr / n`` of the virtual step, so its
        size depends on ``lr``, the batch size and the network: at the
        defaults (``lr=1e-4``, batch 128, widths (64, 32)) the mean
        ``|M_i|`` in the first epoch was 0.6e-7 to 3.4e-7 on the ``elite``
        suite's digits tasks (classes 0 and 3, pollution 0.1 and 0.5, both
        backbones), so ``eta_m = 1e6`` gives weights ``alpha`` of the order
        0.05 to 0.3, the scale of the backbone's own per-sample loss (the
        paper's 1 to 100 were for its SGD learning rate). Adam makes the
        update nearly invariant to a common factor of the weights: on those
        tasks ``eta_m = 1e4`` and ``1e6`` gave the same test AUROC to three
        decimals; a tiny ``eta_m`` only lets ``weight_decay`` and Adam's
        ``eps`` take over. The per-epoch ``sum_alpha`` in ``history_`` shows
        the scale reached.
    margin : "labeled-max", "initial-loss" or float > 0, default="labeled-max"
        ``C`` of Eq. 4, fixed once at initialisation (the value used is
        ``margin_``): ``"labeled-max"`` is the authors' code, the largest
        ``Omega`` over the labeled samples at the initial parameters;
        ``"initial-loss"`` the paper's rule, the mean ``Omega`` of the
        training samples at the initial parameters (the training loss of the
        unsupervised counterpart); a float is used as it is. The default is
        the authors' rule because it measured better on every cell group of
        the ``elite`` suites, most at high pollution: on digits (10 classes x
        3 seeds) mean test AUROC at ``r_p`` = 0.1 / 0.5 was .944 / .960
        (svdd) and .941 / .947 (ae) against .937 / .935 and .938 / .912 with
        the paper's rule; CIFAR-10 features in the user guide.
    train_on_labeled : bool, default=False
        ``False`` (the paper): labeled samples are the validation set only.
        ``True``: they also join the training set, where they are
        pseudo-labelled like the unlabeled samples.
    hidden_dims : tuple of int, default=(64, 32)
        Encoder widths; the last one is the representation (``"svdd"``) or
        code (``"ae"``) size; the decoder mirrors the encoder.
    activation : {"relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid"}, default="relu"
    eps : float >= 0, default=0.1
        Smallest absolute value of a centre coordinate (``"svdd"`` only).
    contamination : "auto" or float in (0, 0.5], default="auto"
        See :class:`~skrobustad.base.BaseDeepDetector`.
    max_epochs : int, default=100
    max_steps : int or None, default=None
        Budget of gradient steps (see :class:`~skrobustad.base.BaseDeepDetector`).
    batch_size : int, default=128
        The paper's batch size.
    lr : float, default=1e-4
        Learning rate of Adam, and ``eta_theta`` of the virtual step.
    weight_decay : float, default=1e-6
    validation_fraction : float or None, default=None
        Holds out a fraction of the *training* samples to record the
        unsupervised loss (mean ``Omega``) as ``valid_loss`` (skorch's
        early stopping); the labeled validation set is separate.
    device : str or torch.device, default="auto"
    random_state : int, RandomState instance or None, default=None
    verbose : {0, 1, 2}, default=0
    callbacks : list of skorch callbacks or None, default=None
    dtype : {"float32", "float64"}, default="float32"
    scale : bool, default=True
        Standardise the features inside the estimator (fitted ``scaler_``).

    Attributes
    ----------
    margin_ : float
        The margin ``C`` used (NaN without labeled samples: no hinge term).
    training_rows_ : ndarray of int
        Row indices (into the ``X`` of ``fit``) of the training samples that
        the next three attributes describe: the unlabeled rows with non-zero
        weight (and the labeled rows with ``train_on_labeled=True``).
    pseudo_labels_ : ndarray of int
        1 = anomaly, 0 = normal: each training row's pseudo label from the
        last batch it was in (the last epoch; an earlier one for rows a
        partial last epoch did not reach).
    meta_gradients_ : ndarray of float
        The meta-gradient ``M_i`` of each training row at that same batch.
        The paper's ``y_hat * |M|`` (positive for normals) is
        ``-meta_gradients_``.
    meta_weights_ : ndarray of float
        ``alpha_i = eta_m * |M_i|`` at that batch.
    validation_loss_curve_ : list of float
        The validation loss (Eq. 6) per epoch, the mean over the epoch's
        batches at the parameters before each step (empty without labeled
        samples).
    center_ : ndarray of shape (hidden_dims[-1],)
        The hypersphere centre (``"svdd"`` only).
    module_ : HypersphereEncoder or MLPAutoEncoder
    offset_ : float
    device_ : torch.device
    n_iter_ : int
    loss_curve_ : list of float
        Mean weighted training loss ``mean_i alpha_i l(x_i, y_hat_i)`` per
        epoch (its scale follows ``alpha``).
    history_ : skorch.History
        Per-epoch records; ELITE adds ``sum_alpha`` (the sum of the weights
        ``alpha`` over the epoch's batches) and ``validation_loss``.
    scaler_ : StandardScaler or None
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    See Also
    --------
    DeepSAD : labeled samples as training data (the paper's main competitor).
    DeepSVDD, AutoEncoder : the unsupervised backbones.

    Notes
    -----
    Without any labeled sample ELITE warns
    (:class:`~skrobustad.detectors._elite.NoValidationLabelsWarning`) and
    trains its unsupervised backbone: ``mean Omega`` over every sample (all
    pseudo labels normal, weights 1). With labeled normals only, ``L_v`` is
    their mean ``Omega`` (training samples whose step would raise it become
    anomalies); with labeled anomalies only, it is their mean hinge
    ``max(C - Omega, 0)``; both work. The timing of one step is about three
    times a plain step (an extra backward with ``create_graph``, the
    validation forward and the double backward).

    References
    ----------
    H. Zhang, L. Cao, P. VanNostrand, S. Madden and E. A. Rundensteiner,
    "ELITE: Robust Deep Anomaly Detection with Meta Gradient", KDD 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobustad import ELITE
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(size=(300, 4)), rng.normal(4, 1, size=(60, 4))]
    >>> y_partial = np.full(len(X), -1)
    >>> y_partial[:10], y_partial[-10:] = 0, 1
    >>> est = ELITE(hidden_dims=(16, 4), max_epochs=20, random_state=0, device="cpu")
    >>> est = est.fit(X, y_partial=y_partial)
    >>> est.pseudo_labels_.shape  # the 340 unlabeled rows
    (340,)
    >>> bool(est.score_samples(X[-60:]).mean() < est.score_samples(X[:300]).mean())
    True
    """

    _parameter_constraints = {
        **BaseDeepDetector._parameter_constraints,
        "backbone": [StrOptions(set(_OMEGA))],
        "eta_m": [Interval(numbers.Real, 0, None, closed="neither")],
        "margin": [
            StrOptions({"labeled-max", "initial-loss"}),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
        "train_on_labeled": ["boolean"],
        "hidden_dims": [tuple, list],
        "activation": [StrOptions(set(_ACTIVATIONS))],
        "eps": [Interval(numbers.Real, 0, None, closed="left")],
    }

    _uses_anomaly_labels = True

    def __init__(
        self,
        backbone="svdd",
        *,
        eta_m=1e6,
        margin="labeled-max",
        train_on_labeled=False,
        hidden_dims=(64, 32),
        activation="relu",
        eps=0.1,
        contamination="auto",
        max_epochs=100,
        max_steps=None,
        batch_size=128,
        lr=1e-4,
        weight_decay=1e-6,
        validation_fraction=None,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        dtype="float32",
        scale=True,
    ):
        super().__init__(
            contamination=contamination,
            max_epochs=max_epochs,
            max_steps=max_steps,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            validation_fraction=validation_fraction,
            device=device,
            random_state=random_state,
            verbose=verbose,
            callbacks=callbacks,
            dtype=dtype,
            scale=scale,
        )
        self.backbone = backbone
        self.eta_m = eta_m
        self.margin = margin
        self.train_on_labeled = train_on_labeled
        self.hidden_dims = hidden_dims
        self.activation = activation
        self.eps = eps

    # ------------------------------------------------------------------ hooks
    def _build_module(self, n_features):
        if self.backbone == "svdd":
            return HypersphereEncoder(n_features, self.hidden_dims, activation=self.activation)
        return MLPAutoEncoder(n_features, self.hidden_dims, activation=self.activation)

    def _initialize_module(self, module, data, state):
        if self.backbone == "svdd":
            # the centre exactly as DeepSVDD fixes it (weighted mean representation at
            # initialisation, coordinates at least eps away from 0)
            set_center(module, data, eps=self.eps)

    @property
    def _omega(self):
        return _OMEGA[self.backbone]

    def _loss(self, output, batch):
        # the unsupervised backbone's loss (Eq. 2): used without labeled samples
        # and for skorch's valid_loss
        return self._omega(output, batch["X"])

    def _score_batch(self, module, X):
        return self._omega(module(X), X)

    def _fit_module(self, data, state):
        y = data.tensors["y"]
        labeled = y != LABEL_UNLABELED
        n_labeled = int(labeled.sum())
        train_mask = torch.ones_like(labeled) if self.train_on_labeled else ~labeled
        if n_labeled == 0:
            warnings.warn(
                "ELITE got no labeled samples (y_partial 0 or 1 with non-zero "
                "sample_weight), which it uses as its validation set; it trains its "
                f"unsupervised backbone ({self.backbone!r}: mean score of every sample). "
                "Pass a few known normals and anomalies in y_partial.",
                NoValidationLabelsWarning,
                stacklevel=4,
            )
        if not bool(train_mask.any()):
            raise ValueError(
                "ELITE needs unlabeled training samples (y_partial == -1 with non-zero "
                "sample_weight): every sample is labeled, and labeled samples are its "
                "validation set. Use train_on_labeled=True to train on them too."
            )
        positions = torch.nonzero(train_mask).flatten()
        train = data.subset(positions)
        train = BatchData({**train.tensors,
                           "pos": torch.arange(len(train), device=positions.device)})
        module = self._new_module(train, state)
        self.training_rows_ = train.tensors["index"].cpu().numpy()

        if n_labeled == 0:
            self.margin_ = float("nan")
            history = self._train(module, train, state)
            n = len(train)
            self.pseudo_labels_ = np.full(n, LABEL_NORMAL, dtype=np.int64)
            self.meta_gradients_ = np.full(n, np.nan)
            self.meta_weights_ = np.ones(n)
            self.validation_loss_curve_ = []
        else:
            val = data.subset(torch.nonzero(labeled).flatten())
            # C at the initial parameters: the training rows' mean score
            # (the paper) or the labeled rows' largest (the authors' code)
            self.margin_ = initial_margin(
                self.margin, module, self._omega, train.tensors["X"], train.tensors["weight"],
                val.tensors["X"],
            )
            step = _EliteStep(
                omega=self._omega,
                X_val=val.tensors["X"],
                y_val=val.tensors["y"],
                w_val=val.tensors["weight"],
                margin=self.margin_,
                eta_m=float(self.eta_m),
                lr=float(self.lr),
                n_rows=len(train),
            )
            history = self._train(module, train, state, step_fn=step)
            # what the last step of each row used, as it used it
            self.meta_gradients_ = step.meta_gradient.cpu().double().numpy()
            self.pseudo_labels_ = step.pseudo_label.cpu().numpy()
            self.meta_weights_ = step.alpha.cpu().double().numpy()
            self.validation_loss_curve_ = [
                float(h["validation_loss"]) for h in history if "validation_loss" in h
            ]
        if self.backbone == "svdd":
            self.center_ = module.center.detach().cpu().numpy().copy()
        return module, history

