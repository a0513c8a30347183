"""A trained model on disk: the documented bundle that ``train`` writes and ``predict`` reads.

    DIR/model.keras        the Keras model; its input is the encoded feature matrix
    DIR/preprocess.json    the fitted preprocessing (statistics, categories, classes)
    DIR/spec.json          the resolved spec (defaults filled in, features listed)
    DIR/metrics.json       {"task", "test", "baseline", "simple_model", "reference", "twins"
                           (test rows repeating training rows), ...}
    DIR/history.json       per-epoch loss and metrics (train and validation)
    DIR/run.json           the run record: seed, data fingerprint, package versions, notes
    DIR/train_script.py    the standalone Keras script that reproduces the model
    DIR/repeats/seed_N/    with training.repeats > 1: the other seeds' models (same layout)
    DIR/evaluation.npz     test-split targets and predictions (network, baseline, simple
                           model, gradient-boosting reference) and the test rows'
                           positions in the data file

``load_bundle(DIR).predict(df)`` takes raw rows with the original column names (missing values
allowed) and returns predictions, applying the stored preprocessing first.
"""
from __future__ import annotations

import json
import os
import platform
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kwk import preload
from kwk.errors import DataError, KwkError
from kwk.prep.preprocess import Preprocessor, to_number


def package_versions() -> dict:
    from importlib import metadata
    out = {"python": platform.python_version()}
    for pkg in ("keras", "tensorflow", "tensorflow-cpu", "pandas", "numpy", "scikit-learn",
                "streamlit"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=_default))
    os.replace(tmp, path)


def _default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(type(o).__name__)


def run_record(result, data_name: str, fingerprint: str, source: dict | None = None) -> dict:
    """What ``run.json`` records: when, on what data (``source``: how the script reads it
    again), the seed, how training ended, and the package versions."""
    import datetime as dt
    spec = result.prepared.spec
    return {"created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "data": {"name": data_name, "fingerprint": fingerprint,
                     "rows": {k: int(n) for k, n in result.prepared.counts.items()},
                     **({"source": source} if source else {})},
            "seed": spec["training"]["seed"], "status": result.status,
            "message": result.message, "epochs_run": result.epochs_run,
            "seconds": round(result.seconds, 3), "notes": result.prepared.notes,
            "stratified": result.prepared.stratified,
            "n_inputs": int(result.prepared.n_inputs),
            "parameters": int(sum(r["params"] for r in result.prepared.shapes)),
            "data_summary": data_summary(result.prepared),
            "versions": package_versions(),
            "device": getattr(result, "device", None)}  # "CPU" or "GPU: <name>"


def data_summary(prep) -> list[dict]:
    """A compact profile of the target and every input on the rows used (kind, missing %,
    distinct values, and mean/min/max for numbers), for run records and reports."""
    from kwk.prep.preprocess import to_number
    work = prep.work if prep.work is not None else None
    if work is None:
        return []
    d = prep.spec["data"]
    out = []
    for c in dict.fromkeys([d["target"], *d["features"]]):  # a series' target is an input too
        s = work[c]
        role = ("input" if c != d["target"] else "target" if c not in d["features"]
                else "target, and an input (its past values)")
        row = {"column": c, "role": role,
               "kind": d["kinds"].get(c), "missing %": round(100 * float(s.isna().mean()), 2),
               "distinct": int(s.nunique(dropna=True))}
        if d["kinds"].get(c) == "numeric":
            v = to_number(s)
            row.update({"mean": float(v.mean()) if v.notna().any() else None,
                        "min": float(v.min()) if v.notna().any() else None,
                        "max": float(v.max()) if v.notna().any() else None})
        out.append(row)
    return out


def ensure_writable(out_dir) -> Path:
    """Create ``out_dir`` and check it can be written, before any long work starts."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".kwk-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as e:
        raise KwkError(f"Cannot write to the output folder {out}: {e.strerror or e}.",
                       "Choose a folder you can write to, with free disk space.")
    return out


def save_bundle(result, out_dir, data_name: str, fingerprint: str, script: str | None,
                source: dict | None = None) -> Path:
    """Write every bundle file for a finished :class:`kwk.training.core.TrainResult`."""
    out = ensure_writable(out_dir)
    try:
        save_model(result.model, out / "model.keras")
        write_json(out / "preprocess.json", result.prepared.pre.state)
        write_json(out / "spec.json", result.prepared.spec)
        write_json(out / "metrics.json", result.metrics)
        write_json(out / "history.json", result.history)
        write_json(out / "run.json", run_record(result, data_name, fingerprint, source))
        if script is not None:
            (out / "train_script.py").write_text(script)
        for rp, rmodel in getattr(result, "extra_models", []):  # repeated runs, for bands
            sub = out / "repeats" / f"seed_{rp.spec['training']['seed']}"
            sub.mkdir(parents=True, exist_ok=True)
            save_model(rmodel, sub / "model.keras")
            write_json(sub / "preprocess.json", rp.pre.state)
            write_json(sub / "spec.json", rp.spec)
        det = result.details  # test-split predictions, for charts and reports without retraining
        np.savez(out / "evaluation.npz", y=np.asarray(det["y"]), out=np.asarray(det["out"]),
                 baseline_out=np.asarray(det["baseline_out"]),
                 simple_out=np.asarray(det["simple_out"]),
                 **({"reference_out": np.asarray(det["reference_out"])}
                    if "reference_out" in det else {}),
                 test_rows=np.asarray(result.prepared.rows["test"]))
    except OSError as e:
        raise KwkError(f"Saving the run to {out} failed: {e.strerror or e}.",
                       "Free some disk space or choose another folder, then train again.")
    return out


def save_model(model, path: Path) -> None:
    """Save atomically: a half-written model file never replaces a good one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@dataclass
class Bundle:
    model: object
    pre: Preprocessor
    spec: dict
    metrics: dict
    threshold: float = 0.5  # a binary model's decision threshold (decision.json)

    def output(self, df: pd.DataFrame) -> np.ndarray:
        """Raw rows -> class probabilities ``(n, k)`` or predicted numbers ``(n,)``."""
        from kwk.evaluation.metrics import model_proba
        raw = model_proba(self.model, self.pre.transform(df), self.pre.task)
        return self.pre.decode_regression(raw) if self.pre.task == "regression" else raw

    def predict_output(self, df: pd.DataFrame, batch_size: int = 8192) -> np.ndarray:
        """:meth:`output` for many small calls (explanations score thousands of masked rows in
        a few dozen calls): the model is called directly, batch by batch, which skips
        ``model.predict``'s set-up (~0.1-0.3 s a call). Same values up to float32 rounding."""
        from kwk.prep.preprocess import model_input
        X = self.pre.transform(df)
        parts = [np.asarray(self.model(model_input(X[i:i + batch_size]), training=False),
                            dtype=float) for i in range(0, len(X), batch_size)]
        out = np.concatenate(parts) if parts else np.zeros((0, 1))
        if self.pre.task == "binary":
            p1 = out.reshape(-1)
            return np.column_stack([1 - p1, p1])
        if self.pre.task == "multiclass":
            return out
        return self.pre.decode_regression(out.reshape(-1))

    def predict(self, df: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
        """Raw rows -> the rows plus ``prediction`` (and ``proba_<class>`` per class) and
        ``unusual``: what in the row the model never saw in training (empty when nothing).

        A binary model predicts its second class when that class's probability is at least
        ``threshold`` (default: the run's decision threshold, 0.5 unless chosen otherwise).
        Time series: each row with enough history (the look-back window ends on it) gets the
        forecast of the target ``horizon`` rows later; rows with less history get no value."""
        out = df.copy()
        self.pre.check_columns(df)
        if len(df) == 0:
            out["prediction"] = []
            out["unusual"] = []
            return out
        unusual = self.pre.unusual(df)
        if self.pre.sequence:
            return self._forecast(df, out).assign(unusual=unusual)
        raw = self.output(df)
        if self.pre.task == "regression":
            out["prediction"] = raw
        else:
            classes = self.pre.classes
            t = self.threshold if threshold is None else float(threshold)
            picked = raw.argmax(axis=1) if len(classes) != 2 else (raw[:, 1] >= t).astype(int)
            out["prediction"] = [classes[i] for i in picked]
            for i, c in enumerate(classes):
                name = f"proba_{c}"
                while name in out.columns:
                    name = "_" + name
                out[name] = raw[:, i]
        out["unusual"] = unusual
        return out


    def series_importance(self, df: pd.DataFrame, target_rows, repeats: int = 5,
                          seed: int = 0) -> pd.DataFrame:
        """Time series: permutation importance of each input column on the forecasts of the
        given target rows (positions in ``df``, normally the test rows): a column's whole
        history in the window is shuffled between windows. The score is the RMSE of the
        forecasts in the target's units."""
        from kwk.evaluation.analysis import input_permutation_importance
        from kwk.evaluation.metrics import model_proba
        X, ends, targets = self.pre.forecast_windows(df, with_targets=True)
        where = {int(t): i for i, t in enumerate(targets) if t >= 0}
        pick = np.array([where[int(r)] for r in target_rows if int(r) in where], dtype=int)
        if len(pick) < 2:
            raise DataError("The test period's windows could not be rebuilt from this data.",
                            "Load the data this run was trained on (the same file).")
        name = self.pre.state["target"]["name"]
        y_all = to_number(df[name]).to_numpy()
        last = y_all[ends[pick]] if self.pre.forecasts_change else 0.0

        def forecast(Xw):
            return self.pre.decode_regression(model_proba(self.model, Xw, "regression")) + last

        return input_permutation_importance(forecast, X[pick], y_all[targets[pick]],
                                            "regression", self.pre.input_groups(),
                                            repeats=repeats, seed=seed)

    def _forecast(self, df: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
        from kwk.evaluation.metrics import model_proba
        seq = self.pre.sequence
        X, ends = self.pre.forecast_windows(df)
        if len(X) == 0:
            per = f" of one series ('{seq['group']}')" if seq["group"] else ""
            raise DataError(f"No forecast is possible: the model needs {seq['window']} "
                            f"consecutive rows{per} with a time in '{seq['time']}', and the data "
                            "has fewer.", f"Give at least the last {seq['window']} rows of each "
                            "series.")
        pred = np.full(len(df), np.nan)
        pred[ends] = self.pre.decode_regression(model_proba(self.model, X, self.pre.task))
        if self.pre.forecasts_change:  # the network forecasts the change from the last value
            pred[ends] += to_number(df[self.pre.state["target"]["name"]]).to_numpy()[ends]
        out["prediction"] = pred
        out["forecast_of"] = ""
        out.iloc[ends, out.columns.get_loc("forecast_of")] = \
            f"{self.pre.state['target']['name']}, {seq['horizon']} row(s) later"
        return out


def repeat_dirs(directory) -> list[Path]:
    """The folders of a run's repeated-seed models (empty when it has none)."""
    d = Path(directory) / "repeats"
    return sorted(p for p in d.iterdir() if (p / "model.keras").exists()) if d.is_dir() else []


def load_bundle(directory) -> Bundle:
    d = Path(directory)
    if not d.is_dir():
        raise DataError(f"{d} is not a model folder.",
                        "Give the folder written by 'python -m kwk train ... --out DIR'.")
    missing = [f for f in ("model.keras", "preprocess.json", "spec.json") if not (d / f).exists()]
    if missing:
        raise DataError(f"{d} is not a complete KwK model folder: {', '.join(missing)} missing.",
                        "Train again with 'python -m kwk train'.")
    import keras
    try:
        model = keras.saving.load_model(d / "model.keras", safe_mode=True, compile=False)
        state = json.loads((d / "preprocess.json").read_text())
        spec = json.loads((d / "spec.json").read_text())
        metrics = json.loads((d / "metrics.json").read_text()) if (d / "metrics.json").exists() else {}
    except (ValueError, OSError, json.JSONDecodeError) as e:
        if "safe_mode" in str(e) or "unsafe" in str(e).lower():
            raise DataError(f"The model in {d} contains Python code (e.g. a Lambda layer), which "
                            "KwK never runs from a file.",
                            "Use a model trained by KwK, or rebuild it from layers only.")
        raise DataError(f"The model folder {d} is damaged: {e}.", "Train the model again.")
    return Bundle(model=model, pre=Preprocessor.from_state(state), spec=spec, metrics=metrics,
                  threshold=read_threshold(d))


# --------------------------------------------------------------------------- loaded once
_LOADED: dict[str, Bundle] = {}       # run folder -> its bundle, the latest used last
_LOADING: dict[str, object] = {}      # run folder -> the lock of the one load under way
_GUARD = threading.Lock()
KEPT_BUNDLES = 4                      # bundles kept in memory (a model each)


def cached_bundle(directory) -> Bundle:
    """A run folder's bundle, loaded once per process and shared (runs do not change once
    saved; their decision threshold can, so it is read again on every call). A second caller
    while a load is under way (a page, and :func:`preload_bundle`'s thread) waits for that
    load instead of loading the model twice. The ``KEPT_BUNDLES`` used last are kept."""
    key = str(Path(directory).resolve())
    with _GUARD:
        lock = _LOADING.setdefault(key, threading.Lock())
    with lock:
        with _GUARD:
            b = _LOADED.pop(key, None)
        if b is None:
            b = load_bundle(directory)
        b.threshold = read_threshold(directory)
        with _GUARD:
            _LOADED[key] = b  # now the latest used
            while len(_LOADED) > KEPT_BUNDLES:
                _LOADED.pop(next(iter(_LOADED)))
        return b


def bundle_is_loaded(directory) -> bool:
    """Whether :func:`cached_bundle` would answer without loading a model."""
    with _GUARD:
        return str(Path(directory).resolve()) in _LOADED


def preload_bundle(directory):
    """Load a run's bundle in a background thread (a page that will need the model soon:
    Evaluate's profiler and importance, Predict), unless it is loaded already. Returns the
    thread, or None. A folder that cannot be loaded is left to the page that needs it, which
    says why."""
    if bundle_is_loaded(directory):
        return None

    # after the preloads under way (kwk.preload); a failure is left to the page that needs it
    return preload.start(lambda: cached_bundle(directory), "kwk-preload-bundle")


DECISION = "decision.json"


def read_threshold(directory) -> float:
    """A run's decision threshold for its second class (0.5 when none was chosen)."""
    p = Path(directory) / DECISION
    try:
        t = float(json.loads(p.read_text())["threshold"]) if p.exists() else 0.5
    except (ValueError, KeyError, TypeError, OSError):
        return 0.5
    return t if 0.0 < t < 1.0 else 0.5


def write_threshold(directory, threshold: float) -> dict:
    """Save a binary run's decision threshold (``decision.json``) and return the run's spec
    and ``run.json`` record, which the caller may need next. Refuses other tasks and values
    outside (0, 1) with a message."""
    d = Path(directory)
    try:
        spec = json.loads((d / "spec.json").read_text())
        state = json.loads((d / "preprocess.json").read_text())
        record = json.loads((d / "run.json").read_text()) if (d / "run.json").exists() else {}
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"The run folder {d} is damaged: {e}.", "Train the model again.")
    if spec["data"]["task"] != "binary":
        raise KwkError("Only a two-class (binary) model has a decision threshold.")
    if not 0.0 < float(threshold) < 1.0:
        raise KwkError(f"The threshold must lie between 0 and 1, not {threshold}.",
                       "Use e.g. 0.35 to label more rows as the second class.")
    try:
        write_json(d / DECISION, {"threshold": float(threshold),
                                   "positive_class": state["target"]["classes"][1]})
    except OSError as e:
        raise KwkError(f"The threshold could not be saved with the run: {e.strerror or e}.",
                       "Check the workspace folder's free space and permissions.")
    return {"spec": spec, "run": record}


def unusual_summary(unusual: pd.Series, limit: int = 4) -> str | None:
    """One sentence over a ``predict`` output's ``unusual`` column, or None when every row was
    ordinary: "3 of 120 rows have values the model never saw or could not read: …"."""
    notes = unusual[unusual.astype(bool)] if len(unusual) else unusual
    if not len(notes):
        return None
    counts = pd.Series([n for row in notes for n in row.split("; ")]).value_counts()
    shown = "; ".join(f"{n} ({c} row{'s' if c > 1 else ''})" for n, c in counts[:limit].items())
    more = f"; and {len(counts) - limit} more" if len(counts) > limit else ""
    return (f"{len(notes):,} of {len(unusual):,} rows have values the model never saw or could "
            f"not read: {shown}{more}. They are scored as if missing; check their predictions "
            "(column 'unusual').")


def zip_run(directory) -> bytes:
    """A run folder (every file, sub-folders included) as zip bytes, for a download; the
    paths inside start with the folder's name."""
    import io
    import zipfile
    d = Path(directory)
    if not d.is_dir():
        raise DataError(f"{d} is not a model folder.", "Pick a run that still exists.")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(d.rglob("*")):
            if f.is_file() and not f.name.endswith(".tmp"):
                z.write(f, (Path(d.name) / f.relative_to(d)).as_posix())
    return buf.getvalue()
