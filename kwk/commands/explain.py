"""``python -m kwk explain RUN DATA --out explain.json [--rows N]``: why the model predicts what
it does for the first N rows of DATA, in the data's own columns.

Writes ``{"rows": [{"base": …, "contributions": {column: value}, "prediction": …}, …]}``:
regression in the target's units; classification per class (``{class: …}``, the contributions
as ``{class: {column: value}}``) with ``"predicted"`` naming the class. ``base`` is the average
prediction over a background sample (the run's training rows when DATA is its training file),
and ``base + sum(contributions) = prediction``.
"""
from __future__ import annotations

from kwk.commands import common

import sys

MAX_ROWS = 10_000


def add(sub) -> None:
    s = sub.add_parser("explain", help="per-column contributions (SHAP) to the predictions of "
                       "the first rows of a data file, as JSON")
    s.add_argument("run_dir", metavar="RUN", help="the run folder (written by 'train --out')")
    s.add_argument("data", nargs="?", metavar="DATA")
    s.add_argument("--out", required=True, help="the JSON file to write")
    s.add_argument("--rows", type=int, default=10, help="explain the first N rows (default 10)")
    s.add_argument("--background", type=int, default=50,
                   help="rows whose values stand in for an absent column (default 50)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--sheet")
    common.sql_args(s)
    s.set_defaults(fn=run)


def run(a) -> int:
    import json

    from kwk.errors import KwkError
    if not 1 <= a.rows <= MAX_ROWS:
        raise KwkError(f"--rows {a.rows} is out of range.",
                       f"Give a number of rows between 1 and {MAX_ROWS:,} (each takes a "
                       "fraction of a second to a few seconds).")
    if not 5 <= a.background <= 1000:
        raise KwkError(f"--background {a.background} is out of range.",
                       "Give between 5 and 1000 rows (50 is a good start).")
    from pathlib import Path
    if not Path(a.out).resolve().parent.is_dir():
        raise KwkError(f"Cannot write {a.out}: its folder does not exist.",
                       "Create the folder first, or write the file somewhere else.")
    from kwk.evaluation.explain import check_explainable, explain_bundle, run_background
    from kwk.runs.bundle import load_bundle
    b = load_bundle(a.run_dir)
    check_explainable(b)
    ld = common.load(a, min_columns=1)
    df = ld.df
    if not len(df):
        raise KwkError("The data has no rows to explain.")
    b.pre.check_columns(df)
    background, note = run_background(a.run_dir, df, ld.fingerprint, a.background, a.seed)
    rows = df.iloc[:a.rows]
    show = sys.stderr.isatty()

    def progress(done, total):
        if show:
            print(f"\rexplained {done}/{total} rows", end="", file=sys.stderr, flush=True)
    e = explain_bundle(b, rows, background, seed=a.seed, progress=progress)
    if show:
        print(file=sys.stderr)
    e.notes.append(note)
    out = {**e.to_json(), "target": b.spec["data"]["target"], "task": b.pre.task}
    try:
        with open(a.out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2, ensure_ascii=False)
    except OSError as err:
        raise KwkError(f"Cannot write {a.out}: {err.strerror or err}.")
    print(f"Explained {e.n} row(s) in {e.seconds:.1f} s "
          f"({e.seconds / max(e.n, 1):.2f} s per row). {note} Wrote {a.out}", file=sys.stderr)
    return 0
