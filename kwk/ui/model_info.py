"""Cached facts about the current data + spec that several pages need."""
from __future__ import annotations

import json

import streamlit as st

from kwk.errors import KwkError
from kwk.ui.state import resolve_session, session_spec
from kwk.ui.session import session


@st.cache_data(show_spinner=False, max_entries=32)
def _encoded_inputs(fingerprint: str, data_json: str, _df) -> tuple[int, int]:
    from kwk.prep.stats import fit_preprocessor
    data = json.loads(data_json)
    pre = fit_preprocessor(_df, {"data": data})
    if data.get("text") and not data.get("inputs"):
        return 1, max(len(pre.classes), 1)  # one raw text per row (a text branch: word numbers)
    width = data["sequence"]["window"] if data.get("sequence") else 1  # a window of rows
    return width * len(pre.input_names), max(len(pre.classes), 1)


def stack_info(spec: dict):
    """``(resolved_spec, notes, n_inputs, n_classes)`` for the session's data, or raises
    KwkError. The encoded width comes from fitting the real preprocessing (cached)."""
    ld = session().data
    resolved, notes = resolve_session(spec)
    n_in, n_cls = _encoded_inputs(ld.fingerprint, json.dumps(resolved["data"], sort_keys=True), ld.df)
    return resolved, notes, n_in, n_cls


def try_stack_info(spec: dict):
    try:
        return stack_info(spec), None
    except KwkError as e:
        return None, e


def resolved_task() -> str | None:
    """The task KwK resolves for the session's data and target (``None`` when the spec does not
    resolve yet: the page that draws it shows why)."""
    ld = session().data
    if ld is None:
        return None
    try:
        return resolve_session(session_spec())[0]["data"]["task"]
    except KwkError:
        return None
