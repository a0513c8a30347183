"""The REST service (python -m kwk serve): real HTTP requests against servers on 127.0.0.1.

One tiny binary run (churn: categories, numbers with missing values, a date) is served by two
uvicorn servers in threads (without and with a token) and, once, by the CLI in a subprocess.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pandas as pd
import pytest

from testutil import ROOT, tiny_spec

TOKEN = "t0ken-Zq9-not-in-logs"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, churn_df):
    from kwk.cli import main
    d = tmp_path_factory.mktemp("serve")
    churn_df.head(400).to_csv(d / "churn.csv", index=False)
    (d / "spec.json").write_text(json.dumps(tiny_spec("churned", epochs=2)))
    assert main(["train", str(d / "churn.csv"), "--spec", str(d / "spec.json"),
                 "--out", str(d / "run"), "--quiet"]) == 0
    return d / "run"


class Server:
    """A uvicorn server in a thread on a free port of 127.0.0.1."""

    def __init__(self, app):
        import uvicorn
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:  # a condition, polled: not a fixed sleep
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        assert httpx.get(self.url + "/health").status_code == 200

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def open_url(run_dir):
    from kwk.serve.app import create_app
    s = Server(create_app(run_dir))
    yield s.url
    s.stop()


@pytest.fixture(scope="module")
def locked_url(run_dir):
    from kwk.serve.app import create_app
    s = Server(create_app(run_dir, token=TOKEN, max_rows=50, max_body_mb=0.05))
    yield s.url
    s.stop()


@pytest.fixture(scope="module")
def rows(churn_df):
    df = churn_df.iloc[400:420].drop(columns=["churned", "customer_id"])
    return json.loads(df.to_json(orient="records"))  # missing values become null


def post(url, body, **kw):
    return httpx.post(url + "/predict", json=body, timeout=60, **kw)


def test_predictions_equal_the_bundles_and_flag_unusual_values(open_url, run_dir, rows):
    from kwk.runs.bundle import load_bundle
    r = post(open_url, {"rows": rows})
    assert r.status_code == 200, r.text
    got = r.json()
    expected = load_bundle(run_dir).predict(pd.DataFrame(rows))
    assert got["predictions"] == expected["prediction"].tolist()
    assert [p["yes"] for p in got["probabilities"]] == pytest.approx(
        expected["proba_yes"].tolist(), abs=1e-6)
    assert all(abs(sum(p.values()) - 1) < 1e-6 for p in got["probabilities"])
    assert got["threshold"] == 0.5 and got["unusual"] == [""] * len(rows)
    # a number sent as text is read as KwK reads it; an unseen label and unreadable text flagged
    odd = [{**rows[0], "monthly_charge": str(rows[0]["monthly_charge"])},
           {**rows[0], "plan": "platinum", "support_calls": "lots"}, {**rows[0], "extra": 1}]
    r = post(open_url, {"rows": odd}).json()
    assert r["probabilities"][0] == pytest.approx(got["probabilities"][0], abs=1e-6)
    assert "plan = 'platinum' was never seen" in r["unusual"][1]
    assert "support_calls = 'lots' is not a number" in r["unusual"][1]
    assert r["unusual"][0] == r["unusual"][2] == ""


def test_health_model_and_generated_openapi(open_url, run_dir):
    assert httpx.get(open_url + "/health").json()["status"] == "ok"
    m = httpx.get(open_url + "/model").json()
    assert (m["target"], m["task"], m["classes"]) == ("churned", "binary", ["no", "yes"])
    kinds = {c["name"]: c["kind"] for c in m["columns"]}
    assert kinds == {"tenure_months": "numeric", "plan": "categorical", "region": "categorical",
                     "monthly_charge": "numeric", "support_calls": "numeric",
                     "signup_date": "datetime"}
    assert m["metrics"]["test"] == json.loads((run_dir / "metrics.json").read_text())["test"]
    assert m["versions"]["kwk"] and m["versions"]["serving"]["keras"]
    assert m["limits"]["max_rows"] == 10_000
    doc = httpx.get(open_url + "/openapi.json").json()
    body = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/PredictRequest")
    row = doc["components"]["schemas"]["Row"]
    assert set(row["properties"]) == set(kinds) and set(row["required"]) == set(kinds)
    assert row["properties"]["plan"]["description"].startswith("categorical")
    assert "basic" in row["properties"]["plan"]["description"]
    example = row["examples"][0]
    assert set(example) == set(kinds)
    # the documented example row is itself a valid request
    assert post(open_url, {"rows": [example]}).status_code == 200
    assert "swagger" in httpx.get(open_url + "/docs").text.lower()


@pytest.mark.parametrize("bad, column, words", [
    ({"plan": {"$gt": ""}}, "plan", "not an object"),
    ({"tenure_months": [1, 2]}, "tenure_months", "not a list"),
    ({"tenure_months": True}, "tenure_months", "not true/false"),
    ({"signup_date": 20240101}, "signup_date", "should be a date"),
])
def test_wrong_types_name_the_column_and_the_fix(open_url, rows, bad, column, words):
    r = post(open_url, {"rows": [rows[0], {**rows[1], **bad}]})
    assert r.status_code == 422
    d = r.json()["detail"][0]
    assert (d["row"], d["column"]) == (1, column) and words in d["problem"] and d["fix"]


def test_missing_columns_and_bad_shapes(open_url, rows):
    r = post(open_url, {"rows": [{k: v for k, v in rows[0].items() if k != "region"}]})
    assert r.status_code == 422
    d = r.json()["detail"]
    assert [(x["row"], x["column"]) for x in d] == [(0, "region")]
    assert "null for an unknown value" in d[0]["fix"]
    for body, words in [([rows[0]], "a list called 'rows'"), ({"row": [rows[0]]}, "'rows'"),
                        ({"rows": [1]}, "Row 0 is not an object"), ({"rows": []}, "no rows"),
                        ({"rows": "all"}, "'rows'")]:
        r = post(open_url, body)
        assert r.status_code == 422 and words in r.json()["error"], (body, r.text)


def test_hostile_bodies(open_url):
    h = {"content-type": "application/json"}
    for content, words in [("[" * 100_000 + "]" * 100_000, "nested too deeply"),
                           ('{"rows": [{"a": ' * 3000, "not valid JSON"),
                           ("rows=1&x=2", "not valid JSON"), (b"\xff\xfe\x00", "not valid JSON"),
                           ("", "not valid JSON"), ("NaN", "a list called 'rows'")]:
        r = httpx.post(open_url + "/predict", content=content, headers=h, timeout=60)
        assert r.status_code == 422 and words in r.json()["error"], (content[:20], r.text)
    r = httpx.post(open_url + "/predict", content='{"rows": []}',
                   headers={"content-type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["detail"][0]["fix"]
    r = httpx.post(open_url + "/predict", data={"rows": "1"})  # a form post
    assert r.status_code == 415
    assert httpx.get(open_url + "/predict").status_code == 405
    assert httpx.get(open_url + "/health").status_code == 200  # still serving


def test_batch_limit(open_url, rows):
    r = post(open_url, {"rows": [rows[0]] * 10_001})
    assert r.status_code == 413 and "10,000" in r.json()["error"]
    r = post(open_url, {"rows": [rows[0]] * 10_000})
    assert r.status_code == 200 and len(r.json()["predictions"]) == 10_000


def test_concurrent_requests_get_their_own_answers(open_url, rows):
    alone = [post(open_url, {"rows": [r]}).json()["probabilities"][0]["yes"] for r in rows[:8]]
    with httpx.Client(timeout=60) as client, ThreadPoolExecutor(8) as pool:
        def one(i):
            r = client.post(open_url + "/predict", json={"rows": [rows[i % 8]] * (1 + i % 5)})
            return i, r.json()["probabilities"]
        for i, probs in pool.map(one, range(24)):
            assert [p["yes"] for p in probs] == pytest.approx([alone[i % 8]] * (1 + i % 5),
                                                              abs=1e-6)


def test_token(locked_url, rows):
    ok = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.get(locked_url + "/health").status_code == 200  # health checks need no token
    for path in ("/model", "/docs", "/openapi.json"):
        r = httpx.get(locked_url + path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert TOKEN not in r.text
        assert httpx.get(locked_url + path, headers=ok).status_code == 200
    for wrong in ("", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, f"Basic {TOKEN}",
                  "Bearer", f"Bearer {TOKEN} {TOKEN}"):
        r = post(locked_url, {"rows": rows[:1]}, headers={"Authorization": wrong})
        assert r.status_code == 401, wrong
    assert post(locked_url, {"rows": rows[:1]}, headers={"Authorization": f"bearer {TOKEN}"}
                ).status_code == 200
    # this server's limits: 50 rows, 0.05 MB
    assert post(locked_url, {"rows": rows[:1] * 51}, headers=ok).status_code == 413
    big = {"rows": rows[:1] * 10, "pad": "x" * 60_000}
    r = post(locked_url, big, headers=ok)
    assert r.status_code == 413 and "MB" in r.json()["error"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # a second process that imports TensorFlow: ~15 s
def test_cli_serves_with_a_token_that_never_reaches_the_logs(run_dir, rows, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KWK_SERVE_TOKEN": TOKEN}
    port = _free_port()
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kwk", "serve", str(run_dir),
                                 "--port", str(port), "--max-rows", "5"],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:  # wait for /health to answer
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        ok = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.get(url + "/model").status_code == 401
        assert httpx.get(url + "/model", headers=ok).json()["limits"]["max_rows"] == 5
        r = httpx.post(url + "/predict", json={"rows": rows[:3]}, headers=ok, timeout=60)
        assert r.status_code == 200 and len(r.json()["predictions"]) == 3
        assert httpx.post(url + "/predict", json={"rows": rows[:6]}, headers=ok).status_code == 413
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = log.read_text()
    assert "POST /predict" in text and "access token: required" in text
    assert TOKEN not in text


def test_cli_refuses_an_empty_token_and_a_bad_folder(run_dir, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KWK_SERVE_TOKEN": " "}
    p = subprocess.run([sys.executable, "-m", "kwk", "serve", str(run_dir)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "KWK_SERVE_TOKEN is set but empty" in p.stderr
    env.pop("KWK_SERVE_TOKEN")
    p = subprocess.run([sys.executable, "-m", "kwk", "serve", str(tmp_path / "nothing")],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "is not a model folder" in p.stderr


def test_schema_of_series_text_and_picture_columns():
    """The row model follows each kind of run: a series needs its time and series columns,
    a text model takes strings, pixel columns take numbers."""
    from pydantic import ValidationError

    from kwk.serve.schema import columns, row_model
    state = {"columns": [{"name": "sales", "kind": "numeric", "fill": 3.0, "mean": 3, "std": 1},
                         {"name": "promo day?", "kind": "boolean", "categories": ["False", "True"]}],
             "target": {"name": "sales", "task": "regression"},
             "sequence": {"time": "date", "group": "store", "window": 7, "horizon": 1}}
    cols = columns(state)
    assert [(c["name"], c["kind"]) for c in cols] == [
        ("sales", "numeric"), ("promo day?", "boolean"), ("date", "time"), ("store", "series")]
    Row = row_model(cols)
    ok = Row.model_validate({"sales": 3, "promo day?": True, "date": "2024-01-02", "store": "A"})
    assert ok.model_dump(by_alias=True)["promo day?"] is True
    with pytest.raises(ValidationError):
        Row.model_validate({"sales": 3, "promo day?": True, "store": "A"})  # no time
    text = row_model(columns({"columns": [{"name": "review", "kind": "text"}],
                              "target": {"name": "y", "task": "binary"}, "text": {}}))
    assert text.model_validate({"review": "fine"}).model_dump(by_alias=True) == {"review": "fine"}
    with pytest.raises(ValidationError):
        text.model_validate({"review": 5})
    px = row_model(columns({"columns": [{"name": f"px_{i}", "kind": "numeric", "fill": 0.0,
                                         "mean": 0.0, "std": 1.0} for i in range(16)],
                            "target": {"name": "label", "task": "multiclass"}}))
    row = px.model_validate({f"px_{i}": float(i) for i in range(16)}).model_dump(by_alias=True)
    assert np.allclose(list(row.values()), range(16))
