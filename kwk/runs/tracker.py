"""Send a saved KwK run to an MLflow tracking server (a company's tracker).

``log_run(run_dir, uri, experiment)`` logs a finished run folder (as written by ``train``):

- parameters: the resolved spec flattened (``training.epochs``, ``layers.0.units``, ...),
  each value cut to MLflow's length limit;
- metrics: the test metrics (``test_balanced_accuracy``) with their bootstrap intervals
  (``test_balanced_accuracy_low`` / ``_high``), the baseline's, the simple model's and the
  gradient-boosting reference's (``baseline_…``, ``simple_model_…``, ``reference_…``), and the
  per-epoch history (``loss``, ``val_loss`` … with the epoch as the step);
- artifacts: ``kwk/spec.json``, ``kwk/train_script.py``, ``kwk/report.html`` (and the run
  record, metrics and history);
- ``model``: an MLflow pyfunc model whose artifacts are the run folder and whose ``predict``
  takes raw rows and returns what ``python -m kwk predict`` returns (the rows, ``prediction``,
  ``proba_<class>`` and ``unusual``), with its signature and a few raw rows as input example;
  optionally registered under a name.

The run must already be saved: KwK never loses a training because the tracker is down; a
failure here is a :class:`KwkError` the caller reports next to where the run was saved.
MLflow is imported inside the functions (``pip install mlflow-skinny``).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path

from kwk.errors import KwkError

SCHEMES = ("http", "https", "file", "sqlite", "postgresql", "mysql", "mssql", "databricks")
PIP_HINT = "Install it with: pip install mlflow-skinny"
MAX_KEY, MAX_VALUE = 250, 6000  # MLflow's limits for a parameter's name and value


def require_mlflow():
    try:
        import mlflow
        return mlflow
    except ImportError:
        raise KwkError("Logging to MLflow needs the 'mlflow-skinny' package, which is not "
                       "installed.", PIP_HINT)


def tracking_uri(given: str | None) -> str | None:
    """The URI to log to: the one given, else ``$MLFLOW_TRACKING_URI``, else None."""
    return (given or os.environ.get("MLFLOW_TRACKING_URI") or "").strip() or None


def check_uri(uri: str) -> str:
    """Refuse a tracking URI MLflow cannot use, before any work: a clear sentence."""
    uri = (uri or "").strip()
    if not uri:
        raise KwkError("No MLflow tracking URI was given.",
                       "Give --mlflow URI (e.g. http://mlflow.example.com:5000 or "
                       "sqlite:///mlflow.db) or set MLFLOW_TRACKING_URI.")
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", uri)
    scheme = m.group(1).lower().split("+")[0] if m else None
    if scheme is None and not uri.startswith(("/", ".")):
        raise KwkError(f"'{uri}' is not an MLflow tracking URI.",
                       f"Use one of the schemes {', '.join(s + '://' for s in SCHEMES)} or a "
                       "local folder path.")
    if scheme is not None and scheme not in SCHEMES:
        raise KwkError(f"The MLflow tracking URI '{uri}' has the scheme '{scheme}://', which "
                       "MLflow cannot track to.",
                       f"Use one of {', '.join(s + '://' for s in SCHEMES)} (a server is "
                       "usually http(s)://host:5000).")
    return uri


def flatten(obj, prefix: str = "") -> dict[str, str]:
    """A nested spec as MLflow parameters: ``{"training.epochs": "3", "layers.0.units": "8"}``,
    names and values cut to MLflow's limits."""
    out: dict[str, str] = {}
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list) and obj and all(isinstance(v, (dict, list)) for v in obj):
        items = enumerate(obj)
    else:
        value = json.dumps(obj, default=str) if isinstance(obj, (list, dict)) else str(obj)
        return {prefix[:MAX_KEY]: value[:MAX_VALUE]}
    for k, v in items:
        key = param_name(f"{prefix}.{k}" if prefix else str(k))
        out.update(flatten(v, key))
    return out


def param_name(name: str) -> str:
    """A name MLflow accepts: a search-space key ``layers[0].units`` as ``layers.0.units`` (the
    spec's own flattening), any other character it refuses as ``_``."""
    return re.sub(r"[^\w\-. /]", "_", re.sub(r"\[(\d+)\]", r".\1", name))


def metrics_of(metrics: dict) -> dict[str, float]:
    """The run's numbers as flat MLflow metrics (intervals as ``_low`` / ``_high``)."""
    out: dict[str, float] = {}

    def put(name, v):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v:
            out[re.sub(r"[^\w\-. /]", "_", name)] = float(v)
    for part in ("test", "baseline", "simple_model", "reference"):
        for k, v in (metrics.get(part) or {}).items():
            put(f"{part}_{k}", v)
    for k, iv in (metrics.get("test_ci") or {}).items():
        if isinstance(iv, (list, tuple)) and len(iv) == 2:
            put(f"test_{k}_low", iv[0])
            put(f"test_{k}_high", iv[1])
    put("n_test", metrics.get("n_test"))
    return out


def _pyfunc_class():
    mlflow = require_mlflow()

    class KwkModel(mlflow.pyfunc.PythonModel):
        """A KwK run folder as an MLflow model: raw rows in, ``kwk predict``'s columns out."""

        def load_context(self, context):
            from kwk.runs.bundle import load_bundle
            self.bundle = load_bundle(context.artifacts["run"])

        def predict(self, context, model_input, params=None):
            import pandas as pd
            if not hasattr(self, "bundle"):
                self.load_context(context)
            df = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
            return self.bundle.predict(df)

    return KwkModel


def example_rows(run_dir, n: int = 5):
    """A few raw rows for the model's input example: the test rows of the data file the run
    was trained on (when it is still there), else one row of typical values."""
    import numpy as np
    import pandas as pd

    from kwk.prep.editor import editor_columns, starting_rows
    d = Path(run_dir)
    state = json.loads((d / "preprocess.json").read_text())
    columns = [c["name"] for c in editor_columns(state)]
    try:
        source = json.loads((d / "run.json").read_text())["data"].get("source") or {}
        path = source.get("path")
        if path and Path(path).is_file():
            from kwk.data import load
            df = load(path).df
            if set(columns) <= set(df.columns):
                rows = np.load(d / "evaluation.npz")["test_rows"][:n] \
                    if (d / "evaluation.npz").exists() else np.arange(n)
                rows = [int(r) for r in rows if 0 <= int(r) < len(df)] or list(range(min(n, len(df))))
                return df.iloc[rows][columns].reset_index(drop=True)
    except (KwkError, OSError, ValueError, KeyError):
        pass
    return pd.DataFrame(starting_rows(editor_columns(state)))[columns]


def _for_signature(df):
    """Whole-number columns as floats, so rows with a missing value still fit the signature."""
    import pandas as pd
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_integer_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype("float64")
    return out


@contextlib.contextmanager
def _quick_http():
    """A server that is down fails in seconds, not after MLflow's default minutes of retries
    (only where the user has not set MLflow's own variables)."""
    set_here = {}
    for k, v in (("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1"), ("MLFLOW_HTTP_REQUEST_TIMEOUT", "20"),
                 ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1"),
                 ("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")):
        if k not in os.environ:
            os.environ[k] = set_here[k] = v
    try:
        yield
    finally:
        for k in set_here:
            os.environ.pop(k, None)


def _client(uri: str):
    mlflow = require_mlflow()
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def _experiment_id(client, uri: str, name: str) -> str:
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        if exp.lifecycle_stage == "deleted":
            raise KwkError(f"The MLflow experiment '{name}' was deleted.",
                           "Restore it in MLflow or give another --mlflow-experiment.")
        return exp.experiment_id
    location = None
    if uri.startswith("sqlite:///"):  # artifacts beside the database, not in the working folder
        db = Path(uri[len("sqlite:///"):])
        location = (db.parent / "mlartifacts" / re.sub(r"[^\w.-]", "_", name)).resolve().as_uri()
    return client.create_experiment(name, artifact_location=location)


def _log_params(client, run_id: str, params: dict[str, str]) -> None:
    from mlflow.entities import Param
    items = [Param(k, v) for k, v in params.items() if k]
    for i in range(0, len(items), 100):
        client.log_batch(run_id, params=items[i:i + 100])


def _log_metrics(client, run_id: str, metrics: dict[str, float], history: dict) -> None:
    import time

    from mlflow.entities import Metric
    now = int(time.time() * 1000)
    items = [Metric(k, v, now, 0) for k, v in metrics.items()]
    for k, values in (history or {}).items():
        for step, v in enumerate(values or []):
            if isinstance(v, (int, float)) and v == v:
                items.append(Metric(re.sub(r"[^\w\-. /]", "_", k), float(v), now, step + 1))
    for i in range(0, len(items), 1000):
        client.log_batch(run_id, metrics=items[i:i + 1000])


def _save_model(run_dir: Path, path: Path, example):
    mlflow = require_mlflow()
    from mlflow.models import infer_signature

    from kwk.runs.bundle import load_bundle
    import kwk
    output = load_bundle(run_dir).predict(example)
    signature = infer_signature(_for_signature(example), output)
    mlflow.pyfunc.save_model(
        path=str(path), python_model=_pyfunc_class()(), artifacts={"run": str(run_dir)},
        code_paths=[str(Path(kwk.__file__).parent)], signature=signature,
        input_example=_for_signature(example), pip_requirements=_requirements())


def _requirements() -> list[str]:
    """What loading the model needs: the project's runtime requirements (without MLflow's
    own and the app-only ones, which pyfunc adds or does not need)."""
    req = Path(__file__).resolve().parents[2] / "requirements.txt"
    out = []
    if req.exists():
        for line in req.read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith(("-", "mlflow", "streamlit")):
                out.append(line)
    return out or ["keras", "tensorflow", "pandas", "numpy", "scikit-learn"]


def log_run(run_dir, uri: str, experiment: str = "kwk", register: str | None = None,
            run_name: str | None = None, parent_run_id: str | None = None,
            extra_params: dict | None = None, example=None) -> dict:
    """Log a saved run folder to the MLflow tracking server at ``uri`` under ``experiment``.

    Returns ``{"run_id", "model_uri", "experiment_id", "artifact_uri", "registered"}``
    (``registered``: ``{"name", "version"}`` when ``register`` names a model, else None).
    ``example``: raw rows for the input example (default: a few test rows of the run's data
    file, else one typical row). Raises :class:`KwkError` with the reason on any failure."""
    uri = check_uri(uri)
    d = Path(run_dir)
    missing = [f for f in ("model.keras", "preprocess.json", "spec.json") if not (d / f).exists()]
    if not d.is_dir() or missing:
        raise KwkError(f"{d} is not a complete KwK run folder"
                       + (f" ({', '.join(missing)} missing)." if d.is_dir() else "."))
    require_mlflow()
    experiment = (experiment or "kwk").strip() or "kwk"
    run_id = None
    client = None
    try:
        with _quick_http():
            client = _client(uri)
            exp_id = _experiment_id(client, uri, experiment)
            spec = json.loads((d / "spec.json").read_text())
            metrics = json.loads((d / "metrics.json").read_text()) \
                if (d / "metrics.json").exists() else {}
            history = json.loads((d / "history.json").read_text()) \
                if (d / "history.json").exists() else {}
            tags = {"kwk.run_dir": str(d.resolve()), "kwk.task": str(metrics.get("task", "")),
                    "kwk.target": str(spec.get("data", {}).get("target", ""))}
            if parent_run_id:
                tags["mlflow.parentRunId"] = parent_run_id
            name = run_name or spec.get("name") or f"kwk {d.name}"
            run = client.create_run(exp_id, tags=tags, run_name=str(name))
            run_id = run.info.run_id
            _log_params(client, run_id, {**flatten(spec), **(extra_params or {})})
            _log_metrics(client, run_id, metrics_of(metrics), history)
            with tempfile.TemporaryDirectory(prefix="kwk-mlflow-") as tmp:
                t = Path(tmp)
                files = t / "kwk"
                files.mkdir()
                for f in ("spec.json", "train_script.py", "run.json", "metrics.json",
                          "history.json"):
                    if (d / f).exists():
                        (files / f).write_bytes((d / f).read_bytes())
                from kwk.runs.report import build_report
                (files / "report.html").write_text(build_report(d), encoding="utf-8")
                client.log_artifacts(run_id, str(files), "kwk")
                rows = example if example is not None else example_rows(d)
                _save_model(d, t / "model", rows)
                client.log_artifacts(run_id, str(t / "model"), "model")
            artifact_uri = client.get_run(run_id).info.artifact_uri
            registered = None
            if register:
                registered = _register(client, register, f"{artifact_uri}/model", run_id)
            client.set_terminated(run_id, "FINISHED")
    except KwkError:
        _fail(client, run_id)
        raise
    except Exception as e:  # MLflow's own errors: server down, refused, bad store, ...
        _fail(client, run_id)
        raise _reason(e, uri) from e
    return {"run_id": run_id, "model_uri": f"runs:/{run_id}/model", "experiment_id": exp_id,
            "artifact_uri": artifact_uri, "registered": registered}


def _register(client, name: str, source: str, run_id: str) -> dict:
    from mlflow.exceptions import MlflowException
    try:
        client.create_registered_model(name)
    except MlflowException as e:
        if "already exists" not in str(e).lower() and "RESOURCE_ALREADY_EXISTS" not in str(e):
            raise
    mv = client.create_model_version(name, source, run_id=run_id)
    return {"name": name, "version": int(mv.version)}


def _fail(client, run_id) -> None:
    if client is None or run_id is None:
        return
    with contextlib.suppress(Exception):
        client.set_terminated(run_id, "FAILED")


def log_search(best_dir, leaderboard: list[dict], summary: dict, uri: str,
               experiment: str = "kwk", register: str | None = None) -> dict:
    """A search (``kwk tune``) in MLflow: one parent run, the best network's run folder logged
    as :func:`log_run` does (with the search's summary as ``search.*`` parameters and its best
    validation score), and one nested run per trial with its settings and validation score.
    Returns :func:`log_run`'s dict plus ``"trials"``: the nested runs' ids."""
    extra = {f"search.{k}": v for k, v in flatten(
        {k: summary.get(k) for k in ("study", "metric", "direction", "split", "trials")}).items()}
    best = summary.get("best") or {}
    out = log_run(best_dir, uri, experiment, register, run_name=f"search {summary.get('study')}",
                  extra_params=extra)
    parent = out["run_id"]
    metric = re.sub(r"[^\w\-. /]", "_", f"validation_{summary.get('metric', 'score')}")
    ids = []
    try:
        with _quick_http():
            client = _client(uri)
            if best.get("value") is not None:
                client.log_metric(parent, f"best_{metric}", float(best["value"]))
            states = {"complete": "FINISHED", "pruned": "KILLED", "failed": "FAILED"}
            for row in sorted(leaderboard, key=lambda r: r["number"]):
                run = client.create_run(out["experiment_id"], run_name=f"trial {row['trial']}",
                                        tags={"mlflow.parentRunId": parent,
                                              "kwk.trial_state": str(row["state"])})
                rid = run.info.run_id
                _log_params(client, rid, flatten(row.get("params") or {}))
                if row.get("value") is not None:
                    client.log_metric(rid, metric, float(row["value"]))
                if row.get("epochs") is not None:
                    client.log_metric(rid, "epochs", float(row["epochs"]))
                client.set_terminated(rid, states.get(row["state"], "FINISHED"))
                ids.append(rid)
    except Exception as e:
        raise _reason(e, uri) from e
    return {**out, "trials": ids}


def _reason(e: Exception, uri: str) -> KwkError:
    """MLflow's error as one sentence: an unreachable server said plainly."""
    text = " ".join(str(e).split()) or type(e).__name__
    m = re.search(r"(Connection refused|Name or service not known|timed out|"
                  r"No route to host|Temporary failure in name resolution)", text)
    if m or "Max retries exceeded" in text:
        why = m.group(1).lower() if m else "no answer"
        return KwkError(f"the MLflow server at {uri} cannot be reached ({why}).",
                        "Check the tracking URI and that the MLflow server is running.")
    return KwkError(f"{type(e).__name__}: {text[:400]}",
                    "Check the tracking URI and that the MLflow server is running.")
