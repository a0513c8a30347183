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

from kwk.catalog.layers import CATALOG
from kwk.catalog.params import Param
from kwk.spec.tuning import (  # noqa: F401  (kwk.tune.space's names)
    CLASS_METRICS, COMPANIONS, DEFAULT_TRIALS, DEPTH, DROPOUT, MAX_BLOCKS, MAX_TRIALS, METRICS,
    PRUNERS, REGRESSION_METRICS, SAMPLERS, SPACE_PATH, TARGET_TRANSFORM, TRANSFORM_PREFIX,
    TUNE_KEYS, check_range, default_tune, head_blocks, is_data_path, normalize_tune, param_at,
    training_param)

# The weight decays the proposed space offers (0: none). Keras' decoupled decay is multiplied
# by the learning rate at every step, so useful values sit between 1e-4 and 0.1.
WEIGHT_DECAYS = [0.0, 0.0001, 0.001, 0.01, 0.1]
# The epoch cap of a search grows (x2) when its best trials end at it still improving; at most
# this many times the spec's epochs, and never above EPOCH_CAP_MAX.
EPOCH_GROWTH_MAX = 8
EPOCH_CAP_MAX = 1000
MAX_TRANSFORM_COLUMNS = 6  # the most skewed columns whose transform a search tries


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
        if is_data_path(path):
            _apply_transform(out, path, v)
            continue
        m = SPACE_PATH.match(path)
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


def _apply_transform(spec: dict, path: str, v) -> None:
    data = spec.setdefault("data", {})
    if path == TARGET_TRANSFORM:
        if v in (None, "none"):
            data.pop("target_transform", None)
        else:
            data["target_transform"] = v
        return
    col = path[len(TRANSFORM_PREFIX):]
    tf = dict(data.get("transforms") or {})
    if v in (None, "none"):
        tf.pop(col, None)
    else:
        tf[col] = v
    if tf:
        data["transforms"] = tf
    else:
        data.pop("transforms", None)


def _transform_of(spec: dict, path: str) -> str:
    data = spec.get("data") or {}
    if path == TARGET_TRANSFORM:
        return data.get("target_transform") or "none"
    return (data.get("transforms") or {}).get(path[len(TRANSFORM_PREFIX):]) or "none"


def current_values(spec: dict, space: dict) -> dict | None:
    """The user's own settings as a point of ``space`` (None when one lies outside it)."""
    out = {}
    for path, rng in space.items():
        if path == DEPTH:
            v = len(head_blocks(spec["layers"]))
        elif is_data_path(path):
            v = _transform_of(spec, path)
        elif path == DROPOUT:
            v = head_dropout(spec["layers"])
        else:
            m = SPACE_PATH.match(path)
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


def propose(spec: dict, train_rows: int | None = None, data=None) -> dict:
    """The space searched when the spec names none: around the user's stack, each searchable
    setting (a catalog Param with a ``tune`` range) within a sensible range of its value.
    ``data`` (the training rows, a DataFrame): the transforms of its skewed columns are tried
    too (:func:`transform_space`)."""
    from kwk.spec.params import TRAINING_PARAMS
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
    if data is not None:
        space.update(transform_space(spec, data))
    return space


def transform_space(spec: dict, data) -> dict:
    """The transforms worth trying on a table: for each strongly skewed number input (the
    profile's suggestion, :func:`kwk.data.profile.skew_suggestion`; the most skewed
    ``MAX_TRANSFORM_COLUMNS``), none or its suggested transform; for a regression target
    skewed to the right with every value above 0, none or a log. Columns the user gave a
    transform keep it (not searched). Pictures, series and texts: none."""
    import numpy as np
    import pandas as pd

    from kwk.data.profile import skew_suggestion
    d = spec.get("data") or {}
    if d.get("image_shape") or d.get("sequence") or d.get("text"):
        return {}
    kinds, own = d.get("kinds") or {}, d.get("transforms") or {}
    features = d.get("features") or [c for c in data.columns if c != d.get("target")]
    found = []
    for col in features:
        if col in own or col not in data.columns or kinds.get(col, "numeric") != "numeric":
            continue
        if not pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
            continue
        sug = skew_suggestion(pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float))
        if sug:
            found.append((abs(sug["skew"]), col, sug["transform"]))
    found.sort(reverse=True)
    space = {f"{TRANSFORM_PREFIX}{col}": {"choices": ["none", name]}
             for _, col, name in found[:MAX_TRANSFORM_COLUMNS]}
    target = d.get("target")
    task = d.get("task")
    if task in (None, "auto") and target in data.columns:  # the page's unresolved spec
        from kwk.data.task import infer_task
        kind = kinds.get(target) or ("numeric" if pd.api.types.is_numeric_dtype(data[target])
                                     else "categorical")
        task = infer_task(data[target], kind)[0]
    if task == "regression" and not d.get("target_transform") and target in data.columns:
        y = pd.to_numeric(data[target], errors="coerce").to_numpy(dtype=float)
        y = y[np.isfinite(y)]
        sug = skew_suggestion(y) if len(y) else None
        if sug and sug["skew"] > 0 and (y > 0).all():
            space[TARGET_TRANSFORM] = {"choices": ["none", "log"]}
    return space


def describe(path: str, layers: list) -> str:
    """A readable name for a space key: "units of layer 1 (Dense)", "learning rate"."""
    if path == DEPTH:
        return "hidden Dense blocks (depth)"
    if path == DROPOUT:
        return "dropout after each hidden Dense block"
    if path == TARGET_TRANSFORM:
        return "transform of the target"
    if is_data_path(path):
        return f"transform of {path[len(TRANSFORM_PREFIX):]}"
    m = SPACE_PATH.match(path)
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
