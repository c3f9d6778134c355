"""PyOD interoperability: use any skrobustad detector as a PyOD detector.

:class:`PyODAdapter` turns an outlier detector with scikit-learn's convention
(``score_samples``, higher = more normal; ``predict`` in {+1, -1}) into a
:class:`pyod.models.base.BaseDetector` with PyOD's convention
(``decision_function``, higher = more abnormal; ``predict`` in {0, 1};
``decision_scores_``, ``threshold_`` and ``labels_`` after ``fit``). The
negation happens in exactly one place, so one object never exposes both
signs: the adapter speaks PyOD, the wrapped ``estimator_`` speaks
scikit-learn.

:func:`make_pyod_adapter` builds an adapter from JSON-friendly arguments
(an estimator name and its parameters), which is what PyOD's ``ADEngine``
needs to construct a detector from the ``class_path`` and ``params`` of a
custom knowledge directory (see the user guide and the gallery example
``plot_pyod_interop.py``). It resolves names to estimator classes of an
allow-list only (:data:`ESTIMATOR_MODULES`), never to arbitrary callables,
because knowledge-base files are data.
"""

import importlib
import inspect
import numbers
import re
import warnings

import numpy as np
from pyod.models.base import BaseDetector
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .exceptions import LabelsIgnoredWarning
from .utils._validation import LABEL_ANOMALY, LABEL_UNLABELED

__all__ = ["ESTIMATOR_MODULES", "PyODAdapter", "make_pyod_adapter"]

#: Modules :func:`make_pyod_adapter` may import an estimator class from (a
#: dotted name must be one of them or a public submodule of one). skrobustad
#: itself, and the scikit-learn modules that hold outlier detectors or density
#: estimators with ``score_samples`` (higher = more normal). ``pyod.models`` is
#: left out on purpose: its detectors are already PyOD detectors (a knowledge
#: base names them by their own ``class_path``) and have no ``score_samples``
#: for the adapter to negate.
ESTIMATOR_MODULES = (
    "skrobustad",
    "sklearn.covariance",
    "sklearn.decomposition",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.mixture",
    "sklearn.neighbors",
    "sklearn.svm",
)

# packages the resolved class must be *defined* in (not merely re-exported by)
_ESTIMATOR_PACKAGES = ("skrobustad", "sklearn")

_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _fit_accepts(method, name):
    """Whether the callable ``method`` declares a parameter called ``name``."""
    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _y_partial_fit_param(estimator):
    """The fit keyword that passes ``y_partial`` to ``estimator``, or None.

    A detector whose ``fit`` declares ``y_partial`` gets ``"y_partial"``; a
    :class:`~sklearn.pipeline.Pipeline` ending in such a detector gets
    ``"<last step>__y_partial"``.
    """
    if _fit_accepts(estimator.fit, "y_partial"):
        return "y_partial"
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        if last not in (None, "passthrough") and _fit_accepts(last.fit, "y_partial"):
            return f"{name}__y_partial"
    return None


def _uses_anomaly_labels(estimator):
    """Whether ``estimator`` trains on labeled anomalies (PyOD's ``y``).

    The one rule of the adapter: the estimator's ``_uses_anomaly_labels``
    class attribute (skrobustad's :class:`~skrobustad.BaseDeepDetector` sets it
    False, semi-supervised detectors such as :class:`~skrobustad.AESAD` True).
    A :class:`~sklearn.pipeline.Pipeline` follows its last step and
    :class:`~skrobustad.IAD`, an unsupervised wrapper that hands labels on to
    its base estimator only, follows that estimator (``None`` is an
    IsolationForest). Any other object (scikit-learn's detectors, third-party
    ones without the attribute) does not use labels.
    """
    if isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    flag = getattr(estimator, "_uses_anomaly_labels", None)
    if flag is None:
        from .wrappers import IAD

        if isinstance(estimator, IAD):
            inner = estimator.estimator
            return inner is not None and _uses_anomaly_labels(inner)
    return bool(flag)


class PyODAdapter(BaseDetector):
    """Expose a scikit-learn-style outlier detector as a PyOD detector.

    The adapter wraps any skrobustad detector (or any scikit-learn outlier
    detector with ``score_samples``, e.g.
    :class:`~sklearn.ensemble.IsolationForest`, or a
    :class:`~sklearn.pipeline.Pipeline` ending in one) so it runs wherever
    PyOD expects a :class:`pyod.models.base.BaseDetector`: benchmark loops,
    :class:`~pyod.models.suod.SUOD`, :class:`~pyod.models.lscp.LSCP`,
    :class:`~pyod.models.feature_bagging.FeatureBagging` and ``ADEngine``.

    Scores follow PyOD: ``decision_function(X) = -estimator_.score_samples(X)``
    is higher for more abnormal samples and ``predict`` returns 1 for
    outliers and 0 for inliers, thresholded at ``threshold_``, the
    ``100 * (1 - contamination)`` percentile of the training scores (PyOD's
    own rule; the wrapped estimator's ``offset_`` and ``predict`` are not
    used).

    Labels follow PyOD too: ``fit(X, y)`` takes ``y`` with 1 = labeled
    anomaly and 0 = unlabeled, and what happens to it depends on the wrapped
    estimator, as in PyOD:

    * an estimator that uses anomaly labels (a semi-supervised one, whose
      class sets ``_uses_anomaly_labels = True``: :class:`~skrobustad.AESAD`)
      receives ``y`` as skrobustad's ``y_partial`` (1 -> 1 labeled anomaly,
      0 -> -1 unlabeled); a Pipeline ending in one, through its last step;
      :class:`~skrobustad.IAD` when its base estimator uses labels;
    * every other estimator (skrobustad's unsupervised detectors such as
      :class:`~skrobustad.AutoEncoder`, :class:`~skrobustad.IAD` around one,
      scikit-learn's :class:`~sklearn.ensemble.IsolationForest`, ...) is
      fitted on ``X`` alone, exactly as ``fit(X)``, with a
      :class:`~skrobustad.exceptions.LabelsIgnoredWarning` when ``y`` marks
      any anomaly, as PyOD's unsupervised detectors ignore ``y``. So an
      unsupervised benchmark loop calling ``fit(X_train, y_train)`` does not
      leak the labels. To leave known anomalies out of an unsupervised
      detector's training, fit the adapter on ``X[y == 0]`` (or the
      detector itself with ``y_partial``).

    Meta-learned detectors (objects with an ``adapt`` method, e.g.
    ``MetaRAE``) must already be meta-fitted: for them, ``fit(X)`` means
    ``estimator_ = estimator.adapt(X)``; the meta-learner itself is neither
    refitted nor modified.

    Parameters
    ----------
    estimator : object
        Unfitted outlier detector with ``fit`` and ``score_samples`` (higher =
        more normal); cloned at fit time. Or a meta-fitted meta-learner with
        ``adapt(X)`` returning such a fitted detector; used as is.
    contamination : float in (0, 0.5] or PyThresh object, default=0.1
        Expected fraction of outliers, which sets ``threshold_`` as in every
        PyOD detector. A thresholding object with ``fit`` (e.g. from
        ``pythresh``) is also accepted, as PyOD does.

    Attributes
    ----------
    estimator_ : object
        The fitted detector: a clone of ``estimator`` fitted on ``X``, or the
        detector returned by ``estimator.adapt(X)``.
    decision_scores_ : ndarray of shape (n_samples,)
        Anomaly scores of the training data (higher = more abnormal).
    threshold_ : float
        Threshold on ``decision_function`` above which a sample is an
        outlier.
    labels_ : ndarray of shape (n_samples,) of int
        Binary labels of the training data: 1 outlier, 0 inlier.

    See Also
    --------
    make_pyod_adapter : build an adapter from JSON-friendly arguments.
    skrobustad.metrics.masked_roc_auc_scorer : model selection with partial
        labels in scikit-learn's convention.

    Notes
    -----
    PyOD's :class:`~pyod.models.base.BaseDetector` provides, on top of
    ``decision_function``: ``predict`` (with ``return_confidence``),
    ``predict_proba`` (``method="linear"`` or ``"unify"``),
    ``predict_confidence``, ``predict_with_rejection`` and the deprecated
    ``fit_predict``.

    Tools that clone their detectors (SUOD, FeatureBagging) also clone the
    wrapped estimator; a cloned meta-learner loses its meta-training, so the
    adapter raises ``NotFittedError`` at fit time in that case.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobustad import AutoEncoder
    >>> from skrobustad.pyod import PyODAdapter
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(size=(200, 4)), rng.normal(6, 1, size=(10, 4))]
    >>> ae = AutoEncoder(hidden_dims=(8, 2), max_epochs=20, random_state=0, device="cpu")
    >>> clf = PyODAdapter(ae, contamination=0.05).fit(X)
    >>> clf.labels_[-10:]
    array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    >>> clf.predict(X[-2:])
    array([1, 1])
    """

    def __init__(self, estimator, contamination=0.1):
        self.estimator = estimator
        self.contamination = contamination

    def _check_params(self):
        contamination = self.contamination
        if isinstance(contamination, numbers.Real) and not isinstance(contamination, bool):
            if not 0.0 < contamination <= 0.5:
                raise ValueError(
                    f"contamination must be in (0, 0.5], got {contamination!r}."
                )
        elif not hasattr(contamination, "fit"):
            raise ValueError(
                "contamination must be a float in (0, 0.5] or a thresholding object "
                f"with a fit method (e.g. from pythresh), got {contamination!r}."
            )
        if hasattr(self.estimator, "adapt"):
            try:
                check_is_fitted(self.estimator)
            except NotFittedError as exc:
                raise NotFittedError(
                    f"PyODAdapter wraps the meta-learner {type(self.estimator).__name__}, "
                    "which must be meta-fitted on its source tasks first: fit(X) then "
                    "means adapt(X). Tools that clone the adapter (SUOD, "
                    "FeatureBagging) also clone the meta-learner and so drop its "
                    "meta-training."
                ) from exc
            return
        for method in ("fit", "score_samples"):
            if not hasattr(self.estimator, method):
                raise TypeError(
                    "estimator must have fit and score_samples (higher = more normal), "
                    f"or be a meta-learner with adapt; {self.estimator!r} has no "
                    f"{method}."
                )

    def _check_y(self, y, n_samples):
        """PyOD labels (1 anomaly, 0 unlabeled) -> y_partial codes, or None."""
        if y is None:
            return None
        y = column_or_1d(y)
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} entries but X has {n_samples} samples.")
        if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
            found = np.unique(y).tolist() if y.dtype.kind in "biuf" else y.dtype
            raise ValueError(
                "y must hold PyOD's labels 1 (labeled anomaly) and 0 (unlabeled); "
                f"got {found}."
            )
        return np.where(y == 1, LABEL_ANOMALY, LABEL_UNLABELED).astype(np.int8)

    def fit(self, X, y=None):
        """Fit the wrapped detector and compute PyOD's training attributes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (for a meta-learner: the support set it adapts to).
        y : array-like of shape (n_samples,), default=None
            PyOD's labels: 1 = labeled anomaly, 0 = unlabeled. Passed as
            ``y_partial`` (1 -> 1, 0 -> -1) to an estimator that uses anomaly
            labels (its ``fit``, its ``adapt`` for a meta-learner, or its last
            step's ``fit`` for a Pipeline); ignored by every other estimator,
            with a :class:`~skrobustad.exceptions.LabelsIgnoredWarning` if any
            sample is labeled. Validated in both cases.

        Returns
        -------
        self : object
            Fitted adapter.
        """
        self._check_params()
        n_samples = X.shape[0] if hasattr(X, "shape") else len(X)
        y_partial = self._check_y(y, n_samples)

        if hasattr(self.estimator, "adapt"):
            param = "y_partial" if _fit_accepts(self.estimator.adapt, "y_partial") else None
            kwargs = self._label_kwargs(y_partial, self.estimator, param)
            self.estimator_ = self.estimator.adapt(X, **kwargs)
        else:
            self.estimator_ = clone(self.estimator)
            kwargs = self._label_kwargs(
                y_partial, self.estimator_, _y_partial_fit_param(self.estimator_)
            )
            self.estimator_.fit(X, **kwargs)
        if not hasattr(self.estimator_, "score_samples"):
            raise TypeError(
                f"The fitted {type(self.estimator_).__name__} has no score_samples "
                "(higher = more normal), which PyODAdapter negates into PyOD's "
                "decision_function (e.g. LocalOutlierFactor needs novelty=True)."
            )

        self._set_n_classes(None)  # binary, as every PyOD detector
        self.decision_scores_ = self._anomaly_scores(X)
        self._process_decision_scores()
        return self

    def _label_kwargs(self, y_partial, estimator, param):
        """The fit keyword carrying ``y_partial`` to ``estimator``, or {} (PyOD's rule)."""
        if y_partial is None:
            return {}
        name = type(estimator).__name__
        if isinstance(estimator, Pipeline):
            name = f"{name} ending in {type(estimator.steps[-1][1]).__name__}"
        if not _uses_anomaly_labels(estimator):
            reason = (
                f"{name} does not use anomaly labels (an unsupervised detector): the "
                "labeled anomalies in y are ignored, as PyOD's unsupervised detectors "
                "ignore y. Wrap a semi-supervised detector (e.g. AESAD) to train on "
                "them, or fit on X[y == 0] to leave them out."
            )
        elif param is None:
            reason = (
                f"{name} cannot take labels (its fit has no y_partial parameter): the "
                "labeled anomalies in y are ignored."
            )
        else:
            return {param: y_partial}
        if np.any(y_partial == LABEL_ANOMALY):
            warnings.warn(reason, LabelsIgnoredWarning, stacklevel=3)
        return {}

    def _anomaly_scores(self, X):
        return -np.asarray(self.estimator_.score_samples(X), dtype=np.float64).ravel()

    def decision_function(self, X):
        """Anomaly score of each sample (PyOD convention: higher = more abnormal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        anomaly_scores : ndarray of shape (n_samples,)
            ``-estimator_.score_samples(X)``.
        """
        check_is_fitted(self, ["estimator_", "decision_scores_"])
        return self._anomaly_scores(X)


def _allowed_names():
    import skrobustad

    public = sorted(
        n
        for n in getattr(skrobustad, "__all__", ())
        if not n.startswith("_")
        and inspect.isclass(getattr(skrobustad, n, None))
        and not inspect.isabstract(getattr(skrobustad, n))
    )
    return (
        f"a public skrobustad estimator name ({', '.join(public)}) or the dotted path "
        "of an outlier-detector class in one of the modules "
        f"{', '.join(ESTIMATOR_MODULES)} (or a public submodule), e.g. "
        "'sklearn.ensemble.IsolationForest'"
    )


def _refuse(name, why):
    return ValueError(
        f"make_pyod_adapter cannot resolve the estimator {name!r}: {why}. It resolves "
        f"{_allowed_names()}; nothing else is imported or called."
    )


def _in_modules(module_path, modules):
    return any(module_path == m or module_path.startswith(m + ".") for m in modules)


def _resolve_estimator_class(name):
    """An estimator name from JSON -> an allowed outlier-detector class.

    Knowledge-base files are data, so the name is resolved only to a class
    (never a function, module or other attribute) that is a
    :class:`~sklearn.base.BaseEstimator` defined in skrobustad or
    scikit-learn, is not abstract, is not already a PyOD detector, and has
    ``fit`` plus ``score_samples`` (or ``adapt``); a dotted name must point
    into :data:`ESTIMATOR_MODULES` through public names. The module is
    checked before it is imported, the class before it is called.
    """
    if not isinstance(name, str) or _DOTTED_NAME.fullmatch(name) is None:
        raise _refuse(name, "it is not a (dotted) Python name")
    if "." in name:
        module_path, _, attr = name.rpartition(".")
        if not _in_modules(module_path, ESTIMATOR_MODULES):
            raise _refuse(name, f"the module {module_path!r} is not allowed")
        if any(part.startswith("_") for part in name.split(".")):
            raise _refuse(name, "it has a private component (use the public import path)")
        try:
            obj = getattr(importlib.import_module(module_path), attr)
        except (ImportError, AttributeError) as exc:
            raise _refuse(name, f"it cannot be imported ({exc})") from exc
    else:
        import skrobustad

        if name.startswith("_") or name not in getattr(skrobustad, "__all__", ()):
            raise _refuse(name, "it is not a public skrobustad estimator")
        obj = getattr(skrobustad, name)

    if not inspect.isclass(obj):
        raise _refuse(name, f"it is a {type(obj).__name__}, not an estimator class")
    if not issubclass(obj, BaseEstimator) or not _in_modules(
        obj.__module__, _ESTIMATOR_PACKAGES
    ):
        raise _refuse(
            name, "it is not a scikit-learn estimator class of skrobustad or scikit-learn"
        )
    if issubclass(obj, BaseDetector):
        raise _refuse(
            name,
            "it is already a PyOD detector (name it by its own class_path in the "
            "knowledge base)",
        )
    if inspect.isabstract(obj):
        raise _refuse(name, "it is an abstract base class")
    if not hasattr(obj, "fit") or not (
        hasattr(obj, "score_samples") or hasattr(obj, "adapt")
    ):
        raise _refuse(
            name,
            "it is not an outlier detector: it has no fit and score_samples (higher = "
            "more normal), nor adapt",
        )
    return obj


def make_pyod_adapter(estimator, *, contamination=0.1, **params):
    """Build a :class:`PyODAdapter` from JSON-friendly arguments.

    PyOD's ``ADEngine`` constructs a detector as ``cls(**params)`` from the
    ``class_path`` and ``params`` of its knowledge base, which are JSON. Point
    ``class_path`` at ``"skrobustad.pyod.make_pyod_adapter"`` and give
    ``{"estimator": "AutoEncoder", "hidden_dims": [64, 32], ...}`` as params
    to let the engine build and run a skrobustad detector.

    The estimator name comes from a data file, so it is resolved to an
    estimator class of an allow-list only, never to an arbitrary callable:

    * a public skrobustad estimator name (``"AutoEncoder"``, ``"AESAD"``,
      ``"IAD"``, ... from ``skrobustad.__all__``), or
    * the public dotted path of a class in :data:`ESTIMATOR_MODULES`
      (``skrobustad`` and its public submodules; scikit-learn's
      ``sklearn.covariance``, ``sklearn.decomposition``, ``sklearn.ensemble``,
      ``sklearn.linear_model``, ``sklearn.mixture``, ``sklearn.neighbors``,
      ``sklearn.svm``), e.g. ``"sklearn.ensemble.IsolationForest"``.

    The module is checked before it is imported. The resolved object must be
    a class: a :class:`~sklearn.base.BaseEstimator` subclass defined in
    skrobustad or scikit-learn, not abstract, not already a PyOD
    :class:`~pyod.models.base.BaseDetector` (PyOD's own detectors need no
    adapter), with ``fit`` and ``score_samples`` (or ``adapt``). Anything
    else (``"os.system"``, ``"builtins.eval"``, a function or a non-detector
    class of an allowed module, a private path, a missing name) raises a
    ``ValueError`` naming the string, and nothing is called.

    Parameters
    ----------
    estimator : str or estimator instance
        A public skrobustad estimator name, an allowed dotted path of an
        estimator class (see above), or an estimator instance.
    contamination : float in (0, 0.5] or PyThresh object, default=0.1
        PyOD's contamination of the adapter (sets ``threshold_``).
    **params : dict
        Parameters of the estimator (for an instance: set on a clone with
        ``set_params``). JSON lists stay lists; skrobustad estimators accept
        them where they take tuples (e.g. ``hidden_dims``).

    Returns
    -------
    adapter : PyODAdapter
        Unfitted adapter around the new estimator.

    Raises
    ------
    ValueError
        If ``estimator`` is a string that does not name an allowed estimator
        class.

    Examples
    --------
    >>> from skrobustad.pyod import make_pyod_adapter
    >>> adapter = make_pyod_adapter("AutoEncoder", hidden_dims=[8, 2], device="cpu")
    >>> adapter.estimator
    AutoEncoder(device='cpu', hidden_dims=[8, 2])
    """
    if isinstance(estimator, str):
        est = _resolve_estimator_class(estimator)(**params)
    else:
        est = clone(estimator).set_params(**params)
    return PyODAdapter(est, contamination=contamination)
