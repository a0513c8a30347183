"""Profiling (and ingest + profiling) of a 1M x 20 CSV vs pandas.read_csv alone (target 1.5x).

Run: python bench/bench_profile.py [rows]. Prints the ratio and appends to bench/RESULTS.md.
"""
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kwk.data import load  # noqa: E402
from kwk.data.profile import profile  # noqa: E402


def best(f, n=3):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return min(out)


def main(rows: int = 1_000_000) -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(14)})
    for i in range(4):
        df[f"c{i}"] = rng.choice(["north", "south", "east", "west"], rows)
    df["n"] = rng.integers(0, 100, rows)
    df["y"] = rng.integers(0, 2, rows)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "big.csv")
        df.to_csv(path, index=False)
        base = best(lambda: pd.read_csv(path))
        ours_load = best(lambda: load(path))
        frame = load(path).df
        ours_prof = best(lambda: profile(frame))
    machine = f"{platform.node()} ({os.cpu_count()} CPUs)"
    lines = [
        f"| {dt.date.today()} | {machine} | profile of a loaded {rows:,}x20 CSV vs read_csv "
        f"| read_csv {base:.2f}s; profile {ours_prof:.2f}s | **{ours_prof / base:.2f}x** "
        "(target 1.5x) |",
        f"| {dt.date.today()} | {machine} | ingest (kwk load) + profile vs read_csv "
        f"| load {ours_load:.2f}s + profile {ours_prof:.2f}s | **{(ours_load + ours_prof) / base:.2f}x** "
        "(target 1.5x) |"]
    print("\n".join(lines))
    res = Path(__file__).with_name("RESULTS.md")
    if not res.exists():
        res.write_text("# Benchmark results\n\n| date | machine | benchmark | measured | ratio |\n"
                       "|---|---|---|---|---|\n")
    with res.open("a") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
