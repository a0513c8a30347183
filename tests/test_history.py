"""Undo/redo of the Build page: every kind of edit is recorded with a readable line, undo and
redo restore the exact states, and a new edit after an undo drops the undone ones."""
import copy

import pytest

from kwk.spec import default_spec
from kwk.spec.history import LIMIT, History, describe, model_part


def dense(units, act="relu"):
    return {"type": "Dense", "units": units, "activation": act}


DROP = {"type": "Dropout", "rate": 0.2}


@pytest.mark.parametrize("before,after,text", [
    ([dense(32)], [dense(64)], "changed units of Dense 1 from 32 to 64"),
    ([dense(32)], [dense(32), DROP], "added Dropout 2"),
    ([dense(32), dense(32)], [dense(32), dense(32), dense(32)], "added Dense 1"),
    ([dense(32), DROP, dense(8)], [dense(32), dense(8)], "removed Dropout 2"),
    # two neighbours swapped: the states alone cannot say which one was moved
    ([dense(32), DROP], [DROP, dense(32)], "swapped Dense 1 and Dropout 2"),
    ([dense(32), DROP, dense(8)], [DROP, dense(32), dense(8)], "swapped Dense 1 and Dropout 2"),
    ([dense(32), dense(32), DROP], [dense(32), DROP, dense(32)], "swapped Dense 2 and Dropout 3"),
    ([dense(1), dense(2), dense(3)], [dense(2), dense(3), dense(1)],
     "moved Dense from place 1 to 3"),
    ([dense(32)], [dense(16, "tanh")], "changed units, activation of Dense 1"),
    ([dense(32)], [{"type": "Conv2D", "filters": 8}, DROP], "replaced the stack (1 → 2 layers)"),
])
def test_each_layer_edit_is_described(before, after, text):
    assert describe({"layers": before}, {"layers": after}).startswith(text)


def test_training_and_output_edits_are_described():
    a = default_spec()
    b = copy.deepcopy(a)
    b["training"]["epochs"] = a["training"]["epochs"] + 20
    assert describe(model_part(a), model_part(b)) == (
        f"changed epochs from {a['training']['epochs']} to {a['training']['epochs'] + 20}")
    b["training"]["learning_rate"] = 0.5
    assert describe(model_part(a), model_part(b)) == "changed 2 training settings"


def test_undo_redo_restore_exact_states_and_a_new_edit_drops_the_undone():
    spec = default_spec()
    h = History()
    assert not h.observe(spec) and not h.can_undo  # the starting point is not an edit
    states = [model_part(spec)]
    for units in (8, 16, 32):
        spec["layers"] = [dense(units)]
        assert h.observe(spec)
        assert not h.observe(spec)  # the same state again is not an edit
        states.append(model_part(spec))
    assert h.next_undo == "changed units of Dense 1 from 16 to 32"
    assert h.undo() == states[2] and h.undo() == states[1]
    assert h.can_redo and h.next_redo == "changed units of Dense 1 from 8 to 16"
    assert h.redo() == states[2]
    assert [r["state"] for r in h.rows()] == ["undone", "current", "", ""]
    spec["layers"] = [dense(2)]  # a new edit after an undo: the undone step is gone
    assert h.observe(spec, label="applied the template 'Tiny'")
    assert not h.can_redo and len(h.entries) == 4
    assert h.entries[-1].label.startswith("applied the template 'Tiny' (changed units")
    assert h.go(0) == states[0]
    with pytest.raises(IndexError):
        h.undo()


def test_restored_states_are_copies_and_the_history_is_bounded():
    spec = default_spec()
    h = History()
    h.observe(spec)
    for i in range(LIMIT + 20):
        spec["layers"] = [dense(i + 1)]
        h.observe(spec)
    assert len(h.entries) == LIMIT and h.cursor == LIMIT - 1
    back = h.undo()
    back["layers"].append(DROP)  # editing what undo returned must not rewrite history
    assert h.redo()["layers"] == [dense(LIMIT + 20)]
    assert h.entries[h.cursor - 1].state["layers"] == [dense(LIMIT + 19)]


def test_branch_and_kind_of_data_edits_are_described():
    a = {"modality": "table", "layers": [dense(8)]}
    b = {"modality": "table_text", "layers": [dense(8)],
         "branches": {"table": [dense(4)], "text": [{"type": "Embedding"}]}}
    assert describe(a, b) == ("changed the kind of data to table + text; table branch: added "
                              "Dense 1; text branch: added Embedding 1")
    c = {**b, "branches": {**b["branches"], "text": [{"type": "Embedding"}, DROP]}}
    assert describe(b, c) == "text branch: added Dropout 2"


@pytest.mark.parametrize("before,i,j,text", [
    # Dense, Dropout, Dense: the Dropout moved up or down, by the Up and Down buttons
    ([dense(32), DROP, dense(8)], 1, 0, "moved Dropout from place 2 to 1"),
    ([dense(32), DROP, dense(8)], 1, 2, "moved Dropout from place 2 to 3"),
    ([dense(32), dense(8), DROP], 2, 1, "moved Dropout from place 3 to 2"),
    # and a Dense moved past the Dropout
    ([dense(32), DROP, dense(8)], 0, 1, "moved Dense from place 1 to 2"),
])
def test_the_moved_layer_is_the_one_named(before, i, j, text):
    """The history named the Dense when the Dropout between two Dense layers was moved (issue
    28): Up/Down say which layer moved, and the line names that one."""
    spec = {**default_spec(), "layers": copy.deepcopy(before)}
    h = History()
    h.observe(spec)
    layers = spec["layers"]
    layers[i], layers[j] = layers[j], layers[i]
    h.note_move("head", i, j)
    assert h.observe(spec)
    assert h.entries[-1].label == text
    assert h.pending_move is None  # the hint is used once


def test_a_move_in_a_branch_is_named_in_that_branch():
    spec = {**default_spec(), "branches": {"table": [dense(32), DROP, dense(8)]}}
    h = History()
    h.observe(spec)
    b = spec["branches"]["table"]
    b[2], b[1] = b[1], b[2]
    h.note_move("table", 1, 2)
    h.observe(spec)
    assert h.entries[-1].label == "table branch: moved Dropout from place 2 to 3"
