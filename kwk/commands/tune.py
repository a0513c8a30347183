"""``python -m kwk tune DATA --spec SPEC --out DIR``: search for a better network with Optuna.

Writes ``DIR/leaderboard.json`` (every trial), ``DIR/study.json`` (metric, direction, counts,
the storage without credentials) and ``DIR/best/`` (a complete run of the best network, trained
again with its seed and scored once on the test rows). ``--storage URL --study NAME`` shares one
study between processes and machines (each adds its ``--trials``); ``--best-out DIR`` writes the
best so far as a run without running trials.
"""
from __future__ import annotations

from kwk.commands import common

import json
import sys


def add(sub) -> None:
    s = sub.add_parser("tune", help="search for a better network (Optuna); write the "
                       "leaderboard, the study and the best network's run")
    s.add_argument("data", nargs="?")
    s.add_argument("--spec", required=True)
    s.add_argument("--out", help="folder for leaderboard.json, study.json and best/")
    s.add_argument("--trials", type=int, help="trials to run (default: the spec's "
                   "tune.trials, else 20); with --storage, trials added by this process")
    s.add_argument("--timeout", type=float, help="stop starting trials after this many "
                   "seconds (the running one is stopped too)")
    s.add_argument("--storage", help="SQLAlchemy URL of a shared Optuna storage, e.g. "
                   "sqlite:///study.db or postgresql://host/db (default: DIR/study.db)")
    s.add_argument("--study", help="the study's name in the storage (default: derived from "
                   "the data, the spec and the search space)")
    s.add_argument("--best-out", dest="best_out", help="write the best network so far as a "
                   "run folder here, without running trials")
    s.add_argument("--sheet")
    s.add_argument("--quiet", action="store_true", help="no progress lines")
    common.sql_args(s)
    common.image_args(s)
    # the search as one MLflow run (the best network) with a nested run per trial
    common.mlflow_args(s)
    s.set_defaults(fn=run)


def _write(path, obj) -> None:
    from kwk.runs.bundle import write_json
    write_json(path, obj)


def run(a) -> int:
    from pathlib import Path

    from kwk.errors import KwkError
    from kwk.runs.service import DataSource, save_run
    from kwk.prep.prepare import prepare
    from kwk.tune.best import BEST, search_then_retrain
    from kwk.tune.search import Search

    out = _check_args(a)
    ld = common.load(a)
    spec = common.read_spec(a.spec)
    if ld.image_shape is not None and not spec["data"].get("image_shape"):
        spec["data"]["image_shape"] = list(ld.image_shape)
    prep = prepare(ld.df, spec)
    show = not a.quiet
    for n in [*ld.notes, *prep.notes]:
        print(f"note: {n}", file=sys.stderr) if show else None
    storage = a.storage or f"sqlite:///{(out / 'study.db').resolve()}"
    search = Search(prep, ld.fingerprint, storage, a.study, shared=bool(a.storage))
    source = DataSource.of(ld, path=a.data)
    todo = timeout = None
    if not a.best_out:
        wanted = a.trials or search.tune["trials"]
        todo = wanted if a.storage else max(0, wanted - search.finished())
        timeout = a.timeout or search.tune["timeout_s"]
        if show:
            done = search.finished()
            print(f"study {search.name}: {len(search.space)} setting(s) searched, scored by "
                  f"{search.metric} on the {search.summary()['split']}; {todo} trial(s) to run"
                  + (f" ({done} already finished)" if done else "")
                  + (f", at most {timeout:g} s" if timeout else ""), file=sys.stderr)

    on_trial = _trial_printer(search, show)

    def searched(seconds: float) -> None:
        if out is not None and not a.best_out:
            _write(out / "leaderboard.json", search.leaderboard())
            _write(out / "study.json", search.summary())

    def phase(text: str) -> None:
        if text == BEST and show:
            b = search.best()
            print(f"training the best network (trial {b['trial']}, {search.metric} "
                  f"{b['value']:.4f}) again and scoring it on the test rows…", file=sys.stderr)

    # the search, then the best network trained again (with the same progress bar and Ctrl-C
    # stop as ``train``) through the service the Tune page's job uses
    tuned = search_then_retrain(
        search, todo, timeout, on_trial=on_trial, after_search=searched, phase=phase,
        compare_own=False, train=lambda p, stop: common.train_job(p, show),
        on_interrupt=lambda: print("\nstopped; finished trials are kept in the study.",
                                   file=sys.stderr),
        no_best=KwkError("No trial finished, so there is no best network to save.",
                         "Give more --trials or a longer --timeout; see leaderboard.json for "
                         "why the trials failed."))
    result = tuned.best
    target = Path(a.best_out) if a.best_out else out / "best"
    saved = save_run(result, source, out_dir=target)
    if a.best_out:
        _write(Path(a.best_out) / "study.json", search.summary())
    from kwk.evaluation.metrics import headline
    key, val = headline(result.metrics)
    print(f"{search.note()} Test {key}: {common.four_digits(val)}. Saved to {saved}",
          file=sys.stderr)
    print(json.dumps({"best": search.best(), "test": {key: val}, "out": str(saved)}))
    from kwk.runs.tracker import log_search
    board, summary = search.leaderboard(), search.summary()
    return common.log_to_mlflow(
        a, saved, lambda d, uri, exp, reg: log_search(d, board, summary, uri, exp, reg))


def _check_args(a):
    """The options that contradict each other or are out of range, refused before the data
    is read; the output folders checked writable. Returns ``--out`` as a Path (or None)."""
    from pathlib import Path

    from kwk.errors import KwkError
    from kwk.runs.bundle import ensure_writable
    if not a.out and not a.best_out:
        raise KwkError("Give --out DIR (run a search) or --best-out DIR (export the best so far).")
    if a.best_out and not a.storage and not a.out:
        raise KwkError("--best-out needs the study: give --storage URL (and --study NAME), or "
                       "the --out DIR of the search.")
    if a.trials is not None and not 1 <= a.trials <= 10_000:
        raise KwkError(f"--trials must be from 1 to 10000, got {a.trials}.")
    if a.timeout is not None and not a.timeout > 0:
        raise KwkError(f"--timeout must be a number of seconds > 0, got {a.timeout:g}.")
    if common.tracking(a):  # a wrong tracking URI or a missing MLflow: said before the search
        from kwk.runs.tracker import check_uri, require_mlflow
        check_uri(common.tracking(a)); require_mlflow()
    out = Path(a.out) if a.out else None
    if out is not None:
        ensure_writable(out)
    if a.best_out:
        ensure_writable(a.best_out)
    return out


def _trial_printer(search, show: bool):
    """The line printed after each trial (its score, how it ended, the best so far), and a
    note when the best trials hit the epoch cap and the search lets epochs grow."""
    cap = [search.budget()["epochs"]]

    def on_trial(row):
        if not show:
            return
        b = search.best()
        v = "n/a" if row["value"] is None else f"{row['value']:.4f}"
        what = row["state"]
        if row["state"] == "pruned":
            v = "n/a" if row["value"] is None else f"{row['value']:.4f} so far"
            what += f" at epoch {row['epochs']}" if row.get("epochs") else ""
            what = "stopped" if row.get("stopped") else what
        if row.get("duplicate_of") is not None:
            what = f"same settings as trial {row['duplicate_of'] + 1}"
        if row.get("error"):
            what += f": {row['error'][:120]}"
        print(f"trial {row['trial']}: {search.metric} {v} ({what}, "
              f"{row['seconds'] or 0:.1f} s); best {b['value']:.4f} (trial {b['trial']})"
              if b else f"trial {row['trial']}: {what}", file=sys.stderr)
        if search.budget()["epochs"] > cap[0]:  # the best trials hit the epoch cap
            cap[0] = search.budget()["epochs"]
            print(f"note: {search.epoch_caps()['text']}", file=sys.stderr)

    return on_trial
