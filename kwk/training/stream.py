"""Data larger than memory: read CSV or Parquet in chunks, compute the preprocessing statistics
in one streaming pass, and train from ``tf.data`` pipelines that encode one chunk at a time.

Memory stays bounded by about two chunks (the raw chunk and its encoded matrix) plus the model,
whatever the file's size. The same :class:`kwk.prep.preprocess.Preprocessor` state is produced as in
memory (medians come from a bounded reservoir sample of the training rows, and say so), so the
saved bundle predicts exactly like an in-memory run's.

Rows are assigned to train / validation / test by a seeded draw per chunk, so every pass over
the file (statistics, each epoch, test) sees the same split.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kwk.data.loader import after_read, reader_options
from kwk.errors import DataError, SpecError, TrainError
from kwk.prep.preprocess import (
    DATE_PARTS,
    MAX_CATEGORIES,
    Preprocessor,
    as_labels,
    date_parts,
    to_number,
)

DEFAULT_CHUNK_ROWS = 100_000
RESERVOIR = 20_000  # values kept per numeric column for its median; rows for the simple model
PROFILE_SAMPLE = 100_000  # rows sampled for a streamed profile's kinds, quantiles, histograms
EVAL_ROWS = 200_000  # test rows kept (a random sample) for metrics, intervals and charts


def eval_rows() -> int:
    """How many test rows a streamed run keeps for its metrics ($KWK_STREAM_EVAL_ROWS)."""
    import os
    try:
        return max(1000, int(os.environ.get("KWK_STREAM_EVAL_ROWS", EVAL_ROWS)))
    except ValueError:
        return EVAL_ROWS


class ChunkReader:
    """A CSV or Parquet file read ``chunk_rows`` rows at a time (same chunks on every pass)."""

    def __init__(self, path, chunk_rows: int = DEFAULT_CHUNK_ROWS):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"{self.path} is not a file.", "Give the path of a CSV or Parquet file.")
        if chunk_rows < 100:
            raise DataError(f"--chunk-rows is {chunk_rows}; use at least 100 rows per chunk.")
        self.chunk_rows = int(chunk_rows)
        suffix = self.path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            self.fmt, self.read_options = "parquet", {}
        elif suffix in (".csv", ".tsv", ".txt"):
            self.fmt, self.read_options = "csv", self._sniff_csv()
        else:
            raise DataError(f"Streaming reads CSV or Parquet files, not '{suffix or self.path.name}'.",
                            "Convert the data to Parquet (best for large data) or CSV.")
        self.name = self.path.name
        self.n_bytes = self.path.stat().st_size

    def _sniff_csv(self) -> dict:
        """Delimiter, encoding and decimal mark from the first rows, as the loader reads them."""
        from kwk.data.loader import load
        with open(self.path, "rb") as f:
            head = f.read(1 << 20)
        cut = head.rfind(b"\n")
        if cut > 0 and len(head) == 1 << 20:
            head = head[:cut + 1]
        return dict(load(head, name=self.path.name).read_options)

    def chunks(self):
        """Yield the file's rows as DataFrames of at most ``chunk_rows`` rows."""
        try:
            if self.fmt == "parquet":
                import pyarrow.parquet as pq
                pf = pq.ParquetFile(self.path)
                for batch in pf.iter_batches(batch_size=self.chunk_rows):
                    chunk = self._clean(batch.to_pandas())
                    del batch  # the Arrow buffers go before the chunk is used
                    yield chunk
                    del chunk
            else:
                with pd.read_csv(self.path, chunksize=self.chunk_rows,
                                 **reader_options(self.read_options)) as it:
                    for chunk in it:  # the same reading as the first 1 MB decided
                        yield after_read(self._clean(chunk), self.read_options)
                        del chunk
        except (OSError, ValueError, pd.errors.ParserError) as e:
            if isinstance(e, DataError):
                raise
            raise DataError(f"Reading {self.name} in chunks failed: {str(e)[:200]}",
                            "Check that the file is a well-formed CSV or Parquet file.")

    @staticmethod
    def _clean(df: pd.DataFrame) -> pd.DataFrame:
        df.columns = [str(c).strip() for c in df.columns]
        return df

    def first_chunk(self) -> pd.DataFrame:
        for chunk in self.chunks():
            if len(chunk):
                return chunk
        raise DataError(f"'{self.name}' has a header but no data rows.")

    def fingerprint(self) -> str:
        from kwk.data.loader import fingerprint_file
        return fingerprint_file(self.path)


def split_roles(n: int, chunk_index: int, seed: int, validation_fraction: float,
                test_fraction: float) -> np.ndarray:
    """0 (train), 1 (validation) or 2 (test) per row of one chunk: a seeded draw per chunk,
    identical on every pass."""
    u = np.random.default_rng([seed, chunk_index]).random(n)
    return np.where(u < test_fraction, 2, np.where(u < test_fraction + validation_fraction, 1, 0))


class _NumberStats:
    """Count, sum and sum of squares of the non-missing values, a reservoir for the median."""

    def __init__(self, seed: int):
        self.n = self.missing = 0
        self.total = self.squares = 0.0
        self.sample = np.empty(0)
        self.seen = 0
        self.rng = np.random.default_rng(seed)

    def add(self, x: pd.Series) -> None:
        v = x.to_numpy(dtype=float, na_value=np.nan)
        ok = v[~np.isnan(v)]
        self.missing += int(len(v) - len(ok))
        self.n += len(ok)
        self.total += float(ok.sum())
        self.squares += float((ok * ok).sum())
        # reservoir sampling (algorithm R, vectorised per chunk: with repeated slots the later
        # value wins, as in the one-at-a-time algorithm)
        if len(self.sample) < RESERVOIR:
            take = min(RESERVOIR - len(self.sample), len(ok))
            self.sample = np.concatenate([self.sample, ok[:take]])
            self.seen += take
            ok = ok[take:]
        if len(ok):
            position = self.seen + np.arange(1, len(ok) + 1)
            slot = (self.rng.random(len(ok)) * position).astype(np.int64)
            keep = slot < RESERVOIR
            self.sample[slot[keep]] = ok[keep]
            self.seen += len(ok)

    def state(self) -> dict:
        """The same statistics as ``Preprocessor.fit``: the median fills missing values, and the
        mean and standard deviation are those of the filled column."""
        fill = float(np.median(self.sample)) if len(self.sample) else 0.0
        total_n = self.n + self.missing
        if total_n == 0:
            return {"fill": 0.0, "mean": 0.0, "std": 1.0}
        mean = (self.total + self.missing * fill) / total_n
        var = (self.squares + self.missing * fill * fill) / total_n - mean * mean
        std = math.sqrt(max(var, 0.0))
        return {"fill": fill, "mean": mean, "std": std if std > 1e-12 * max(1.0, abs(mean)) else 1.0}

    @property
    def exact_median(self) -> bool:
        return self.n <= RESERVOIR


class _Reservoir:
    """A uniform random sample of at most ``size`` rows of several aligned arrays, fed batch
    by batch (algorithm R, vectorised)."""

    def __init__(self, size: int, seed: int):
        self.size, self.seen, self.rng = size, 0, np.random.default_rng([seed, 7])
        self.parts: dict[str, list] = {}
        self.full: dict[str, np.ndarray] | None = None

    def add(self, **arrays) -> None:
        n = len(next(iter(arrays.values())))
        if self.full is None:
            take = min(self.size - self.seen, n)
            for k, v in arrays.items():
                self.parts.setdefault(k, []).append(np.asarray(v)[:take])
            self.seen += take
            if self.seen == self.size:
                self.full = {k: np.concatenate(v) for k, v in self.parts.items()}
                self.parts = {}
            arrays = {k: np.asarray(v)[take:] for k, v in arrays.items()}
            n -= take
        if n and self.full is not None:
            position = self.seen + np.arange(1, n + 1)
            slot = (self.rng.random(n) * position).astype(np.int64)
            hit = slot < self.size
            for k, v in arrays.items():
                self.full[k][slot[hit]] = np.asarray(v)[hit]
            self.seen += n

    def get(self, key: str) -> np.ndarray:
        if self.full is not None:
            return self.full[key]
        return np.concatenate(self.parts[key]) if self.parts.get(key) else np.empty(0)


@dataclass
class StreamPlan:
    """What a streamed training needs: the resolved spec, the fitted preprocessing and the
    row counts per split (the data itself stays on disk)."""
    reader: ChunkReader
    spec: dict
    notes: list[str]
    pre: Preprocessor
    counts: dict                     # split -> rows with a target
    class_counts: list = field(default_factory=list)
    simple_rows: pd.DataFrame | None = field(default=None, repr=False)  # ≤ RESERVOIR train rows
    shapes: list = field(default_factory=list)

    @property
    def task(self) -> str:
        return self.spec["data"]["task"]

    @property
    def n_classes(self) -> int:
        return len(self.pre.classes) or 1

    @property
    def n_inputs(self) -> int:
        return len(self.pre.input_names)


def _target_rows(chunk: pd.DataFrame, target: str, task: str) -> np.ndarray:
    keep = chunk[target].notna()
    if task == "regression":
        keep &= to_number(chunk[target]).notna()
    return keep.to_numpy()


def plan(reader: ChunkReader, spec: dict) -> StreamPlan:
    """Resolve the spec against the first chunk (kinds, task, features), then compute every
    preprocessing statistic over the training rows of the whole file in one pass."""
    from kwk.spec import check_stack, normalize, resolve
    data = normalize(spec)["data"]  # the kind of data is in the spec: refuse before reading
    for key in ("sequence", "text", "image_shape"):
        if data.get(key):
            raise SpecError(f"Streaming trains tables; data.{key} is not supported with --stream.",
                            "Train this kind of data in memory (without --stream).")
    first = reader.first_chunk()
    spec, notes = resolve(spec, first)
    d, tr = spec["data"], spec["training"]
    if tr["validation"] != "holdout" or tr["repeats"] > 1:
        raise SpecError("Streaming supports training.validation 'holdout' with one seed.",
                        "Set training.validation to 'holdout' and training.repeats to 1.")
    notes.append(f"Streamed in chunks of {reader.chunk_rows:,} rows: column kinds and the task "
                 "were read from the first chunk; statistics come from one pass over every "
                 "training row.")
    target, task, seed = d["target"], d["task"], tr["seed"]
    num = {}
    cats: dict[str, Counter] = {}
    for c in d["features"]:
        k = d["kinds"][c]
        if k == "numeric":
            num[c] = _NumberStats(seed)
        elif k == "datetime":
            for p in DATE_PARTS:
                num[f"{c}\x00{p}"] = _NumberStats(seed)
        else:
            cats[c] = Counter()
    ystats, ylabels = _NumberStats(seed), Counter()
    counts = {"train": 0, "validation": 0, "test": 0}
    simple: list[pd.DataFrame] = []
    n_simple = 0
    for i, chunk in enumerate(reader.chunks()):
        missing = [c for c in [*d["features"], target] if c not in chunk.columns]
        if missing:
            raise DataError(f"Chunk {i + 1} of {reader.name} lacks the column(s) "
                            f"{', '.join(missing[:5])}.", "Every part of the file needs the same columns.")
        chunk = chunk[_target_rows(chunk, target, task)]
        roles = split_roles(len(chunk), i, seed, tr["validation_fraction"], tr["test_fraction"])
        for r, k in enumerate(("train", "validation", "test")):
            counts[k] += int((roles == r).sum())
        train = chunk[roles == 0]
        if n_simple < RESERVOIR and len(train):
            simple.append(train.iloc[: RESERVOIR - n_simple])
            n_simple += len(simple[-1])
        for c in d["features"]:
            k = d["kinds"][c]
            if k == "numeric":
                num[c].add(to_number(train[c]))
            elif k == "datetime":
                parts = date_parts(train[c])
                for p in DATE_PARTS:
                    num[f"{c}\x00{p}"].add(parts[p])
            else:
                cats[c].update(as_labels(train[c]).dropna().tolist())
        if task == "regression":
            ystats.add(to_number(train[target]))
        else:
            ylabels.update(as_labels(train[target]).dropna().tolist())
    for k, n in counts.items():
        if n == 0:
            raise DataError(f"The {k} split is empty after one pass over {reader.name}.",
                            "Use more rows, or larger validation and test fractions.")
    cols = []
    for c in d["features"]:
        k = d["kinds"][c]
        if k == "numeric":
            cols.append({"name": c, "kind": k, **num[c].state()})
        elif k == "datetime":
            cols.append({"name": c, "kind": k,
                         "parts": {p: num[f"{c}\x00{p}"].state() for p in DATE_PARTS}})
        else:
            vc = cats[c]
            top = sorted(vc, key=lambda v: (-vc[v], v))[:MAX_CATEGORIES]
            cols.append({"name": c, "kind": k, "categories": [str(v) for v in top],
                         "n_labels_seen": len(vc)})
    tstate = {"name": target, "task": task}
    if task == "regression":
        tstate.update(mean=(ystats.total / ystats.n) if ystats.n else 0.0,
                      std=math.sqrt(max(ystats.squares / max(ystats.n, 1)
                                        - (ystats.total / max(ystats.n, 1)) ** 2, 0.0)) or 1.0)
    else:
        tstate["classes"] = sorted(ylabels)
        if len(tstate["classes"]) < 2:
            raise DataError("The training rows hold a single class.",
                            "Use a target whose classes vary.")
    if any(not s.exact_median for s in num.values()):
        notes.append(f"Missing numbers are filled with medians estimated from a random sample of "
                     f"{RESERVOIR:,} training values per column; means and spreads are exact.")
    pre = Preprocessor({"columns": cols, "target": tstate})
    class_counts = [ylabels.get(c, 0) for c in tstate.get("classes", [])]
    shapes = check_stack(spec, len(pre.input_names), max(len(pre.classes), 1))
    return StreamPlan(reader=reader, spec=spec, notes=notes, pre=pre, counts=counts,
                      class_counts=class_counts,
                      simple_rows=pd.concat(simple) if simple else None, shapes=shapes)


def batches(p: StreamPlan, role: int, batch_size: int, shuffle_seed: int | None = None,
            with_rows: bool = False):
    """Yield encoded ``(X, y)`` batches of one split, one chunk at a time (shuffled within
    each chunk when ``shuffle_seed`` is given). With ``with_rows``: ``(X, y, row_numbers)``."""
    d, tr = p.spec["data"], p.spec["training"]
    offset = 0
    for i, chunk in enumerate(p.reader.chunks()):
        n0 = len(chunk)
        keep = _target_rows(chunk, d["target"], d["task"])
        rows = offset + np.flatnonzero(keep)
        offset += n0
        chunk = chunk[keep]
        roles = split_roles(len(chunk), i, tr["seed"], tr["validation_fraction"], tr["test_fraction"])
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
        order = np.random.default_rng([shuffle_seed, i]).permutation(len(y)) \
            if shuffle_seed is not None else np.arange(len(y))
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            yield (X[idx], y[idx], r[idx]) if with_rows else (X[idx], y[idx])


def dataset(p: StreamPlan, role: int, batch_size: int, shuffle: bool):
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


@dataclass
class _Prepared:
    """The parts of :class:`kwk.training.job.Prepared` a saved bundle reads, without the data."""
    spec: dict
    notes: list
    pre: Preprocessor
    X: dict
    y: dict
    rows: dict
    stratified: bool
    shapes: list
    work: None = None
    source: None = None
    extra: dict = field(default_factory=dict)

    @property
    def task(self):
        return self.spec["data"]["task"]


def train_streamed(p: StreamPlan, on_epoch=None):
    """Fit the spec's model on the streamed training split (``model.fit`` over ``tf.data``),
    then score the streamed test split beside the baseline and a simple model fitted on the
    first training rows. Returns a :class:`kwk.training.job.TrainResult` ready for ``save_bundle``."""
    import keras

    from kwk.model.builder import build_model, compile_model
    from kwk.evaluation.metrics import (
        bootstrap_ci,
        fit_simple_model,
        metrics_for,
        model_proba,
    )
    from kwk.training.job import TrainResult, seed_everything
    tr = p.spec["training"]
    seed_everything(tr["seed"])
    steps = max(1, math.ceil(p.counts["train"] / tr["batch_size"]))
    model = build_model(p.spec, p.n_inputs, p.n_classes)
    compile_model(model, p.spec, steps)
    callbacks = []
    if tr["early_stopping_patience"] > 0:
        es = keras.callbacks.EarlyStopping(monitor="val_loss", patience=tr["early_stopping_patience"],
                                           restore_best_weights=tr["restore_best_weights"])
        callbacks.append(es)
    else:
        es = None
    if tr["lr_schedule"] == "reduce_on_plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=tr["lr_plateau_factor"], patience=tr["lr_plateau_patience"]))
    history: dict = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            for k, v in (logs or {}).items():
                history.setdefault(k, []).append(float(v) if v is not None and
                                                 math.isfinite(float(v)) else None)
            if on_epoch is not None:
                on_epoch(epoch + 1, tr["epochs"], logs or {})
            if logs and logs.get("loss") is not None and not math.isfinite(float(logs["loss"])):
                self.model.stop_training = True

    cw = None
    if tr["class_weight"] == "balanced" and p.task != "regression":
        c = np.maximum(np.asarray(p.class_counts, float), 1)
        cw = {i: float(c.sum() / (len(c) * c[i])) for i in range(len(c))}
    t0 = time.monotonic()
    import warnings
    with warnings.catch_warnings():  # generator datasets end without a known length: expected
        warnings.filterwarnings("ignore", message=".*ran out of data.*")
        model.fit(dataset(p, 0, tr["batch_size"], True),
                  validation_data=dataset(p, 1, 4096, False), epochs=tr["epochs"],
                  class_weight=cw, callbacks=[Record(), *callbacks], verbose=0, shuffle=False)
    seconds = time.monotonic() - t0
    loss = history.get("loss", [])
    if not loss or loss[-1] is None:
        raise TrainError("The loss became NaN (not a number): training diverged.",
                         f"Lower the learning rate (it is {tr['learning_rate']:g}).")
    k = max(len(p.pre.classes), 1)
    s_rows = p.simple_rows
    X_s = p.pre.transform(s_rows)
    y_s = p.pre.encode_target(s_rows[p.spec["data"]["target"]])
    if p.task == "regression":
        y_s = p.pre.decode_regression(y_s)
    predict_simple, name = fit_simple_model(p.task, X_s, y_s, k, tr["seed"])
    # Test rows are scored chunk by chunk; a seeded random sample of at most EVAL_ROWS of them
    # is kept for the metrics, intervals and charts, so memory does not grow with the file.
    keep = _Reservoir(eval_rows(), tr["seed"])
    for X, y, r in batches(p, 2, 65_536, with_rows=True):
        out_b = model_proba(model, X, p.task)
        if p.task == "regression":
            y, out_b = p.pre.decode_regression(y), p.pre.decode_regression(out_b)
        keep.add(y=y, out=out_b, simple=predict_simple(X), rows=r)
    y_te, out, simple, test_rows = (keep.get(c) for c in ("y", "out", "simple", "rows"))
    order = np.argsort(test_rows, kind="stable")  # in file order, as an in-memory run
    y_te, out, simple, test_rows = y_te[order], out[order], simple[order], test_rows[order]
    if keep.seen > keep.size:
        p.notes.append(f"Test metrics are computed on a random sample of {keep.size:,} of the "
                       f"{keep.seen:,} test rows (enough for three-decimal accuracy).")
    if p.task == "regression":
        base = np.full(len(y_te), p.pre.state["target"]["mean"])
    else:
        freq = np.asarray(p.class_counts, float)
        base = np.tile(freq / freq.sum(), (len(y_te), 1))
    classes = p.pre.classes
    metrics = {"task": p.task, "n_test": int(len(y_te)),
               "n_test_total": int(keep.seen),
               "test": metrics_for(p.task, y_te, out, classes),
               "baseline": {"name": "mean of training target" if p.task == "regression"
                            else "majority class", **metrics_for(p.task, y_te, base, classes)},
               "simple_model": {"name": f"{name} (fitted on the first {len(X_s):,} training rows)",
                                **metrics_for(p.task, y_te, simple, classes)},
               "streamed": {"chunk_rows": p.reader.chunk_rows, "rows": p.counts}}
    metrics["test_ci"] = bootstrap_ci(p.task, y_te, out, classes, seed=tr["seed"])
    epochs_run = len(loss)
    if es is not None and es.stopped_epoch > 0:
        status, msg = "early_stopped", f"Stopped early after {epochs_run} epochs."
    else:
        status, msg = "finished", f"Finished all {epochs_run} epochs."
    prepared = _Prepared(spec=p.spec, notes=p.notes, pre=p.pre,
                         X={"train": np.empty((0, p.n_inputs), np.float32)},
                         y={k: range(n) for k, n in p.counts.items()},
                         rows={"test": test_rows}, stratified=False, shapes=p.shapes)
    details = {"y": y_te, "out": out, "baseline_out": base, "simple_out": simple,
               "classes": classes}
    return TrainResult(model=model, prepared=prepared, history=history, metrics=metrics,
                       details=details, status=status, message=msg, seconds=seconds,
                       epochs_run=epochs_run)


def profile_streamed(reader: ChunkReader, target: str | None = None) -> dict:
    """Profile a file too large for memory: exact row, missing and distinct-label counts and
    exact numeric mean, spread, minimum and maximum from one chunked pass; kinds, quantiles,
    histograms and correlations from a random sample of rows (and the profile says so)."""
    from kwk.data import profile
    from kwk.data.profile import _numeric_values
    rng = np.random.default_rng(0)
    sample: pd.DataFrame | None = None
    seen = 0
    rows = 0
    missing: Counter = Counter()
    numbers: dict[str, list] = {}
    labels: dict[str, Counter] = {}
    for chunk in reader.chunks():
        rows += len(chunk)
        for c in chunk.columns:
            s = chunk[c]
            missing[c] += int(s.isna().sum())
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                v = _numeric_values(s).to_numpy(dtype=float, na_value=np.nan)
                v = v[np.isfinite(v)]
                acc = numbers.setdefault(c, [0, 0.0, 0.0, np.inf, -np.inf])
                acc[0] += len(v)
                acc[1] += float(v.sum())
                acc[2] += float((v * v).sum())
                if len(v):
                    acc[3], acc[4] = min(acc[3], float(v.min())), max(acc[4], float(v.max()))
            elif len(labels.get(c, ())) <= 100_000:  # exact label counts unless unbounded
                labels.setdefault(c, Counter()).update(s.dropna().astype(str).tolist())
        # a uniform random sample of rows (reservoir, chunk by chunk)
        if sample is None or len(sample) < PROFILE_SAMPLE:
            take = chunk.iloc[: PROFILE_SAMPLE - (0 if sample is None else len(sample))]
            sample = take if sample is None else pd.concat([sample, take], ignore_index=True)
            seen += len(take)
            chunk = chunk.iloc[len(take):]
        if len(chunk):
            position = seen + np.arange(1, len(chunk) + 1)
            slot = (rng.random(len(chunk)) * position).astype(np.int64)
            keep = slot < PROFILE_SAMPLE
            if keep.any():
                sample.iloc[slot[keep]] = chunk[keep].to_numpy()
            seen += len(chunk)
    if sample is None:
        raise DataError(f"'{reader.name}' has a header but no data rows.")
    out = profile(sample, target=target, name=reader.name)
    out["rows"] = rows
    for info in out["columns_info"]:
        c = info["name"]
        info["missing"] = int(missing[c])
        info["missing_pct"] = round(100.0 * missing[c] / max(rows, 1), 2)
        if c in labels and len(labels[c]) <= 100_000:
            info["unique"], info["unique_estimated"] = len(labels[c]), False
            info["top"] = [{"value": v, "count": int(n)} for v, n in labels[c].most_common(10)]
        if c in numbers and info.get("stats") and numbers[c][0]:
            n, total, squares, lo, hi = numbers[c]
            mean = total / n
            info["stats"].update(mean=mean, min=lo, max=hi,
                                 std=math.sqrt(max((squares - n * mean * mean) / max(n - 1, 1), 0.0)))
    out["streamed"] = {
        "chunk_rows": reader.chunk_rows, "sample_rows": int(len(sample)),
        "note": f"Read in chunks of {reader.chunk_rows:,} rows. Row, missing and label counts, "
                f"means, spreads, minima and maxima are exact over all {rows:,} rows; kinds, "
                f"quartiles, histograms, correlations and duplicate rows come from a random "
                f"sample of {len(sample):,} rows."}
    return out
