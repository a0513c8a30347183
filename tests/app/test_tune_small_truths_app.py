"""Issue 28, item 10, on the pages: Runs' compare chips show a run's current name after a
rename (the browser kept the old one)."""
import json
import sqlite3

from tests.app.test_pages import app, goto, no_crash


def _fake_runs(names: list[str]) -> list[str]:
    """Index runs with the given names in the test's workspace (no bundle: the Runs page reads
    the index, and a missing history or evaluation is drawn as empty)."""
    from kwk.ui.state import store
    s = store()
    spec = {"data": {"target": "y"}, "layers": [], "training": {}}
    ids = []
    with sqlite3.connect(s.root / "runs.sqlite") as db:
        for i, name in enumerate(names):
            rid = f"{i:x}" * 12
            db.execute("INSERT INTO runs (id, created, owner, name, data_name, fingerprint, task, "
                       "status, metric, value, seconds, epochs, parameters, metrics, spec) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       (rid, f"2024-01-0{i + 1}T10:00:00", "", name, "d.csv", "f", "binary",
                        "finished", "accuracy", 0.5, 1.0, 1, 10,
                        json.dumps({"task": "binary", "test": {"accuracy": 0.5 + i / 10}}),
                        json.dumps(spec)))
            ids.append(rid)
    return ids


def test_compare_chips_show_a_runs_new_name_after_a_rename():
    at = app()
    first, second = _fake_runs(["first try", "second try"])
    goto(at, "7_runs")
    chips = at.multiselect(key="compare_sel")
    assert chips.value == [second, first]
    assert at.selectbox(key="runs_sel").value == second
    at.text_input(key=f"run_name_{second}").set_value("wider net")
    at.button(key="save_run_notes").click().run()
    no_crash(at)
    chips = at.multiselect(key="compare_sel")
    assert chips.value == [second, first]  # the same runs stay chosen
    # the browser draws the chips from the labels the server sends: the current names
    assert chips.proto.set_value, "the chips were not sent again: the browser keeps old names"
    assert list(chips.proto.raw_values) == [f"wider net · {second[:6]}",
                                            f"first try · {first[:6]}"]
    table = at.dataframe[-1].value
    assert f"wider net · {second[:6]}" in table.columns
