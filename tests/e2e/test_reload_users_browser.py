"""Kept sessions and signed-in users in Chromium (issue 29, item 1): the work kept under a key
belongs to the user who made it. The server is started with a known cookie secret, so the test
can give each browser context the signed login cookie Streamlit's own OIDC callback would set
(``_streamlit_user``: the user's claims, the origin, ``is_logged_in``); ``st.user`` then reads
that user, as it does after a real login. Alice's reload and Alice's second window find her
work; Bob with the same address, and a visitor who is not signed in, get a clear refusal and
none of it; a tab with another key finds nothing."""
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from browser_util import pick_option, shot, start_app, stop_app, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "kwk-reload-users-test-secret"


@pytest.fixture(scope="module")
def auth_url(tmp_path_factory):
    proc, url = start_app(tmp_path_factory.mktemp("ws_users"),
                          STREAMLIT_SERVER_COOKIE_SECRET=SECRET)
    yield url
    stop_app(proc)


def login_cookie(url: str, email: str) -> dict:
    """The cookie Streamlit sets after a login (signed with the server's cookie secret)."""
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value
    claims = {"email": email, "sub": email, "origin": url, "is_logged_in": True,
              "provider": "default"}
    value = create_signed_value(SECRET, "_streamlit_user", json.dumps(claims))
    return {"name": "_streamlit_user", "value": value.decode(), "url": url}


def window(browser, url: str, email: str | None):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    if email:
        ctx.add_cookies([login_cookie(url, email)])
    page = ctx.new_page()
    page.set_default_timeout(120_000)
    return ctx, page


def key_of(url: str) -> str:
    return parse_qs(urlparse(url).query).get("s", [""])[0]


def open_key(page, url: str, key: str) -> None:
    """Open the address with ``?s=key`` and wait for the page's own signal: the welcome (a
    start without the work) or the kept data's heading, with the script run over."""
    page.goto(f"{url}/?s={key}")
    page.wait_for_function(
        "() => (document.body.innerText.includes('pick a sample dataset')"
        " || !!document.querySelector('h3'))"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    wait_idle(page)


def use_sample(page, url: str, title: str, key: str) -> None:
    """Open the app and pick a sample; waits for the Data page's heading of it (the list is
    opened again when a rerun closed it before the option showed)."""
    page.goto(url)
    page.get_by_text("pick a sample dataset").first.wait_for()
    pick_option(page, "pick a sample dataset", title)
    page.get_by_role("button", name="Use this sample").click()
    page.get_by_role("heading", name=f"{key}.csv").wait_for()
    wait_idle(page)


def sidebar(page) -> str:
    return page.get_by_test_id("stSidebarNav").inner_text()


def test_a_kept_session_belongs_to_its_signed_in_user(browser, auth_url):
    alice_ctx, alice = window(browser, auth_url, "alice@example.org")
    try:
        use_sample(alice, auth_url, "Restaurant tips", "tips")
        alice.wait_for_url(re.compile(r"[?&]s="))
        key = key_of(alice.url)
        # the Data page says the work is hers alone (st.user is Alice)
        alice.get_by_text("only you, signed in, can open it").wait_for()
        alice.reload()
        alice.get_by_role("heading", name="tips.csv").wait_for()
        wait_idle(alice)
        alice.get_by_text("Your work was restored (tips.csv)").wait_for()
        assert key_of(alice.url) == key and "Data ✓" in sidebar(alice)
    finally:
        alice_ctx.close()

    # Alice in another window (a new browser context, signed in as her): her work
    ctx, page = window(browser, auth_url, "alice@example.org")
    try:
        open_key(page, auth_url, key)
        page.get_by_role("heading", name="tips.csv").wait_for()
        assert "Data ✓" in sidebar(page)
    finally:
        ctx.close()

    # Bob, signed in, with Alice's address: a clear refusal, none of the work
    refusal = "This address holds work kept for another user, so it is not shown here."
    for who in ("bob@example.org", None):  # then a visitor who is not signed in
        ctx, page = window(browser, auth_url, who)
        try:
            open_key(page, auth_url, key)
            page.get_by_text(refusal).wait_for()
            body = page.locator("body").inner_text()
            assert "tips.csv" not in body and "total_bill" not in body
            assert "✓" not in sidebar(page)
            assert not key_of(page.url)  # the refused key is taken out of the address
            assert page.get_by_text("pick a sample dataset").count() >= 1
            shot(page, f"reload_users_refused_{'bob' if who else 'visitor'}")
            if who:  # Bob's own work gets its own key; Alice's stays hers
                pick_option(page, "pick a sample dataset", "Iris flowers")
                page.get_by_role("button", name="Use this sample").click()
                page.get_by_role("heading", name="iris.csv").wait_for()
                page.wait_for_url(re.compile(r"[?&]s="))
                assert key_of(page.url) not in ("", key)
        finally:
            ctx.close()

    # a tab with another key (one never kept): nothing of Alice's, a word instead
    ctx, page = window(browser, auth_url, "alice@example.org")
    try:
        open_key(page, auth_url, "A" * 32)
        page.get_by_text("No kept work was found for this address").wait_for()
        assert page.get_by_role("heading", name="tips.csv").count() == 0
        assert "✓" not in sidebar(page)
    finally:
        ctx.close()

    # Alice's work is untouched by Bob's and the visitor's visits
    ctx, page = window(browser, auth_url, "alice@example.org")
    try:
        open_key(page, auth_url, key)
        page.get_by_role("heading", name="tips.csv").wait_for()
    finally:
        ctx.close()
