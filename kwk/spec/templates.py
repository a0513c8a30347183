"""What a stack is, in the Build page's words: which template it equals (if any) and which
template suits the data now loaded.

The template box on Build must not claim "Small MLP" for a 9-layer stack kept from the
previous data: :func:`which_template` compares the stack (settings filled with their
defaults) with every template; :func:`suggest_template` names the one made for the kind and
size of the data.
"""
from __future__ import annotations

import copy

from kwk.catalog.presets import DEFAULT_FOR_MODALITY, TEMPLATES

# A table with at least this many rows is "larger": the regularised template suits it better
# than two small layers (its help says so).
LARGE_TABLE_ROWS = 5000


def _filled(layers: list[dict]) -> list[dict]:
    from kwk.spec import normalize
    try:
        return normalize({"layers": copy.deepcopy(layers)})["layers"]
    except Exception:  # a stack normalize refuses equals no template
        return [dict(layer, _unreadable=True) for layer in layers]


def which_template(layers: list[dict], branches: dict | None = None) -> str | None:
    """The name of the template whose stack (and branches) ``layers`` equals once every
    setting is filled with its default; ``None`` for a stack of one's own."""
    mine = _filled(layers)
    mine_branches = {b: _filled(s) for b, s in (branches or {}).items()}
    for name, t in TEMPLATES.items():
        if bool(t.get("branches")) != bool(branches):
            continue
        if _filled(t["layers"]) != mine:
            continue
        theirs = {b: _filled(s) for b, s in (t.get("branches") or {}).items()}
        if theirs == mine_branches:
            return name
    return None


def suggest_template(modality: str, n_rows: int | None = None) -> str:
    """The template made for this kind of data; for a table of at least
    ``LARGE_TABLE_ROWS`` rows the regularised one ("Deep & regularized")."""
    if modality == "table" and n_rows is not None and n_rows >= LARGE_TABLE_ROWS:
        return "Deep & regularized"
    return DEFAULT_FOR_MODALITY.get(modality, DEFAULT_FOR_MODALITY["table"])


def stack_words(layers: list[dict], branches: dict | None = None,
                kept_from: str | None = None) -> str:
    """What the template box shows: the template's name, or "Custom (n layers)", with
    "kept from <data>" when the stack came with the previous data."""
    name = which_template(layers, branches)
    n = len(layers) + sum(map(len, (branches or {}).values()))
    if name is not None:
        return name + (f" (kept from {kept_from})" if kept_from else "")
    return (f"Custom, {n} layer{'s' if n != 1 else ''}"
            + (f" (kept from the previous data, {kept_from})" if kept_from else ""))
