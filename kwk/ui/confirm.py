"""Ask before replacing what the user made: one warning and two buttons, the same on every
page (a template, a loaded spec or a trained model's layers replacing the stack).

The page keeps the pending replacement in a session key (``pending_template``,
``pending_import``, ``pending_base``); :func:`ask_to_replace` shows the question while that
key holds something, applies it on yes, clears it on no, and reruns either way."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from kwk.ui.session import session


def ask_to_replace(pending: str, message: str, apply: Callable[[Any], None], *,
                   yes: str = "Replace my layers", no: str = "Keep my layers",
                   key: str) -> None:
    """While ``session().<pending>`` holds a replacement, warn with ``message`` (say what is
    replaced; it can be undone on Build) and offer ``yes`` (``apply(replacement)``) and
    ``no`` (keep what is there). The buttons' keys are ``confirm_<key>`` and
    ``cancel_<key>``."""
    ss = session()
    value = getattr(ss, pending)
    if value is None:
        return
    st.warning(message, icon="⚠️")
    y, n = st.columns(2)
    if y.button(yes, key=f"confirm_{key}", type="primary"):
        setattr(ss, pending, None)
        apply(value)
        st.rerun()
    if n.button(no, key=f"cancel_{key}"):
        setattr(ss, pending, None)
        st.rerun()
