"""Benchmark data: ADBench loaders, embedded anomaly tasks and protocol generators.

- :func:`load_adbench` / :func:`list_adbench` / :func:`find_adbench` read
  and find ADBench's ``.npz`` files in the data home (:func:`get_data_home`).
- :func:`load_digits_anomaly`, :func:`load_breast_cancer_anomaly` and
  :func:`load_wine_anomaly` turn datasets scikit-learn ships into anomaly
  tasks; they need no file.
- :func:`make_contaminated_split`, :func:`mask_labels`,
  :func:`make_contaminated_sample` and :func:`make_contamination_levels`
  build the benchmark's protocols (unsupervised, semi-supervised,
  transductive, contamination levels) in one call each;
  :func:`make_labeled_anomaly_split` and :func:`make_polluted_split` the
  AE-SAD paper's.
- :func:`make_rotated_digits_tasks` and :func:`load_mvtec_tasks` build
  meta-learning tasks (source, validation and target episodes) for
  :class:`~skrobustad.MetaRAE`.

Nothing here touches the network unless a loader is asked to download.
"""

from ._adbench import (
    ADBENCH_CLASSICAL,
    ADBENCH_COLLECTIONS,
    ADBENCH_URL,
    adbench_short_name,
    find_adbench,
    list_adbench,
    load_adbench,
)
from ._base import get_data_home
from ._embedded import (
    EMBEDDED_DATASETS,
    load_breast_cancer_anomaly,
    load_digits_anomaly,
    load_embedded,
    load_wine_anomaly,
)
from ._generators import (
    make_contaminated_sample,
    make_contaminated_split,
    make_contamination_levels,
    make_labeled_anomaly_split,
    make_polluted_split,
    mask_labels,
)
from ._meta_tasks import load_mvtec_tasks, make_rotated_digits_tasks

__all__ = [
    "ADBENCH_CLASSICAL",
    "ADBENCH_COLLECTIONS",
    "ADBENCH_URL",
    "EMBEDDED_DATASETS",
    "adbench_short_name",
    "find_adbench",
    "get_data_home",
    "list_adbench",
    "load_adbench",
    "load_breast_cancer_anomaly",
    "load_digits_anomaly",
    "load_embedded",
    "load_mvtec_tasks",
    "load_wine_anomaly",
    "make_contaminated_sample",
    "make_contaminated_split",
    "make_contamination_levels",
    "make_labeled_anomaly_split",
    "make_polluted_split",
    "make_rotated_digits_tasks",
    "mask_labels",
]
