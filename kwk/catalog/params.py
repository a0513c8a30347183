"""Declarative parameters: the one description of a setting that drives forms, validation,
the Keras builder and the code generator.

A :class:`Param` knows its value type (``int``, ``float``, ``bool``, ``choice``, ``regularizer``,
``constraint``, ``shape``, ``column``), default, allowed range or choices, and a one-line help text for a non-coder.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

REGULARIZERS = ("L1", "L2", "L1L2")
CONSTRAINTS = ("NonNeg", "UnitNorm", "MaxNorm", "MinMaxNorm")


@dataclass(frozen=True)
class Param:
    name: str
    value_type: str  # int | float | bool | choice | regularizer | constraint | shape | column
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    choices: tuple = field(default_factory=tuple)
    nullable: bool = False
    advanced: bool = False  # shown folded in forms
    keras_default: Any = "__same__"  # Keras's own default, when it differs from ours
    # Where a search looks by default (see kwk.tune.space): {"low", "high", "log"} for a
    # number, {"choices": [...]} for a choice; empty when the setting is not searched.
    tune: dict = field(default_factory=dict)

    def differs_from_keras(self, value) -> bool:
        """True when generated code must spell this value out."""
        kd = self.default if self.keras_default == "__same__" else self.keras_default
        return value != kd

    def range_text(self) -> str:
        lo = "" if self.min is None else f"{'>' if self.min_exclusive else '≥'} {self.min:g}"
        hi = "" if self.max is None else f"{'<' if self.max_exclusive else '≤'} {self.max:g}"
        return " and ".join(x for x in (lo, hi) if x)

    def check(self, value: Any, where: str) -> list[str]:
        """Return the problems with ``value`` (empty when valid). ``where`` prefixes messages,
        e.g. "Layer 2 (Dense)"."""
        n = f"{where}: '{self.name}'"
        if value is None:
            return [] if self.nullable else [f"{n} must be set (default {self.default!r})."]
        k = self.value_type
        if k == "bool":
            return [] if isinstance(value, bool) else [f"{n} must be true or false, got {value!r}."]
        if k in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return [f"{n} must be a number, got {value!r}."]
            if k == "int" and not float(value).is_integer():
                return [f"{n} must be a whole number, got {value!r}."]
            if not math.isfinite(float(value)):
                return [f"{n} must be a finite number, got {value!r}."]
            bad = ((self.min is not None and (value < self.min or (self.min_exclusive and value == self.min)))
                   or (self.max is not None and (value > self.max or (self.max_exclusive and value == self.max))))
            return [f"{n} is {value!r} but must be {self.range_text()}."] if bad else []
        if k == "choice":
            if value not in self.choices:
                shown = ", ".join(map(str, self.choices[:40]))
                return [f"{n} is {value!r}, which is not one of: {shown}."]
            return []
        if k == "regularizer":
            return _check_penalty(value, n)
        if k == "shape":
            ok = (isinstance(value, (list, tuple)) and 1 <= len(value) <= 3 and
                  all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 100_000
                      for d in value))
            return [] if ok else [f"{n} must be a list of 1 to 3 whole numbers ≥ 1, like "
                                  f"[8, 8, 1]; got {value!r}."]
        if k == "constraint":
            return _check_constraint(value, n)
        if k == "column":
            return [] if isinstance(value, str) and value.strip() else \
                [f"{n} must be a column name (text), got {value!r}."]
        raise AssertionError(k)


def _check_penalty(v, n) -> list[str]:
    if not isinstance(v, dict):
        return [f"{n} must be null or an object like {{\"type\": \"L2\", \"l2\": 0.01}}, got {v!r}."]
    t = v.get("type")
    if t not in REGULARIZERS:
        return [f"{n} has type {t!r}; choose one of {', '.join(REGULARIZERS)}."]
    allowed = {"type", *(["l1"] if t in ("L1", "L1L2") else []), *(["l2"] if t in ("L2", "L1L2") else [])}
    out = [f"{n} has unknown key {k!r}; allowed: {', '.join(sorted(allowed))}."
           for k in v if k not in allowed]
    for k in allowed - {"type"}:
        r = v.get(k, 0.01)
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not (0 <= r <= 10):
            out.append(f"{n}: rate '{k}' must be a number between 0 and 10, got {r!r}.")
    return out


def _check_constraint(v, n) -> list[str]:
    if not isinstance(v, dict):
        return [f"{n} must be null or an object like {{\"type\": \"MaxNorm\", \"max_value\": 3}}, got {v!r}."]
    t = v.get("type")
    if t not in CONSTRAINTS:
        return [f"{n} has type {t!r}; choose one of {', '.join(CONSTRAINTS)}."]
    allowed = {"type"} | ({"max_value"} if t in ("MaxNorm", "MinMaxNorm") else set()) \
        | ({"min_value", "rate"} if t == "MinMaxNorm" else set())
    out = [f"{n} has unknown key {k!r}; allowed: {', '.join(sorted(allowed))}."
           for k in v if k not in allowed]
    for k in allowed - {"type"}:
        x = v.get(k, 1.0)
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not (0 <= x <= 1e6):
            out.append(f"{n}: '{k}' must be a non-negative number, got {x!r}.")
    return out


def penalty_args(v: dict) -> dict:
    """Keyword arguments of ``keras.regularizers.<type>`` for a regularizer value."""
    t = v["type"]
    if t == "L1":
        return {"l1": float(v.get("l1", 0.01))}
    if t == "L2":
        return {"l2": float(v.get("l2", 0.01))}
    return {"l1": float(v.get("l1", 0.01)), "l2": float(v.get("l2", 0.01))}


def constraint_args(v: dict) -> dict:
    t = v["type"]
    if t == "MaxNorm":
        return {"max_value": float(v.get("max_value", 3.0))}
    if t == "MinMaxNorm":
        return {k: float(v.get(k, d)) for k, d in
                (("min_value", 0.0), ("max_value", 1.0), ("rate", 1.0))}
    return {}


def check_all(params: tuple[Param, ...], values: dict, where: str, extra_keys=()) -> list[str]:
    """Check every value, and that no unknown key is present (naming the allowed ones)."""
    names = {p.name for p in params} | set(extra_keys)
    problems = []
    for k in values:
        if k not in names:
            problems.append(f"{where}: unknown setting '{k}'. Allowed: {', '.join(sorted(names))}.")
    for p in params:
        if p.name in values:
            problems += p.check(values[p.name], where)
    return problems
