"""Deep SAD: semi-supervised Deep SVDD (Ruff et al., ICLR 2020)."""

import numbers

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..losses._hinge import (
    DEEP_SAD_EPS, deep_sad_loss, euclidean_norm, hinge_loss, initial_margin,
)
from ..utils._validation import LABEL_ANOMALY, LABEL_NORMAL, LABEL_UNLABELED
from ._deep_svdd import DeepSVDD, set_center


class DeepSAD(DeepSVDD):
    """Deep Semi-supervised Anomaly Detection: Deep SVDD that also learns from labels.

    The network, the centre and the training budget are those of
    :class:`DeepSVDD`; the labeled samples join training with their own
    terms (Ruff et al., ICLR 2020, Eq. 7). With ``d(x) = ||phi(x) - c||^2``,
    the per-sample loss is

    - unlabeled (``y_partial == -1``): ``d(x)``, as in Deep SVDD;
    - labeled normal (0): ``eta * (d(x) + 1e-6)``, pulled in;
    - labeled anomaly (1): ``eta / (d(x) + 1e-6)``, pushed away (the
      inverse distance; ``1e-6`` as in the authors' code).

    ``loss="hinge"`` trains the hinge loss of the ELITE paper (Eq. 4, its
    Fig. 7a/b "DeepSAD" with ELITE's loss): with ``Omega(x) = ||phi(x) - c||``
    and margin ``C``, unlabeled ``Omega(x)``, labeled normal
    ``eta * Omega(x)``, labeled anomaly ``eta * max(C - Omega(x), 0)``. The
    unlabeled samples are treated as normal either way, which is what makes
    Deep SAD sensitive to polluted training data.

    The anomaly score is ``d(x)`` for both losses. The centre is the mean
    representation of the samples not labeled as anomalies at
    initialisation (after the optional autoencoder pre-training,
    ``pretrain_epochs``, which trains on every sample and ignores the
    labels, as the authors' code does). Without labels Deep SAD is Deep SVDD.

    Read more in the :ref:`User Guide <elite>`.

    Parameters
    ----------
    eta : float > 0, default=1.0
        Weight of the labeled samples' terms relative to an unlabeled one
        (the paper's default 1).
    loss : {"inverse", "hinge"}, default="inverse"
        ``"inverse"``: Deep SAD's loss; ``"hinge"``: the ELITE paper's Eq. 4.
    margin : "initial-loss", "labeled-max" or float > 0, default="initial-loss"
        ``C`` of the hinge loss (``loss="hinge"`` only), fixed once after the
        centre: the mean ``Omega`` of the samples not labeled as anomalies
        (``"initial-loss"``, the ELITE paper's rule), the largest ``Omega`` of
        the labeled samples (``"labeled-max"``), or a float. The value used is
        ``margin_``.
    hidden_dims : tuple of int, default=(64, 32)
    activation : {"relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid"}, default="relu"
    batch_norm : bool, default=False
        Unlike :class:`DeepSVDD` (``True``), Deep SAD keeps the plain
        bias-free network by default: the ``elite`` suite results of the
        user guide were measured with it, and ``True`` has not been measured
        with the labeled loss.
    dropout : float in [0, 1), default=0.0
    eps : float, default=0.1
        Smallest absolute value of a centre coordinate.
    pretrain_epochs : int, default=0
        Epochs of autoencoder pre-training before the centre is fixed (see
        :class:`DeepSVDD`; the Deep SAD paper pre-trains).
    warm_start : bool, default=False
    contamination : "auto" or float in (0, 0.5], default="auto"
    max_epochs : int, default=50
    max_steps : int or None, default=500
        As :class:`DeepSVDD` (the unlabeled term shrinks every
        representation towards the centre, anomalies included).
    batch_size : int, default=64
    lr : float, default=1e-4
    weight_decay : float, default=1e-6
    validation_fraction : float or None, default=None
    device : str or torch.device, default="auto"
    random_state : int, RandomState instance or None, default=None
    verbose : {0, 1, 2}, default=0
    callbacks : list of skorch callbacks or None, default=None
    dtype : {"float32", "float64"}, default="float32"
    scale : bool, default=True

    Attributes
    ----------
    margin_ : float
        The hinge margin ``C`` (NaN with ``loss="inverse"``).
    n_labeled_anomalies_ : int
    n_labeled_normals_ : int
    center_ : ndarray of shape (hidden_dims[-1],)
    pretrain_history_ : skorch.History
        Only with ``pretrain_epochs > 0``.
    module_ : HypersphereEncoder
    offset_ : float
    device_ : torch.device
    n_iter_ : int
    loss_curve_ : list of float
    history_ : skorch.History
    scaler_ : StandardScaler or None
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    See Also
    --------
    DeepSVDD : the unsupervised one-class model.
    ELITE : labeled samples as a validation set instead of training data.

    References
    ----------
    L. Ruff, R. A. Vandermeulen, N. Goernitz, A. Binder, E. Mueller,
    K.-R. Mueller and M. Kloft, "Deep Semi-Supervised Anomaly Detection",
    ICLR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobustad import DeepSAD
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(size=(300, 4)), rng.normal(4, 1, size=(30, 4))]
    >>> y_partial = np.r_[np.full(300, -1), np.ones(10), np.full(20, -1)]
    >>> est = DeepSAD(hidden_dims=(16, 4), max_epochs=20, random_state=0, device="cpu")
    >>> est = est.fit(X, y_partial=y_partial)
    >>> bool(est.score_samples(X[-20:]).mean() < est.score_samples(X[:300]).mean())
    True
    """

    _parameter_constraints = {
        **DeepSVDD._parameter_constraints,
        "eta": [Interval(numbers.Real, 0, None, closed="neither")],
        "loss": [StrOptions({"inverse", "hinge"})],
        "margin": [
            StrOptions({"initial-loss", "labeled-max"}),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
    }

    _uses_anomaly_labels = True

    def __init__(
        self,
        *,
        eta=1.0,
        loss="inverse",
        margin="initial-loss",
        hidden_dims=(64, 32),
        activation="relu",
        batch_norm=False,
        dropout=0.0,
        eps=0.1,
        pretrain_epochs=0,
        warm_start=False,
        contamination="auto",
        max_epochs=50,
        max_steps=500,
        batch_size=64,
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
            hidden_dims=hidden_dims,
            activation=activation,
            batch_norm=batch_norm,
            dropout=dropout,
            eps=eps,
            pretrain_epochs=pretrain_epochs,
            warm_start=warm_start,
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
        self.eta = eta
        self.loss = loss
        self.margin = margin

    def _initialize_module(self, module, data, state):
        """Pre-train on every sample, then fix the centre on the non-anomalies."""
        if self.pretrain_epochs:
            self._pretrain(module, data, state)
        y = data.tensors["y"]
        not_anomaly = torch.nonzero(y != LABEL_ANOMALY).flatten()
        if len(not_anomaly) == 0:
            raise ValueError(
                "DeepSAD needs normal or unlabeled training samples to set its centre: "
                "every sample with non-zero weight is labeled as an anomaly "
                "(y_partial == 1)."
            )
        set_center(module, data.subset(not_anomaly), eps=self.eps)
        self.margin_ = float("nan")
        if self.loss == "hinge":
            self.margin_ = self._initial_margin(module, data)

    def _initial_margin(self, module, data):
        """The hinge margin: the unsupervised rows' mean distance or the labeled rows' largest."""
        y, X = data.tensors["y"], data.tensors["X"]
        rows = {"initial-loss": y != LABEL_ANOMALY, "labeled-max": y != LABEL_UNLABELED}
        for key, mask in rows.items():
            if not bool(mask.any()):  # "labeled-max" without labels: no hinge term anyway
                rows[key] = torch.ones_like(mask)
        return initial_margin(
            self.margin, module, lambda output, x: euclidean_norm(output),
            X[rows["initial-loss"]], data.tensors["weight"][rows["initial-loss"]],
            X[rows["labeled-max"]],
        )

    def _fit_module(self, data, state):
        y = data.tensors["y"]
        self.n_labeled_anomalies_ = int((y == LABEL_ANOMALY).sum())
        self.n_labeled_normals_ = int((y == LABEL_NORMAL).sum())
        return super()._fit_module(data, state)

    def _loss(self, output, batch):
        y = batch["y"].to(torch.int64)
        if self.loss == "inverse":
            return deep_sad_loss(output, y, eta=self.eta, eps=DEEP_SAD_EPS)
        omega = euclidean_norm(output)
        labeled = hinge_loss(omega, y == LABEL_ANOMALY, self.margin_)
        return torch.where(y == LABEL_UNLABELED, omega, self.eta * labeled)
