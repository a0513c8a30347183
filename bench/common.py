"""Shared helpers of the benchmarks: the machine line and appending results to RESULTS.md."""
import datetime as dt
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def machine() -> str:
    return f"{platform.node()} ({os.cpu_count()} CPUs)"


def record(benchmark: str, measured: str, ratio: str) -> None:
    line = f"| {dt.date.today()} | {machine()} | {benchmark} | {measured} | {ratio} |"
    print(line, flush=True)
    with (ROOT / "bench" / "RESULTS.md").open("a") as f:
        f.write(line + "\n")


def synthetic(rows: int, cols: int = 20, seed: int = 0):
    """A binary classification table with a learnable, non-linear signal."""
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, cols)).astype("float32")
    logit = X[:, 0] * 1.5 - X[:, 1] + X[:, 2] * X[:, 3] + np.sin(2 * X[:, 4])
    y = (logit + rng.normal(scale=0.5, size=rows) > 0).astype(int)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(cols)])
    df["y"] = np.where(y == 1, "yes", "no")
    return df
