"""The request schema of a served run, generated from the columns its preprocessing knows.

Each input column becomes one field of the ``Row`` model (named by the column, whatever
characters it holds: the field's alias is the column name), typed by the column's kind:

========== ============================================ ==========================================
kind       accepted JSON values                         what happens to odd values
========== ============================================ ==========================================
numeric    a number, a string holding a number, null    unreadable text is scored as missing and
                                                        flagged in ``unusual``
category   a string, a number or true/false, null       a label never seen in training is scored
boolean                                                 as "none of the known labels", flagged
datetime   a date as text (``"2024-01-31"``), null       an unreadable date is scored as missing
text       a string, null                               (nothing)
========== ============================================ ==========================================

Objects and lists are refused everywhere (422, naming the column). A row must name every
input column (``null`` for an unknown value); other keys (e.g. the target) are ignored. A time
series model also needs its time column (and series column) and rows with history.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr
from pydantic import create_model

NUMBER = Optional[Union[StrictFloat, StrictInt, StrictStr]]
LABEL = Optional[Union[StrictStr, StrictInt, StrictFloat, StrictBool]]
TEXT = Optional[StrictStr]

# kind -> (JSON type, what to send, the fix named in a 422)
KINDS = {
    "numeric": (NUMBER, "a number", "Send a number such as 3.5 (or null for a missing value)."),
    "categorical": (LABEL, "a category label", "Send the label as text (or null)."),
    "boolean": (LABEL, "a yes/no label", "Send true/false or the label as text (or null)."),
    "datetime": (TEXT, "a date", "Send the date as text, e.g. \"2024-01-31\" (or null)."),
    "text": (TEXT, "a text", "Send the text as a string (or null)."),
    "time": (Optional[Union[StrictStr, StrictInt, StrictFloat]], "the time of the row",
             "Send the time as text (\"2024-01-31\") or a number; every row needs one."),
    "series": (LABEL, "the series the row belongs to", "Send the series name as text."),
}


def columns(state: dict) -> list[dict]:
    """The columns a request row carries, in order: ``{"name", "kind", "example",
    "description"}`` for each input column, then a time series' time and series columns."""
    out = []
    for col in state["columns"]:
        kind = col["kind"] if col["kind"] in KINDS else "categorical"
        out.append({"name": col["name"], "kind": kind, "example": _example(col),
                    "description": _describe(col, kind)})
    seq = state.get("sequence") or {}
    known = {c["name"] for c in out}
    for role, name in (("time", seq.get("time")), ("series", seq.get("group"))):
        if name and name not in known:
            out.append({"name": name, "kind": role, "example": "2024-01-31" if role == "time"
                        else "A", "description": f"{KINDS[role][1]} (time series)."})
    return out


def row_model(cols: list[dict]) -> type[BaseModel]:
    """A pydantic model of one row: one required, nullable field per column (aliased by the
    column's name, so names with spaces or symbols work), other keys ignored."""
    fields: dict[str, Any] = {}
    for i, c in enumerate(cols):
        fields[f"c{i}"] = (KINDS[c["kind"]][0],
                           Field(..., alias=c["name"], description=c["description"],
                                 examples=[c["example"]]))
    example = {c["name"]: c["example"] for c in cols}
    return create_model("Row", __config__=ConfigDict(
        extra="ignore", populate_by_name=False, json_schema_extra={"examples": [example]}),
        **fields)


def request_model(row: type[BaseModel], max_rows: int) -> type[BaseModel]:
    example = row.model_config["json_schema_extra"]["examples"][0]
    return create_model(
        "PredictRequest",
        __config__=ConfigDict(extra="ignore", json_schema_extra={"examples": [{"rows": [example]}]}),
        rows=(list[row], Field(..., description=f"The rows to score (at most {max_rows:,} per "
                                                "request), each with every input column.")))


class PredictResponse(BaseModel):
    """What ``POST /predict`` answers (documentation only: the response is built directly)."""
    predictions: list[Union[str, float, None]] = Field(
        description="One per row: the class label, or the number in the target's units "
                    "(null for a time-series row without enough history).")
    probabilities: Optional[list[dict[str, float]]] = Field(
        None, description="Classification: per row, each class's probability.")
    unusual: list[str] = Field(
        description="Per row, what the model never saw in training or could not read (empty "
                    "when nothing): such values were scored as missing; check the prediction.")
    forecast_of: Optional[list[str]] = Field(
        None, description="Time series: what each forecast is of (empty for rows without "
                          "enough history).")
    threshold: Optional[float] = Field(
        None, description="Two-class models: the second class is predicted from this "
                          "probability on.")


def error_detail(errors: list[dict], cols: list[dict]) -> list[dict]:
    """pydantic's validation errors -> one entry per (row, column): ``{"row", "column",
    "problem", "fix"}`` (a union's several errors for one value become one)."""
    kind_of = {c["name"]: c["kind"] for c in cols}
    seen, out = set(), []
    for e in errors:
        loc = list(e.get("loc", ()))
        row = loc[1] if len(loc) > 1 and loc[0] == "rows" and isinstance(loc[1], int) else None
        column = loc[2] if row is not None and len(loc) > 2 else None
        key = (row, column, e["type"] == "missing")
        if key in seen:
            continue
        seen.add(key)
        out.append(_one_error(e, loc, row, column, kind_of))
    return out


def _one_error(e: dict, loc: list, row, column, kind_of: dict) -> dict:
    if column is not None and column in kind_of:
        kind = kind_of[column]
        if e["type"] == "missing":
            return {"row": row, "column": column, "problem": f"Row {row} has no '{column}'.",
                    "fix": f"Add '{column}' ({KINDS[kind][1]}) to every row; use null for an "
                           "unknown value."}
        got = type(e.get("input")).__name__ if "input" in e else "this value"
        got = {"dict": "an object", "list": "a list", "bool": "true/false"}.get(got, got)
        return {"row": row, "column": column,
                "problem": f"Row {row}: '{column}' should be {KINDS[kind][1]}, not {got}.",
                "fix": KINDS[kind][2]}
    if row is not None:
        return {"row": row, "column": None,
                "problem": f"Row {row} is not an object of column values.",
                "fix": 'Send each row as {"column": value, ...}.'}
    if loc[:1] == ["rows"] or (e["type"] == "missing" and loc == ["rows"]):
        return {"row": None, "column": None, "problem": "The body needs a list called 'rows'.",
                "fix": 'Send {"rows": [{"column": value, ...}, ...]}.'}
    if not loc:
        return {"row": None, "column": None,
                "problem": "The body must be a JSON object with a list called 'rows'.",
                "fix": 'Send {"rows": [{"column": value, ...}, ...]}.'}
    where = ".".join(map(str, loc))
    return {"row": None, "column": None, "problem": f"{where}: {e.get('msg', 'not accepted')}.",
            "fix": 'Send {"rows": [{"column": value, ...}, ...]} and nothing else.'}


def _example(col: dict):
    kind = col["kind"]
    if kind == "numeric":
        v = col.get("fill", 0.0)
        return round(float(v), 4) if v is not None else 0.0
    if kind in ("categorical", "boolean"):
        cats = col.get("categories") or []
        return cats[0] if cats else None
    if kind == "datetime":
        days = (col.get("parts") or {}).get("days", {}).get("fill")
        try:
            return (dt.date(1970, 1, 1) + dt.timedelta(days=int(days))).isoformat()
        except (TypeError, ValueError, OverflowError):
            return "2024-01-31"
    return "a short text"


def _describe(col: dict, kind: str) -> str:
    what = {"numeric": "numeric: a number; null is filled with the training median "
                       f"({col.get('fill', 0):g}); text that is not a number is flagged",
            "datetime": "datetime: a date as text; an unreadable date is flagged",
            "text": "text: the text to score (null counts as empty)"}.get(kind)
    if what is None:
        cats = col.get("categories") or []
        shown = ", ".join(map(str, cats[:8])) + (", ..." if len(cats) > 8 else "")
        what = (f"{kind}: one of the labels seen in training ({shown}); another label is "
                "flagged and scored as none of them")
    return what + "."
