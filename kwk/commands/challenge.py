"""``python -m kwk challenge``: class challenges with hidden answers.

    python -m kwk challenge create DATA --target T --out DIR     student.zip + key.csv in DIR
        [--metric M] [--test-fraction F] [--seed S] [--goal G] [--title TEXT] [--task TASK]
    python -m kwk challenge score KEY SUBMISSION                 the score as JSON on stdout
        [--challenge challenge.json | student.zip] [--bootstrap N] [--seed S]
    python -m kwk challenge board KEY SUBMISSION... | FOLDER     every submission, ranked (JSON)

``create`` writes ``DIR/student.zip`` (train.csv with the target, test.csv without it and with
a random ``row_id``, challenge.json: title, target, task, metric, goal, rules), ``DIR/key.csv``
(``row_id`` and the true target) and the teacher's ``DIR/challenge.json`` (with the seed).
``score`` reads the task, metric and goal from ``--challenge``, else from a challenge.json or
student.zip beside the key, else infers them from the key. A refused submission (missing,
repeated or unknown rows, a label the task cannot have, no row_id or prediction column) prints
``error: …`` with every reason and exits 2. See docs/challenges.md.
"""
from __future__ import annotations

from kwk.commands import common

import json
import sys


def add(sub) -> None:
    s = sub.add_parser("challenge", help="class challenges with hidden answers: create one "
                       "from a table, score a submission, rank a folder of submissions")
    verbs = s.add_subparsers(dest="verb", required=True, parser_class=type(s))
    c = verbs.add_parser("create", help="split a table into student.zip (train.csv, test.csv, "
                         "challenge.json) and the teacher's key.csv")
    c.add_argument("data", metavar="DATA", help="the table (any format KwK reads)")
    c.add_argument("--target", required=True, help="the column the students predict")
    c.add_argument("--out", required=True, metavar="DIR", help="the folder to write")
    c.add_argument("--metric", help="balanced_accuracy (classes, default), accuracy, f1_macro; "
                   "rmse (numbers, default), mae, r2")
    c.add_argument("--test-fraction", dest="test_fraction", type=float, default=0.25,
                   help="the share of rows kept hidden for scoring (default 0.25)")
    c.add_argument("--seed", type=int, default=0, help="the split's and row ids' seed")
    c.add_argument("--goal", type=float, help="the score to reach, in the metric's units")
    c.add_argument("--title", help="the challenge's title (default: Predict 'TARGET')")
    c.add_argument("--task", choices=("binary", "multiclass", "regression"),
                   help="the task (default: inferred from the target, as everywhere in KwK)")
    c.add_argument("--sheet")
    c.set_defaults(fn=create)
    k = verbs.add_parser("score", help="score a submission against the key (JSON on stdout)")
    k.add_argument("key", metavar="KEY", help="the key.csv that 'create' wrote")
    k.add_argument("submission", metavar="SUBMISSION", help="a CSV with row_id and prediction")
    _score_args(k)
    k.set_defaults(fn=score)
    b = verbs.add_parser("board", help="score many submissions and rank them (JSON on stdout)")
    b.add_argument("key", metavar="KEY")
    b.add_argument("submissions", metavar="SUBMISSION", nargs="+",
                   help="submission files, or a folder of them (every .csv inside)")
    _score_args(b)
    b.set_defaults(fn=board)


def _score_args(p) -> None:
    p.add_argument("--challenge", help="the challenge.json or student.zip (default: the one "
                   "beside the key)")
    p.add_argument("--metric", help="score with another metric than the challenge's")
    p.add_argument("--bootstrap", type=int, default=1000,
                   help="resamples for the 95%% interval (default 1000; 0: none)")
    p.add_argument("--seed", type=int, default=0)


def create(a) -> int:
    from kwk.learn.challenge import create as make, write
    ld = common.load(a)
    ch = make(ld.df, a.target, metric=a.metric, test_fraction=a.test_fraction, seed=a.seed,
              goal=a.goal, title=a.title, task=a.task, data_name=ld.name)
    paths = write(ch, a.out)
    for n in ch.notes:
        print(f"note: {n}", file=sys.stderr)
    m = ch.meta
    goal = "" if m["goal"] is None else f", goal {m['goal']:g}"
    print(f"Wrote {paths['student.zip']} ({m['rows']['train']:,} training rows, "
          f"{m['rows']['test']:,} test rows) for the students and {paths['key.csv']} for you: "
          f"{m['task']}, scored by {m['metric_label']}{goal}.", file=sys.stderr)
    return 0


def _meta(a):
    from pathlib import Path

    from kwk.learn.challenge import CHALLENGE_META, STUDENT_FILE, read_meta
    if a.challenge:
        return read_meta(_readable(a.challenge))
    for name in (CHALLENGE_META, STUDENT_FILE):
        p = Path(a.key).resolve().parent / name
        if p.is_file():
            return read_meta(p)
    return None


def _readable(path: str):
    from pathlib import Path

    from kwk.errors import KwkError
    p = Path(path)
    if not p.is_file():
        raise KwkError(f"Cannot read {path}: no such file.")
    return p


def _checks(a) -> None:
    from kwk.errors import KwkError
    if not 0 <= a.bootstrap <= 100_000:
        raise KwkError(f"--bootstrap {a.bootstrap} is out of range.",
                       "Give between 0 and 100000 resamples (1000 is plenty).")


def score(a) -> int:
    from kwk.learn.challenge import read_key, score as run
    _checks(a)
    meta = _meta(a)
    key = read_key(_readable(a.key))
    out = run(key, _readable(a.submission), meta, a.metric, a.bootstrap, a.seed)
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def board(a) -> int:
    from pathlib import Path

    from kwk.errors import KwkError
    from kwk.learn.challenge import leaderboard, read_key
    _checks(a)
    meta = _meta(a)
    key = read_key(_readable(a.key))
    files = []
    for s in a.submissions:
        p = Path(s)
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix.lower() == ".csv"
                            and f.resolve() != Path(a.key).resolve())
        else:
            files.append(_readable(s))
    if not files:
        raise KwkError("No submissions found.", "Give CSV files, or a folder holding them.")
    b = leaderboard(key, [(f.name, f) for f in files], meta, a.metric, a.bootstrap, a.seed)
    rows = [{k: (None if v is None or v != v else v) for k, v in r.items()}
            for r in json.loads(b.to_json(orient="records"))]
    json.dump({"metric": b.attrs["metric"], "higher_is_better": b.attrs["higher_is_better"],
               "rows": rows}, sys.stdout, indent=2,
              ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
