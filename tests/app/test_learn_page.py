"""The Learn page: the numbered list, Start opening the Playground set up for the lesson, the
sidebar's goal and Check answering "Not yet" in words, then "Done" once the goal is met."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import APP, T, goto, no_crash, texts

pytestmark = pytest.mark.slow  # builds Keras models


def learn() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=T)
    at.run()
    return goto(at, "10_learn")


def test_lists_lessons_in_order_and_starts_one(workspace):
    at = learn()
    heads = [m.value for m in at.markdown if str(m.value).startswith("**Lesson ")]
    assert heads[0] == "**Lesson 1 — One neuron draws a line**"
    assert len(heads) >= 8 and all(h.startswith(f"**Lesson {i} — ") for i, h in enumerate(heads, 1))
    assert "0 of " in texts(at)
    at.button(key="learn_start_01_one_neuron").click().run()
    no_crash(at)
    assert [t.value for t in at.title] == ["🛝 Playground"]
    at.switch_page("pages/8_playground.py")  # AppTest would otherwise run the Learn page again
    pg = at.session_state.pg
    assert pg.config.dataset == "gauss" and pg.config.layers == []
    assert at.number_input(key="pg_n_layers").value == 0
    # the goal and Check are in the sidebar of the Playground
    side = "\n".join(str(m.value) for m in at.sidebar.markdown)
    assert "Lesson 1 — One neuron draws a line" in side and "Goal" in side
    at.sidebar.button(key="box_check_01_one_neuron").click().run()
    answer = at.sidebar.info[0].value
    assert answer.startswith("Not yet:") and "epoch 0" in answer and "Play" in answer
    at.sidebar.button(key="box_hint_01_one_neuron").click().run()
    assert "Hint 1 of 3." in "\n".join(str(m.value) for m in at.sidebar.markdown)
    for _ in range(8):  # one epoch per Step: the loss falls under 0.05 within a few
        at.button(key="pg_step").click().run()
    at.sidebar.button(key="box_check_01_one_neuron").click().run()
    won = at.sidebar.success[0].value
    assert won.startswith("Done!") and "straight line" in won
    pg = at.session_state.pg
    assert pg.history["test"][-1] < 0.05
    assert f"{pg.history['test'][-1]:.3f}" in won
    pg.close()
    goto(at, "10_learn")
    assert "1 of " in texts(at)
    assert "**Lesson 1 — One neuron draws a line** ✓" in [m.value for m in at.markdown]


def test_a_main_flow_lesson_opens_train_set_up(workspace):
    at = learn()
    at.button(key="learn_start_06_table_churn").click().run()
    no_crash(at)
    assert [t.value for t in at.title] == ["🏋️ Train"]
    ss = at.session_state
    assert ss.data.name == "churn.csv" and ss.target == "churned"
    assert ss.spec["training"]["class_weight"] == "none" and ss.spec["training"]["epochs"] == 30
    at.switch_page("pages/4_train.py")
    at.sidebar.button(key="box_check_06_table_churn").click().run()
    answer = at.sidebar.info[0].value
    assert answer.startswith("Not yet: there is no trained model yet") and "Train" in answer


def test_a_teachers_broken_lesson_is_refused_with_its_line(workspace, tmp_path, monkeypatch):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "20_mine.toml").write_text(
        'title = "Mine"\npage = "playground"\ngoal = "Under 0.1."\nhints = ["Play."]\n'
        'why = "Because."\n[check]\nname = "playground_test_loss_below"\nthreshold = "low"\n')
    monkeypatch.setenv("KWK_LESSONS_DIR", str(tmp_path / "lessons"))
    at = learn()
    assert any("20_mine.toml, line 8: 'threshold' must be a number" in e.value for e in at.error)
    assert "**Lesson 9 — Your own table, honestly evaluated**" in [m.value for m in at.markdown]
