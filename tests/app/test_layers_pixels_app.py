"""The Target page counts a picture's pixels with the one rule (kwk.data.pixels, issue 31): a
CSV of 4x4 pictures (px_0..px_15) beside a numeric id column has 16 pixels on the page, as in
the spec, not 17."""
import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import app, goto, no_crash


def test_the_target_page_guesses_the_shape_from_the_px_columns_not_the_id():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 256, (60, 16)), columns=[f"px_{i}" for i in range(16)])
    df.insert(0, "id", np.arange(5000, 5060))
    df["label"] = ["cat", "dog", "cow"] * 20
    at = app()
    at.file_uploader(key="upload").set_value(("pics_layers.csv", df.to_csv(index=False).encode(),
                                              "text/csv")).run()
    at.session_state.target = "label"
    goto(at, "2_target")
    at.radio(key="modality_radio").set_value("images").run()
    no_crash(at)
    # the known answer: 16 pixels make a 4x4 grey picture (tests/test_layers.py: the spec reads
    # the same 16 columns)
    assert [at.number_input(key="img_h").value, at.number_input(key="img_w").value] == [4, 4]
    assert any("16 pixel columns" in c.value for c in at.caption)
