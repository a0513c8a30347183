"""The typed session (kwk/ui/session.py): every key declared once, and what depends on the data
reset in one place when the data or the target changes."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import APP, T, goto, no_crash, texts, with_sample


def test_every_key_is_declared_with_a_meaning():
    from kwk.ui.session import DATA, TARGET, Key, Session
    keys = Session.keys()
    assert {"data", "target", "job", "run_id", "build_ok", "evaluated", "predicted"} <= set(keys)
    for name, k in keys.items():
        assert isinstance(k, Key) and k.doc, name
        assert k.depends_on in (None, DATA, TARGET), name
    # what the Train, Evaluate and Predict pages show belongs to the data and its target
    for name in ("job", "run_id", "build_ok", "evaluated", "predicted", "predictions"):
        assert keys[name].depends_on == TARGET, name
    for name in ("target", "task", "kinds", "roles", "sequence", "text", "image_shape"):
        assert keys[name].depends_on == DATA, name


def test_an_undeclared_key_is_refused():
    from kwk.ui.session import Session
    with pytest.raises(AttributeError, match="not a declared session key"):
        Session().tagret = "typo"


def _fake_finished_run(at):
    """A run trained on the current data, as the Train page leaves it."""
    at.session_state.run_id = "run-of-the-first-data"
    at.session_state.build_ok = True
    at.session_state.evaluated = True
    at.session_state.predicted = True



def test_loading_other_data_resets_what_depended_on_the_first():
    at = with_sample("iris")
    _fake_finished_run(at)
    at.run()
    at.selectbox(key="sample_choice").set_value("tips").run()
    at.button(key="use_sample").click().run()
    no_crash(at)
    ss = at.session_state
    assert ss.data.name == "tips.csv"
    assert ss.run_id is None and ss.job is None
    assert not ss.build_ok and not ss.evaluated and not ss.predicted
    goto(at, "4_train")
    assert "The run is saved" not in texts(at)


def test_choosing_another_target_resets_the_results():
    at = with_sample("tips")
    goto(at, "2_target")
    _fake_finished_run(at)
    first = at.session_state.target
    other = next(c for c in ("day", "total_bill", "sex") if c != first)
    at.selectbox(key="target_select").set_value(other).run()
    no_crash(at)
    ss = at.session_state
    assert ss.target == other
    assert ss.run_id is None and not ss.build_ok and not ss.evaluated and not ss.predicted


@pytest.mark.slow
def test_playground_survives_a_visit_to_other_pages():
    """Streamlit deletes a page's widget keys when another page runs: the Playground kept its
    settings in pg_cfg but read the widgets' keys, and broke on the second visit."""
    at = AppTest.from_file(APP, default_timeout=T)
    at.run()
    goto(at, "8_playground")
    at.select_slider(key="pg_learning_rate").set_value(0.1).run()
    at.number_input(key="pg_n_layers").set_value(3).run()
    for page in ("1_data", "8_playground", "3_build", "8_playground"):
        goto(at, page)
    assert at.select_slider(key="pg_learning_rate").value == 0.1
    assert at.number_input(key="pg_n_layers").value == 3
    at.session_state.pg.close()


def test_landing_says_what_kwk_is_and_starts_a_sample_in_one_click():
    at = AppTest.from_file(APP, default_timeout=T)
    at.run()
    no_crash(at)
    shown = texts(at)
    assert "without writing code" in shown
    for step in ("Data", "Target", "Build", "Train", "Evaluate", "Predict"):
        assert step in shown, step
    at.button(key="quick_iris").click().run()
    no_crash(at)
    assert at.session_state.data.name == "iris.csv" and at.session_state.target == "species"
    assert "without writing code" not in texts(at)  # the welcome gives way to the data


def test_a_spec_with_another_target_loaded_on_build_resets_the_results():
    import json

    at = with_sample("tips")
    _fake_finished_run(at)
    at.run()
    goto(at, "3_build")
    spec = {"kwk_spec": 1, "data": {"target": "total_bill"},
            "layers": [{"type": "Dense", "units": 4}], "training": {"epochs": 2}}
    at.file_uploader(key="spec_upload").set_value(
        ("s.json", json.dumps(spec).encode(), "application/json")).run()
    no_crash(at)
    at.button(key="confirm_import").click().run()  # it replaces the stack: asked first
    no_crash(at)
    ss = at.session_state
    assert ss.target == "total_bill"
    assert ss.run_id is None and not ss.evaluated and not ss.predicted


def test_assigning_a_new_target_through_the_session_resets_what_depended_on_it():
    from unittest import mock

    from kwk.ui import session as sess
    store = {"target": "a", "run_id": "r1", "build_ok": True, "evaluated": True}
    with mock.patch.object(sess.st, "session_state", store), \
            mock.patch.object(sess.st, "query_params", {}):
        s = sess.Session()
        s.target = "a"  # the same target: nothing resets
        assert store["run_id"] == "r1"
        s.target = "b"
        assert store["target"] == "b" and store["run_id"] is None
        assert store["build_ok"] is False and store["evaluated"] is False


def test_pages_use_only_declared_session_values():
    """Every ``ss.<name>`` a page or a shared widget reads or writes is declared in
    kwk/ui/session.py, and the Playground's own widget keys are the declared ones."""
    import re
    from pathlib import Path

    from kwk.playground.engine import MAX_LAYERS, Config
    from kwk.ui.session import Session, playground_widgets
    root = Path(__file__).resolve().parents[2]
    declared = set(Session.keys()) | {"new_data", "new_target", "init", "keys"}
    used = {}
    for f in [*root.glob("pages/*.py"), *root.glob("kwk/ui/*.py"), root / "kwk_app.py"]:
        for name in re.findall(r"\bss\.([a-z_]+)\b", f.read_text()):
            used.setdefault(name, f.name)
    undeclared = {n: f for n, f in used.items() if n not in declared}
    assert not undeclared, undeclared
    page = (root / "pages" / "8_playground.py").read_text()
    own = set(playground_widgets(list(Config().as_dict()), MAX_LAYERS))
    for name in re.findall(r"\bwidgets\.([a-z_0-9]+)\b", page):
        if name not in ("get", "setdefault", "pop"):  # dict methods on the widget keys
            assert name in own, name
