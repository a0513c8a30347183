"""Find the best settings (JMP's *Maximize Desirability*): the input values, within what the
model knows, whose prediction best meets a goal — the largest, the smallest, or closest to a
target value — for a number, or for the probability of one class.

What the model knows (:func:`input_space`): a number between the smallest and largest value of
the rows the run was trained on (``run.json``'s data summary, or the table given), a number
column holding only a few whole numbers (a code, a small count: the preprocessing's recorded
``levels``, :func:`kwk.data.kinds.whole_levels`) among those values, a category among the
levels the model has inputs for. A fixed input outside that is refused with the reason
(:class:`OptimizeError`), so the answer never rests on a value the model never saw.

The search is Optuna's TPE sampler (floats and categories together, seeded), asked for a batch
of candidates at a time whose predictions come from one call of the model; the profiler's
starting point (medians, most frequent labels) is the first candidate. ``interval``: the range
of the predictions of the run's repeated-seed models at the found settings (the band the
profiler shades); a run trained with one seed has none, and says so in ``interval_note``.

The page calls :func:`optimize` (a loaded bundle); ``python -m kwk optimize`` calls
:func:`kwk.runs.optimize.optimize_run` (a run folder, its repeated seeds loaded too).
"""
from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kwk.data.numbers import to_number
from kwk.errors import KwkError

DEFAULT_EVALUATIONS = 600
BATCH = 50  # candidates predicted in one call of the model


class OptimizeError(KwkError):
    """The goal, the class or a fixed input cannot be used to search this run."""


@dataclass(frozen=True)
class Goal:
    kind: str                    # "maximize" | "minimize" | "target"
    value: float | None = None   # the target value

    def to_json(self):
        return self.kind if self.kind != "target" else f"target={self.value:g}"


def parse_goal(text) -> Goal:
    """``maximize`` | ``minimize`` | ``target=V`` (also max/min), else :class:`OptimizeError`."""
    if isinstance(text, Goal):
        return text
    t = str(text or "").strip().lower().replace(" ", "")
    if t in ("maximize", "maximise", "max"):
        return Goal("maximize")
    if t in ("minimize", "minimise", "min"):
        return Goal("minimize")
    if t.startswith("target=") or t.startswith("target:"):
        try:
            v = float(t[7:])
        except ValueError:
            v = math.nan
        if math.isfinite(v):
            return Goal("target", v)
    raise OptimizeError(f"The goal '{text}' is not understood.",
                        "Give maximize, minimize or target=V (a number, e.g. target=12.5).")


def _supported(bundle) -> None:
    d = bundle.spec.get("data", {})
    what = ("a time series" if bundle.pre.sequence else "a text model" if bundle.pre.text
            else "a model with several inputs" if bundle.pre.inputs
            else "a picture model" if d.get("image_shape") else None)
    if what:
        raise OptimizeError(f"Finding the best settings needs a table model; this run is {what}.",
                            "Use a run trained on a table of columns.")


def _whole(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def input_space(bundle, summary: list[dict] | None = None,
                data: pd.DataFrame | None = None) -> dict[str, dict]:
    """Per input column, the values the search may give it:
    ``{"type": "range", "low", "high"}`` for numbers, ``{"type": "levels", "values": [...]}``
    for categories and whole-number codes, ``{"type": "date"}`` for a date (it must be fixed).
    ``summary``: ``run.json``'s ``data_summary`` (min/max of the rows used); ``data``: the
    training table instead (the page has it)."""
    from kwk.data.kinds import whole_levels
    _supported(bundle)
    rows = {r["column"]: r for r in (summary or []) if r.get("role") == "input"}
    space = {}
    for col in bundle.pre.state["columns"]:
        name, kind = col["name"], col["kind"]
        if kind == "numeric":
            levels = col.get("levels")
            lo = hi = None
            if data is not None and name in data.columns:
                v = to_number(data[name]).dropna()
                if len(v):
                    lo, hi = float(v.min()), float(v.max())
                    levels = whole_levels(v) if levels else None
            elif name in rows and rows[name].get("min") is not None:
                lo, hi = float(rows[name]["min"]), float(rows[name]["max"])
            if levels:
                space[name] = {"type": "levels", "values": [_whole(x) for x in levels],
                               "start": _whole(min(levels, key=lambda x: (abs(x - col["fill"]), x)))}
            elif lo is None:
                raise OptimizeError(f"This run does not record the range of its input '{name}'.",
                                    "Give the training data so the range can be read from it.")
            elif lo == hi:
                space[name] = {"type": "levels", "values": [_whole(lo)], "start": _whole(lo)}
            else:
                space[name] = {"type": "range", "low": lo, "high": hi,
                               "start": float(np.clip(col["fill"], lo, hi))}
        elif kind in ("categorical", "boolean") and col.get("categories") is not None:
            cats = [str(c) for c in col["categories"]]
            if not cats:
                raise OptimizeError(f"The input '{name}' has no level the model knows.")
            space[name] = {"type": "levels", "values": cats, "start": cats[0]}  # most frequent
        elif kind == "datetime":
            space[name] = {"type": "date"}
        else:
            raise OptimizeError(f"The input '{name}' ({kind}) cannot be searched.",
                                "Use a run trained on number and category columns.")
    return space


def _shown(values: list, limit: int = 20) -> str:
    s = ", ".join(str(v) for v in values[:limit])
    return s + (f", … ({len(values)} in all)" if len(values) > limit else "")


def check_fixed(space: dict[str, dict], fixed: dict | None) -> dict:
    """The fixed inputs as the model reads them, or :class:`OptimizeError` naming every value
    outside what the model knows (a number outside its range, a level it has no input for, a
    column it does not take)."""
    problems, out = [], {}
    for name, value in (fixed or {}).items():
        sp = space.get(name)
        if sp is None:
            problems.append(f"'{name}' is not an input of this model (its inputs: "
                            f"{_shown(list(space))})")
            continue
        if sp["type"] == "date":
            from kwk.prep.series import parse_dates
            if parse_dates(pd.Series([value])).isna().all():
                problems.append(f"{name} = '{value}' is not a date")
            else:
                out[name] = str(value)
            continue
        numeric_levels = sp["type"] == "levels" and sp["values"] and \
            not isinstance(sp["values"][0], str)
        if sp["type"] == "range" or numeric_levels:
            x = float(to_number(pd.Series([value])).iloc[0])
            if not math.isfinite(x):
                problems.append(f"{name} = '{value}' is not a number")
            elif sp["type"] == "range" and not sp["low"] <= x <= sp["high"]:
                problems.append(f"{name} = {value} is outside the training range "
                                f"{sp['low']:g} to {sp['high']:g}")
            elif numeric_levels and x not in [float(v) for v in sp["values"]]:
                problems.append(f"{name} = {value} was never seen in training (it held only "
                                f"{_shown(sp['values'])})")
            else:
                out[name] = _whole(x) if numeric_levels else x
        else:
            from kwk.prep.preprocess import as_labels
            label = as_labels(pd.Series([value])).iloc[0]
            if str(label) not in sp["values"]:
                problems.append(f"{name} = '{value}' is not one of its levels "
                                f"({_shown(sorted(sp['values'], key=str.casefold))})")
            else:
                out[name] = str(label)
    if problems:
        raise OptimizeError("Cannot fix " + "; ".join(problems) + ".",
                            "Fix an input only at a value the model saw in training.")
    dates = [n for n, sp in space.items() if sp["type"] == "date" and n not in out]
    if dates:
        raise OptimizeError(f"The date input(s) {', '.join(dates)} cannot be searched.",
                            f"Fix each one, e.g. --fix {dates[0]}=2024-01-31.")
    return out


def pick_class(bundle, cls) -> int | None:
    """The output column the goal reads: None for regression, else the chosen class's index
    (a binary model's last class by default; a multiclass model needs one named)."""
    task, classes = bundle.pre.task, [str(c) for c in bundle.pre.classes]
    if task == "regression":
        if cls is not None:
            raise OptimizeError(f"--class {cls} cannot be used with a regression model: it "
                                "predicts a number, not classes.", "Leave out --class.")
        return None
    if cls is None:
        if task == "binary":
            return len(classes) - 1
        raise OptimizeError(f"This model predicts {len(classes)} classes: say which class's "
                            "probability the goal is about.",
                            f"Give --class with one of: {_shown(classes)}.")
    if str(cls) not in classes:
        raise OptimizeError(f"The class '{cls}' is not one the model predicts.",
                            f"Give one of: {_shown(classes)}.")
    return classes.index(str(cls))


def _outputs(predict, rows: pd.DataFrame, index: int | None) -> np.ndarray:
    out = np.asarray(predict(rows), dtype=float)
    return out[:, index] if index is not None else out.reshape(-1)


def optimize(bundle, goal, fixed: dict | None = None, cls=None, space: dict | None = None,
             evaluations: int = DEFAULT_EVALUATIONS, seed: int = 0,
             others: list | None = None, summary: list[dict] | None = None) -> dict:
    """Search the input settings of a loaded bundle that best meet ``goal`` (``maximize``,
    ``minimize``, ``target=V`` or a :class:`Goal`), with ``fixed`` inputs held at their values.
    ``others``: the bundles of the run's repeated seeds, for the interval. Returns
    ``{"settings", "prediction", "goal", "class", "interval"?, "evaluations", "fixed", ...}``."""
    import optuna
    goal = parse_goal(goal)
    index = pick_class(bundle, cls)
    if goal.kind == "target" and index is not None and not 0 <= goal.value <= 1:
        raise OptimizeError(f"target={goal.value:g} is not a probability.",
                            "Give a target between 0 and 1 for a class's probability.")
    if not 10 <= int(evaluations) <= 100_000:
        raise OptimizeError(f"--evaluations {evaluations} is out of range.",
                            "Give between 10 and 100,000 (600 is a good start).")
    space = space if space is not None else input_space(bundle, summary)
    fixed = check_fixed(space, fixed)
    free = {n: sp for n, sp in space.items() if n not in fixed and
            not (sp["type"] == "levels" and len(sp["values"]) == 1)}
    held = {**{n: sp["values"][0] for n, sp in space.items()
               if sp["type"] == "levels" and len(sp["values"]) == 1}, **fixed}
    predict = bundle.predict_output
    features = bundle.pre.features

    def score(pred: np.ndarray) -> np.ndarray:  # larger is better
        return (pred if goal.kind == "maximize" else -pred if goal.kind == "minimize"
                else -np.abs(pred - goal.value))

    started = time.perf_counter()
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no line per candidate
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            ranges = [n for n, sp in free.items() if sp["type"] == "range"]
            first = evaluations - (evaluations // 3 if ranges else 0)
            best, done = _search(optuna, free, held, features, predict, index, score,
                                 first, seed)
        if ranges and best[2] is not None:
            best, more = _polish(free, ranges, best, features, predict, index, score,
                                 evaluations - done)
            done += more
    finally:
        optuna.logging.set_verbosity(verbosity)
    _, prediction, settings = best
    settings = {n: (_whole(v) if isinstance(v, (int, float)) and space[n]["type"] == "levels"
                    else v) for n, v in settings.items()}
    out = {"settings": {n: settings[n] for n in features}, "prediction": prediction,
           "goal": goal.to_json(), "class": None if index is None else bundle.pre.classes[index],
           "target": bundle.spec.get("data", {}).get("target"), "task": bundle.pre.task,
           "evaluations": done, "fixed": fixed, "seed": int(seed),
           "space": {n: ({"low": sp["low"], "high": sp["high"]} if sp["type"] == "range"
                         else {"values": sp.get("values")}) for n, sp in space.items()},
           "seconds": round(time.perf_counter() - started, 3)}
    if others:
        one = pd.DataFrame([out["settings"]], columns=features)
        preds = [prediction] + [float(_outputs(o.predict_output, one, index)[0]) for o in others]
        out["interval"] = [min(preds), max(preds)]
        out["interval_note"] = (f"The range of the predictions of the run's {len(preds)} "
                                "seeds (repeated runs) at these settings, as the profiler's band.")
    else:
        out["interval_note"] = ("No interval: the run was trained with one seed. Train with "
                                "repeats (training.repeats > 1) for the range over seeds.")
    unusual = bundle.pre.unusual(pd.DataFrame([out["settings"]], columns=features)).iloc[0]
    if unusual:  # should not happen: every value comes from what the model knows
        out["unusual"] = unusual
    return out


def _search(optuna, free, held, features, predict, index, score, evaluations, seed):
    """TPE over the free inputs, a batch of candidates per model call; the profiler's starting
    point first. Returns ((score, prediction, row), evaluations)."""
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(
        seed=seed, multivariate=True, n_startup_trials=min(50, max(10, evaluations // 10))))
    if free:
        study.enqueue_trial({n: sp["start"] for n, sp in free.items()})
    done, best = 0, None
    while done < evaluations:
        trials = [study.ask() for _ in range(min(BATCH if free else 1, evaluations - done))]
        rows = []
        for t in trials:
            row = dict(held)
            for n, sp in free.items():
                row[n] = (t.suggest_float(n, sp["low"], sp["high"]) if sp["type"] == "range"
                          else t.suggest_categorical(n, sp["values"]))
            rows.append(row)
        pred = _outputs(predict, pd.DataFrame(rows, columns=features), index)
        for t, s, p, row in zip(trials, score(pred), pred, rows):
            s = float(s) if np.isfinite(s) else -math.inf
            study.tell(t, s)
            if best is None or s > best[0]:
                best = (s, float(p), row)
        done += len(trials)
        if not free:  # nothing to search: every input is fixed
            break
    return best, done


def _polish(free, ranges, best, features, predict, index, score, budget):
    """Refine the numbers of the best candidate with scipy's bounded Powell search (the
    categories and codes stay as TPE chose them): TPE finds the basin, Powell its bottom.
    Returns the better of the two and the evaluations used."""
    from scipy.optimize import minimize
    if budget < 4:
        return best, 0
    row0 = dict(best[2])
    lo = np.array([free[n]["low"] for n in ranges])
    span = np.array([free[n]["high"] - free[n]["low"] for n in ranges])
    used, found = [0], [best]

    def f(u):  # the numbers scaled to 0-1, so one tolerance fits every column
        if used[0] >= budget:
            return -found[0][0]
        used[0] += 1
        row = dict(row0)
        for n, v in zip(ranges, lo + np.clip(u, 0, 1) * span):
            row[n] = float(v)
        p = float(_outputs(predict, pd.DataFrame([row], columns=features), index)[0])
        s = float(score(np.array([p]))[0])
        s = s if math.isfinite(s) else -math.inf
        if s > found[0][0]:
            found[0] = (s, p, row)
        return -s if math.isfinite(s) else 1e300

    u0 = np.array([(row0[n] - free[n]["low"]) / (free[n]["high"] - free[n]["low"])
                   for n in ranges])
    minimize(f, u0, method="Powell", bounds=[(0, 1)] * len(ranges),
             options={"maxfev": budget, "xtol": 1e-4, "ftol": 1e-9})
    return found[0], used[0]


def read_summary(run_dir) -> list[dict]:
    """``run.json``'s data summary (the inputs' kinds and ranges), empty when absent."""
    p = Path(run_dir) / "run.json"
    try:
        return json.loads(p.read_text()).get("data_summary") or []
    except (OSError, json.JSONDecodeError):
        return []
