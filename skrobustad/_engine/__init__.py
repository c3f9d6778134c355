"""The one training engine of skrobustad.

Every estimator trains its torch module through :func:`train_module`, which
builds a private :class:`skorch.NeuralNet` for the duration of one fit. Methods
plug in a per-sample loss (``loss_fn``) or, for methods whose optimisation
step is not "forward, loss, backward" (ELITE's look-ahead, MetaRAE's
episodes), a whole step (``step_fn``); they never write a loop of their own.
"""

from ._data import BalancedBatchIterator, BatchData, BatchIterator, n_batches
from ._train import map_chunks, predict_batches, seeded, train_module

__all__ = [
    "BalancedBatchIterator", "BatchData", "BatchIterator", "map_chunks", "n_batches",
    "predict_batches", "seeded", "train_module",
]
