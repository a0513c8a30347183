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

import numpy as np
import pandas as pd

from kwk.errors import DataError, SpecError
from kwk.prep.prepare import OnDisk, Prepared
from kwk.prep.preprocess import Preprocessor, to_number
from kwk.prep.stats import RESERVOIR, StateBuilder

SPLITS = ("train", "validation", "test")


def split_roles(n: int, chunk_index: int, seed: int, validation_fraction: float,
                test_fraction: float) -> np.ndarray:
    """0 (train), 1 (validation) or 2 (test) per row of one chunk: a seeded draw per chunk,
    identical on every pass."""
    u = np.random.default_rng([seed, chunk_index]).random(n)
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


def plan(reader, spec: dict) -> Prepared:
    """Resolve the spec against the first chunk of ``reader`` (a
    :class:`kwk.data.chunks.ChunkReader`: column kinds, task, features), then compute every
    preprocessing statistic over the training rows of the whole file in one pass."""
    from kwk.spec import check_stack, resolve
    _refuse_unsupported(spec)
    spec, notes = resolve(spec, reader.first_chunk())
    d, tr = spec["data"], spec["training"]
    if tr["validation"] != "holdout" or tr["repeats"] > 1:
        raise SpecError("Streaming supports training.validation 'holdout' with one seed.",
                        "Set training.validation to 'holdout' and training.repeats to 1.")
    notes.append(f"Streamed in chunks of {reader.chunk_rows:,} rows: column kinds and the task "
                 "were read from the first chunk; statistics come from one pass over every "
                 "training row.")
    stats = StateBuilder(spec, sample_seed=tr["seed"])
    counts = dict.fromkeys(SPLITS, 0)
    simple: list[pd.DataFrame] = []
    n_simple = 0
    for i, chunk in enumerate(reader.chunks()):
        missing = [c for c in [*d["features"], d["target"]] if c not in chunk.columns]
        if missing:
            raise DataError(f"Chunk {i + 1} of {reader.name} lacks the column(s) "
                            f"{', '.join(missing[:5])}.", "Every part of the file needs the same columns.")
        chunk = chunk[target_rows(chunk, d["target"], d["task"])]
        roles = split_roles(len(chunk), i, tr["seed"], tr["validation_fraction"], tr["test_fraction"])
        for r, k in enumerate(SPLITS):
            counts[k] += int((roles == r).sum())
        train = chunk[roles == 0]
        if n_simple < RESERVOIR and len(train):  # the first training rows, for the simple model
            simple.append(train.iloc[: RESERVOIR - n_simple])
            n_simple += len(simple[-1])
        stats.add(train)
    for k, n in counts.items():
        if n == 0:
            raise DataError(f"The {k} split is empty after one pass over {reader.name}.",
                            "Use more rows, or larger validation and test fractions.")
    pre = Preprocessor(stats.state())
    if d["task"] != "regression" and len(pre.classes) < 2:
        raise DataError("The training rows hold a single class.", "Use a target whose classes vary.")
    if not stats.exact_medians:
        notes.append(f"Missing numbers are filled with medians estimated from a random sample of "
                     f"{RESERVOIR:,} training values per column; means and spreads are exact.")
    shapes = check_stack(spec, len(pre.input_names), max(len(pre.classes), 1))
    disk = OnDisk(reader=reader, class_counts=stats.class_counts,
                  sample_rows=pd.concat(simple) if simple else None)
    return Prepared(spec=spec, notes=notes, pre=pre, counts=counts, shapes=shapes, disk=disk)
