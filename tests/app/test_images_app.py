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
