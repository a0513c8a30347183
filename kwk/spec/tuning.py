"""The spec's ``tune`` section: how ``kwk tune`` and the Tune page search (trials, time, metric,
sampler, pruner) and the space, each path into the spec checked against the layer catalog and
the training settings (:func:`normalize_tune`, called by :func:`kwk.spec.schema.normalize`).
Proposing a space and writing a trial's values into a spec is :mod:`kwk.tune.space`."""
from __future__ import annotations

import copy
import math
import re

from kwk.catalog.layers import CATALOG
from kwk.catalog.params import Param
from kwk.spec.params import TRAINING_PARAMS, TRANSFORMS

DEPTH = "hidden_blocks"
DROPOUT = "head_dropout"
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
SPACE_PATH = re.compile(r"^(?:training\.(\w+)|layers\[(\d+)\]\.(\w+)|hidden_blocks|head_dropout)$")
# Transforms a search may try (kwk.prep.transforms): "data.transforms.COLUMN" over
# {"choices": ["none", "log" | "yeo-johnson" | "quantile"]} for a skewed number column, and
# "data.target_transform" over ["none", "log"] for a skewed positive target.
TRANSFORM_PREFIX = "data.transforms."
TARGET_TRANSFORM = "data.target_transform"


def is_data_path(path) -> bool:
    """Whether a space key is a transform (``data.transforms.COLUMN``, ``data.target_transform``)."""
    return isinstance(path, str) and (path.startswith(TRANSFORM_PREFIX)
                                      and len(path) > len(TRANSFORM_PREFIX)
                                      or path == TARGET_TRANSFORM)


def default_tune() -> dict:
    """The ``tune`` section a spec without one searches with."""
    return {"trials": DEFAULT_TRIALS, "timeout_s": None, "metric": "auto", "sampler": "tpe",
            "pruner": "hyperband", "space": None}


def training_param(name: str) -> Param | None:
    """The training setting called ``name`` (a :class:`Param`), or None."""
    return next((p for p in TRAINING_PARAMS if p.name == name), None)


def param_at(path: str, layers: list) -> tuple[Param | None, str | None]:
    """The :class:`Param` a space key points at, or ``(None, problem)``. ``hidden_blocks``
    has no Param: it returns ``(None, None)``."""
    if is_data_path(path):
        return None, None
    m = SPACE_PATH.match(path) if isinstance(path, str) else None
    if not m:
        return None, (f"'{path}' is not a path into the spec: use training.NAME, "
                      f"layers[INDEX].NAME (INDEX from 0), {DEPTH}, {DROPOUT}, "
                      f"{TRANSFORM_PREFIX}COLUMN or {TARGET_TRANSFORM}.")
    if path == DEPTH:
        return None, None
    if path == DROPOUT:  # the rate of a Dropout layer after each head block
        return next(q for q in CATALOG["Dropout"].params if q.name == "rate"), None
    if m.group(1):
        p = training_param(m.group(1))
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
    if is_data_path(path):
        return _check_transform_range(path, rng, where)
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


def _check_transform_range(path: str, rng, where: str) -> list[str]:
    """Problems of a transform entry: choices among the transforms (and "none")."""
    allowed = ("none", "log") if path == TARGET_TRANSFORM else ("none", *TRANSFORMS)
    ch = rng.get("choices") if isinstance(rng, dict) else None
    if not isinstance(rng, dict) or set(rng) != {"choices"} or not isinstance(ch, list) or not ch:
        return [f"{where} must be {{\"choices\": [...]}} among {', '.join(allowed)}."]
    bad = [c for c in ch if c not in allowed]
    if bad:
        return [f"{where}: {bad[0]!r} is not a transform here; choose among "
                f"{', '.join(allowed)}."]
    if len(set(ch)) != len(ch):
        return [f"{where}: 'choices' lists a value twice."]
    return []


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
