"""Nothing the user made is lost when a page ends early. A page that stops (``st.stop()``:
no target yet, a spec that does not resolve, no run to show) used to skip keeping the session:
after the stop, every Streamlit call in the app's closing save raised Streamlit's stop again,
so what changed in that run (a setting, a widget's value) was gone after a browser reload."""
import numpy as np
import pandas as pd

from tests.app.test_data_xform import _upload
from tests.app.test_pages import no_crash
from tests.app.test_reload_app import reload


def test_what_changed_in_a_run_that_stops_survives_a_reload():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=100), "spend": rng.lognormal(3, 1, 100)})
    at = _upload(df, "spend.csv")
    key = at.session_state.kept_key
    assert key
    at.switch_page("pages/2_target.py").run()
    no_crash(at)
    assert at.session_state.target is None and any("Pick the target" in i.value for i in at.info)
    at.session_state.task = "regression"  # changed in a run that ends with st.stop()
    at.session_state.kinds = {"x": "categorical"}
    at.run()
    no_crash(at)
    assert any("Pick the target" in i.value for i in at.info)  # the page stopped again
    again = reload(key)
    assert again.session_state.task == "regression"
    assert again.session_state.kinds == {"x": "categorical"}


def test_pages_stop_through_stop_page():
    """A page that calls st.stop() itself would lose that run's changes again."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    files = [*(root / "pages").glob("*.py"), *(root / "kwk" / "ui").glob("*.py"),
             root / "kwk_app.py"]
    direct = [f"{f.relative_to(root)}:{i}" for f in files if f.name != "persist.py"
              for i, line in enumerate(f.read_text().splitlines(), 1)
              if "st.stop()" in line.split("#")[0]]
    assert not direct, f"use kwk.ui.persist.stop_page(): {direct}"
