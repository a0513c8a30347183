"""The REST service of one run: ``create_app(run_dir)`` -> a FastAPI app.

    GET  /health    {"status": "ok"} once the model is loaded (never needs the token)
    GET  /model     target, task, classes, the request's columns, metrics, versions, limits
    POST /predict   {"rows": [{column: value, ...}, ...]} -> predictions (+ probabilities),
                    the unusual values of each row; see kwk.serve.schema for what a row holds

The model is loaded once, when the app is created. Requests are served concurrently: the body
is read on the event loop; parsing, validating and encoding the rows run in worker threads, and
only the Keras call itself holds a lock (Keras calls are not thread-safe on every backend; one
call scores a whole batch, so the lock costs little: see bench/bench_serve.py). The model is
called with ``predict_on_batch`` (see :class:`BatchCalls`).

Errors are JSON ``{"error": sentence, "detail": [{"row", "column", "problem", "fix"}]}``:
422 for input the model cannot take (naming the row and column and the fix), 413 for more
rows (or bytes) than the limits, 415 for a body that is not declared JSON, 401 without the
token when ``token`` is set (compared in constant time; it is never logged or echoed).
"""
from __future__ import annotations

import hmac
import json
import math
import threading
from pathlib import Path

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from kwk.errors import KwkError
from kwk.serve import schema

MAX_ROWS = 10_000
MAX_BODY_MB = 100
SHOWN = 20  # problems listed in one 422 answer


class Service:
    """A loaded run and what a request needs: its row model, limits and the predict lock."""

    def __init__(self, run_dir, max_rows: int = MAX_ROWS):
        from kwk.runs.bundle import load_bundle
        self.dir = Path(run_dir)
        self.bundle = load_bundle(self.dir)
        self.lock = threading.Lock()  # one Keras call at a time (see BatchCalls)
        self.bundle.model = BatchCalls(self.bundle.model, self.lock)
        self.max_rows = int(max_rows)
        state = self.bundle.pre.state
        self.columns = schema.columns(state)
        self.names = [c["name"] for c in self.columns]
        self.Row = schema.row_model(self.columns)
        self.Request = schema.request_model(self.Row, self.max_rows)
        self.info = self._info()

    def _info(self) -> dict:
        from kwk import __version__
        from kwk.runs.bundle import package_versions
        pre, spec = self.bundle.pre, self.bundle.spec
        record = _read_json(self.dir / "run.json")
        seq = pre.sequence
        out = {"run": self.dir.name, "target": pre.state["target"]["name"], "task": pre.task,
               "columns": [{k: c[k] for k in ("name", "kind", "example", "description")}
                           for c in self.columns],
               "metrics": self.bundle.metrics,
               "created": record.get("created"), "data": (record.get("data") or {}).get("name"),
               "limits": {"max_rows": self.max_rows},
               "versions": {"kwk": __version__, "serving": package_versions(),
                            "trained_with": record.get("versions", {})}}
        if pre.task != "regression":
            out["classes"] = list(pre.classes)
        if pre.task == "binary":
            out["threshold"] = self.bundle.threshold
        if seq:
            out["series"] = {"time": seq["time"], "group": seq.get("group"),
                             "window": seq["window"], "horizon": seq["horizon"],
                             "note": f"Send each series' history in time order: a row gets a "
                                     f"forecast ({seq['horizon']} row(s) ahead) when it ends "
                                     f"{seq['window']} consecutive rows of its series; earlier "
                                     "rows get null."}
        if spec["data"].get("image_shape"):
            out["image_shape"] = spec["data"]["image_shape"]
        return out

    # ----------------------------------------------------------------- one request
    def answer(self, body: bytes) -> tuple[int, dict]:
        """A request body -> (HTTP status, JSON answer). Runs in a worker thread."""
        import pydantic_core
        try:
            data = pydantic_core.from_json(body, allow_inf_nan=True)
        except ValueError as e:
            why = str(e)
            if "recursion" in why:
                why = "it is nested too deeply"
            return 422, _error(f"The body is not valid JSON: {why}.",
                               'Send {"rows": [{"column": value, ...}, ...]} as JSON.')
        rows = data.get("rows") if isinstance(data, dict) else None
        if isinstance(rows, list) and len(rows) > self.max_rows:
            return 413, _error(f"{len(rows):,} rows is more than this service takes in one "
                               f"request ({self.max_rows:,}).",
                               f"Send the rows in batches of at most {self.max_rows:,}.")
        if isinstance(rows, list) and not rows:
            return 422, _error("The request has no rows.", "Send at least one row to score.")
        try:
            self.Request.model_validate(data)
        except ValidationError as e:
            detail = schema.error_detail(e.errors(include_url=False), self.columns)
            first = detail[0]["problem"] if detail else "The request was not understood."
            more = (f" ({len(detail)} problems in all; the first {SHOWN} are listed)"
                    if len(detail) > SHOWN else
                    f" ({len(detail)} problems in all)" if len(detail) > 1 else "")
            detail = detail[:SHOWN]
            return 422, {"error": first + more, "detail": detail}
        # the fields are strict (nothing is converted), so the validated rows are the raw ones
        frame = pd.DataFrame.from_records(data["rows"], columns=self.names)
        try:  # the rows are encoded in parallel; the Keras call itself waits for the lock
            pred = self.bundle.predict(frame)
        except KwkError as e:
            return 422, _error(e.message, e.hint or "")
        return 200, self._result(pred)

    def _result(self, pred: pd.DataFrame) -> dict:
        pre = self.bundle.pre
        out = {"predictions": [_plain(v) for v in pred["prediction"]]}
        if pre.task != "regression":
            probs = pred[[c for c in pred.columns if c.lstrip("_").startswith("proba_")]]
            # the last proba_ columns are the model's (a clash adds "_" in front)
            probs = probs.iloc[:, -len(pre.classes):].to_numpy()
            out["probabilities"] = [{str(c): float(p) for c, p in zip(pre.classes, row)}
                                    for row in probs]
        out["unusual"] = [str(v) for v in pred["unusual"]]
        if pre.sequence:
            out["forecast_of"] = [str(v) for v in pred["forecast_of"]]
        if pre.task == "binary":
            out["threshold"] = self.bundle.threshold
        return out


class BatchCalls:
    """The bundle's Keras model, with ``predict`` made of ``predict_on_batch`` calls under a
    lock (same batches, same compiled function, so the same numbers). ``model.predict`` builds
    a data pipeline on every call: about 0.2 s on a small shared CPU, against a few
    milliseconds for the network itself, which would dominate every small request; and Keras
    calls are not thread-safe on every backend. Everything else is the model's."""

    def __init__(self, model, lock=None):
        self._model = model
        self._lock = lock or threading.Lock()

    def predict(self, x, verbose=0, batch_size: int = 4096, **_):
        import numpy as np
        n = int(x.shape[0])
        with self._lock:
            parts = [np.asarray(self._model.predict_on_batch(x[i:i + batch_size]))
                     for i in range(0, max(n, 1), batch_size)]
        return np.concatenate(parts)

    def __getattr__(self, name):
        return getattr(self._model, name)


def create_app(run_dir, *, max_rows: int = MAX_ROWS, max_body_mb: float = MAX_BODY_MB,
               token: str | None = None) -> FastAPI:
    """The FastAPI app serving the run in ``run_dir`` (loaded now, once). ``token``: when set,
    every path but ``/health`` needs ``Authorization: Bearer <token>``."""
    if max_rows < 1:
        raise KwkError(f"The batch limit must be at least one row, not {max_rows}.")
    service = Service(run_dir, max_rows)
    max_bytes = int(max_body_mb * 1024 * 1024)
    info = service.info
    app = FastAPI(title=f"KwK model: {info['target']} ({info['task']})",
                  version=info["versions"]["kwk"],
                  description=_description(info))
    app.state.service = service
    expected = token.encode("utf-8") if token else None

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if expected is not None and request.url.path != "/health":
            scheme, _, given = request.headers.get("authorization", "").strip().partition(" ")
            ok = hmac.compare_digest(given.strip().encode("utf-8", "replace"), expected)
            if not (ok and scheme.lower() == "bearer"):
                return JSONResponse(
                    _error("This service needs its access token.",
                           "Send the header 'Authorization: Bearer <token>' (the value of "
                           "KWK_SERVE_TOKEN where the service runs)."),
                    status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    @app.get("/health", summary="Is the model loaded and the service up?")
    def health():
        return {"status": "ok", "task": info["task"]}

    @app.get("/model", summary="The served model: target, task, columns, metrics, versions")
    def model():
        return info

    @app.post("/predict", summary="Score rows",
              responses={200: {"model": schema.PredictResponse},
                         413: {"description": "Too many rows or bytes in one request"},
                         415: {"description": "The body is not declared as JSON"},
                         422: {"description": "A row the model cannot take: the row, the "
                                              "column and the fix"}})
    async def predict(request: Request):
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json" and not ctype.endswith("+json"):
            return JSONResponse(_error(f"The body must be JSON, not '{ctype or 'undeclared'}'.",
                                       "Send it with 'Content-Type: application/json'."), 415)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            return JSONResponse(_too_big(max_bytes), 413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                return JSONResponse(_too_big(max_bytes), 413)
            chunks.append(chunk)
        status, answer = await run_in_threadpool(service.answer, b"".join(chunks))
        return JSONResponse(answer, status_code=status)

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        req = service.Request.model_json_schema(ref_template="#/components/schemas/{model}")
        comps = doc.setdefault("components", {}).setdefault("schemas", {})
        comps.update(req.pop("$defs", {}))
        comps["PredictRequest"] = req
        doc["paths"]["/predict"]["post"]["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}}}}
        if expected is not None:
            comps_sec = doc["components"].setdefault("securitySchemes", {})
            comps_sec["bearer"] = {"type": "http", "scheme": "bearer"}
            doc["security"] = [{"bearer": []}]
        app.openapi_schema = doc
        return doc

    app.openapi = openapi
    return app


def _description(info: dict) -> str:
    cols = "\n".join(f"- `{c['name']}` ({c['kind']})" for c in info["columns"][:60])
    more = f"\n- ... and {len(info['columns']) - 60} more" if len(info["columns"]) > 60 else ""
    series = f"\n\n{info['series']['note']}" if "series" in info else ""
    return (f"Predicts **{info['target']}** ({info['task']}) from raw rows. `POST /predict` with "
            f'`{{"rows": [{{column: value, ...}}, ...]}}` (at most {info["limits"]["max_rows"]:,} '
            f"rows); every row names each column below (null for a missing value):\n\n"
            f"{cols}{more}{series}")


def _error(message: str, fix: str = "") -> dict:
    return {"error": message, "detail": [{"row": None, "column": None, "problem": message,
                                          "fix": fix}]}


def _too_big(max_bytes: int) -> dict:
    return _error(f"The request is larger than this service takes ({max_bytes / 2**20:g} MB).",
                  "Send the rows in smaller batches.")


def _plain(v):
    """A prediction as JSON: a label stays text, a number a float (null when not finite)."""
    if v is None or isinstance(v, str):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f if math.isfinite(f) else None


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text()) if path.exists() else {}
    except (OSError, json.JSONDecodeError):
        return {}
