"""Plain words on every page: the sidebar switch, the word to show, its help text, and the
glossary's search box. The words themselves are data (``kwk/learn/glossary.toml``, read by
:mod:`kwk.learn.glossary`).

A page uses it one way everywhere:

- ``words.label("epochs")``: the word for a widget's label or a heading, plain or usual as the
  learner chose;
- ``help=words.tip("epochs")``: what it means, for the widget's tooltip (where the word is);
- ``words.on_page(["loss", "validation"])``: a folded "Words on this page" list;
- the catalog's forms (:mod:`kwk.ui.forms`) ask :func:`param_label` and :func:`param_help`
  with a setting's name, so every layer and training setting follows the switch.

The switch is kept in the session state and in the address (``?plain_words=true``), so a reload or
the same address in a new tab keeps it.
"""
from __future__ import annotations

import streamlit as st

from kwk.learn import glossary as g

KEY = "plain_words"  # the session key and the address parameter


def is_plain() -> bool:
    """Whether the learner asked for plain words (False outside a running page)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        if get_script_run_ctx() is None:
            return False
        return bool(st.session_state.get(KEY, False))
    except Exception:  # noqa: BLE001 - a table built outside a page reads the usual words
        return False


def label(term: str) -> str:
    """The word to show for ``term``: its plain words when the switch is on."""
    return g.say(term, is_plain())


def tip(term: str) -> str:
    """What ``term`` means, for a widget's ``help=`` (leading with the word on screen)."""
    return g.define(term, is_plain())


def entry_for(names) -> g.Entry | None:
    """The glossary's term for the first of ``names`` it knows (None: none)."""
    for n in ([names] if isinstance(names, str) else names):
        e = g.find(n)
        if e is not None:
            return e
    return None


def param_label(names, usual: str) -> str:
    """A setting's label: the plain words of the first of ``names`` in the glossary when the
    switch is on, else ``usual`` (the label the form always showed)."""
    e = entry_for(names)
    return e.plain if e is not None and is_plain() else usual


def param_help(names, help_: str) -> str:
    """A setting's help: its own help and the glossary's meaning (first when plain)."""
    e = entry_for(names)
    if e is None:
        return help_
    if is_plain():
        return f"{g.define(e.id, True)}\n\n{help_}"
    return f"{help_}\n\n📖 {g.define(e.id, False)}"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def entry_line(e: g.Entry, plain: bool | None = None) -> str:
    """One glossary line in Markdown: the word on screen first, the other in brackets."""
    plain = is_plain() if plain is None else plain
    first, other = (e.plain, e.term) if plain else (e.term, e.plain)
    also = [x.term for x in map(g.find, e.see_also) if x is not None]
    return (f"**{_cap(first)}** (*{other}*) — {e.means}"
            + (f" *See also: {', '.join(also)}.*" if also else ""))


def switch() -> None:
    """The sidebar's "Plain words" switch and a box to look a word up (kwk_app.py). The
    switch is kept in the address (``?plain_words=true``) so a reload or a new tab keeps it.
    It is written there by hand, not bound (``bind=``): a bound parameter cannot be set with
    the rest of the address, which the Playground and the lessons do."""
    if KEY not in st.session_state:  # a new session: the address says what was chosen
        st.session_state[KEY] = st.query_params.get(KEY) == "true"
    st.toggle("Plain words", key=KEY,
              help="Replaces the jargon on every page with plain words (the usual word stays "
              "in each tooltip, so you learn both). Point at the ? beside a word to read what "
              "it means.")
    on = bool(st.session_state[KEY])
    if on and st.query_params.get(KEY) != "true":  # a page switch drops it: put it back
        st.query_params[KEY] = "true"
    elif not on and KEY in st.query_params:
        del st.query_params[KEY]
    with st.popover("📖 Look up a word", width="stretch"):
        glossary_box("sidebar", limit=8)


def glossary_box(key: str, limit: int | None = None) -> list[g.Entry]:
    """A search box over the glossary and the terms it finds (every term when empty, or a
    hint when ``limit`` is set). Returns the terms shown."""
    q = st.text_input("Search the glossary", key=f"glossary_q_{key}",
                      placeholder="e.g. epoch, overfitting, recall",
                      help="Finds a word by its usual name, its plain words or its meaning.")
    found = g.glossary().search(q)
    if limit is not None and not q.strip():
        st.caption(f"{len(g.glossary())} words, from *epochs* to *SHAP*. Type one above.")
        return []
    if not found:
        st.caption(f"No word matches '{q}'.")
        return []
    shown = found if limit is None else found[:limit]
    st.markdown("\n\n".join(entry_line(e) for e in shown))
    if len(found) > len(shown):
        st.caption(f"… and {len(found) - len(shown)} more: the Learn page lists them all.")
    return shown


def on_page(terms: list[str], key: str | None = None) -> None:
    """A folded list of the words a page uses, each in plain words with what it means."""
    entries = [g.glossary().lookup(t) for t in terms]
    with st.expander("📖 Words on this page", key=key):
        st.markdown("\n".join(f"- {entry_line(e)}" for e in entries))
