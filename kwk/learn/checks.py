"""A lesson's Check: small named functions, registered by name, that read the live state and
answer in words.

A lesson file names one check and gives its parameters::

    [check]
    name = "playground_test_loss_below"
    threshold = 0.05
    max_layers = 0

Each check is registered with :func:`check`, which declares what state it reads
(``"playground"``: the Playground's live network; ``"run"``: the current trained run of the
main flow) and every parameter it takes (:class:`Param`: its kind, range and meaning), so a
lesson file with a misspelt check or a bad parameter is refused before anyone opens it
(:mod:`kwk.learn.lessons`).

A check takes the *state* — a plain dict gathered by the page, see :func:`playground_state`
and :func:`run_state` for its parts — and the lesson's parameters, and returns a
:class:`Verdict`: done or not yet, and one or two sentences a learner can act on ("Not yet:
your test loss is 0.31; the goal is under 0.10. …"). No Streamlit here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable

KINDS = {"number": "a number", "whole": "a whole number", "text": "a text in quotes",
         "texts": "a list of texts, e.g. [\"x1\", \"x2\"]", "yes/no": "true or false"}
LOWER_IS_BETTER = {"mae", "rmse", "log_loss", "mse"}
METRIC_WORDS = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy",
                "roc_auc": "ROC AUC", "f1_macro": "F1 score", "r2": "R²", "mae": "MAE",
                "rmse": "RMSE", "log_loss": "log-loss", "precision_macro": "precision",
                "recall_macro": "recall"}
DATASET_WORDS = {"circle": "Circle", "xor": "Exclusive or", "gauss": "Two gaussians",
                 "spiral": "Spiral", "plane": "Plane", "multigauss": "Multi-gaussian",
                 "user": "your own data"}
FEATURE_WORDS = {"x1": "X₁", "x2": "X₂", "x1_sq": "X₁²", "x2_sq": "X₂²", "x1_x2": "X₁X₂",
                 "sin_x1": "sin(X₁)", "sin_x2": "sin(X₂)"}


@dataclass(frozen=True)
class Param:
    """One parameter a check takes from the lesson file."""
    kind: str                 # number | whole | text | texts | yes/no (see KINDS)
    help: str
    required: bool = False
    low: float | None = None  # inclusive range for numbers
    high: float | None = None
    choices: tuple = ()       # allowed values of a text (or of each text in a list)

    def problem(self, name: str, value: Any) -> str | None:
        """Why ``value`` cannot be this parameter, in one sentence, or None."""
        ok = {"number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
              and math.isfinite(v),
              "whole": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "text": lambda v: isinstance(v, str) and v.strip() != "",
              "texts": lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
              "yes/no": lambda v: isinstance(v, bool)}[self.kind]
        if not ok(value):
            return f"'{name}' must be {KINDS[self.kind]}, not {_shown(value)}"
        if self.kind in ("number", "whole"):
            if self.low is not None and value < self.low or self.high is not None and value > self.high:
                return f"'{name}' is {value} but must be {_range(self.low, self.high)}"
        values = value if self.kind == "texts" else [value] if self.kind == "text" else []
        bad = [v for v in values if self.choices and v not in self.choices]
        if bad:
            return f"'{name}' cannot be '{bad[0]}'; choose from: {', '.join(self.choices)}"
        return None


def _shown(v: Any) -> str:
    if isinstance(v, str):
        return f"the text \"{v[:30]}\""
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a table"
    return repr(v)


def _range(low, high) -> str:
    if low is not None and high is not None:
        return f"from {low:g} to {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


@dataclass(frozen=True)
class Verdict:
    """A check's answer: ``done``, and what to say (without the lesson's "why", which the
    page adds when done)."""
    done: bool
    message: str


@dataclass(frozen=True)
class CheckDef:
    name: str
    needs: str                      # "playground" | "run"
    params: dict[str, Param]
    fn: Callable[..., Verdict]
    doc: str = field(default="")


CHECKS: dict[str, CheckDef] = {}


def check(needs: str, **params: Param):
    """Register a check under its function's name; ``needs`` says which part of the state it
    reads, ``params`` every parameter a lesson may give it."""
    def deco(fn):
        CHECKS[fn.__name__] = CheckDef(fn.__name__, needs, params, fn,
                                       (fn.__doc__ or "").strip().split("\n\n")[0])
        return fn
    return deco


def run_check(name: str, params: dict, state: dict) -> Verdict:
    """Answer the check ``name`` with ``params`` (already validated) on ``state``."""
    d = CHECKS[name]
    part = state.get(d.needs)
    if part is None:
        return Verdict(False, _missing(d.needs))
    return d.fn(part, **params)


def _missing(needs: str) -> str:
    if needs == "playground":
        return ("Not yet: the Playground has no network right now. Open the **Playground** "
                "page (or press Start again on the Learn page to set the lesson up).")
    return ("Not yet: there is no trained model yet. Open the **Train** page and press "
            "▶️ Start training; when it has finished, press Check again.")


# ----------------------------------------------------------------------------- the state
def playground_state(config: dict, snapshot: dict) -> dict:
    """The Playground part of the state: its settings (``Config.as_dict()``) and the live
    model's snapshot (epoch, losses, their history, error)."""
    return {"config": dict(config), "epoch": int(snapshot.get("epoch", 0)),
            "train_loss": float(snapshot.get("train_loss", math.nan)),
            "test_loss": float(snapshot.get("test_loss", math.nan)),
            "history": {k: [float(x) for x in v]
                        for k, v in (snapshot.get("history") or {}).items()},
            "error": snapshot.get("error"), "playing": bool(snapshot.get("playing"))}


def run_state(run: dict | None, evaluated: bool = False, training: bool = False) -> dict | None:
    """The run part of the state: a stored run (``Store.get``: data_name, task, metrics,
    spec), whether the Evaluate page was opened for it and whether a training is still
    running. None when there is no run and nothing training."""
    if run is None and not training:
        return None
    r = run or {}
    return {"id": r.get("id"), "data_name": r.get("data_name"), "task": r.get("task"),
            "metrics": r.get("metrics") or {}, "spec": r.get("spec") or {},
            "evaluated": bool(evaluated), "training": bool(training)}


# ----------------------------------------------------------------------------- Playground
_PG_RULES = dict(
    dataset=Param("text", "the dataset the lesson is about", choices=tuple(DATASET_WORDS)),
    max_layers=Param("whole", "at most this many hidden layers", low=0, high=10),
    min_layers=Param("whole", "at least this many hidden layers", low=0, high=10),
    features=Param("texts", "the only input features allowed", choices=tuple(FEATURE_WORDS)),
    min_noise=Param("whole", "the noise (%) must stay at least this", low=0, high=50),
    max_points=Param("whole", "the number of points must stay at most this", low=20, high=5000),
    min_epochs=Param("whole", "train at least this many epochs before it counts", low=0),
)


def _pg_rules(pg: dict, dataset=None, max_layers=None, min_layers=None, features=None,
              min_noise=None, max_points=None, min_epochs=None) -> str | None:
    """The first rule of the lesson's setup the Playground breaks, as a "Not yet" sentence."""
    c = pg["config"]
    n = len(c.get("layers") or [])
    if dataset is not None and c.get("dataset") != dataset:
        return (f"Not yet: this lesson uses the **{DATASET_WORDS[dataset]}** data, but the "
                f"Playground shows {DATASET_WORDS.get(c.get('dataset'), c.get('dataset'))}. "
                f"Choose {DATASET_WORDS[dataset]} under Data (or press Start again on the "
                "Learn page).")
    if max_layers is not None and n > max_layers:
        allowed = "no hidden layer" if max_layers == 0 else f"at most {_layers(max_layers)}"
        return (f"Not yet: your network has {_layers(n)}; this lesson allows {allowed}. "
                "Lower **Hidden layers** under Network.")
    if min_layers is not None and n < min_layers:
        return (f"Not yet: your network has {_layers(n)}; this lesson needs at least "
                f"{_layers(min_layers)}. Raise **Hidden layers** under Network.")
    if features is not None:
        extra = [f for f in c.get("features") or [] if f not in features]
        if extra:
            return (f"Not yet: this lesson uses only the inputs "
                    f"{', '.join(FEATURE_WORDS[f] for f in features)}; switch off "
                    f"{', '.join(FEATURE_WORDS.get(f, f) for f in extra)} under Features.")
    if min_noise is not None and c.get("noise", 0) < min_noise:
        return (f"Not yet: the lesson's data is noisy on purpose (noise {min_noise} or more); "
                f"yours is {c.get('noise')}. Set the Noise slider back to {min_noise}.")
    if max_points is not None and c.get("points", 0) > max_points:
        return (f"Not yet: the lesson keeps the data small ({max_points} points or fewer); "
                f"yours has {c.get('points')}. Set the Points slider back to {max_points}.")
    if pg.get("error"):
        return f"Not yet: {pg['error']}"
    if pg["epoch"] == 0:
        return ("Not yet: the network has not trained yet (epoch 0), so it is still guessing. "
                "Press ▶️ **Play** and watch the test loss go down.")
    if min_epochs and pg["epoch"] < min_epochs:
        return (f"Not yet: train for at least {min_epochs:,} epochs (you are at "
                f"{pg['epoch']:,}); what this lesson is about takes time to show. Press ▶️ "
                "**Play** and let it run.")
    return None


def _num(t: float) -> str:
    """A goal's number as a lesson writes it: 0.20, 0.05 (two decimals), 0.001 as is."""
    return f"{t:.2f}" if 0.01 <= abs(t) < 100 else f"{t:g}"


def _layers(n: int) -> str:
    return "no hidden layer" if n == 0 else f"{n} hidden layer{'s' if n != 1 else ''}"


def _diagnosis(pg: dict) -> str:
    """One sentence on what the losses say, for a "Not yet"."""
    tr, te = pg["train_loss"], pg["test_loss"]
    hist = pg["history"].get("test") or []
    if tr < 0.1 and te - tr > 0.2:
        return (f" Your training loss is only {tr:.2f}: the network has learned the training "
                "points by heart but does not do well on points it has not seen (that is "
                "overfitting).")
    if len(hist) >= 20:
        window = hist[-20:]
        if max(window) - min(window) < 0.01 and te > 0.3:
            return (" The loss has hardly moved in the last 20 epochs: this network may not "
                    "be able to draw the shape it needs.")
    return ""


@check("playground", threshold=Param("number", "the goal: test loss below this", True, 0, 10),
       **_PG_RULES)
def playground_test_loss_below(pg: dict, threshold: float, **rules) -> Verdict:
    """The Playground's current test loss is below ``threshold``, with the lesson's rules kept
    (dataset, number of hidden layers, inputs, noise, points, epochs trained)."""
    broken = _pg_rules(pg, **rules)
    if broken:
        return Verdict(False, broken)
    te = pg["test_loss"]
    if not te < threshold:
        return Verdict(False, f"Not yet: your test loss is {te:.3f}; the goal is under "
                       f"{_num(threshold)}.{_diagnosis(pg)} If it is still going down, let it "
                       "train longer; otherwise look at the hints.")
    n = len(pg["config"].get("layers") or [])
    return Verdict(True, f"Your test loss is {te:.3f}, under the goal of {_num(threshold)}, with "
                   f"{_layers(n)} after {pg['epoch']:,} epochs.")


@check("playground", threshold=Param("number", "the goal: test loss below this", True, 0, 10),
       within_epochs=Param("whole", "… reached within this many epochs", True, 1, 100_000),
       **_PG_RULES)
def playground_fast_enough(pg: dict, threshold: float, within_epochs: int, **rules) -> Verdict:
    """The test loss got below ``threshold`` within the first ``within_epochs`` epochs of
    training (the Playground starts over when a setting changes): the learning rate lesson."""
    broken = _pg_rules(pg, **rules)
    if broken:
        return Verdict(False, broken)
    hist = (pg["history"].get("test") or [])[:within_epochs]
    lr = pg["config"].get("learning_rate")
    hit = next((i for i, v in enumerate(hist) if v < threshold), None)
    if hit is not None:
        return Verdict(True, f"With learning rate {lr:g} the test loss reached "
                       f"{hist[hit]:.3f} at epoch {hit + 1}, under {_num(threshold)} within "
                       f"{within_epochs} epochs.")
    if len(hist) < within_epochs:
        return Verdict(False, f"Not yet: epoch {len(hist)} of the {within_epochs} allowed, test "
                       f"loss {pg['test_loss']:.3f} (the goal is under {_num(threshold)}). Let it "
                       "train; if the loss barely moves or jumps about, change the learning "
                       "rate (the network starts over).")
    first, low = hist[0], min(hist)
    ups = sum(1 for a, b in zip(hist, hist[1:]) if b > a + 0.02)
    if ups >= 3 or max(hist[len(hist) // 2:]) > first:
        why = (f"the loss jumps up and down (between {low:.2f} and {max(hist):.2f}): with "
               f"learning rate {lr:g} each step overshoots. Try a smaller one.")
    elif first - hist[-1] < 0.1:
        why = (f"in {within_epochs} epochs the loss only went from {first:.3f} to "
               f"{hist[-1]:.3f}: with learning rate {lr:g} the steps are tiny. Try a larger one.")
    else:
        why = (f"the loss fell from {first:.3f} to {hist[-1]:.3f} — the right direction, but "
               "not fast enough. Try a somewhat larger learning rate.")
    return Verdict(False, f"Not yet: after {within_epochs} epochs the test loss was "
                   f"{hist[-1]:.3f}; the goal is under {_num(threshold)} by then. {why[0].upper()}"
                   f"{why[1:]}")


# ----------------------------------------------------------------------------- runs
_RUN_RULES = dict(
    sample=Param("text", "the run must be trained on this bundled sample (its key, e.g. "
                 "\"churn\")"),
    layers_any=Param("texts", "the network must hold at least one of these layer types"),
    own_data=Param("yes/no", "the run must be trained on the learner's own data, not a "
                   "bundled sample"),
)


def _run_rules(run: dict, sample=None, layers_any=None, own_data=None) -> str | None:
    if run.get("training") or run.get("id") is None:  # its run is not saved yet
        return ("Not yet: your model is still training. Wait until the Train page says the "
                "run is saved, then press Check again.")
    name = run.get("data_name") or ""
    if sample is not None and name != f"{sample}.csv":
        return (f"Not yet: your current run was trained on '{name}', but this lesson is about "
                f"the '{sample}' sample. Press Start again on the Learn page to load it, then "
                "train.")
    if own_data:
        from kwk.data.samples import SAMPLES
        if name in {f"{k}.csv" for k in SAMPLES}:
            return (f"Not yet: your current run was trained on the bundled sample '{name}'. "
                    "This lesson is about a table of your own: upload it on the **Data** page, "
                    "choose the target, train, then open **Evaluate**.")
    if layers_any:
        have = [layer.get("type") for layer in _all_layers(run.get("spec") or {})]
        if not any(t in have for t in layers_any):
            return (f"Not yet: your network has no {' or '.join(layers_any)} layer "
                    f"({', '.join(map(str, have)) or 'no layers'}). Add one on the **Build** page "
                    "(or pick its template), then train again.")
    return None


def _all_layers(spec: dict) -> list[dict]:
    out = list(spec.get("layers") or [])
    for stack in (spec.get("branches") or {}).values():
        out += list(stack or [])
    return out


def _metric(run: dict, metric: str, part: str = "test") -> float | None:
    v = (run["metrics"].get(part) or {}).get(metric)
    return None if v is None else float(v)


def _better(metric: str, a: float, b: float) -> bool:
    return a < b if metric in LOWER_IS_BETTER else a > b


METRIC = Param("text", "the test metric (a key of the run's test metrics)",
               choices=tuple(METRIC_WORDS))


@check("run", metric=replace(METRIC, required=True),
       threshold=Param("number", "the goal", True), **_RUN_RULES)
def run_metric_at_least(run: dict, metric: str, threshold: float, **rules) -> Verdict:
    """The current run's test ``metric`` is at least ``threshold`` (higher is better)."""
    return _metric_goal(run, metric, threshold, rules, at_least=True)


@check("run", metric=replace(METRIC, required=True),
       threshold=Param("number", "the goal", True), **_RUN_RULES)
def run_metric_at_most(run: dict, metric: str, threshold: float, **rules) -> Verdict:
    """The current run's test ``metric`` is at most ``threshold`` (lower is better: MAE,
    RMSE, log-loss)."""
    return _metric_goal(run, metric, threshold, rules, at_least=False)


def _metric_goal(run, metric, threshold, rules, at_least: bool) -> Verdict:
    broken = _run_rules(run, **rules)
    if broken:
        return Verdict(False, broken)
    words = METRIC_WORDS.get(metric, metric)
    v = _metric(run, metric)
    if v is None:
        return Verdict(False, f"Not yet: your run has no test {words} (it is a "
                       f"{run.get('task')} model). Check that the target is the lesson's.")
    met = v >= threshold if at_least else v <= threshold
    goal = f"{'at least' if at_least else 'at most'} {_num(threshold)}"
    if not met:
        return Verdict(False, f"Not yet: your test {words} is {v:.3f}; the goal is {goal}. "
                       "Look at the Train page's curves: if the validation loss was still "
                       "falling at the end, train for more epochs; the hints have more.")
    return Verdict(True, f"Your test {words} is {v:.3f}: the goal was {goal}.")


@check("run", metric=METRIC, **_RUN_RULES)
def run_beats_baseline(run: dict, metric: str | None = None, **rules) -> Verdict:
    """The network's test ``metric`` is better than the baseline's (the naive forecast for a
    series, the majority class or the mean otherwise)."""
    broken = _run_rules(run, **rules)
    if broken:
        return Verdict(False, broken)
    metric = metric or ("mae" if run.get("task") == "regression" else "balanced_accuracy")
    words = METRIC_WORDS.get(metric, metric)
    mine, base = _metric(run, metric), _metric(run, metric, "baseline")
    if mine is None or base is None:
        return Verdict(False, f"Not yet: your run has no test {words}. Check that the target "
                       "is the lesson's.")
    bname = run["metrics"].get("baseline", {}).get("name", "the baseline")
    if not _better(metric, mine, base):
        return Verdict(False, f"Not yet: your network's test {words} is {mine:.3f}, and the "
                       f"{bname} gets {base:.3f}: the network is not better yet. Train longer "
                       "or look at the hints.")
    return Verdict(True, f"Your network's test {words} is {mine:.3f}; the {bname} gets "
                   f"{base:.3f}.{_references(run, metric)}")


def _references(run: dict, metric: str) -> str:
    """The comparison models' scores, said honestly (better or worse than the network)."""
    words = METRIC_WORDS.get(metric, metric)
    mine, out = _metric(run, metric), []
    for part in ("simple_model", "reference"):
        v = _metric(run, metric, part)
        if v is None or mine is None:
            continue
        name = run["metrics"][part].get("name", part)
        side = "worse than" if _better(metric, mine, v) else "better than" if \
            _better(metric, v, mine) else "the same as"
        out.append(f"a {name} gets {v:.3f} ({side} yours)")
    return f" For comparison on the same test rows, {' and '.join(out)}." if out else ""


@check("run", **_RUN_RULES)
def run_evaluated(run: dict, **rules) -> Verdict:
    """A run exists (on the learner's own data, with ``own_data``), scored on held-out test
    rows, and the learner has opened Evaluate for it; the answer compares the network with the
    baseline and the reference models, honestly."""
    broken = _run_rules(run, **rules)
    if broken:
        return Verdict(False, broken)
    n = run["metrics"].get("n_test") or 0
    if n <= 0:
        return Verdict(False, "Not yet: your run has no held-out test rows. On the Train page "
                       "keep a test fraction above 0, and train again.")
    if not run.get("evaluated"):
        return Verdict(False, "Not yet: your model is trained; now open the **Evaluate** page "
                       "and read how it did on the test rows, beside the simple models. Then "
                       "press Check again.")
    metric = "r2" if run.get("task") == "regression" else "balanced_accuracy"
    words = METRIC_WORDS[metric]
    mine, base = _metric(run, metric), _metric(run, metric, "baseline")
    if mine is None:
        return Verdict(False, f"Not yet: your run has no test {words}.")
    bname = run["metrics"].get("baseline", {}).get("name", "the baseline")
    verdict = ("better than" if base is not None and _better(metric, mine, base) else
               "not better than")
    return Verdict(True, f"Your network was judged on {n:,} test rows it never saw: test "
                   f"{words} {mine:.3f}, {verdict} the {bname} "
                   f"({'—' if base is None else f'{base:.3f}'}).{_references(run, metric)}")
