"""The REST service (python -m kwk serve) under 8 concurrent clients: latency p50/p99 of one-row
requests and rows per second of 1,000-row batches, against the same model called in process
(``Bundle.predict``, no HTTP) measured in the same run.

A binary model (20 numeric inputs, hidden layers of 32 and 16) is trained on a synthetic table,
served by ``python -m kwk serve`` in its own process on 127.0.0.1, and called by 8 client
threads, each with its own HTTP connection (httpx). The baseline is the server's own scoring
called in process (``Bundle.predict`` with the model called batch by batch, as the server does);
``Bundle.predict`` as it is (``model.predict``) is shown beside it.
Run: python bench/bench_serve.py [one-row requests per client] [batches per client].
Appends to bench/RESULTS.md.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from common import ROOT, record, synthetic

CLIENTS = 8


def train(folder: Path) -> Path:
    from kwk.cli import main
    synthetic(5_000, seed=1).to_csv(folder / "train.csv", index=False)
    spec = {"kwk_spec": 1, "data": {"target": "y"},
            "layers": [{"type": "Dense", "units": 32, "activation": "relu"},
                       {"type": "Dense", "units": 16, "activation": "relu"}],
            "training": {"epochs": 3, "batch_size": 64}}
    (folder / "spec.json").write_text(json.dumps(spec))
    assert main(["train", str(folder / "train.csv"), "--spec", str(folder / "spec.json"),
                 "--out", str(folder / "run"), "--quiet"]) == 0
    return folder / "run"


def start(run: Path, log: Path):
    import httpx
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("KWK_SERVE_TOKEN", None)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kwk", "serve", str(run), "--port",
                                 str(port)], stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            raise SystemExit(log.read_text())
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            raise SystemExit("the server did not start:\n" + log.read_text())
        time.sleep(0.1)


def hammer(url: str, bodies: list[list[dict]], clients: int) -> tuple[list[float], float]:
    """Every client sends its share of ``bodies`` one after the other; returns each request's
    latency (s) and the wall time of the whole."""
    import httpx
    latencies, lock = [], threading.Lock()
    shares = [bodies[i::clients] for i in range(clients)]
    errors = []

    def client(share):
        with httpx.Client(timeout=120) as c:
            mine = []
            for rows in share:
                t = time.perf_counter()
                r = c.post(url + "/predict", json={"rows": rows})
                mine.append(time.perf_counter() - t)
                if r.status_code != 200 or len(r.json()["predictions"]) != len(rows):
                    errors.append(r.text[:200])
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(s,)) for s in shares]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{len(errors)} requests failed: {errors[0]}")
    return latencies, wall


def main(per_client: int = 50, batches_per_client: int = 4) -> None:

    from kwk.runs.bundle import load_bundle
    from kwk.serve.app import BatchCalls
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run = train(tmp)
        new = synthetic(8_000, seed=2).drop(columns=["y"])
        rows = json.loads(new.to_json(orient="records"))

        # the baselines, in this process, no HTTP: the scoring the server runs (the bundle
        # with its model called batch by batch), and Bundle.predict as it is (model.predict)
        def direct(bundle):
            bundle.predict(new.iloc[:1])
            one = []
            for i in range(60):
                t = time.perf_counter()
                bundle.predict(new.iloc[i:i + 1])
                one.append(time.perf_counter() - t)
            t = time.perf_counter()
            for k in range(8):
                bundle.predict(new.iloc[k * 1000:(k + 1) * 1000])
            return float(np.median(one)), 8000 / (time.perf_counter() - t)

        plain = load_bundle(run)
        stock50, stock_rps = direct(plain)
        plain.model = BatchCalls(plain.model)
        d50, direct_rps = direct(plain)
        del plain

        proc, url = start(run, tmp / "server.log")
        try:
            hammer(url, [[r] for r in rows[:16]], CLIENTS)  # warm up
            ones = [[rows[i % len(rows)]] for i in range(per_client * CLIENTS)]
            lat1, _ = hammer(url, ones[:per_client], 1)
            lat8, wall8 = hammer(url, ones, CLIENTS)
            batches = [rows[(i % 8) * 1000:(i % 8 + 1) * 1000]
                       for i in range(batches_per_client * CLIENTS)]
            latb, wallb = hammer(url, batches, CLIENTS)
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    ms = lambda v: f"{1000 * v:.0f} ms"  # noqa: E731
    p50, p99 = np.percentile(lat8, 50), np.percentile(lat8, 99)
    record("kwk serve, one-row requests, 8 concurrent clients (20 inputs, Dense 32-16): "
           "latency vs the same scoring in process (no HTTP)",
           f"p50 {ms(p50)}, p99 {ms(p99)}, {len(lat8) / wall8:.0f} requests/s "
           f"(1 client: p50 {ms(np.median(lat1))}); in process p50 {ms(d50)} "
           f"(Bundle.predict with model.predict: {ms(stock50)})",
           f"**{p50 / d50:.2f}x** p50 over the in-process call")
    rps = len(batches) * 1000 / wallb
    record("kwk serve, 1,000-row batches, 8 concurrent clients: rows/s vs the same scoring in "
           "process (no HTTP)",
           f"{rps:,.0f} rows/s (batch p50 {ms(np.median(latb))}, p99 "
           f"{ms(np.percentile(latb, 99))}); in process {direct_rps:,.0f} rows/s "
           f"(with model.predict: {stock_rps:,.0f})",
           f"**{rps / direct_rps:.2f}x** of the in-process rate")

if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
