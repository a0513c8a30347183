"""Streamed multi-worker training (``train --stream --distributed``) on loopback workers:
rows per second with 1, 2 and 3 workers on this machine, and each worker's peak memory.

Writes a folder of FILES Parquet files (ROWS x 20 in all), then trains one epoch with 1, 2 and 3
workers on 127.0.0.1 (each worker a child process with its own TF_CONFIG, streaming its own
share of the files). On one machine the workers share its cores, so the figure shows the
overhead of the cluster (the per-step all-reduce, the shared statistics pass), not a speed-up.
The fixed cost of n workers is their peak on a folder of one chunk per worker (a cluster
costs more than one process: gRPC, the collective ops).
Run: python bench/bench_scale.py [rows] [chunk] [files].
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, record, synthetic

PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")


def write_folder(folder: Path, rows: int, files: int, seed: int = 0) -> float:
    """``files`` Parquet files of ``rows`` synthetic rows in all; returns bytes per row in
    pandas."""
    folder.mkdir(parents=True)
    per_file = -(-rows // files)
    per_row = 0.0
    for k in range(files):
        df = synthetic(min(per_file, rows - k * per_file), seed=seed + k)
        per_row = df.memory_usage(deep=True).sum() / len(df)
        df.to_parquet(folder / f"part-{k:04d}.parquet", row_group_size=50_000)
    return per_row


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_workers(n: int, data: str, out: str, chunk: int, cwd: Path) -> tuple[list[float], float]:
    """Train with ``n`` loopback workers; returns each worker's peak MB and the seconds."""
    ports = [_port() for _ in range(n)]
    base = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    base.pop("TF_CONFIG", None)
    t0 = time.perf_counter()
    procs = []
    for i in range(n):
        cfg = {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
               "task": {"type": "worker", "index": i}}
        procs.append(subprocess.Popen(
            [sys.executable, "-c", PEAK, sys.executable, "-m", "kwk", "train", data, "--spec",
             "s.json", "--out", out, "--stream", "--distributed", "--chunk-rows", str(chunk),
             "--quiet"], cwd=cwd, env={**base, "TF_CONFIG": json.dumps(cfg)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate() for p in procs]
    secs = time.perf_counter() - t0
    for p, (_, err) in zip(procs, outs):
        if p.returncode:
            raise SystemExit(err[-2000:])
    return [int(o.split()[-1]) / 1024 for o, _ in outs], secs


def main(rows: int = 600_000, chunk: int = 50_000, files: int = 6) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        per_row = write_folder(tmp / "data", rows, files)
        write_folder(tmp / "one", 3 * chunk, 3, seed=99)  # one chunk per worker
        spec = {"data": {"target": "y"}, "layers": [{"type": "Dense", "units": 64},
                                                     {"type": "Dense", "units": 32}],
                "training": {"epochs": 1, "batch_size": 1024}}
        (tmp / "s.json").write_text(json.dumps(spec))
        chunk_mb = per_row * chunk / 2**20
        parts, base = [], None
        for n in (1, 2, 3):
            fixed, _ = run_workers(n, "one", f"f{n}", chunk, tmp)
            peaks, secs = run_workers(n, "data", f"r{n}", chunk, tmp)
            m = json.loads((tmp / f"r{n}" / "metrics.json").read_text())
            rate = rows / secs
            base = base or rate
            parts.append(f"{n} worker(s): {rate:,.0f} rows/s ({secs:.0f} s), peak per worker "
                         f"{', '.join(f'{p:.0f}' for p in peaks)} MB, test accuracy "
                         f"{m['test']['accuracy']:.3f}")
            above = (max(peaks) - max(fixed)) / chunk_mb
            record(f"streamed multi-worker training on loopback, {rows:,} x 20 in {files} Parquet "
                   f"files, chunks of {chunk:,} rows, 1 epoch, {n} worker(s) on one machine "
                   "(whole command: start, shared statistics pass, epoch, scoring, saving)",
                   f"{rate:,.0f} rows/s ({secs:.0f} s); peak per worker "
                   f"{', '.join(f'{p:.0f}' for p in peaks)} MB (fixed cost {max(fixed):.0f} MB; "
                   f"one chunk {chunk_mb:.0f} MB; all the data in memory "
                   f"{per_row * rows / 2**20:.0f} MB); test accuracy {m['test']['accuracy']:.3f}",
                   f"**{rate / base:.2f}x** the 1-worker rate; {above:.1f} chunks above the fixed "
                   "cost (target ≤ ~2)")
        print("\n".join(parts))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
