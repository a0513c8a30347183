"""The Data page profiles pictures as pictures (issue 35, item 2): classes, duplicates and blanks,
no per-pixel cards or correlations, and the Target page starts with the label chosen."""
from collections import Counter

from tests.app.test_pages import app, goto, no_crash, texts, with_sample
from tests.test_image_profile import make_zip


def _upload(at, data: bytes, name: str = "shapes.zip"):
    at.file_uploader(key="upload").set_value((name, data, "application/zip")).run()
    no_crash(at)
    return at


def test_zip_after_a_table_shows_the_pictures_profile_and_the_label_is_the_target():
    data, members = make_zip()
    at = with_sample("iris")  # a table first: its target must not linger
    assert "Correlations" in [t.label for t in at.tabs]
    _upload(at, data)
    ld = at.session_state.data
    assert ld.image_shape == (28, 28, 1)
    want = Counter(n.split("/")[1] for n, a in members.items() if a is not None)
    shown = texts(at)
    assert f"{sum(want.values())} pictures in 3 classes" in shown
    classes = next(d.value for d in at.dataframe if "brightness" in d.value.columns)
    assert dict(zip(classes["class"], classes["pictures"])) == dict(want)
    assert "appear in more than one class" in shown and "near-blank picture" in shown
    assert "could not be read as pictures" in shown
    assert "px_0" not in shown and "highly correlated" not in shown  # no per-pixel warnings
    labels = [t.label for t in at.tabs]
    assert "Preview" in labels and "Column profiles" not in labels and "Correlations" not in labels  # no per-pixel cards, no heat-map
    assert not at.get("plotly_chart")
    roles = at.get("arrow_data_editor") or at.get("data_editor")
    assert at.session_state.target == "label"
    assert len(at.get("image")) >= 3 * 6  # example pictures of every class
    goto(at, "2_target")
    assert at.selectbox(key="target_select").value == "label"
    assert roles is not None


def test_digits_sample_shows_its_classes_without_pixel_cards():
    at = with_sample("digits")
    shown = texts(at)
    assert "1,797 pictures in 10 classes" in shown and "px_0" not in shown
    assert "Column profiles" not in [t.label for t in at.tabs]
    goto(at, "2_target")
    assert at.selectbox(key="target_select").value == "digit"
