"""The key lives in the browser's storage: it survives a restart; a fresh profile is asked for one."""

import tempfile

from conftest import CHROMIUM, open_page
from test_custody import create_key_in_browser


def test_the_key_survives_a_browser_restart_and_a_fresh_profile_has_none(server, browser, playwright_instance):
    profile = tempfile.mkdtemp(prefix="ledger-profile-")

    def launch():
        return playwright_instance.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=["--no-sandbox"], viewport={"width": 1280, "height": 800})

    context = launch()
    page = context.new_page()
    page.goto(server.url + "/")
    key = create_key_in_browser(page, "Gina Gray", "gina", "NCA")
    context.close()

    context = launch()
    page = context.new_page()
    page.goto(server.url + "/#/key")
    assert page.get_by_test_id("key-id").inner_text() == key
    assert "waiting for an administrator" in page.get_by_test_id("key-status").inner_text()
    context.close()

    fresh, page = open_page(browser, server)
    page.get_by_text("There is no key in this browser yet").wait_for()
    assert page.url.endswith("#/key")
    fresh.close()
