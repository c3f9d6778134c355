"""Task-level model selection: a CV splitter over tasks and a task scorer.

``GridSearchCV(MetaRAE(), grid, cv=TaskKFold(3), scoring=task_auroc_scorer)``
tunes the meta-hyperparameters over tasks: ``fit(tasks, labels)`` passes the
list of tasks as ``X`` and their partial labels as ``y`` (a list of arrays,
indexed like ``X``); each split meta-trains on some tasks, and the scorer
adapts the model to each held-out task's *unlabeled* part and computes the
AUROC of its *labeled* part.
"""

import warnings

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold

from ..utils._validation import LABEL_ANOMALY, LABEL_UNLABELED
from ._metarae import check_tasks


class TaskKFold(KFold):
    """K-fold cross-validation over *tasks*: each fold holds out whole tasks.

    The samples the splitter sees are tasks (the entries of the list given as
    ``X``), so no task is ever split between meta-training and evaluation.
    Parameters and behaviour are :class:`~sklearn.model_selection.KFold`'s.

    Parameters
    ----------
    n_splits : int, default=5
    shuffle : bool, default=True
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from skrobustad.meta import TaskKFold
    >>> tasks = [np.zeros((5, 2))] * 4
    >>> [test.tolist() for _, test in TaskKFold(2, shuffle=False).split(tasks)]
    [[0, 1], [2, 3]]
    """

    def __init__(self, n_splits=5, *, shuffle=True, random_state=None):
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)


def task_auroc(estimator, X_tasks, y_tasks):
    """Mean AUROC over tasks, each adapted on its unlabeled part.

    For every task, ``estimator.adapt`` gets the rows labeled -1 (the
    support set) and the AUROC is computed on the rows labeled 0 / 1 (1 =
    anomaly), with ``-score_samples`` as the anomaly score. Tasks whose
    labeled rows lack a class are skipped (with a warning when every task
    is). Usable as ``scoring=`` of scikit-learn's model selection.

    Parameters
    ----------
    estimator : MetaRAE
        Meta-trained.
    X_tasks : list of array-like
    y_tasks : list of array-like
        Partial labels (1, 0, -1) of each task.

    Returns
    -------
    score : float
        Mean AUROC (NaN when no task can be scored).
    """
    tasks = check_tasks(X_tasks, y_tasks, name="X_tasks", require_labels=False)
    aucs = []
    for X, y in tasks:
        support = y == LABEL_UNLABELED
        labeled = ~support
        if not np.any(support) or len(np.unique(y[labeled])) < 2:
            continue
        detector = estimator.adapt(X[support])
        aucs.append(roc_auc_score(y[labeled] == LABEL_ANOMALY,
                                  -detector.score_samples(X[labeled])))
    if not aucs:
        warnings.warn("No task has an unlabeled support set and both labeled classes: "
                      "the task AUROC is undefined.", UserWarning, stacklevel=2)
        return float("nan")
    return float(np.mean(aucs))


#: ``scoring=`` for scikit-learn's model selection (see :func:`task_auroc`).
task_auroc_scorer = task_auroc
