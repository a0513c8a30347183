"""The "Plain words" switch (kwk.ui.words) on the pages, through the app as a server runs it."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from kwk.learn.glossary import glossary

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "kwk_app.py")
T = 60


def churn() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=T)
    at.run()
    at.selectbox(key="sample_choice").set_value("churn").run()
    at.button(key="use_sample").click().run()
    assert not at.exception, at.exception
    return at


def labels(at) -> list[str]:
    return [w.label for w in at.number_input] + [w.label for w in at.selectbox] + \
        [w.label for w in at.toggle]


def test_the_switch_changes_the_words_of_the_train_and_build_forms(workspace):
    at = churn()
    assert [t.label for t in at.sidebar.toggle] == ["Plain words"]
    at.switch_page("pages/4_train.py").run()
    assert not at.exception, at.exception
    off = labels(at)
    assert {"epochs", "batch size", "learning rate", "optimizer"} <= set(off)
    assert "rounds through the data" not in off
    epochs = next(w for w in at.number_input if w.label == "epochs")
    assert "in plain words: *rounds through the data*" in epochs.help  # looked up where it is

    at.toggle(key="plain_words").set_value(True).run()
    assert not at.exception, at.exception
    on = labels(at)
    assert {"rounds through the data", "rows per step", "step size", "learning method"} <= set(on)
    assert "epochs" not in on and "batch size" not in on
    epochs = next(w for w in at.number_input if w.label == "rounds through the data")
    assert epochs.help.startswith("**rounds through the data** (usually called *epochs*)")

    at.switch_page("pages/3_build.py").run()  # the layer form: the switch stays on
    assert not at.exception, at.exception
    assert "neurons" in labels(at) and "units" not in labels(at)
    assert "Dense — fully connected layer" in at.selectbox(key="palette_plain").options
    assert any("(usually called *Dense layer*)" in c.value for c in at.caption)

    at.toggle(key="plain_words").set_value(False).run()
    assert "units" in labels(at) and "neurons" not in labels(at)
    assert "Dropout — Regularization" in at.selectbox(key="palette").options
    words = next(e for e in at.expander if e.label == "📖 Words on this page")
    assert "**Units** (*neurons*)" in words.markdown[0].value


def test_the_learn_page_lists_every_term_of_the_glossary_and_searches_it(workspace):
    at = AppTest.from_file(APP, default_timeout=T)
    at.run()
    at.switch_page("pages/10_learn.py").run()
    assert not at.exception, at.exception
    assert any(h.value == "Glossary" for h in at.subheader)
    box = at.get("text_input")
    search = next(b for b in box if b.key == "glossary_q_learn")
    listed = "\n".join(m.value for m in at.markdown)
    for e in glossary().entries:
        assert f"**{e.term[:1].upper()}{e.term[1:]}** (*{e.plain}*)" in listed, e.term
    search.set_value("memorising").run()
    listed = "\n".join(m.value for m in at.markdown)
    assert "**Overfitting** (*memorising instead of learning*)" in listed
    assert "**SHAP**" not in listed
    # the sidebar's box finds a word too
    side = next(b for b in at.get("text_input") if b.key == "glossary_q_sidebar")
    side.set_value("rows per step").run()
    assert any("**Batch size** (*rows per step*)" in m.value for m in at.sidebar.markdown)


def test_the_switch_is_kept_in_the_address_and_other_pages_leave_it_there(workspace):
    at = AppTest.from_file(APP, default_timeout=T)
    at.run()
    assert "plain_words" not in at.query_params
    at.toggle(key="plain_words").set_value(True).run()
    assert at.query_params["plain_words"] in ("true", ["true"])
    # the Playground writes its settings into the address: the switch stays on and in it
    at.switch_page("pages/8_playground.py").run()
    assert not at.exception, at.exception
    assert at.query_params["plain_words"] in ("true", ["true"])
    assert at.toggle(key="plain_words").value is True
    at.toggle(key="plain_words").set_value(False).run()
    assert not at.exception, at.exception
    assert "plain_words" not in at.query_params

    fresh = AppTest.from_file(APP, default_timeout=T)  # a reload: a new session, same address
    fresh.query_params["plain_words"] = "true"
    fresh.run()
    assert fresh.toggle(key="plain_words").value is True
