"""Training options changed for one file are kept for the next, as the network is; the Train
page says so (naming each option that differs from the default) and offers the defaults. A
newcomer's second file trained silently with the first file's 300 epochs and no early stopping."""
from test_pages import goto, no_crash, texts, with_sample

START = "FormSubmitter:training_form-▶️ Start training"


def _load(at, key):
    goto(at, "1_data")
    at.selectbox(key="sample_choice").set_value(key).run()
    at.button(key="use_sample").click().run()
    no_crash(at)
    return at


def test_options_kept_from_other_data_are_named_and_the_defaults_offered():
    at = goto(with_sample("iris"), "4_train")
    assert "kept from" not in texts(at)  # the first data: nothing kept
    at.number_input(key="tr0_epochs").set_value(3)
    at.number_input(key="tr0_early_stopping_patience").set_value(0)
    at.button(key=START).click().run()
    no_crash(at)
    assert at.session_state.job.wait(300)

    goto(_load(at, "tips"), "4_train")
    shown = texts(at)
    assert "These training options are kept from **iris.csv**" in shown, shown
    assert "epochs 3 (default 50)" in shown and "early stopping patience 0 (default 10)" in shown
    assert "batch size" not in shown.split("kept from")[1].split("Check")[0]  # only what differs

    goto(_load(at, "churn"), "4_train")  # a third file: still kept from where they were set
    assert "kept from **iris.csv**" in texts(at)

    at.button(key="training_defaults").click().run()
    no_crash(at)
    assert "kept from" not in texts(at)
    epochs = [w for w in at.number_input if w.key.endswith("_epochs")]
    assert [w.value for w in epochs] == [50] and at.session_state.spec["training"]["epochs"] == 50


def test_defaults_carried_to_new_data_say_nothing():
    at = goto(with_sample("iris"), "4_train")
    goto(_load(at, "tips"), "4_train")
    assert "kept from" not in texts(at)
