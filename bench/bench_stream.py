"""Streamed training of a Parquet file larger than it is sensible to load: peak memory against
one chunk's memory (target: peak above the fixed cost ≤ ~2 chunks plus the model).

Writes a ROWS x 20 Parquet file (default 5M rows) in pieces, then trains one epoch with
``python -m kwk train --stream --chunk-rows CHUNK`` in a child process and reads its peak
resident memory. The fixed cost (Python, TensorFlow, the model) is the peak of the same command
on a file of a single chunk. Run: python bench/bench_stream.py [rows] [chunk].
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, record, synthetic


def write_parquet(path: Path, rows: int, piece: int = 500_000) -> float:
    """Write ``rows`` synthetic rows in pieces (the whole table is never in memory); returns
    the in-memory size of one 'chunk'-sized DataFrame per row in bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    writer, per_row = None, 0.0
    for k, start in enumerate(range(0, rows, piece)):
        df = synthetic(min(piece, rows - start), seed=k)
        per_row = df.memory_usage(deep=True).sum() / len(df)
        table = pa.Table.from_pandas(df, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=100_000)
    writer.close()
    return per_row


def peak_mb(args: list[str], cwd: Path) -> tuple[float, float]:
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "kwk", *args],
                       cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(r.stderr[-2000:])
    return int(r.stdout.split()[-1]) / 1024, time.perf_counter() - t0


def main(rows: int = 5_000_000, chunk: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        per_row = write_parquet(tmp / "big.parquet", rows)
        write_parquet(tmp / "one.parquet", chunk)
        spec = {"data": {"target": "y"}, "layers": [{"type": "Dense", "units": 64},
                                                     {"type": "Dense", "units": 32}],
                "training": {"epochs": 1, "batch_size": 1024}}
        (tmp / "s.json").write_text(json.dumps(spec))
        common = ["--spec", "s.json", "--stream", "--chunk-rows", str(chunk), "--quiet"]
        fixed, _ = peak_mb(["train", "one.parquet", "--out", "r1", *common], tmp)
        peak, secs = peak_mb(["train", "big.parquet", "--out", "r2", *common], tmp)
        chunk_mb = per_row * chunk / 2**20
        data_mb = per_row * rows / 2**20
        m = json.loads((tmp / "r2" / "metrics.json").read_text())
        record(f"streamed training, {rows:,} x 20 Parquet, chunks of {chunk:,} rows, 1 epoch",
               f"peak {peak:.0f} MB (fixed cost {fixed:.0f} MB; one chunk {chunk_mb:.0f} MB; the "
               f"data in memory would be {data_mb:.0f} MB); {secs:.0f} s; test balanced accuracy "
               f"{m['test']['balanced_accuracy']:.3f}",
               f"{(peak - fixed) / chunk_mb:.2f} chunks above the fixed cost (target ≤ ~2)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
