"""Builder 2.0 in Chromium: a table with a text column gets one stack per branch, drawn as
branches; an edit is undone and redone with the buttons; the history lists it."""
import sys
from pathlib import Path

import pytest
from browser_util import open_tab, shot, wait_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_browser import choose, nav, upload  # noqa: E402
from test_mixed import table_and_text  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_branches_undo_and_redo_in_the_browser(page, app_url, tmp_path):
    data = tmp_path / "listings.csv"
    table_and_text(300).to_csv(data, index=False)
    page.goto(app_url)
    wait_idle(page)
    upload(page, data)
    nav(page, "Target")
    choose(page, "What should the model predict?", "bought")
    page.get_by_text("A table with a text column").click()
    wait_idle(page)
    choose(page, "Text column", "description")
    page.get_by_text("the text branch reads 'description'").first.wait_for()
    nav(page, "Build")
    page.get_by_text("📝 Text branch").first.wait_for()
    page.get_by_text("The network is valid").wait_for()
    open_tab(page, "Diagram")
    wait_idle(page)
    shot(page, "builder_branches")
    # an edit of the text branch, undone and redone
    page.get_by_text("📝 Text branch").last.click()
    wait_idle(page)
    choose(page, "Add a layer", "Dropout — Regularization")
    page.get_by_role("button", name="Add", exact=False).filter(has_text="➕").first.click()
    wait_idle(page)
    page.get_by_text("3 · Dropout(0.2)").first.wait_for()
    page.get_by_role("button", name="↩️ Undo").click()
    wait_idle(page)
    assert page.get_by_text("3 · Dropout(0.2)").count() == 0
    page.get_by_role("button", name="↪️ Redo").click()
    wait_idle(page)
    page.get_by_text("3 · Dropout(0.2)").first.wait_for()
    page.get_by_role("button", name="History", exact=False).click()
    page.get_by_text("text branch: added Dropout 3").first.wait_for()
    shot(page, "builder_history")
    assert page.get_by_text("Something unexpected went wrong").count() == 0
