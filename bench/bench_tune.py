"""Tuning's cost: an N-trial ``kwk tune`` against N separate ``kwk train`` runs of the same
trial specs (each its own process, as a user scripting a search by hand would run them), and
the epochs that pruning saved (epochs the pruned trials did not run, as a share of what all
trials would have run without pruning).

Run: python bench/bench_tune.py [trials] [rows]. Appends to bench/RESULTS.md.
"""
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, record, synthetic

EPOCHS = 20


def _kwk(*args) -> float:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "kwk", *map(str, args)], cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(r.stderr[-2000:])
    return time.perf_counter() - t


def main(trials: int = 30, rows: int = 4000) -> None:
    from kwk.spec import default_spec
    from kwk.tune.space import apply
    d = Path(tempfile.mkdtemp(prefix="kwk-bench-tune-"))
    synthetic(rows).to_csv(d / "data.csv", index=False)
    spec = default_spec("y")
    spec["training"].update(epochs=EPOCHS, early_stopping_patience=5)
    (d / "spec.json").write_text(json.dumps(spec))
    tune_s = _kwk("tune", d / "data.csv", "--spec", d / "spec.json", "--out", d / "tune",
                  "--trials", trials, "--quiet")
    board = json.loads((d / "tune" / "leaderboard.json").read_text())
    # the same trial specs, each trained by its own `kwk train` process
    train_s = 0.0
    for i, row in enumerate(board):
        s = apply(json.loads((d / "spec.json").read_text()), row["params"])
        (d / f"t{i}.json").write_text(json.dumps(s))
        train_s += _kwk("train", d / "data.csv", "--spec", d / f"t{i}.json", "--out",
                        d / f"run{i}", "--quiet")
    ran = sum(r["epochs"] or 0 for r in board if r.get("duplicate_of") is None)
    pruned = [r for r in board if r["state"] == "pruned"]
    # without pruning a pruned trial would have run until its early stop or EPOCHS: use the
    # epochs its separate `kwk train` run trained (the same spec and seed)
    full = 0
    for i, r in enumerate(board):
        if r.get("duplicate_of") is not None:
            continue
        if r["state"] == "pruned":
            full += len(json.loads((d / f"run{i}" / "history.json").read_text())["loss"])
        else:
            full += r["epochs"] or 0
    saved = 1 - ran / full if full else 0.0
    record(f"tune: {trials} trials on a {rows:,}x20 table ({EPOCHS} epochs, early stopping 5) "
           f"vs {trials} separate `kwk train` processes of the same specs",
           f"tune {tune_s:.1f} s (incl. training the best again); separate runs {train_s:.1f} s",
           f"**{tune_s / train_s:.2f}x** (target ≤ 0.5x)")
    record(f"tune: epochs saved by pruning (hyperband), same search",
           f"{len(pruned)} of {len(board)} trials pruned; {ran} epochs run of {full} without "
           "pruning", f"**{saved:.0%}** saved (target ≥ 40%)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
