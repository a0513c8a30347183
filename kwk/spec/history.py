"""Undo and redo for the model part of a spec (layers, output, training, name).

:class:`History` keeps a list of states and a cursor. The Build page *observes* the session's
spec on every run: a spec that differs from the state under the cursor is an edit, wherever it
was made (a layer setting, a reorder, a template, an imported spec, the best network applied
from a search, a training option), and is recorded with a readable description written by
:func:`describe`. ``undo``/``redo`` move the cursor and return the state to restore. A new edit
after an undo drops the states ahead of the cursor, as in every editor.

Pure Python and JSON-like values only, so it is tested without Streamlit.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

# "modality" is the app's kind of data (a table, pictures, a table with a text column...): it
# decides whether the branches are used, so undo restores it with them.
MODEL_KEYS = ("name", "modality", "branches", "layers", "output", "training", "tune")
LIMIT = 100  # states kept; the oldest are dropped first


def model_part(spec: dict) -> dict:
    """The part of a spec the Build page edits (what undo restores)."""
    return {k: copy.deepcopy(spec[k]) for k in MODEL_KEYS if k in spec}


def _value(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict) and "type" in v:
        return str(v["type"])
    return "none" if v is None else str(v)


def _layer_name(layers: list, i: int) -> str:
    """"Dense 2": the type and its 1-based position in the stack."""
    return f"{layers[i].get('type', '?')} {i + 1}"


def _moved(layers: list, i: int, j: int) -> list:
    """``layers`` with the layer at place ``i`` moved to place ``j`` (0-based)."""
    rest = layers[:i] + layers[i + 1:]
    return rest[:j] + [layers[i]] + rest[j:]


def _layers_change(a: list, b: list, moved: tuple[int, int] | None = None) -> str | None:
    """What changed from stack ``a`` to stack ``b``; ``moved`` = (from, to), 0-based, says
    which layer the user moved when the two stacks alone cannot (two neighbours swapped)."""
    if a == b:
        return None
    if len(b) == len(a) + 1:  # one inserted (added at the end, or copied below a layer)
        for i in range(len(b)):
            if a[:i] + a[i:] == b[:i] + b[i + 1:]:
                return f"added {_layer_name(b, i)}"
    if len(b) == len(a) - 1:
        for i in range(len(a)):
            if a[:i] + a[i + 1:] == b:
                return f"removed {_layer_name(a, i)}"
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1 and a[diff[0]].get("type") == b[diff[0]].get("type"):
            i = diff[0]
            keys = [k for k in dict.fromkeys([*a[i], *b[i]]) if a[i].get(k) != b[i].get(k)]
            if len(keys) == 1:
                k = keys[0]
                return (f"changed {k} of {_layer_name(b, i)} from {_value(a[i].get(k))} "
                        f"to {_value(b[i].get(k))}")
            return f"changed {', '.join(keys)} of {_layer_name(b, i)}"
        moves = [(i, j) for i in range(len(a)) for j in range(len(a))
                 if j != i and _moved(a, i, j) == b]  # one layer moved (Up, Down, dragged)
        if moves:
            if moved not in moves and len(moves) > 1:
                # two neighbours swapped places: either may have been the one moved, so name
                # both rather than guess (Up and Down say which one: ``moved``)
                lo = next((min(m) for m in moves if abs(m[0] - m[1]) == 1), None)
                if lo is not None:
                    return f"swapped {_layer_name(a, lo)} and {_layer_name(a, lo + 1)}"
            i, j = moved if moved in moves else moves[0]
            return f"moved {a[i].get('type')} from place {i + 1} to {j + 1}"
        key = lambda layer: repr(sorted(layer.items()))  # noqa: E731
        if sorted(map(key, a)) == sorted(map(key, b)):
            return "reordered the layers"
    return f"replaced the stack ({len(a)} → {len(b)} layers)"


def describe(before: dict, after: dict, moved: dict | None = None) -> str:
    """One readable line for the edit from ``before`` to ``after`` (model parts), e.g.
    "changed units of Dense 2 from 32 to 64", "added Dropout 3", "changed epochs from 20 to
    40". ``moved`` = ``{"part": "head" or a branch, "from": i, "to": j}`` (0-based) names the
    layer the user moved (see :meth:`History.note_move`)."""
    def hint(part):
        return (moved["from"], moved["to"]) if moved and moved.get("part") == part else None

    parts = []
    layers = _layers_change(before.get("layers", []), after.get("layers", []), hint("head"))
    if layers:
        parts.append(layers)
    for section, word in (("training", ""), ("output", "output ")):
        a, b = before.get(section) or {}, after.get(section) or {}
        keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
        if len(keys) == 1:
            k = keys[0]
            parts.append(f"changed {word}{k.replace('_', ' ')} from {_value(a.get(k))} to "
                         f"{_value(b.get(k))}")
        elif keys:
            parts.append(f"changed {len(keys)} {section} settings")
    if before.get("modality") != after.get("modality") and after.get("modality"):
        parts.insert(0, f"changed the kind of data to {after['modality'].replace('_', ' + ')}")
    if before.get("name") != after.get("name"):
        parts.append(f"renamed the model to {after.get('name')!r}")
    a, b = before.get("branches") or {}, after.get("branches") or {}
    for name in dict.fromkeys([*a, *b]):
        change = _layers_change(a.get(name, []), b.get(name, []), hint(name))
        if change:
            parts.append(f"{name} branch: {change}")
    if before.get("tune") != after.get("tune"):
        parts.append("changed the search settings")
    return "; ".join(parts) or "changed the model"


def start_label(kept: dict | None, now: dict) -> str:
    """The first history entry's words after new data was loaded. ``kept``: the stack when
    the previous data was replaced (``{"data", "layers", "branches"}``, see the session's
    ``stack_from``), ``now``: the model part of the spec as Build first sees it. "kept the
    stack from iris.csv (9 layers)" when it came along unchanged, "started from a new stack
    (the one from iris.csv did not suit this data)" when it was replaced, "start" without
    previous data."""
    if not kept:
        return "start"
    layers, branches = kept.get("layers") or [], kept.get("branches") or {}
    n = len(layers) + sum(map(len, branches.values()))
    if now.get("layers", []) == layers and (now.get("branches") or {}) == branches:
        return f"kept the stack from {kept['data']} ({n} layer{'s' if n != 1 else ''})"
    return f"started from a new stack (the one from {kept['data']} did not suit this data)"


@dataclass
class Entry:
    state: dict
    label: str


@dataclass
class History:
    """States of the model part of the spec, oldest first, with a cursor on the current one."""
    entries: list = field(default_factory=list)
    cursor: int = -1
    pending_move: dict | None = None  # the layer the next observed edit moved (note_move)

    def note_move(self, part: str, i: int, j: int) -> None:
        """Say that the next edit moves the layer at place ``i`` of ``part`` ("head" for the
        layers after the merge or of a one-input model, else a branch) to place ``j``
        (0-based): swapping two neighbours looks the same whichever of them moved."""
        self.pending_move = {"part": part, "from": int(i), "to": int(j)}

    def observe(self, spec: dict, label: str | None = None) -> bool:
        """Record ``spec`` if it differs from the current state; ``label`` names the edit
        ("applied the template 'CNN'"), else :func:`describe` writes it. Returns whether an
        edit was recorded. The first observation is the starting point ("start")."""
        state = model_part(spec)
        moved, self.pending_move = self.pending_move, None
        if self.cursor >= 0 and self.entries[self.cursor].state == state:
            return False
        if self.cursor < 0:
            self.entries, self.cursor = [Entry(state, label or "start")], 0
            return False
        text = describe(self.entries[self.cursor].state, state, moved)
        if label:
            text = f"{label} ({text})" if text != "changed the model" else label
        del self.entries[self.cursor + 1:]
        self.entries.append(Entry(state, text))
        if len(self.entries) > LIMIT:
            del self.entries[:len(self.entries) - LIMIT]
        self.cursor = len(self.entries) - 1
        return True

    @property
    def can_undo(self) -> bool:
        return self.cursor > 0

    @property
    def can_redo(self) -> bool:
        return 0 <= self.cursor < len(self.entries) - 1

    def undo(self) -> dict:
        """Step back: the state to restore (a copy). Raises IndexError at the start."""
        if not self.can_undo:
            raise IndexError("nothing to undo")
        self.cursor -= 1
        return copy.deepcopy(self.entries[self.cursor].state)

    def redo(self) -> dict:
        if not self.can_redo:
            raise IndexError("nothing to redo")
        self.cursor += 1
        return copy.deepcopy(self.entries[self.cursor].state)

    def go(self, index: int) -> dict:
        """Jump to entry ``index`` (undoing or redoing every step between)."""
        if not 0 <= index < len(self.entries):
            raise IndexError(f"no history entry {index}")
        self.cursor = index
        return copy.deepcopy(self.entries[index].state)

    def rows(self) -> list[dict]:
        """The list shown to the user, newest first: step number, what changed, and whether
        it is the current state or an undone one (redo brings it back)."""
        out = []
        for i, e in enumerate(self.entries):
            out.append({"step": i, "change": e.label,
                        "state": "current" if i == self.cursor
                        else "undone" if i > self.cursor else ""})
        return out[::-1]

    def to_dict(self) -> dict:
        """The history as JSON values (states, labels, cursor), e.g. to keep a session. The
        states are the history's own (not copied: it is read on every rerun); serialise them,
        do not change them."""
        return {"entries": [{"state": e.state, "label": e.label}
                            for e in self.entries], "cursor": self.cursor}

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        """Back from :meth:`to_dict`. Raises ValueError when ``d`` is not such a history."""
        try:
            entries = [Entry(dict(e["state"]), str(e["label"])) for e in d["entries"]]
            cursor = int(d["cursor"])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"not a kept history: {e}") from None
        if not -1 <= cursor < len(entries) or (cursor < 0 and entries):
            raise ValueError("not a kept history: cursor out of range")
        drop = max(0, len(entries) - LIMIT)
        return cls(entries=entries[drop:], cursor=max(cursor - drop, 0) if entries else -1)

    @property
    def next_undo(self) -> str | None:
        return self.entries[self.cursor].label if self.can_undo else None

    @property
    def next_redo(self) -> str | None:
        return self.entries[self.cursor + 1].label if self.can_redo else None
