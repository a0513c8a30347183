"""A cold start does less before the landing page is drawn (issue 30, item 4): no page relies on
Streamlit's "magic" (a bare expression written to the page), so the app switches it off and
Streamlit compiles each script without rewriting its syntax tree first; and the landing page
imports no numpy (the samples' generators import it when a sample is made)."""
import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [ROOT / "kwk_app.py", *sorted((ROOT / "pages").glob("*.py"))]


def magic_writes(path: Path) -> int:
    """How many ``st.write`` calls Streamlit's magic would add to the script at ``path``."""
    from streamlit.runtime.scriptrunner.magic import add_magic
    tree = add_magic(path.read_text(), str(path))
    return sum(1 for n in ast.walk(tree) if isinstance(n, ast.Attribute)
               and n.attr == "transparent_write")


def test_no_script_draws_through_magic():
    """With magic on, every script would be drawn exactly as with it off: magic adds no write
    anywhere (checked with Streamlit's own transformer, not a guess of its rules)."""
    assert len(SCRIPTS) > 5
    assert {p.name: magic_writes(p) for p in SCRIPTS} == {p.name: 0 for p in SCRIPTS}


def test_the_transformer_would_see_a_bare_expression():
    """The check above can fail: a bare name on its own line is one magic write."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "page.py"
        p.write_text("import streamlit as st\nx = 3\nx\nst.write(x)\n")
        assert magic_writes(p) == 1


def test_magic_is_off_in_the_app_config():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["runner"]["magicEnabled"] is False


def test_the_landing_page_draws_without_numpy():
    """Checked in a fresh interpreter: Streamlit itself does not import numpy, and the landing
    page (the Data page before any data) no longer does either, nor Streamlit's emoji table;
    a sample brings numpy."""
    code = f"""
import sys
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test
class _Reset(PagesManager):
    pass
PagesManager.uses_pages_directory = False  # as tests/app/test_pages.py's FRESH: st.navigation
app_test.PagesManager = _Reset
at = AppTest.from_file({str(ROOT / 'kwk_app.py')!r}, default_timeout=180); at.run()
assert not at.exception, at.exception
print('landing numpy:', 'numpy' in sys.modules)
print('landing emoji table:', 'streamlit.emojis' in sys.modules)
at.selectbox(key='sample_choice').set_value('churn').run()
at.button(key='use_sample').click().run()
assert not at.exception, at.exception
print('sample:', 'numpy' in sys.modules, at.session_state.data.df.shape)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       timeout=600)
    assert "landing numpy: False" in p.stdout, p.stdout + p.stderr[-2000:]
    # nor Streamlit's table of every emoji (0.23 s): the landing gives no emoji as an icon=
    assert "landing emoji table: False" in p.stdout, p.stdout + p.stderr[-2000:]
    assert "sample: True (1200, 8)" in p.stdout, p.stdout + p.stderr[-2000:]
