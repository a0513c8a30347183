"""Reservoir sampling: a uniform random sample of at most ``size`` items of a stream that
arrives batch by batch, in memory bounded by the sample (algorithm R, vectorised per batch).

One implementation serves every streamed pass: the medians of a streamed plan (values of one
column), the test rows a streamed run keeps for its metrics (aligned arrays) and the sample
rows of a streamed profile (DataFrame rows).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


class Reservoir:
    """A seeded uniform sample of at most ``size`` items.

    An item is a row of a NumPy array, a row of a DataFrame, or one aligned row of several
    arrays given as a dict (``add(y=..., out=...)``: the arrays stay aligned). The first
    ``size`` items are kept as they come; item number ``i`` (1-based) after that replaces a
    random slot with probability ``size / i``. With repeated slots in one batch the later item
    wins, as in the one-at-a-time algorithm.
    """

    def __init__(self, size: int, seed=0):
        self.size = int(size)
        self.seen = 0  # items offered so far
        self.rng = np.random.default_rng(seed)
        self._parts: list = []  # batches kept while the sample is filling
        self._full = None       # the sample once it holds ``size`` items

    def add(self, batch=None, **arrays) -> None:
        """Offer a batch: an array, a DataFrame, or aligned arrays as keyword arguments."""
        batch = arrays if batch is None else batch
        n = _length(batch)
        if self._full is None:
            take = min(self.size - self.seen, n)
            self._parts.append(_rows(batch, slice(0, take)))
            self.seen += take
            if self.seen == self.size:
                self._full, self._parts = _concat(self._parts), []
            batch, n = _rows(batch, slice(take, None)), n - take
        if n and self._full is not None:
            position = self.seen + np.arange(1, n + 1)
            slot = (self.rng.random(n) * position).astype(np.int64)
            hit = slot < self.size
            if hit.any():
                _put(self._full, slot[hit], _rows(batch, hit))
            self.seen += n

    @property
    def sample(self):
        """The sample (same type as the batches), or None before anything was offered."""
        if self._full is not None:
            return self._full
        return _concat(self._parts) if self._parts else None

    def get(self, key: str) -> np.ndarray:
        """One array of a sample fed as aligned arrays (empty before anything was offered)."""
        s = self.sample
        return np.empty(0) if s is None else s[key]

    @property
    def full(self) -> bool:
        """True once more items were offered than the sample holds (the sample is a sample)."""
        return self.seen > self.size


def _length(batch) -> int:
    return len(next(iter(batch.values()))) if isinstance(batch, dict) else len(batch)


def _rows(batch, which):
    if isinstance(batch, dict):
        return {k: _rows(v, which) for k, v in batch.items()}
    if isinstance(batch, pd.DataFrame):
        return batch.iloc[which]
    return np.asarray(batch)[which]


def _concat(parts: list):
    if isinstance(parts[0], dict):
        return {k: _concat([p[k] for p in parts]) for k in parts[0]}
    if isinstance(parts[0], pd.DataFrame):
        return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return np.concatenate(parts)


def _put(dest, slots: np.ndarray, src) -> None:
    if isinstance(dest, dict):
        for k in dest:
            _put(dest[k], slots, src[k])
    elif isinstance(dest, pd.DataFrame):
        dest.iloc[slots] = src.to_numpy()
    else:
        dest[slots] = src
