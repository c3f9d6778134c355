"""Tensor storage and a batch-slicing iterator for the engine.

skorch's default data path indexes a ``Dataset`` sample by sample and
collates; on small tabular data that costs more than the training itself.
Here the whole training set lives in a few tensors and a batch is a slice
(or a gather through a permutation), which keeps the engine's overhead small.
"""

import torch


class BatchData:
    """Named tensors of equal length, moved to the device once.

    Parameters
    ----------
    tensors : dict of str -> torch.Tensor
        Every tensor's first dimension is the sample dimension.
    """

    def __init__(self, tensors):
        lengths = {len(t) for t in tensors.values()}
        if len(lengths) != 1:
            raise ValueError("All tensors of a BatchData must have the same length.")
        self.tensors = dict(tensors)
        self._length = lengths.pop()

    def __len__(self):
        return self._length

    def subset(self, index):
        """Return a new :class:`BatchData` with the rows in ``index``."""
        return BatchData({k: v[index] for k, v in self.tensors.items()})

    def to(self, device):
        """Return a copy whose tensors live on ``device``."""
        return BatchData({k: v.to(device) for k, v in self.tensors.items()})


def n_batches(n_samples, batch_size, drop_last=False):
    """Batches one epoch of :class:`BatchIterator` yields over ``n_samples`` rows."""
    if drop_last and n_samples >= batch_size:
        return n_samples // batch_size
    return -(-n_samples // batch_size)


class StepBudget:
    """A number of gradient steps shared by the epochs of one fit."""

    def __init__(self, steps):
        self.remaining = int(steps)

    def take(self, n_batches):
        """Claim up to ``n_batches`` steps for one epoch; return how many."""
        n = min(n_batches, self.remaining)
        self.remaining -= n
        return n


class BatchIterator:
    """Iterate over a :class:`BatchData` in mini-batches of tensor slices.

    Used as skorch's ``iterator_train`` / ``iterator_valid``. Each batch is a
    ``(dict_of_tensors, None)`` pair, the form skorch unpacks into ``Xi, yi``.

    Parameters
    ----------
    dataset : BatchData
    batch_size : int
    shuffle : bool, default=False
        Draw a fresh permutation every epoch from ``generator``.
    generator : torch.Generator or None
        The only source of randomness of the data order.
    drop_last : bool, default=False
        Drop a final batch smaller than ``batch_size`` (it is always kept
        when it would be the only batch).
    step_budget : StepBudget or None, default=None
        Shared across the epochs of one fit: iteration stops once the
        budget's steps are used up (the last epoch may be partial).
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None, drop_last=False,
                 step_budget=None):
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.generator = generator
        self.drop_last = drop_last
        self.step_budget = step_budget

    def __len__(self):
        return n_batches(len(self.dataset), self.batch_size, self.drop_last)

    def __iter__(self):
        tensors = self.dataset.tensors
        n = len(self.dataset)
        order = None
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
            device = next(iter(tensors.values())).device
            order = order.to(device)
        n_batches = len(self)
        if self.step_budget is not None:
            n_batches = self.step_budget.take(n_batches)
        for b in range(n_batches):
            start = b * self.batch_size
            stop = min(start + self.batch_size, n)
            if order is None:
                yield {k: v[start:stop] for k, v in tensors.items()}, None
            else:
                idx = order[start:stop]
                yield {k: v.index_select(0, idx) for k, v in tensors.items()}, None


class BalancedBatchIterator(BatchIterator):
    """Batches with equal numbers of normal and outlier-exposure rows.

    The rows whose ``"y"`` equals ``positive`` (``1``: the labeled anomalies
    or an outlier-exposure corpus) form one pool, every other row the other.
    Each batch holds ``batch_size // 2`` rows of the other pool (at least
    one) and as many exposure rows. An epoch is one pass over the other
    pool, in a fresh order; the exposure rows of an epoch are drawn without
    replacement from a fresh permutation of their pool (a new permutation
    starts when it runs out, so a corpus smaller than the normal set repeats
    within an epoch; skorch builds a new iterator every epoch). Without rows
    in one of the pools it iterates as :class:`BatchIterator`.

    Parameters
    ----------
    dataset : BatchData
        Must hold ``"y"``.
    batch_size : int
    shuffle : bool, default=False
        Ignored: the pools are always drawn in a random order (from
        ``generator``); present for skorch's iterator interface.
    generator : torch.Generator or None
    drop_last : bool, default=False
        Drop a final batch with fewer normal rows than the others.
    step_budget : StepBudget or None, default=None
    positive : int, default=1
        The ``"y"`` code of the exposure rows.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None, drop_last=False,
                 step_budget=None, positive=1):
        super().__init__(dataset, batch_size, shuffle=shuffle, generator=generator,
                         drop_last=drop_last, step_budget=step_budget)
        y = dataset.tensors["y"]
        is_pos = (y == positive).cpu()
        self._pos = torch.nonzero(is_pos).flatten()
        self._neg = torch.nonzero(~is_pos).flatten()
        self._half = max(1, self.batch_size // 2)
        self._stream = None  # remaining exposure rows of the current permutation

    @property
    def balanced(self):
        """Whether both pools have rows (otherwise plain batches)."""
        return len(self._pos) > 0 and len(self._neg) > 0

    def __len__(self):
        if not self.balanced:
            return super().__len__()
        return n_batches(len(self._neg), self._half, self.drop_last)

    def _take_exposure(self, k):
        parts, needed = [], k
        while needed:
            if self._stream is None or len(self._stream) == 0:
                perm = torch.randperm(len(self._pos), generator=self.generator)
                self._stream = self._pos[perm]
            parts.append(self._stream[:needed])
            self._stream = self._stream[needed:]
            needed -= len(parts[-1])
        return torch.cat(parts)

    def __iter__(self):
        if not self.balanced:
            yield from super().__iter__()
            return
        tensors = self.dataset.tensors
        device = next(iter(tensors.values())).device
        neg = self._neg[torch.randperm(len(self._neg), generator=self.generator)]
        n_batches_ = len(self)
        if self.step_budget is not None:
            n_batches_ = self.step_budget.take(n_batches_)
        for b in range(n_batches_):
            normal = neg[b * self._half:(b + 1) * self._half]
            idx = torch.cat([normal, self._take_exposure(len(normal))]).to(device)
            yield {k: v.index_select(0, idx) for k, v in tensors.items()}, None
