"""ADRA: residual adapters on a frozen pretrained network, with outlier exposure.

Deecke, Ruff, Vandermeulen and Bilen, "Deep Anomaly Detection by Residual
Adaptation" (2020). The pretrained network (the user's ``backbone``) is
copied and frozen, parameters and buffers; small residual corrections
(:func:`skrobustad.nn.attach_adapters`) and a linear head are the only
trained parameters. Training uses the shared engine with three estimator
choices passed through :meth:`BaseDeepDetector._train`: the hypersphere
classifier loss (:func:`skrobustad.losses.hsc_loss`), batches balanced
between normal and outlier-exposure rows
(:class:`skrobustad._engine.BalancedBatchIterator`) and SGD with momentum
and a step-decayed learning rate (a skorch ``LRScheduler`` callback).
"""

import copy
import math
import numbers

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import LRScheduler
from torch import nn

from .._engine import BalancedBatchIterator, map_chunks, n_batches, predict_batches
from ..base import BaseDeepDetector, _row_chunks
from ..losses import hsc_loss, hsc_radial
from ..nn import AdaptedNetwork, attach_adapters
from ..utils._validation import LABEL_ANOMALY


def _n_params(params):
    return int(sum(p.numel() for p in params))


class ADRA(BaseDeepDetector):
    """Anomaly detection by residual adaptation of a frozen pretrained network.

    ADRA copies the pretrained ``backbone``, freezes all its parameters and
    buffers, adds residual adapters to its ``Conv2d`` / ``Linear`` layers
    (``y = f(x) + sum_k g_k(x) h_k(x)``: ``K = n_experts`` bias-free 1x1
    convolutions, or low-rank linear maps of rank ``rank``, mixed per sample
    by a softmax gate computed from the layer input) and a linear head
    ``z = W phi(x) + b`` on the flattened backbone output. Only the adapters,
    the gates and the head are trained, with the hypersphere classifier (HSC)
    loss with outlier exposure (Ruff et al. 2020; FCDD): with
    ``h(z) = sqrt(||z||^2 + 1) - 1``, normal and unlabeled rows minimise
    ``h(z)``, outlier-exposure rows (``y_partial == 1``) minimise
    ``-log(1 - exp(-h(z)) + 1e-9)``. The anomaly score is ``h(z)``.

    Read more in the :ref:`User Guide <adra>`.

    Parameters
    ----------
    backbone : torch.nn.Module or callable
        The pretrained network, mapping a batch of ``X`` to features (for a
        torchvision ResNet, set ``model.fc = torch.nn.Identity()`` first so
        that it returns the pooled features). A module is deep-copied at
        every fit (the object passed is never changed); a callable is called
        as ``backbone(input_shape)`` with ``input_shape = X.shape[1:]``
        (``(d,)`` or ``(C, H, W)``) and must return a new module (for a
        pretrained one, load its weights inside). The module must be on the
        CPU or on ``device``.
    n_experts : int, default=2
        ``K``, corrections per adapted layer (the paper's ``K`` in
        {1, 2, 4}). With ``K = 1`` there is no gate.
    layers : {"all", "conv", "linear"} or tuple of str, default="all"
        Layers that get adapters: every ``Conv2d`` and ``Linear``, one kind,
        or qualified names of ``backbone.named_modules()``. A convolution
        whose padding does not keep the 1x1 correction's output size
        (``2 * padding != dilation * (kernel_size - 1)``) is refused.
    rank : int, default=8
        Rank of the corrections of ``Linear`` layers.
    head_dim : int, default=16
        Size of the representation ``z`` (the paper does not give it). The
        head has ``head_dim * (d + 1)`` parameters for ``d`` backbone
        outputs: on a ResidualCNN ``(16, 32, 64)`` (74k parameters), 1.4% of
        the backbone at 16.
    bn_stats : {"frozen", "task"}, default="frozen"
        Batch norm of the backbone. ``"frozen"``: evaluation mode with the
        pretrained statistics, which stay bit-identical (the paper keeps the
        pretrained network fixed). ``"task"``: the statistics are reset and
        re-estimated (cumulative average) on the training batches, half of
        which are exposure rows, and batch norm normalises each training
        batch by its own statistics; the affine parameters stay frozen.
    eps : float, default=0.1
        Without exposure rows (UADRA), the smallest absolute value of a
        centre coordinate (as :class:`DeepSVDD`).
    momentum : float, default=0.9
        Momentum of SGD (the paper's).
    lr_milestones : tuple of float, default=(2/3, 5/6)
        Fractions of the epochs after which the learning rate is multiplied
        by ``lr_decay`` (the paper: epochs 80 and 100 of 120).
    lr_decay : float, default=0.1
    contamination : "auto" or float in (0, 0.5], default="auto"
        See :class:`~skrobustad.base.BaseDeepDetector`.
    max_epochs : int, default=30
        Epochs, each one pass over the normal rows (the paper: 120 epochs on
        CIFAR-10's 5,000 normals per class).
    max_steps : int or None, default=None
        Budget of gradient steps, rounded up to whole epochs.
    batch_size : int, default=64
        Rows per batch; with exposure rows, half are normal, half exposure.
    lr : float, default=0.01
        Initial learning rate of SGD.
    weight_decay : float, default=1e-4
        The paper's L2 penalty (on the trained parameters only).
    validation_fraction : float or None, default=None
    device : str or torch.device, default="auto"
    random_state : int, RandomState instance or None, default=None
        Seeds the adapters, gates, head, a factory's module and the data
        order.
    verbose : {0, 1, 2}, default=0
    callbacks : list of skorch callbacks or None, default=None
    dtype : {"float32", "float64"}, default="float32"
    scale : bool, default=False
        ``False`` feeds ``X`` to the backbone as it is: a pretrained network
        expects the preprocessing it was pretrained with (e.g. torchvision's
        ImageNet normalisation), which only the user knows. ``True``
        standardises every feature (tabular) or every channel (images, over
        samples and pixels) with the training rows' mean and standard
        deviation (fitted ``scaler_``).

    Attributes
    ----------
    module_ : AdaptedNetwork
        The adapted network (a plain torch module: ``module_.backbone``
        holds the frozen layers and their adapters, ``module_.head`` the
        head); ``module_(x)`` is ``z - c``, ``module_.radial(x)`` the anomaly
        score. ``module_.adapter_state_dict()`` holds the task-specific
        tensors only.
    unsupervised_ : bool
        True when the fit had no exposure row (UADRA).
    n_exposure_ : int
        Training rows labeled 1 (with non-zero weight).
    adapted_layers_ : list of str
        Qualified names (in ``backbone``) of the adapted layers.
    n_trainable_params_ : int
        Adapter, gate and head parameters: what each task trains and stores.
    n_backbone_params_ : int
        Parameters of the pretrained backbone (frozen, shared by all tasks).
    center_ : ndarray of shape (head_dim,)
        The centre (zeros with exposure; with UADRA, the mean initial
        representation).
    input_shape_ : tuple of int
        ``X.shape[1:]`` at fit.
    offset_ : float
        Threshold of ``score_samples`` (see ``contamination``).
    device_ : torch.device
    n_iter_ : int
    loss_curve_ : list of float
    history_ : skorch.History
    n_features_in_ : int
        ``X.shape[1]``: the features, or the channels of images.
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names.
    scaler_ : StandardScaler or None

    Notes
    -----
    Labeled anomalies are an outlier-exposure corpus (``y_partial == 1``,
    appended to ``X``), usually larger than the normal set: ADRA does not
    warn when most rows are labeled 1, and each batch holds equal numbers
    of normal (label 0 or -1) and exposure rows; an epoch is one pass over
    the normal rows. Without any exposure row ADRA trains unsupervised (the
    paper's UADRA): the head has no bias and the centre is the mean initial
    representation, moved away from 0 (as :class:`DeepSVDD`), so that
    neither zero head weights (which weight decay pulls towards) nor a bias
    map every input to it; the loss is ``h(z - c)``.

    Adapters start at zero, so the adapted network before training computes
    exactly the backbone (the paper initialises them at random).

    References
    ----------
    L. Deecke, L. Ruff, R. A. Vandermeulen and H. Bilen, "Deep Anomaly
    Detection by Residual Adaptation", arXiv:2010.02310, 2020.
    L. Ruff, R. A. Vandermeulen, B. J. Franks, K.-R. Mueller and M. Kloft,
    "Rethinking Assumptions in Deep Anomaly Detection", 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobustad import ADRA
    >>> from skrobustad.nn import ResidualMLP
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> exposure = rng.normal(0, 3, size=(400, 4))
    >>> est = ADRA(ResidualMLP(4, width=16), rank=2, max_epochs=5, random_state=0,
    ...            device="cpu")
    >>> est = est.fit(np.r_[X, exposure], y_partial=np.r_[np.zeros(200), np.ones(400)])
    >>> est.n_trainable_params_ < est.n_backbone_params_
    True
    """

    _parameter_constraints = {
        **BaseDeepDetector._parameter_constraints,
        "backbone": [callable],
        "n_experts": [Interval(numbers.Integral, 1, None, closed="left")],
        "layers": [StrOptions({"all", "conv", "linear"}), tuple, list],
        "rank": [Interval(numbers.Integral, 1, None, closed="left")],
        "head_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "bn_stats": [StrOptions({"frozen", "task"})],
        "eps": [Interval(numbers.Real, 0, None, closed="left")],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "lr_milestones": [tuple, list],
        "lr_decay": [Interval(numbers.Real, 0, 1, closed="right")],
    }

    _uses_anomaly_labels = True
    _labels_are_exposure = True

    def __init__(
        self,
        backbone,
        *,
        n_experts=2,
        layers="all",
        rank=8,
        head_dim=16,
        bn_stats="frozen",
        eps=0.1,
        momentum=0.9,
        lr_milestones=(2 / 3, 5 / 6),
        lr_decay=0.1,
        contamination="auto",
        max_epochs=30,
        max_steps=None,
        batch_size=64,
        lr=0.01,
        weight_decay=1e-4,
        validation_fraction=None,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        dtype="float32",
        scale=False,
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
        self.n_experts = n_experts
        self.layers = layers
        self.rank = rank
        self.head_dim = head_dim
        self.bn_stats = bn_stats
        self.eps = eps
        self.momentum = momentum
        self.lr_milestones = lr_milestones
        self.lr_decay = lr_decay

    # ------------------------------------------------------------- validation
    def _validate_X(self, X, *, reset):
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], ensure_min_samples=1, allow_nd=True,
            reset=reset,
        )
        if X.ndim not in (2, 4):
            raise ValueError(
                "ADRA takes tabular X of shape (n_samples, n_features) or images of shape "
                f"(n_samples, channels, height, width); got an array of shape {X.shape}."
            )
        if reset:
            self.input_shape_ = tuple(int(s) for s in X.shape[1:])
        elif tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])} but ADRA was fitted on "
                f"samples of shape {self.input_shape_} (features per sample differ)."
            )
        return X

    # ---------------------------------------------------------------- scaling
    def _fit_input_scaling(self, X, sample_weight, mask, state):
        self.scaler_ = None
        if self.scale:
            scaler = StandardScaler()
            for rows in _row_chunks(X, mask):  # no copy of the whole input at once
                scaler.partial_fit(self._channels_last(rows))
            self.scaler_ = scaler

    @staticmethod
    def _channels_last(X):
        """Rows of one value per channel: ``(n * H * W, C)`` for images."""
        if X.ndim == 2:
            return X
        return np.moveaxis(X, 1, -1).reshape(-1, X.shape[1])

    def _scale_input(self, X):
        if self.scaler_ is None:
            return X
        if X.ndim == 2:
            return self.scaler_.transform(X)
        n, c, h, w = X.shape
        flat = self.scaler_.transform(self._channels_last(X))
        return np.moveaxis(flat.reshape(n, h, w, c), -1, 1)

    # ------------------------------------------------------------------ hooks
    def _new_backbone(self):
        if isinstance(self.backbone, nn.Module):
            backbone = copy.deepcopy(self.backbone)
        else:
            backbone = self.backbone(self.input_shape_)
            if not isinstance(backbone, nn.Module):
                raise TypeError(
                    "ADRA's backbone factory must return a torch.nn.Module; "
                    f"backbone({self.input_shape_}) returned {type(backbone).__name__}."
                )
        return backbone

    def _build_module(self, n_features):
        backbone = self._new_backbone()
        n_backbone = _n_params(backbone.parameters())
        layers = self.layers if isinstance(self.layers, str) else list(self.layers)
        self.adapted_layers_ = attach_adapters(
            backbone, layers, n_experts=self.n_experts, rank=self.rank, freeze_backbone=True
        )
        first = next(backbone.parameters())  # adapters exist: never empty
        backbone.eval()
        with torch.no_grad():
            probe = torch.zeros((2, *self.input_shape_), dtype=first.dtype, device=first.device)
            n_out = backbone(probe).flatten(1).shape[1]
        head = nn.Linear(n_out, self.head_dim, bias=not self.unsupervised_)
        head = head.to(device=first.device, dtype=first.dtype)
        module = AdaptedNetwork(backbone, head, self.head_dim, bn_stats=self.bn_stats)
        if self.bn_stats == "task":
            for m in backbone.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.reset_running_stats()
                    m.momentum = None  # cumulative average over the training batches
        self.n_backbone_params_ = n_backbone
        self.n_trainable_params_ = _n_params(p for p in module.parameters() if p.requires_grad)
        return module

    @torch.no_grad()
    def _initialize_module(self, module, data, state):
        """UADRA: the centre is the mean initial representation, away from 0."""
        if not self.unsupervised_:
            return
        module.eval()
        X, weight = data.tensors["X"], data.tensors["weight"]
        sums = map_chunks(
            lambda x, w: (w[:, None] * module(x)).sum(dim=0, keepdim=True),
            X, weight, chunk_size=1024,
        )
        center = sums.sum(dim=0) / weight.sum()
        small = center.abs() < self.eps
        sign = torch.where(center < 0, -1.0, 1.0).to(center.dtype)
        center[small] = self.eps * sign[small]
        module.center.copy_(center)
        module.train()

    def _loss(self, output, batch):
        return hsc_loss(output, batch["y"] == LABEL_ANOMALY)

    def _module_loss(self, module):
        """The training loss of ``module`` (``_loss``; a subclass may add a penalty)."""
        return self._loss

    def _score_batch(self, module, X):
        return hsc_radial(module(X).double())

    def _training_epochs(self, data):
        """``max_epochs``, capped by ``max_steps`` counted in balanced batches."""
        if self.max_steps is None:
            return self.max_epochs
        n = self._n_train_rows(len(data))
        n_exposure = min(self.n_exposure_, n)
        n_normal = n - n_exposure
        if n_exposure and n_normal:
            per_epoch = n_batches(n_normal, max(1, self.batch_size // 2), self._drop_last(n))
        else:
            per_epoch = n_batches(n, self.batch_size, self._drop_last(n))
        return max(1, min(self.max_epochs, math.ceil(self.max_steps / max(per_epoch, 1))))

    def _drop_last(self, n_samples):
        # batch norm with per-task statistics needs two rows in every batch
        return self.bn_stats == "task" and n_samples > self.batch_size

    def _fit_module(self, data, state):
        is_exposure = data.tensors["y"] == LABEL_ANOMALY
        self.n_exposure_ = int(is_exposure.sum())
        if self.n_exposure_ == len(data):
            raise ValueError(
                "ADRA needs normal or unlabeled training samples: every sample with "
                "non-zero weight is labeled 1 (outlier exposure)."
            )
        self.unsupervised_ = self.n_exposure_ == 0
        for milestone in self.lr_milestones:
            if not (isinstance(milestone, numbers.Real) and 0 < milestone <= 1):
                raise ValueError(
                    "lr_milestones must be fractions of the epochs in (0, 1]; got "
                    f"{tuple(self.lr_milestones)!r}."
                )
        module = self._new_module(data, state)
        epochs = self._training_epochs(data)
        milestones = sorted({max(1, round(f * epochs)) for f in self.lr_milestones})
        schedule = LRScheduler(
            policy=torch.optim.lr_scheduler.MultiStepLR,
            milestones=milestones,
            gamma=self.lr_decay,
        )
        history = self._train(
            module,
            data,
            state,
            max_epochs=epochs,
            optimizer=torch.optim.SGD,
            optimizer_kwargs={"momentum": self.momentum, "weight_decay": self.weight_decay},
            iterator=BalancedBatchIterator,
            extra_callbacks=[("lr_schedule", schedule)],
            loss_fn=self._module_loss(module),
        )
        self.center_ = module.center.detach().cpu().numpy().copy()
        return module, history

    # ---------------------------------------------------------------- public
    def embed(self, X):
        """The representation ``z - c`` of each sample (the head's output).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        Z : ndarray of shape (n_samples, head_dim)
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        module = self.module_
        module.eval()
        return predict_batches(
            lambda xb: module(xb).double(), X, batch_size=max(self.batch_size, 1024),
            device=self.device_, prepare=self._network_input,
        ).reshape(len(X), -1)

    def trainable_parameters(self):
        """Names of the trained (task-specific) parameters of ``module_``."""
        check_is_fitted(self)
        return [n for n, p in self.module_.named_parameters() if p.requires_grad]

