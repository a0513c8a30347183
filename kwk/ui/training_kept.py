"""Training options kept from other data: when a new file replaces the data, the options the
user changed on Train (epochs, early stopping, ...) stay, as the network does on Build. The Train
page says so while they are unchanged, names what differs from the defaults, and offers them."""
from __future__ import annotations

import copy

import streamlit as st

from kwk.spec import changed_training
from kwk.ui.session import session


def _defaults() -> dict:
    from kwk.spec import default_spec
    return default_spec()["training"]


def _words(changed: list[tuple[str, object, object]]) -> str:
    def show(v):
        return {True: "on", False: "off"}.get(v, v) if isinstance(v, bool) else v
    return "; ".join(f"{name.replace('_', ' ')} {show(v)} (default {show(d)})"
                     for name, v, d in changed)


def kept_training_note() -> None:
    """On Train: say that the options were kept from other data while they are unchanged since,
    with a button that puts back the defaults."""
    ss = session()
    kept = ss.training_from
    if kept is None or ss.data is None or kept["data"] == ss.data.name \
            or ss.spec.get("training") != kept["training"]:
        return
    changed = changed_training(ss.spec["training"])
    if not changed:
        return
    with st.container(border=True, key="kept_training"):
        st.info(f"These training options are kept from **{kept['data']}**: {_words(changed)}. "
                "Check they suit this data.", icon="🧳")
        if st.button("Use the default training options", key="training_defaults",
                     help="Puts back KwK's defaults for every option below."):
            ss.spec["training"] = copy.deepcopy(_defaults())
            ss.training_from = None
            ss.spec_version = ss.spec_version + 1  # the form's widgets take the new values
            st.rerun()
