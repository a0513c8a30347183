"""``python -m kwk optimize RUN --goal maximize|minimize|target=V [--class C] [--fix COL=VALUE
...] --out opt.json``: the input settings whose prediction best meets the goal (JMP's Maximize
Desirability), within what the model knows: numbers in their training range, categories among
their levels.

Writes ``{"settings": {column: value}, "prediction": …, "goal", "class", "evaluations", "fixed",
"interval"?}`` (see :mod:`kwk.evaluation.optimize`). RUN is a run folder or the id of a run in
the workspace (``$KWK_WORKSPACE``). A fixed value the model never saw is refused (exit 2).
"""
from __future__ import annotations

import sys


def add(sub) -> None:
    s = sub.add_parser("optimize", help="find the input settings that maximise, minimise or "
                       "hit a target for the prediction (JMP's Maximize Desirability)")
    s.add_argument("run_dir", metavar="RUN", help="a run folder, or a run id in the workspace")
    s.add_argument("--goal", required=True, help="maximize, minimize or target=V")
    s.add_argument("--class", dest="cls", metavar="C", help="the class whose probability the "
                   "goal is about (default: a two-class model's second class)")
    s.add_argument("--fix", action="append", default=[], metavar="COL=VALUE",
                   help="hold an input at a value (repeat for several)")
    s.add_argument("--out", required=True, help="the JSON file to write")
    s.add_argument("--evaluations", type=int, default=600,
                   help="predictions the search may make (default 600)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(fn=run)


def resolve_run(text: str):
    """A run folder, else a run id in the workspace (without creating one)."""
    from pathlib import Path

    from kwk.errors import KwkError
    p = Path(text)
    if p.is_dir():
        return p
    from kwk.runs.store import default_workspace
    if text and all(c.isalnum() or c == "-" for c in text):
        d = default_workspace() / "runs" / text
        if d.is_dir():
            return d
    raise KwkError(f"'{text}' is neither a run folder nor a run id in the workspace "
                   f"{default_workspace()}.",
                   "Give the folder written by 'train --out', or set KWK_WORKSPACE to the "
                   "workspace that holds the run.")


def parse_fixes(items: list[str], columns: list[str]) -> dict:
    """``COL=VALUE`` items -> {column: value}; a column whose name holds '=' is matched whole."""
    from kwk.errors import KwkError
    out = {}
    for item in items:
        cuts = [i for i, ch in enumerate(item) if ch == "="]
        if not cuts:
            raise KwkError(f"--fix {item!r} is not COL=VALUE.", "Write it as --fix age=40.")
        known = [i for i in cuts if item[:i] in columns]
        i = known[0] if known else cuts[0]
        out[item[:i]] = item[i + 1:]
    return out


def run(a) -> int:
    import json
    from pathlib import Path

    from kwk.errors import KwkError
    if not Path(a.out).resolve().parent.is_dir():
        raise KwkError(f"Cannot write {a.out}: its folder does not exist.",
                       "Create the folder first, or write the file somewhere else.")
    from kwk.evaluation.optimize import parse_goal
    from kwk.runs.optimize import optimize_run
    goal = parse_goal(a.goal)  # a bad goal is refused before the model loads
    d = resolve_run(a.run_dir)
    from kwk.runs.bundle import load_bundle
    b = load_bundle(d)
    fixed = parse_fixes(a.fix, b.pre.features)
    out = optimize_run(d, goal, fixed=fixed, cls=a.cls, evaluations=a.evaluations,
                       seed=a.seed, bundle=b)
    try:
        with open(a.out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2, ensure_ascii=False)
    except OSError as err:
        raise KwkError(f"Cannot write {a.out}: {err.strerror or err}.")
    what = out["target"] if out["class"] is None else f"P({out['class']})"
    shown = ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                      for k, v in out["settings"].items())
    print(f"{out['goal']} {what}: {out['prediction']:.4g} at {shown} "
          f"({out['evaluations']} evaluations, {out['seconds']:.1f} s). Wrote {a.out}",
          file=sys.stderr)
    return 0
