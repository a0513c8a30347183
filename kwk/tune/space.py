"""The search space of a tuning run: the spec's ``tune`` section, checked against the layer
catalog, the space proposed around a user's own stack, and a trial's values written into a spec.

A space maps a *path into the spec* to a range::

    {"training.learning_rate": {"low": 1e-4, "high": 0.1, "log": true},
     "layers[0].units":        {"low": 8, "high": 512, "log": true},
     "layers[0].activation":   {"choices": ["relu", "gelu", "tanh"]},
     "hidden_blocks":          {"low": 1, "high": 4},
     "head_dropout":           {"low": 0.0, "high": 0.5}}

``layers[i]`` counts from 0 in the spec's ``layers`` list. ``hidden_blocks`` is the depth: how
many Dense blocks (a Dense layer with the Dropout/normalisation layers that follow it) the
stack's head has; fewer drops blocks from the end, more repeats the last block.
``head_dropout`` is the Dropout rate after every one of those blocks (a Dropout layer is added
to a block without one; 0 adds none). ``training.weight_decay`` 0 means no decay (null).

Epochs and early-stopping patience are not searched: they are the search's *training budget*
(:func:`epoch_budget`), which grows when the best trials end at the epoch cap still improving.
"""
from __future__ import annotations

import copy
import math
import re

from kwk.catalog.layers import CATALOG
from kwk.catalog.params import Param

DEPTH = "hidden_blocks"
DROPOUT = "head_dropout"
# The weight decays the proposed space offers (0: none). Keras' decoupled decay is multiplied
# by the learning rate at every step, so useful values sit between 1e-4 and 0.1.
WEIGHT_DECAYS = [0.0, 0.0001, 0.001, 0.01, 0.1]
# The epoch cap of a search grows (x2) when its best trials end at it still improving; at most
# this many times the spec's epochs, and never above EPOCH_CAP_MAX.
EPOCH_GROWTH_MAX = 8
EPOCH_CAP_MAX = 1000
TUNE_KEYS = ("trials", "timeout_s", "metric", "sampler", "pruner", "space")
SAMPLERS = ("tpe", "random")
PRUNERS = ("hyperband", "median", "none")
DEFAULT_TRIALS = 20
MAX_TRIALS = 10_000
MAX_BLOCKS = 12
# Metrics a search can score a trial by, and whether larger is better.
METRICS = {"balanced_accuracy": "maximize", "accuracy": "maximize", "f1_macro": "maximize",
           "roc_auc": "maximize", "log_loss": "minimize", "r2": "maximize", "rmse": "minimize",
           "mae": "minimize"}
CLASS_METRICS = ("balanced_accuracy", "accuracy", "f1_macro", "roc_auc", "log_loss")
REGRESSION_METRICS = ("r2", "rmse", "mae")
# Layers that belong to the Dense layer before them (a "block").
COMPANIONS = {"Dropout", "GaussianDropout", "AlphaDropout", "GaussianNoise", "BatchNormalization",
              "LayerNormalization", "Activation"}
_PATH = re.compile(r"^(?:training\.(\w+)|layers\[(\d+)\]\.(\w+)|hidden_blocks|head_dropout)$")


def default_tune() -> dict:
    """The ``tune`` section a spec without one searches with."""
    return {"trials": DEFAULT_TRIALS, "timeout_s": None, "metric": "auto", "sampler": "tpe",
            "pruner": "hyperband", "space": None}


def _training_param(name: str) -> Param | None:
    from kwk.spec.schema import TRAINING_PARAMS
    return next((p for p in TRAINING_PARAMS if p.name == name), None)


def param_at(path: str, layers: list) -> tuple[Param | None, str | None]:
    """The :class:`Param` a space key points at, or ``(None, problem)``. ``hidden_blocks``
    has no Param: it returns ``(None, None)``."""
    m = _PATH.match(path) if isinstance(path, str) else None
    if not m:
        return None, (f"'{path}' is not a path into the spec: use training.NAME, "
                      f"layers[INDEX].NAME (INDEX from 0), {DEPTH} or {DROPOUT}.")
    if path == DEPTH:
        return None, None
    if path == DROPOUT:  # the rate of a Dropout layer after each head block
        return next(q for q in CATALOG["Dropout"].params if q.name == "rate"), None
    if m.group(1):
        p = _training_param(m.group(1))
        if p is None:
            return None, f"'{path}': training has no setting '{m.group(1)}'."
        return p, None
    i, name = int(m.group(2)), m.group(3)
    if i >= len(layers):
        return None, (f"'{path}': the stack has {len(layers)} layer(s), so INDEX goes from 0 "
                      f"to {len(layers) - 1}.")
    t = layers[i].get("type") if isinstance(layers[i], dict) else None
    lt = CATALOG.get(t)
    p = next((q for q in lt.params if q.name == name), None) if lt else None
    if p is None:
        known = ", ".join(q.name for q in lt.params if q.value_type in ("int", "float", "choice",
                                                                     "bool")) if lt else ""
        return None, (f"'{path}': layer {i + 1} ({t}) has no setting '{name}'"
                      + (f"; it has {known}." if known else "."))
    return p, None


def check_range(path: str, rng, param: Param | None) -> list[str]:
    """Problems of one space entry (empty when valid). ``param`` None means ``hidden_blocks``."""
    where = f"tune.space['{path}']"
    if not isinstance(rng, dict):
        return [f"{where} must be an object like {{\"low\": 8, \"high\": 128}} or "
                "{\"choices\": [...]}."]
    if param is not None and param.value_type not in ("int", "float", "choice", "bool"):
        return [f"{where}: '{param.name}' ({param.value_type}) cannot be searched; search "
                "numbers and choices."]
    if "choices" in rng:
        extra = set(rng) - {"choices"}
        if extra:
            return [f"{where}: with 'choices', no other key is allowed (found "
                    f"{', '.join(sorted(extra))})."]
        ch = rng["choices"]
        if not isinstance(ch, list) or not ch:
            return [f"{where}: 'choices' must be a non-empty list."]
        if len({repr(c) for c in ch}) != len(ch):
            return [f"{where}: 'choices' lists a value twice."]
        if param is None:
            bad = [c for c in ch if isinstance(c, bool) or not isinstance(c, int)
                   or not 0 <= c <= MAX_BLOCKS]
            return [f"{where}: choices must be whole numbers from 0 to {MAX_BLOCKS}; got "
                    f"{bad[0]!r}."] if bad else []
        return [m.replace(f"{where}: '{param.name}'", f"{where}: choice") for c in ch
                for m in param.check(c, where)][:3]
    extra = set(rng) - {"low", "high", "log", "step"}
    if extra:
        return [f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))}; use low, high, "
                "log (true/false) and step, or choices."]
    if param is not None and param.value_type not in ("int", "float"):
        return [f"{where}: '{param.name}' is a choice: give {{\"choices\": [...]}}."]
    lo, hi = rng.get("low"), rng.get("high")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
           for v in (lo, hi)):
        return [f"{where} needs numbers 'low' and 'high', got low={lo!r}, high={hi!r}."]
    problems = []
    if lo > hi:
        problems.append(f"{where}: low ({lo:g}) is above high ({hi:g}).")
    integer = param is None or param.value_type == "int"
    if integer and not (float(lo).is_integer() and float(hi).is_integer()):
        problems.append(f"{where}: this setting is a whole number, so low and high must be too.")
    log = rng.get("log", False)
    if not isinstance(log, bool):
        problems.append(f"{where}: 'log' must be true or false.")
    elif log and lo <= 0:
        problems.append(f"{where}: a log range needs low > 0 (got {lo:g}).")
    step = rng.get("step")
    if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float))
                             or step <= 0 or (log and step is not None)):
        problems.append(f"{where}: 'step' must be a positive number, and cannot go with log.")
    if param is None:
        if not (0 <= lo and hi <= MAX_BLOCKS):
            problems.append(f"{where}: the depth goes from 0 to {MAX_BLOCKS} blocks.")
    elif any(param.check(int(v) if integer and float(v).is_integer() else v, where)
             for v in (lo, hi)):
        problems.append(f"{where}: the range {lo:g} to {hi:g} goes outside the valid "
                        f"range of {param.name} ({param.range_text()}).")
    return problems


def normalize_tune(tune, layers: list, problems: list[str]) -> dict:
    """The ``tune`` section with its defaults; appends its problems (each naming the key)."""
    out = default_tune()
    if tune is None:
        return out
    if not isinstance(tune, dict):
        problems.append("'tune' must be an object with keys " + ", ".join(TUNE_KEYS) + ".")
        return out
    for k in tune:
        if k not in TUNE_KEYS:
            problems.append(f"Unknown key '{k}' in 'tune'. Allowed: {', '.join(TUNE_KEYS)}.")
    trials = tune.get("trials", DEFAULT_TRIALS)
    if isinstance(trials, bool) or not isinstance(trials, (int, float)) or \
            not float(trials).is_integer() or not 1 <= trials <= MAX_TRIALS:
        problems.append(f"tune.trials must be a whole number from 1 to {MAX_TRIALS:,}, got "
                        f"{trials!r}.")
    else:
        out["trials"] = int(trials)
    t = tune.get("timeout_s")
    if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float))
                          or not math.isfinite(t) or t <= 0):
        problems.append(f"tune.timeout_s must be a number of seconds > 0, or null; got {t!r}.")
    else:
        out["timeout_s"] = t
    metric = tune.get("metric", "auto")
    if metric != "auto" and metric not in METRICS:
        problems.append(f"tune.metric is {metric!r}; choose auto or one of "
                        f"{', '.join(METRICS)}.")
    else:
        out["metric"] = metric
    for key, allowed in (("sampler", SAMPLERS), ("pruner", PRUNERS)):
        v = tune.get(key, out[key])
        if v not in allowed:
            problems.append(f"tune.{key} is {v!r}; choose one of {', '.join(allowed)}.")
        else:
            out[key] = v
    space = tune.get("space")
    if space is not None:
        if not isinstance(space, dict) or not space:
            problems.append("tune.space must be an object mapping paths to ranges (or null to "
                            "let KwK propose one).")
        else:
            for path, rng in space.items():
                param, problem = param_at(path, layers)
                if problem:
                    problems.append(f"tune.space: {problem}")
                    continue
                problems += check_range(path, rng, param)
            if DEPTH in space and not head_blocks(layers):
                problems.append(f"tune.space['{DEPTH}']: the stack has no Dense block to "
                                "repeat or drop; add a Dense layer, or leave the depth out.")
            if DROPOUT in space and not head_blocks(layers):
                problems.append(f"tune.space['{DROPOUT}']: the stack has no Dense block to "
                                "put a Dropout after; add a Dense layer, or leave it out.")
            out["space"] = copy.deepcopy(space)
    return out


# ---------------------------------------------------------------------- the depth
def head_blocks(layers: list) -> list[tuple[int, int]]:
    """``(start, end)`` of each Dense block at the end of the stack: a Dense layer and the
    companion layers (Dropout, normalisation...) after it, up to the first other layer."""
    blocks: list[tuple[int, int]] = []
    end = len(layers)
    i = len(layers) - 1
    while i >= 0:
        j = i
        while j >= 0 and layers[j].get("type") in COMPANIONS:
            j -= 1
        if j < 0 or layers[j].get("type") != "Dense":
            break
        blocks.insert(0, (j, end))
        end, i = j, j - 1
    return blocks


def with_depth(layers: list, n: int) -> list:
    """``layers`` with ``n`` head blocks: extra blocks dropped from the end, or the last block
    repeated."""
    blocks = head_blocks(layers)
    if not blocks:
        return list(layers)
    start = blocks[0][0]
    body = [copy.deepcopy(layers[s:e]) for s, e in blocks]
    while len(body) < n:
        body.append(copy.deepcopy(body[-1]))
    return [*copy.deepcopy(layers[:start]), *[x for b in body[:n] for x in b]]


def with_dropout(layers: list, rate: float) -> list:
    """``layers`` with a Dropout of ``rate`` after every head block's Dense layer: a block's
    first Dropout takes the rate, a block without one gets one (none when ``rate`` is 0)."""
    out = copy.deepcopy(layers)
    for s, e in reversed(head_blocks(out)):
        drop = next((i for i in range(s + 1, e) if out[i].get("type") == "Dropout"), None)
        if drop is not None:
            out[drop]["rate"] = rate
        elif rate > 0:
            out.insert(s + 1, {**CATALOG["Dropout"].defaults(), "type": "Dropout",
                               "rate": rate})
    return out


def head_dropout(layers: list) -> float | None:
    """The head blocks' Dropout rate as a value of ``head_dropout``: 0 when no block has a
    Dropout, the rate when every block has one with the same rate, else None."""
    rates = set()
    for s, e in head_blocks(layers):
        r = [layers[i].get("rate") for i in range(s + 1, e) if layers[i].get("type") == "Dropout"]
        rates.add(r[0] if r else 0.0)
    return rates.pop() if len(rates) == 1 else None

# ---------------------------------------------------------------------- values -> spec
def apply(spec: dict, values: dict) -> dict:
    """A copy of ``spec`` with a trial's ``values`` ({path: value}) written in; the depth is
    applied last, so repeated blocks carry their searched settings."""
    out = copy.deepcopy(spec)
    for path, v in values.items():
        if path == DEPTH:
            continue
        m = _PATH.match(path)
        if path == DROPOUT:
            continue
        if m.group(1) == "weight_decay" and not v:
            v = None  # no decay: the spec's null, as the user's own network has it
        if m.group(1):
            out["training"][m.group(1)] = v
        else:
            out["layers"][int(m.group(2))][m.group(3)] = v
    if DEPTH in values:
        out["layers"] = with_depth(out["layers"], int(values[DEPTH]))
    if DROPOUT in values:  # after the depth, so repeated blocks get it too
        out["layers"] = with_dropout(out["layers"], float(values[DROPOUT]))
    return out


def current_values(spec: dict, space: dict) -> dict | None:
    """The user's own settings as a point of ``space`` (None when one lies outside it)."""
    out = {}
    for path, rng in space.items():
        if path == DEPTH:
            v = len(head_blocks(spec["layers"]))
        elif path == DROPOUT:
            v = head_dropout(spec["layers"])
        else:
            m = _PATH.match(path)
            v = spec["training"][m.group(1)] if m.group(1) else \
                spec["layers"][int(m.group(2))].get(m.group(3))
            if m.group(1) == "weight_decay" and v is None:
                v = 0.0
        if "choices" in rng:
            if v not in rng["choices"]:
                return None
        elif v is None or not rng["low"] <= v <= rng["high"]:
            return None
        out[path] = v
    return out


# ---------------------------------------------------------------------- the proposal
def _around(param: Param, value, wide: float = 4.0) -> dict:
    """A range for ``param`` around the user's ``value``, inside the catalog's tune range."""
    t = param.tune
    if "choices" in t:
        ch = list(t["choices"])
        if value is not None and value not in ch:
            ch.insert(0, value)
        return {"choices": ch}
    lo, hi, log = t["low"], t["high"], bool(t.get("log"))
    if log and isinstance(value, (int, float)) and value > 0:
        lo, hi = max(lo, min(value / wide, hi)), min(hi, max(value * wide, lo))
    if isinstance(value, (int, float)):
        lo, hi = min(lo, value), max(hi, value)
    if param.value_type == "int":
        lo, hi = int(math.floor(lo)), int(math.ceil(hi))
    else:
        lo, hi = float(lo), float(hi)
    out = {"low": lo, "high": hi}
    if log:
        out["log"] = True
    return out


def propose(spec: dict, train_rows: int | None = None) -> dict:
    """The space searched when the spec names none: around the user's stack, each searchable
    setting (a catalog Param with a ``tune`` range) within a sensible range of its value."""
    from kwk.spec.schema import TRAINING_PARAMS
    space: dict = {}
    for p in TRAINING_PARAMS:
        if not p.tune:
            continue
        v = spec["training"][p.name]
        if p.name == "learning_rate":
            rng = _around(p, v, wide=10.0)
        else:
            rng = _around(p, v)
            if "choices" in rng and train_rows:  # batches no larger than half the rows
                rng["choices"] = [c for c in rng["choices"] if c == v or c <= max(16, train_rows // 2)]
        space[f"training.{p.name}"] = rng
    for i, layer in enumerate(spec["layers"]):
        lt = CATALOG.get(layer.get("type"))
        for p in (lt.params if lt else ()):
            if p.tune and not p.advanced:
                space[f"layers[{i}].{p.name}"] = _around(p, layer.get(p.name, p.default))
    # regularisation: weight decay, and a Dropout after each Dense block of the head (where
    # the stack has no Dropout there already: its own rates are searched above)
    wd = spec["training"].get("weight_decay") or 0.0
    space["training.weight_decay"] = {"choices": sorted({*WEIGHT_DECAYS, wd})}
    blocks = len(head_blocks(spec["layers"]))
    if blocks:
        space[DEPTH] = {"low": 1, "high": max(blocks, min(4, blocks + 2))}
        if head_dropout(spec["layers"]) == 0.0:
            space[DROPOUT] = {"low": 0.0, "high": 0.5}
    return space


def describe(path: str, layers: list) -> str:
    """A readable name for a space key: "units of layer 1 (Dense)", "learning rate"."""
    if path == DEPTH:
        return "hidden Dense blocks (depth)"
    if path == DROPOUT:
        return "dropout after each hidden Dense block"
    m = _PATH.match(path)
    if not m:
        return path
    if m.group(1):
        return m.group(1).replace("_", " ")
    i = int(m.group(2))
    t = layers[i].get("type") if i < len(layers) else "?"
    return f"{m.group(3).replace('_', ' ')} of layer {i + 1} ({t})"


# ---------------------------------------------------------------------- as a table
NO_RANGE = "—"  # the low/high cell of a setting searched over choices


def _number_text(v) -> str:
    """A bound as the table shows it: short, and read back to the same number."""
    v = float(v)
    short = f"{v:g}"
    return short if float(short) == v else repr(v)


def space_rows(space: dict, layers: list) -> list[dict]:
    """The space as table rows (the app's editable table): on, setting, key, low, high, log,
    choices (comma-separated text). Bounds are text: a number, or "—" for a setting searched
    over its choices (the choices column lists them)."""
    rows = []
    for path, rng in space.items():
        ch = rng.get("choices")
        rows.append({"search": True, "setting": describe(path, layers), "key": path,
                     "low": NO_RANGE if ch else _number_text(rng["low"]),
                     "high": NO_RANGE if ch else _number_text(rng["high"]),
                     "log": bool(rng.get("log", False)),
                     "choices": ", ".join(map(str, ch)) if ch else ""})
    return rows


def _parse_choice(text: str):
    t = text.strip()
    for cast in (int, float):
        try:
            return cast(t)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(t.lower(), t)


def rows_to_space(rows: list[dict], layers: list) -> tuple[dict, list[str]]:
    """``(space, problems)`` from the table's rows (rows switched off are left out). Bounds
    may be numbers or text ("—" or empty: none)."""
    space: dict = {}
    bad: list[str] = []
    for r in rows:
        if not r.get("search"):
            continue
        path = str(r.get("key") or "").strip()
        choices = str(r.get("choices") or "").strip()
        param, _ = param_at(path, layers)
        integer = param is None or param.value_type == "int"
        if choices:
            space[path] = {"choices": [_parse_choice(c) for c in choices.split(",") if c.strip()]}
            continue
        lo, hi = r.get("low"), r.get("high")

        def num(v, which):
            if isinstance(v, str):
                t = v.strip()
                if t in ("", NO_RANGE, "-", "None"):
                    return None
                try:
                    v = float(t)
                except ValueError:
                    bad.append(f"The {which} of {describe(path, layers)} must be a number, "
                               f"not '{t}'.")
                    return None
            if v is None or (isinstance(v, float) and math.isnan(v)):
                return None
            return int(round(v)) if integer and float(v).is_integer() else float(v)
        space[path] = {"low": num(lo, "low"), "high": num(hi, "high")}
        if r.get("log"):
            space[path]["log"] = True
    problems: list[str] = list(bad)
    if space:
        normalize_tune({"space": space}, layers, problems)
    return space, problems


# ---------------------------------------------------------------------- the training budget
def still_improving(history: dict, cap: int) -> bool:
    """Whether a training that ran ``cap`` epochs ended at the cap still improving: its best
    validation loss (the training loss where there is none) is at one of its last few epochs
    (the last tenth, at least the last one)."""
    loss = history.get("val_loss") or history.get("loss") or []
    if len(loss) < cap or not loss:
        return False
    vals = [math.inf if v is None or not math.isfinite(v) else float(v) for v in loss]
    best = min(range(len(vals)), key=lambda i: (vals[i], -i))
    return best >= len(vals) - max(1, round(len(vals) / 10))


def epoch_budget(base_epochs: int, base_patience: int, trials: list[dict],
                 maximize: bool) -> dict:
    """The epochs and early-stopping patience the next trial trains with.

    ``trials`` are the finished trials' ``{"value", "epoch_cap", "at_cap"}`` (``at_cap``: it
    ended at its cap still improving, :func:`still_improving`). The cap is the highest any
    trial ran under (the spec's ``base_epochs`` at first); it doubles when most of the best
    (up to three) complete trials at that cap hit it still improving, up to
    ``EPOCH_GROWTH_MAX`` times the spec's epochs and ``EPOCH_CAP_MAX``. Patience grows with the
    cap (0, never stop early, stays 0). The space's distributions never change: this is the
    budget the objective applies, so Optuna sees the same space throughout."""
    limit = max(base_epochs, min(EPOCH_CAP_MAX, base_epochs * EPOCH_GROWTH_MAX))
    cap = max([base_epochs, *(t["epoch_cap"] for t in trials if t.get("epoch_cap"))])
    at = [t for t in trials if t.get("epoch_cap") == cap and t.get("value") is not None]
    at.sort(key=lambda t: -t["value"] if maximize else t["value"])
    top = at[:3]
    if top and sum(bool(t.get("at_cap")) for t in top) * 2 > len(top):
        cap = min(cap * 2, limit)
    patience = 0 if base_patience <= 0 else min(cap, round(base_patience * cap / base_epochs))
    return {"epochs": cap, "patience": patience}


def cap_growth(base_epochs: int, trials: list[dict]) -> list[dict]:
    """How the epoch cap grew: one ``{"cap", "hit", "grew_to"}`` per cap trials ran under
    before the last (``hit``: the trials that ended at it still improving)."""
    caps = sorted({base_epochs, *(t["epoch_cap"] for t in trials if t.get("epoch_cap"))})
    return [{"cap": c, "hit": sum(1 for t in trials if t.get("epoch_cap") == c
                                  and t.get("at_cap")), "grew_to": nxt}
            for c, nxt in zip(caps, caps[1:])]


def growth_text(growth: list[dict]) -> str:
    """The sentence that says how the cap grew ('' when it did not)."""
    parts = [f"{g['hit']} trial(s) hit the {g['cap']}-epoch cap while still improving: the cap "
             f"grew to {g['grew_to']}" for g in growth]
    return ("; ".join(parts) + ", with early-stopping patience scaled alike.") if parts else ""
