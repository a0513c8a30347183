"""Pictures in the app: the digits sample and a zip of class folders get a gallery, a CNN
starting stack, train, and Evaluate shows the misclassified pictures."""
import io
import zipfile

import numpy as np
import pytest

from tests.app.test_pages import app, goto, no_crash, texts, with_sample


@pytest.mark.slow
def test_digits_cnn_end_to_end():
    at = with_sample("digits")
    assert "1,797 pictures in 10 classes" in texts(at) and "8×8 grayscale" in texts(at)
    assert len(at.get("image")) >= 10  # example pictures of every class
    assert at.session_state.spec["layers"][0]["type"] == "Conv2D"  # a CNN to start from
    goto(at, "3_build")
    assert at.session_state.build_ok
    assert at.selectbox(key="template_images").value == "Small CNN (images)"
    code = at.code[0].value
    assert "layers.Reshape([8, 8, 1])" in code and "layers.Conv2D(32, 3" in code
    goto(at, "4_train")
    at.number_input(key="tr1_epochs").set_value(4)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    no_crash(at)
    assert at.session_state.job.wait(300)
    at.run()
    at.run()
    goto(at, "5_evaluate")
    assert "Misclassified test pictures" in texts(at)
    assert "predicted" in texts(at) or "Every test picture was classified correctly" in texts(at)


def test_zip_of_pictures_and_back_to_a_table():
    from PIL import Image
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for cls, level in (("dark", 40), ("light", 200)):
            for i in range(12):
                b = io.BytesIO()
                Image.fromarray(np.clip(rng.normal(level, 20, (10, 12)), 0, 255).astype(np.uint8)).save(b, "PNG")
                z.writestr(f"shots/{cls}/{i}.png", b.getvalue())
        z.writestr("shots/readme.txt", "not a picture")
    at = app()
    at.file_uploader(key="upload").set_value(("shots.zip", buf.getvalue(), "application/zip")).run()
    no_crash(at)
    ld = at.session_state.data
    assert ld.image_shape == (10, 12, 1) and ld.df.shape == (24, 121)
    assert "24 pictures in 2 classes" in texts(at)
    assert at.session_state.spec["layers"][0]["type"] == "Conv2D"
    at.session_state.target = "label"
    goto(at, "3_build")
    assert at.session_state.build_ok
    at.switch_page("pages/1_data.py").run()
    at.selectbox(key="sample_choice").set_value("iris").run()
    at.button(key="use_sample").click().run()
    assert at.session_state.spec["layers"][0]["type"] == "Dense"  # back to a table stack


def test_reshape_and_sequence_layers_from_the_build_page():
    at = with_sample("iris")
    goto(at, "3_build")
    at.selectbox(key="palette").set_value("Reshape").run()
    at.button(key="add_layer").click().run()
    no_crash(at)
    assert not at.session_state.build_ok and "cannot reshape (16,)" in at.error[0].value
    shape_box = next(w for w in at.text_input if w.key.endswith("_target_shape"))
    shape_box.set_value("4, 4").run()
    no_crash(at)
    assert at.session_state.spec["layers"][-1]["target_shape"] == [4, 4]
    assert "LSTM" not in texts(at)
    assert "LSTM" not in at.selectbox(key="palette").options  # not offered for a table...
    at.toggle(key="build_show_all").set_value(True).run()  # ...unless every layer is shown
    at.selectbox(key="palette").set_value("LSTM").run()
    at.button(key="add_layer").click().run()
    no_crash(at)
    assert at.session_state.build_ok, [e.value for e in at.error]
    assert "layers.LSTM(32)" in at.code[0].value


def test_server_file_and_database_sources(tmp_path, monkeypatch, iris_df):
    import sqlite3
    shared = tmp_path / "shared"
    shared.mkdir()
    iris_df.to_csv(shared / "flowers.csv", index=False)
    monkeypatch.setenv("KWK_DATA_DIRS", str(shared))
    at = app()
    at.selectbox(key="server_file").set_value(str(shared / "flowers.csv")).run()
    at.button(key="load_server_file").click().run()
    no_crash(at)
    assert at.session_state.data.name == "flowers.csv" and at.session_state.data.df.shape == (150, 5)
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as con:
        iris_df.to_sql("iris", con, index=False)
    at.text_input(key="db_url").set_value(f"sqlite:///{db}")
    at.text_area(key="db_query").set_value("SELECT * FROM nowhere")
    at.button(key="run_sql").click().run()
    assert "no such table: nowhere" in at.error[0].value
    assert at.session_state.data.name == "flowers.csv"  # what the user had is kept
    at.text_area(key="db_query").set_value("SELECT * FROM iris LIMIT 120").run()
    at.button(key="run_sql").click().run()
    no_crash(at)
    assert at.session_state.data.fmt == "sql" and len(at.session_state.data.df) == 120


def test_a_sample_chosen_after_an_upload_stays():
    at = app()
    at.file_uploader(key="upload").set_value(("d.csv", b"a,b,c\n1,2,x\n3,4,y\n5,6,x\n", "text/csv")).run()
    assert at.session_state.data.name == "d.csv"
    at.selectbox(key="sample_choice").set_value("wine").run()
    at.button(key="use_sample").click().run()
    at.run()
    assert at.session_state.data.name == "wine.csv"


def test_zip_pictures_resized_and_recoloured_on_the_data_page():
    from PIL import Image
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for cls, level in (("dark", 40), ("light", 200)):
            for i in range(10):
                b = io.BytesIO()
                Image.fromarray(np.clip(rng.normal(level, 20, (20, 24, 3)), 0, 255).astype(np.uint8)).save(b, "PNG")
                z.writestr(f"{cls}/{i}.png", b.getvalue())
    at = app()
    at.file_uploader(key="upload").set_value(("rgb.zip", buf.getvalue(), "application/zip")).run()
    assert at.session_state.data.image_shape == (20, 24, 3)
    at.session_state.target = "label"
    at.number_input(key="zip_h").set_value(8)
    at.number_input(key="zip_w").set_value(10)
    at.radio(key="zip_color").set_value("grayscale")
    at.button(key="zip_apply").click().run()
    no_crash(at)
    ld = at.session_state.data
    assert ld.image_shape == (8, 10, 1) and ld.df.shape == (20, 81)
    assert at.session_state.target == "label"  # the same file: the target is kept
    goto(at, "3_build")
    assert at.session_state.build_ok
