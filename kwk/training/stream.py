"""Streamed training: a file larger than memory trains through the core
(:func:`kwk.training.core.train_once`) with :class:`StreamFeeder`, which feeds ``model.fit``
from ``tf.data`` pipelines that read and encode one chunk at a time, and scores the test split
chunk by chunk.

Memory stays bounded by about two chunks (the raw chunk and its encoded matrix) plus the model,
whatever the file's size. The plan (:func:`kwk.prep.streamed.plan`) and the chunked reading
(:class:`kwk.data.chunks.ChunkReader`) are re-exported here.
"""
from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

from kwk.data.chunks import DEFAULT_CHUNK_ROWS, PROFILE_SAMPLE, ChunkReader, profile_streamed
from kwk.prep.prepare import Prepared
from kwk.prep.sampling import Reservoir
from kwk.prep.stats import RESERVOIR
from kwk.prep.streamed import plan, split_roles, target_rows

__all__ = ["DEFAULT_CHUNK_ROWS", "PROFILE_SAMPLE", "RESERVOIR", "EVAL_ROWS", "ChunkReader",
           "StreamFeeder", "batches", "dataset", "eval_rows", "plan", "profile_streamed",
           "score_test", "split_roles", "train_streamed"]

EVAL_ROWS = 200_000  # test rows kept (a random sample) for metrics, intervals and charts


def eval_rows() -> int:
    """How many test rows a streamed run keeps for its metrics ($KWK_STREAM_EVAL_ROWS)."""
    try:
        return max(1000, int(os.environ.get("KWK_STREAM_EVAL_ROWS", EVAL_ROWS)))
    except ValueError:
        return EVAL_ROWS


def batches(p: Prepared, role: int, batch_size: int, shuffle_seed: int | None = None,
            with_rows: bool = False):
    """Yield encoded ``(X, y)`` batches of one split, one chunk at a time (shuffled within
    each chunk when ``shuffle_seed`` is given). With ``with_rows``: ``(X, y, row_numbers)``."""
    d, tr = p.spec["data"], p.spec["training"]
    reader = p.disk.reader
    starts = reader.file_starts() or [0] * len(reader.files)
    for f, i, chunk in reader.keyed_chunks():
        keep = target_rows(chunk, d["target"], d["task"])
        rows = starts[f] + i * reader.chunk_rows + np.flatnonzero(keep)  # place in the data
        chunk = chunk[keep]
        roles = split_roles(len(chunk), i, tr["seed"], tr["validation_fraction"],
                            tr["test_fraction"], f)
        part = chunk[roles == role]
        if not len(part):
            continue
        X = p.pre.transform(part)
        y = p.pre.encode_target(part[d["target"]])
        r = rows[roles == role]
        if d["task"] != "regression":
            ok = y >= 0  # a class never seen in training cannot be learned or scored
            X, y, r = X[ok], y[ok], r[ok]
        del part, chunk
        key = [shuffle_seed, i] if f == 0 else [shuffle_seed, f, i]
        order = np.random.default_rng(key).permutation(len(y)) \
            if shuffle_seed is not None else np.arange(len(y))
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            yield (X[idx], y[idx], r[idx]) if with_rows else (X[idx], y[idx])


def dataset(p: Prepared, role: int, batch_size: int, shuffle: bool):
    """A ``tf.data.Dataset`` over one split; re-reads the file on every epoch (a new shuffle
    each time)."""
    import tensorflow as tf
    epoch = {"n": 0}

    def gen():
        seed = p.spec["training"]["seed"] * 1000 + epoch["n"] if shuffle else None
        epoch["n"] += 1
        yield from batches(p, role, batch_size, seed)

    ydtype = tf.float32 if p.task == "regression" else tf.int64
    sig = (tf.TensorSpec((None, p.n_inputs), tf.float32), tf.TensorSpec((None,), ydtype))
    return tf.data.Dataset.from_generator(gen, output_signature=sig).prefetch(1)


class StreamFeeder:
    """Feeds a streamed :class:`Prepared` (rows on disk) to ``model.fit`` one chunk at a time,
    and scores its test split chunk by chunk beside the baseline and a simple model fitted on
    the first training rows."""
    note = ""

    def __init__(self, p: Prepared):
        self.batches = max(1, math.ceil(p.counts["train"] / p.spec["training"]["batch_size"]))

    def build(self, p: Prepared):
        from kwk.model.builder import build_model, compile_model
        model = build_model(p.spec, p.n_inputs, p.n_classes)
        compile_model(model, p.spec, self.batches)
        return model

    def fit(self, model, p: Prepared, callbacks: list, class_weight: dict | None) -> None:
        import warnings
        tr = p.spec["training"]
        with warnings.catch_warnings():  # generator datasets end without a known length: expected
            warnings.filterwarnings("ignore", message=".*ran out of data.*")
            model.fit(dataset(p, 0, tr["batch_size"], True),
                      validation_data=dataset(p, 1, 4096, False), epochs=tr["epochs"],
                      class_weight=class_weight, callbacks=callbacks, verbose=0, shuffle=False)

    def evaluate(self, model, p: Prepared, phase=None) -> tuple[dict, dict, Prepared]:
        return score_test(model, p, phase)


def score_test(model, p: Prepared, phase=None, keep=None, proba=None, combine=None):
    """Score the test split of a streamed plan chunk by chunk beside the baseline and a simple
    model fitted on the first training rows: ``(metrics, details, prepared)``.

    A seeded random sample of at most :func:`eval_rows` test rows is kept (``keep``, a
    :class:`Reservoir` fed aligned ``y``, ``out``, ``simple`` and ``rows``) for the metrics,
    intervals and charts. One worker of many passes ``proba(model, X, task)`` (a local
    prediction) and ``combine(keep) -> (sample dict, rows seen, sampled?)``, which merges the
    workers' samples."""
    from kwk.evaluation.metrics import fit_simple_model, metrics_for, model_proba
    phase = phase or (lambda text: None)
    proba = proba or model_proba
    phase("Fitting the comparison model")
    tr, task, classes = p.spec["training"], p.task, p.pre.classes
    s_rows = p.disk.sample_rows
    X_s = p.pre.transform(s_rows)
    y_s = p.pre.encode_target(s_rows[p.spec["data"]["target"]])
    if task == "regression":
        y_s = p.pre.decode_regression(y_s)
    predict_simple, name = fit_simple_model(task, X_s, y_s, p.n_classes, tr["seed"])
    # Test rows are scored chunk by chunk; a seeded random sample of at most eval_rows()
    # of them is kept for the metrics, intervals and charts, so memory does not grow.
    keep = keep if keep is not None else Reservoir(eval_rows(), [tr["seed"], 7])
    phase("Scoring the test rows")
    for X, y, r in batches(p, 2, 65_536, with_rows=True):
        out_b = proba(model, X, task)
        if task == "regression":
            y, out_b = p.pre.decode_regression(y), p.pre.decode_regression(out_b)
        keep.add(y=y, out=out_b, simple=predict_simple(X), rows=r)
    if combine is not None:
        sample, seen, sampled = combine(keep)
    else:
        sample = {c: keep.get(c) for c in ("y", "out", "simple", "rows")}
        seen, sampled = keep.seen, keep.full
    order = np.argsort(sample["rows"], kind="stable")  # in file order, as in memory
    y_te, out, simple, test_rows = (sample[c][order] for c in ("y", "out", "simple", "rows"))
    notes = list(p.notes)
    if sampled:
        notes.append(f"Test metrics are computed on a random sample of {len(y_te):,} of the "
                     f"{seen:,} test rows (enough for three-decimal accuracy).")
    if task == "regression":
        base = np.full(len(y_te), p.pre.state["target"]["mean"])
    else:
        freq = np.asarray(p.class_counts, float)
        base = np.tile(freq / freq.sum(), (len(y_te), 1))
    metrics = {"task": task, "n_test": int(len(y_te)), "n_test_total": int(seen),
               "test": metrics_for(task, y_te, out, classes),
               "baseline": {"name": "mean of training target" if task == "regression"
                            else "majority class", **metrics_for(task, y_te, base, classes)},
               "simple_model": {"name": f"{name} (fitted on the first {len(X_s):,} "
                                        "training rows)",
                                **metrics_for(task, y_te, simple, classes)},
               "streamed": {"chunk_rows": p.disk.reader.chunk_rows, "rows": p.counts}}
    details = {"y": y_te, "out": out, "baseline_out": base, "simple_out": simple,
               "classes": classes}
    return metrics, details, dataclasses.replace(p, notes=notes, rows={"test": test_rows})
