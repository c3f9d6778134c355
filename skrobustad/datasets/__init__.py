"""Benchmark data: ADBench loaders, embedded anomaly tasks and protocol generators.

- :func:`load_adbench` / :func:`list_adbench` read ADBench's ``.npz`` files
  from the data home (:func:`get_data_home`).
- :func:`load_digits_anomaly`, :func:`load_breast_cancer_anomaly` and
  :func:`load_wine_anomaly` turn datasets scikit-learn ships into anomaly
  tasks; they need no file.
- :func:`make_contaminated_split` and :func:`mask_labels` build the
  unsupervised and semi-supervised protocols in one call each.

Nothing here touches the network unless a loader is asked to download.
"""

from ._adbench import (
    ADBENCH_CLASSICAL,
    ADBENCH_COLLECTIONS,
    ADBENCH_URL,
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
from ._generators import make_contaminated_split, mask_labels

__all__ = [
    "ADBENCH_CLASSICAL",
    "ADBENCH_COLLECTIONS",
    "ADBENCH_URL",
    "EMBEDDED_DATASETS",
    "get_data_home",
    "list_adbench",
    "load_adbench",
    "load_breast_cancer_anomaly",
    "load_digits_anomaly",
    "load_embedded",
    "load_wine_anomaly",
    "make_contaminated_split",
    "mask_labels",
]
