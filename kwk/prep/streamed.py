"""Preparation of a file larger than memory: :func:`plan` resolves the spec against the first
chunk and fits the preprocessing over the training rows of the whole file in one streamed
pass, giving a :class:`kwk.prep.prepare.Prepared` whose rows stay on disk.

The preprocessing state is built by the same :class:`kwk.prep.stats.StateBuilder` as in memory
(medians come from a bounded reservoir sample of the training rows, and the notes say so), so
the saved bundle predicts exactly like an in-memory run's. Rows are assigned to train /
validation / test by a seeded draw per chunk (:func:`split_roles`), so every pass over the file
(statistics, each epoch, test) sees the same split.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kwk.data.sampling import Reservoir
from kwk.errors import DataError, SpecError
from kwk.prep.prepare import OnDisk, Prepared
from kwk.prep.preprocess import Preprocessor, to_number
from kwk.prep.stats import RESERVOIR, Labels, StateBuilder, StreamedNumbers

SPLITS = ("train", "validation", "test")


def split_roles(n: int, chunk_index: int, seed: int, validation_fraction: float,
                test_fraction: float, file_index: int = 0) -> np.ndarray:
    """0 (train), 1 (validation) or 2 (test) per row of one chunk: a seeded draw per chunk,
    keyed by the chunk's place in the data (file number and chunk number in that file), so it
    is identical on every pass and whichever worker reads the chunk."""
    key = [seed, chunk_index] if file_index == 0 else [seed, file_index, chunk_index]
    u = np.random.default_rng(key).random(n)
    return np.where(u < test_fraction, 2, np.where(u < test_fraction + validation_fraction, 1, 0))


def target_rows(chunk: pd.DataFrame, target: str, task: str) -> np.ndarray:
    """Boolean mask of the rows with a usable target value (a number, for regression)."""
    keep = chunk[target].notna()
    if task == "regression":
        keep &= to_number(chunk[target]).notna()
    return keep.to_numpy()


def _refuse_unsupported(spec: dict) -> None:
    from kwk.spec import normalize
    data = normalize(spec)["data"]  # the kind of data is in the spec: refuse before reading
    for key in ("sequence", "text", "image_shape"):
        if data.get(key):
            raise SpecError(f"Streaming trains tables; data.{key} is not supported with --stream.",
                            "Train this kind of data in memory (without --stream).")


@dataclass
class Partial:
    """One worker's pass over its share of the data: the statistics of its training rows, its
    rows per split, its first training rows (with their place in the data, for the simple
    model) and the rows of each file it read (CSV files have no row count in a footer)."""
    stats: StateBuilder
    counts: dict
    first: pd.DataFrame | None
    first_keys: np.ndarray  # (rows, 3): file, chunk, row in the chunk
    file_rows: dict


def partial_pass(reader, spec: dict) -> Partial:
    """Statistics and counts over the training rows ``reader`` reads (a whole file, or one
    worker's share of it, see :meth:`kwk.data.chunks.ChunkReader.shard`)."""
    d, tr = spec["data"], spec["training"]
    stats = StateBuilder(spec, sample_seed=tr["seed"])
    counts = dict.fromkeys(SPLITS, 0)
    first: list[pd.DataFrame] = []
    keys: list[np.ndarray] = []
    n_first = 0
    used = list(dict.fromkeys([*d["features"], d["target"]]))  # the columns the model reads
    file_rows: dict[int, int] = {}
    for f, c, chunk in reader.keyed_chunks():
        file_rows[f] = file_rows.get(f, 0) + len(chunk)
        missing = [col for col in [*d["features"], d["target"]] if col not in chunk.columns]
        if missing:
            raise DataError(f"Chunk {c + 1} of {reader.files[f].name} lacks the column(s) "
                            f"{', '.join(missing[:5])}.",
                            "Every part of the data needs the same columns.")
        chunk = chunk[target_rows(chunk, d["target"], d["task"])]
        roles = split_roles(len(chunk), c, tr["seed"], tr["validation_fraction"],
                            tr["test_fraction"], f)
        for r, k in enumerate(SPLITS):
            counts[k] += int((roles == r).sum())
        train = chunk[roles == 0]
        if n_first < RESERVOIR and len(train):  # the first training rows, for the simple model
            first.append(train[used].iloc[: RESERVOIR - n_first])
            at = np.flatnonzero(roles == 0)[: len(first[-1])]
            keys.append(np.column_stack([np.full(len(at), f), np.full(len(at), c), at]))
            n_first += len(first[-1])
        stats.add(train)
    return Partial(stats=stats, counts=counts, first=pd.concat(first) if first else None,
                   first_keys=np.concatenate(keys) if keys else np.empty((0, 3), np.int64),
                   file_rows=file_rows)


def merge_reservoirs(parts: list[Reservoir], seed) -> Reservoir:
    """One uniform sample of the union of several reservoirs' streams: every value when they
    saw no more than the sample holds, otherwise a seeded draw taking from each reservoir in
    proportion to what it saw (a multivariate hypergeometric split of the sample)."""
    size = parts[0].size
    out = Reservoir(size, seed)
    seen = [r.seen for r in parts]
    if sum(seen) <= size:
        for r in parts:
            if r.sample is not None:
                out.add(r.sample)
        return out
    rng = np.random.default_rng(seed)
    take = rng.multivariate_hypergeometric(seen, size)
    picks = [r.sample[rng.choice(len(r.sample), k, replace=False)]
             for r, k in zip(parts, take) if k]
    out._full, out._parts, out.seen = np.concatenate(picks), [], sum(seen)
    return out


def _merge_acc(accs: list, seed):
    """One accumulator of :class:`kwk.prep.stats.StateBuilder` from the workers' ones:
    counts, sums and sums of squares add (so means and spreads are exact, as Chan's parallel
    formula combines them), label counts add, median samples merge."""
    a0 = accs[0]
    if isinstance(a0, dict):
        return {k: _merge_acc([a[k] for a in accs], seed) for k in a0}
    if isinstance(a0, Labels):
        out = Labels()
        for a in accs:
            out.counts.update(a.counts)
        return out
    if isinstance(a0, StreamedNumbers):
        out = StreamedNumbers(seed, a0.reservoir.size)
        for k in ("count", "missing", "total", "squares"):
            setattr(out, k, sum(getattr(a, k) for a in accs))
        out.reservoir = merge_reservoirs([a.reservoir for a in accs], seed)
        return out
    return a0  # None: a text column (not streamed)


def merge_partials(parts: list[Partial], spec: dict) -> Partial:
    """The workers' partial passes combined into the pass over all the data."""
    if len(parts) == 1:
        return parts[0]
    seed = spec["training"]["seed"]
    stats = StateBuilder(spec, sample_seed=seed)
    stats.columns = {c: _merge_acc([p.stats.columns[c] for p in parts], seed)
                     for c in stats.columns}
    stats.target = _merge_acc([p.stats.target for p in parts], seed)
    counts = {k: sum(p.counts[k] for p in parts) for k in SPLITS}
    firsts = [p for p in parts if p.first is not None]
    first, keys = None, np.empty((0, 3), np.int64)
    if firsts:  # the first training rows of all the data, in its order
        keys = np.concatenate([p.first_keys for p in firsts])
        order = np.lexsort(keys.T[::-1])[:RESERVOIR]
        first = pd.concat([p.first for p in firsts]).iloc[order]
        keys = keys[order]
    file_rows: dict[int, int] = {}
    for p in parts:
        for f, n in p.file_rows.items():
            file_rows[f] = file_rows.get(f, 0) + n
    return Partial(stats=stats, counts=counts, first=first, first_keys=keys, file_rows=file_rows)


def _share(mine: Partial, exchange) -> list[Partial]:
    """Every worker's partial pass, in two exchanges: first without the first training rows
    (their places in the data only), then only those of one's rows that are among the first
    :data:`RESERVOIR` training rows of all the data, so no worker ships more rows than needed."""
    rows, mine.first = mine.first, None
    parts = exchange(mine)
    keys = np.concatenate([p.first_keys for p in parts])
    owner = np.concatenate([np.full(len(p.first_keys), w) for w, p in enumerate(parts)])
    at = np.concatenate([np.arange(len(p.first_keys)) for p in parts])
    chosen = np.lexsort(keys.T[::-1])[:RESERVOIR]
    masks = [np.zeros(len(p.first_keys), bool) for p in parts]
    for w, i in zip(owner[chosen], at[chosen]):
        masks[w][i] = True
    me = _index_of(parts, mine)
    got = exchange(rows.iloc[np.flatnonzero(masks[me])] if rows is not None else None)
    for p, m, r in zip(parts, masks, got):
        p.first_keys = p.first_keys[m]
        p.first = r if r is not None and len(r) else None
    return parts


def _index_of(parts: list[Partial], mine: Partial) -> int:
    """Which of the exchanged partials is this worker's (the same counts, keys and rows)."""
    for w, p in enumerate(parts):
        if p is mine:
            return w
    raise ValueError("the exchange did not return this worker's own partial pass")


def plan(reader, spec: dict, exchange=None) -> Prepared:
    """Resolve the spec against the first chunk of the data (column kinds, task, features),
    then compute every preprocessing statistic over the training rows of all of it in one
    pass.

    ``reader`` is a :class:`kwk.data.chunks.ChunkReader`, possibly one worker's share
    (:meth:`~kwk.data.chunks.ChunkReader.shard`). With several workers, ``exchange`` gives
    every worker all the workers' :class:`Partial` passes (in worker order), which are merged
    the same way everywhere, so every worker encodes identically; the prepared plan's
    ``extra["shard_counts"]`` lists each worker's rows per split."""
    from kwk.spec import check_stack, resolve
    _refuse_unsupported(spec)
    asked = (spec.get("training") or {}).get("class_weight", "auto")
    spec, notes = resolve(spec, reader.whole.first_chunk())
    d, tr = spec["data"], spec["training"]
    if tr["validation"] != "holdout" or tr["repeats"] > 1:
        raise SpecError("Streaming supports training.validation 'holdout' with one seed.",
                        "Set training.validation to 'holdout' and training.repeats to 1.")
    notes.append(f"Streamed in chunks of {reader.chunk_rows:,} rows: column kinds and the task "
                 "were read from the first chunk; statistics come from one pass over every "
                 "training row.")
    mine = partial_pass(reader, spec)
    parts = [mine] if exchange is None else _share(mine, exchange)
    whole = merge_partials(parts, spec)
    stats, counts = whole.stats, whole.counts
    if any(r is None for r in reader.file_rows):  # CSV: now counted
        rows = [whole.file_rows.get(f, 0) for f in range(len(reader.files))]
        reader.file_rows = reader.whole.file_rows = rows
    for k, n in counts.items():
        if n == 0:
            raise DataError(f"The {k} split is empty after one pass over {reader.name}.",
                            "Use more rows, or larger validation and test fractions.")
    if len(parts) > 1:
        empty = [i for i, p in enumerate(parts) if p.counts["train"] == 0]
        if empty:
            raise DataError(f"Worker(s) {', '.join(map(str, empty))} got no training rows of "
                            f"{reader.name}.", "Use fewer workers, smaller --chunk-rows, or "
                            "split the data into more files.")
        notes.append(f"Statistics were computed in one pass shared by {len(parts)} workers and "
                     "combined exactly (counts, sums and label counts add; median samples "
                     "merge).")
    pre = Preprocessor(stats.state())
    if d["task"] != "regression" and len(pre.classes) < 2:
        raise DataError("The training rows hold a single class.", "Use a target whose classes vary.")
    if not stats.exact_medians:
        notes.append(f"Missing numbers are filled with medians estimated from a random sample of "
                     f"{RESERVOIR:,} training values per column; means and spreads are exact.")
    if asked == "auto":  # class weights from every training row's class, not the first chunk's
        from kwk.spec.choices import class_weight_choice
        spec["training"]["class_weight"], note = class_weight_choice(
            "auto", dict(zip(pre.classes, stats.class_counts)), d["task"])
        notes[:] = [n for n in notes if not n.startswith("Rare class ")] + ([note] if note else [])
    shapes = check_stack(spec, len(pre.input_names), max(len(pre.classes), 1))
    disk = OnDisk(reader=reader, class_counts=stats.class_counts, sample_rows=whole.first)
    return Prepared(spec=spec, notes=notes, pre=pre, counts=counts, shapes=shapes, disk=disk,
                    extra={"shard_counts": [p.counts for p in parts]})
