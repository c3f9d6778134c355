"""Meta-learned detectors: MetaRAE, its adapted detectors and task-level model selection.

- :class:`MetaRAE` meta-trains on source tasks (lists of arrays with partial
  labels) and :meth:`MetaRAE.adapt` returns an :class:`AdaptedMetaRAE` bound
  to a new task's unlabeled support set;
- :class:`TaskKFold` and :func:`task_auroc` let scikit-learn's
  ``GridSearchCV`` tune MetaRAE over tasks;
- :func:`check_tasks` validates a list of tasks and their labels.
"""

from ._metarae import AdaptedMetaRAE, MetaRAE, check_tasks
from ._selection import TaskKFold, task_auroc, task_auroc_scorer

__all__ = ["AdaptedMetaRAE", "MetaRAE", "TaskKFold", "check_tasks", "task_auroc",
           "task_auroc_scorer"]
