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


def synthetic_mixed(rows: int, seed: int = 0):
    """A 3-class table of mixed kinds: 16 numbers (2% of ``n0`` missing), 4 categorical columns
    of 3, 4, 5 and 6 levels (text labels) and a text target ``y`` (``a``, ``b``, ``c``) with a
    learnable, non-linear signal from both kinds."""
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 16)).astype("float32")
    df = pd.DataFrame(X, columns=[f"n{i}" for i in range(16)])
    score = np.zeros((rows, 3))
    score[:, 0] = X[:, 0] * 1.2 - X[:, 1] + 0.5 * X[:, 2] * X[:, 3]
    score[:, 1] = X[:, 1] + np.sin(2 * X[:, 4]) - 0.5 * X[:, 5]
    for j, levels in enumerate((3, 4, 5, 6)):
        codes = rng.integers(0, levels, size=rows)
        effect = rng.normal(scale=0.8, size=(levels, 3))
        score += effect[codes]
        df[f"c{j}"] = np.array([f"L{j}_{v}" for v in range(levels)], dtype=object)[codes]
    score += rng.gumbel(size=score.shape) * 0.7
    df["y"] = np.array(["a", "b", "c"], dtype=object)[score.argmax(axis=1)]
    df.loc[rng.random(rows) < 0.02, "n0"] = np.nan
    return df
