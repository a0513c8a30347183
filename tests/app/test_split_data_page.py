"""The Data page with a zip of train/ and test/ folders (issue 35, item 4): it says that KwK uses
the zip's split, names classes with no train pictures, and the session's validation column is
the split column, so the Train page starts with it."""
from tests.app.test_pages import app, goto, no_crash, texts
from tests.test_images_split import make_zip


def _upload(at, data: bytes, name: str = "pets.zip"):
    at.file_uploader(key="upload").set_value((name, data, "application/zip")).run()
    no_crash(at)
    return at


def test_a_split_zip_is_said_and_sets_the_validation_column():
    data, _ = make_zip({"train": {"cat": 30, "dog": 20}, "test": {"cat": 10, "dog": 6, "bird": 3}})
    at = _upload(app(), data)
    shown = texts(at)
    assert ("This zip is split into train (50 pictures) and test (19 pictures) folders: KwK "
            "uses that split") in shown
    assert "'bird' (3)" in shown and "none in the train folder" in shown
    assert "3 classes" in shown  # cat, dog, bird: not "train" and "test"
    assert at.session_state.target == "label"
    assert at.session_state.validation_column == "split"
    assert at.session_state.spec["training"]["validation"] == "column"
    goto(at, "4_train")
    assert at.selectbox(key="validation_column_select").value == "split"


def test_a_zip_of_class_folders_sets_no_validation_column():
    data, _ = make_zip({"": {"cat": 12, "dog": 9}}, root="set/")
    at = _upload(app(), data)
    assert "This zip is split" not in texts(at)
    assert at.session_state.validation_column is None
    assert at.session_state.spec["training"]["validation"] != "column"
