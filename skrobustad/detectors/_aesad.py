"""AE-SAD: an autoencoder trained to reconstruct known anomalies badly.

Angiulli, Fassetti and Ferragina, "Reconstruction Error-based Anomaly
Detection with Few Outlying Examples". The network is an ordinary
autoencoder with a sigmoid output on min-max scaled data; only the training
target changes: normal and unlabeled samples are reconstructed as themselves,
labeled anomalies as ``F(x)`` (``1 - x`` by default). The anomaly score is the
plain reconstruction error, so the known anomalies, and in practice many
unseen ones, score high.

Training uses the shared engine: the estimator only provides the per-sample
loss (:func:`skrobustad.losses.aesad_loss`). Min-max scaling is part of the
estimator (the loss needs data in ``[0, 1]``), fitted in ``_make_data`` and
applied again in ``_anomaly_scores``.
"""

import numbers
import warnings

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._engine import predict_batches
from ..base import BaseDeepDetector, _row_chunks
from ..losses import TARGET_TRANSFORMS, aesad_loss
from ..nn import ConvAutoEncoder, MLPAutoEncoder
from ..nn._mlp import _ACTIVATIONS
from ..utils._validation import LABEL_ANOMALY


class AESAD(BaseDeepDetector):
    """Semi-supervised autoencoder that learns to reconstruct known anomalies badly.

    AE-SAD trains an autoencoder with the loss

    .. math::

        (1 - y) \\, \\|x - \\hat x\\|^2 + \\lambda \\, y \\, \\|F(x) - \\hat x\\|^2

    where ``y = 1`` for the labeled anomalies (``y_partial == 1``) and
    ``y = 0`` for every other sample (known normals *and* unlabeled ones).
    ``F`` maps ``[0, 1]^d`` to itself, far from the identity: the network
    learns to send known anomalies away from themselves. The anomaly score is
    the reconstruction error of the scaled sample, ``||x - x_hat||^2 /
    n_features`` (the paper's score divided by the number of features: the
    same ranking, on the scale of :class:`AutoEncoder`'s score).

    Read more in the :ref:`User Guide <aesad>`.

    Parameters
    ----------
    anomaly_weight : "auto", "alpha" or float > 0, default="auto"
        The paper's ``lambda``: weight of one labeled anomaly relative to one
        other sample in the loss (a constant, not a schedule); the value used
        is the fitted ``anomaly_weight_``.

        - ``"auto"``: ``(n - s) / s``, with ``s`` the (weighted) number of
          labeled anomalies and ``n`` the (weighted) number of training
          samples: labeled anomalies and the rest weigh the same in total.
        - ``"alpha"``: the paper's ``lambda(alpha) = 1 + alpha (n / s - 1)``
          with ``alpha`` below (``alpha = 0.1`` is the paper's default,
          ``alpha = 1`` gives ``n / s``).
        - a float: that constant.

        With *polluted* data (anomalies mislabeled as normal or left among
        the unlabeled samples, the paper's section 4.5) the network is also
        taught to reconstruct the hidden anomalies well; a large ``lambda``
        (``"auto"``, about ``n / s``) makes the few labeled anomalies outweigh
        them, which is what kept AE-SAD's AUC stable as pollution grew.
    alpha : float >= 0, default=0.1
        The paper's ``alpha``, used only when ``anomaly_weight="alpha"``.
    target_transform : {"negative", "threshold", "shift"} or callable, default="negative"
        ``F``, the reconstruction target of labeled anomalies:

        - ``"negative"``: ``F(x) = 1 - x`` (the paper's choice; the negative
          image);
        - ``"threshold"``: ``F(x) = 1 if x <= 1/2 else 0`` per feature;
        - ``"shift"``: ``F(x) = x + 1/2 if x <= 1/2 else x - 1/2``;
        - a callable taking and returning a torch tensor of labeled
          anomalies in ``[0, 1]`` (shape ``(s, n_features)``); it must be a
          module-level function for the fitted estimator to pickle.
    scale : bool, default=True
        Min-max scale every feature to ``[0, 1]`` with the minimum and maximum
        of the training samples (those with non-zero ``sample_weight``);
        constant features map to 0. Set ``False`` only for data already in
        ``[0, 1]`` (e.g. images divided by 255); training values outside
        ``[0, 1]`` are then clipped, with a warning.

        New data is scaled with the training statistics and may fall outside
        ``[0, 1]``. The network always sees its input clipped to ``[0, 1]``
        (its training domain) while the score is measured against the
        *unclipped* scaled sample, so how far a sample lies outside the
        training range adds to its anomaly score instead of being hidden.
    hidden_dims : tuple of int, default=(64, 32)
        Encoder widths; the last one is the code size, the decoder mirrors
        them. With ``image_shape``, the dense layers after the convolutions.
    activation : {"relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid"}, default="relu"
    batch_norm : bool, default=False
        Batch normalisation after each hidden layer.
    dropout : float in [0, 1), default=0.0
    image_shape : tuple of int or None, default=None
        ``None``: a dense autoencoder. ``(C, H, W)`` or ``(H, W)``: rows of
        ``X`` are images flattened channel-major (``x.reshape(C, H, W)``) and
        a convolutional autoencoder is used (:class:`~skrobustad.nn.ConvAutoEncoder`).
    conv_channels : tuple of int, default=(16, 32)
        Channels of the stride-2 convolutions (only with ``image_shape``).
    warm_start : bool, default=False
        When true and the estimator is already fitted, ``fit`` continues
        training the current network for ``max_epochs`` more epochs (on the
        new data, labels and weights) instead of starting from a new one; the
        min-max scaling of the first fit is kept, ``lambda`` is recomputed.
        Used by :class:`~skrobustad.IAD`'s warm-start rounds.
    contamination : "auto" or float in (0, 0.5], default="auto"
        See :class:`~skrobustad.base.BaseDeepDetector`.
    max_epochs : int, default=200
        The authors' code trains 1000 epochs of batch 32; AE-SAD's AUC keeps rising
        with epochs (paper, Fig. 5), 200 epochs of batch 32 reach the
        paper's numbers on most of its tabular datasets at a fraction of the
        cost (see the user guide).
    max_steps : int or None, default=None
        Budget of gradient steps (see :class:`~skrobustad.base.BaseDeepDetector`).
    batch_size : int, default=32
    lr : float, default=1e-3
    weight_decay : float, default=0.0
    validation_fraction : float or None, default=None
    device : str or torch.device, default="auto"
    random_state : int, RandomState instance or None, default=None
    verbose : {0, 1, 2}, default=0
    callbacks : list of skorch callbacks or None, default=None
    dtype : {"float32", "float64"}, default="float32"

    Attributes
    ----------
    anomaly_weight_ : float
        The ``lambda`` used in training (1.0 when there were no labeled
        anomalies).
    n_labeled_anomalies_ : int
        Number of training samples labeled 1 (with non-zero weight).
    data_min_, data_max_ : ndarray of shape (n_features,)
        Per-feature minimum and maximum of the training samples (only when
        ``scale=True``).
    data_range_ : ndarray of shape (n_features,)
        ``data_max_ - data_min_``, with 1 for constant features (only when
        ``scale=True``).
    module_ : MLPAutoEncoder or ConvAutoEncoder
        The trained network. It outputs logits: the reconstruction of a
        (scaled) sample is their sigmoid, as :meth:`reconstruct` returns.
    offset_ : float
    device_ : torch.device
    n_iter_ : int
    loss_curve_ : list of float
    history_ : skorch.History
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    See Also
    --------
    AutoEncoder : the unsupervised autoencoder, which leaves labeled
        anomalies out of training.

    Notes
    -----
    Without any labeled anomaly (``y_partial`` is None or has no 1), AE-SAD
    warns and trains as a plain autoencoder (sigmoid output, min-max
    scaled data).

    References
    ----------
    F. Angiulli, F. Fassetti and L. Ferragina, "Reconstruction Error-based
    Anomaly Detection with Few Outlying Examples".

    Examples
    --------
    >>> import numpy as np
    >>> from skrobustad import AESAD
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(size=(300, 5)), rng.normal(3, 1, size=(20, 5))]
    >>> y_partial = np.r_[np.full(300, -1), np.ones(10), np.full(10, -1)]
    >>> est = AESAD(hidden_dims=(16, 4), max_epochs=30, random_state=0, device="cpu")
    >>> est = est.fit(X, y_partial=y_partial)
    >>> scores = est.score_samples(X)  # higher = more normal
    >>> bool(scores[-10:].mean() < scores[:300].mean())  # the unseen anomalies
    True
    """

    _parameter_constraints = {
        **BaseDeepDetector._parameter_constraints,
        "anomaly_weight": [
            StrOptions({"auto", "alpha"}),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "target_transform": [StrOptions(set(TARGET_TRANSFORMS)), callable],
        "scale": ["boolean"],
        "hidden_dims": [tuple, list],
        "activation": [StrOptions(set(_ACTIVATIONS))],
        "batch_norm": ["boolean"],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "image_shape": [tuple, list, None],
        "conv_channels": [tuple, list],
        "warm_start": ["boolean"],
    }

    _has_warm_start = True
    _has_batch_norm = True

    _uses_anomaly_labels = True

    def __init__(
        self,
        *,
        anomaly_weight="auto",
        alpha=0.1,
        target_transform="negative",
        scale=True,
        hidden_dims=(64, 32),
        activation="relu",
        batch_norm=False,
        dropout=0.0,
        image_shape=None,
        conv_channels=(16, 32),
        warm_start=False,
        contamination="auto",
        max_epochs=200,
        max_steps=None,
        batch_size=32,
        lr=1e-3,
        weight_decay=0.0,
        validation_fraction=None,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        dtype="float32",
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
        self.anomaly_weight = anomaly_weight
        self.alpha = alpha
        self.target_transform = target_transform
        self.hidden_dims = hidden_dims
        self.activation = activation
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.image_shape = image_shape
        self.conv_channels = conv_channels
        self.warm_start = warm_start

    # ------------------------------------------------------------------ hooks
    def _build_module(self, n_features):
        if self.image_shape is None:
            return MLPAutoEncoder(
                n_features,
                self.hidden_dims,
                activation=self.activation,
                batch_norm=self.batch_norm,
                dropout=self.dropout,
            )
        n_pixels = int(np.prod(self.image_shape))
        if n_pixels != n_features:
            raise ValueError(
                f"image_shape={tuple(self.image_shape)} has {n_pixels} values but X has "
                f"{n_features} features."
            )
        return ConvAutoEncoder(
            self.image_shape,
            self.conv_channels,
            self.hidden_dims,
            activation=self.activation,
            batch_norm=self.batch_norm,
            dropout=self.dropout,
        )

    def _loss(self, output, batch):
        return aesad_loss(
            batch["X"],
            torch.sigmoid(output),
            batch["y"] == LABEL_ANOMALY,
            anomaly_weight=self.anomaly_weight_,
            target_transform=self._target_function,
        )

    @property
    def _target_function(self):
        """``F``: the callable ``target_transform``, or the named one."""
        if isinstance(self.target_transform, str):
            return TARGET_TRANSFORMS[self.target_transform]
        return self.target_transform

    def _score_batch(self, module, X):
        # X is scaled but not clipped: the network sees its training domain,
        # the distance outside it counts in the score. The sigmoid runs in
        # float64 so that a sample's score does not depend on its position in
        # the batch (float32 SIMD and scalar code paths differ by one ulp).
        X_hat = torch.sigmoid(module(X.clamp(0.0, 1.0)).double())
        return (X.double() - X_hat).pow(2).flatten(1).mean(dim=1)

    def _fit_module(self, data, state):
        is_anomaly = data.tensors["y"] == LABEL_ANOMALY
        weight = data.tensors["weight"].double()
        w_anomaly = float(weight[is_anomaly].sum())
        w_total = float(weight.sum())
        self.n_labeled_anomalies_ = int(is_anomaly.sum())
        if self.n_labeled_anomalies_ == 0:
            warnings.warn(
                "AESAD got no labeled anomalies (no y_partial == 1 with non-zero "
                "sample_weight); it trains as a plain autoencoder. Pass known anomalies "
                "as y_partial=1.",
                UserWarning,
                stacklevel=4,
            )
            self.anomaly_weight_ = 1.0
        elif w_total - w_anomaly <= 1e-12 * w_total:
            raise ValueError(
                "AESAD needs normal or unlabeled training samples: every sample with "
                "non-zero weight is labeled as an anomaly (y_partial == 1)."
            )
        else:
            self.anomaly_weight_ = self._resolve_lambda(w_total, w_anomaly)
        if self.n_labeled_anomalies_:
            self._check_target_function(data.tensors["X"][is_anomaly][:2])
        return super()._fit_module(data, state)

    def _check_target_function(self, x):
        """A callable ``target_transform`` must map a batch to a tensor of its shape."""
        with torch.no_grad():
            target = self._target_function(x.clone())
        if not isinstance(target, torch.Tensor) or target.shape != x.shape:
            got = tuple(target.shape) if isinstance(target, torch.Tensor) else type(target).__name__
            raise ValueError(
                "target_transform must return a tensor of the shape of its input (the "
                f"labeled anomalies' targets); for an input of shape {tuple(x.shape)} it "
                f"returned {got}."
            )

    def _resolve_lambda(self, n, s):
        if self.anomaly_weight == "auto":
            return (n - s) / s
        if self.anomaly_weight == "alpha":
            return 1.0 + self.alpha * (n / s - 1.0)
        return float(self.anomaly_weight)

    # --------------------------------------------------------------- scaling
    def _fit_input_scaling(self, X, sample_weight, mask, state):
        # min-max scaling to [0, 1] (the target transform needs that range)
        # instead of the base class's standardisation; training rows are
        # clipped to [0, 1] (_training_input), scored rows are not (see
        # _score_batch)
        self.scaler_ = None
        if self.scale and not (state.warm and hasattr(self, "data_min_")):
            # per chunk of rows (no copy of the training rows at once)
            lows, highs = zip(*((c.min(axis=0), c.max(axis=0)) for c in _row_chunks(X, mask)))
            self.data_min_ = np.min(lows, axis=0).astype(np.float64)
            self.data_max_ = np.max(highs, axis=0).astype(np.float64)
            data_range = self.data_max_ - self.data_min_
            data_range[data_range == 0.0] = 1.0
            self.data_range_ = data_range
        outside = any(
            np.any((scaled < 0.0) | (scaled > 1.0))
            for scaled in map(self._scale_input, _row_chunks(X, mask))
        )
        if outside:
            warnings.warn(
                "AESAD got training values outside [0, 1] after its scaling (scale=False, "
                "or a warm start keeping the first fit's min-max scaling); they are "
                "clipped. Its target transform assumes data in [0, 1]: use scale=True or "
                "scale the data first.",
                UserWarning,
                stacklevel=4,
            )

    def _training_input(self, X):
        return np.clip(self._scale_input(X), 0.0, 1.0)

    def _scale_input(self, X):
        if not self.scale:
            return X
        return (X - self.data_min_) / self.data_range_

    # ---------------------------------------------------------------- public
    def reconstruct(self, X):
        """Reconstruction of each sample, in the units of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_hat : ndarray of shape (n_samples, n_features)
            The autoencoder's output for ``X`` (scaled and clipped to the
            training range), mapped back through the min-max scaling. Labeled
            anomalies of the training set come out close to ``F(x)``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        module = self.module_
        module.eval()
        X_hat = predict_batches(
            lambda xb: torch.sigmoid(module(xb).double()),
            X,
            batch_size=max(self.batch_size, 1024),
            device=self.device_,
            prepare=lambda rows: torch.tensor(self._training_input(rows), dtype=self._torch_dtype),
        ).reshape(X.shape)
        if self.scale:
            X_hat = X_hat * self.data_range_ + self.data_min_
        return X_hat
