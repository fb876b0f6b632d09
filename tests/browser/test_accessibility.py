"""No serious or critical accessibility violations (axe-core) on the main pages, at desktop and tablet width; the
daily moves work with the keyboard alone."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from conftest import open_page, use_key_file

WIDTHS = [(1280, 800), (820, 1180)]


def serious(page):
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width,height", WIDTHS)
def test_the_main_pages_have_no_serious_accessibility_violations(ledger, server, browser, width, height):
    ledger.run("transfer", "EV-1", "--to", "bob", "--purpose", "storage", "--seal", "S-1", "--key", "carol.pem")
    context, page = open_page(browser, server, viewport={"width": width, "height": height})
    page.get_by_role("heading", name="Use my key file").wait_for()
    problems = {"#/key (no key)": serious(page)}
    use_key_file(page, ledger.path("bob.pem"))
    pages = {
        "#/": "My work",
        "#/item/EV-1": "Item EV-1",
        "#/item/EV-1/receive": "Receive EV-1",
        "#/item/EV-1/label": "Label of EV-1",
        "#/seize": "Seize an item",
        "#/key": "My key",
    }
    for hash_, heading in pages.items():
        page.goto(f"{server.url}/{hash_}")
        page.get_by_role("heading", name=heading, exact=False).first.wait_for()
        page.wait_for_timeout(300)
        problems[hash_] = serious(page)
    assert {name: found for name, found in problems.items() if found} == {}
    # The check itself can fail: an image without a text alternative is a critical violation.
    page.evaluate("document.querySelector('main').append(Object.assign(document.createElement('img'), {src: '/app/icon.svg'}))")
    assert any(found.startswith("image-alt") for found in serious(page))
    context.close()


def test_an_exhibit_is_received_with_the_keyboard_alone(ledger, server, browser):
    ledger.run("transfer", "EV-1", "--to", "bob", "--purpose", "storage", "--seal", "S-1", "--key", "carol.pem")
    context, page = open_page(browser, server)
    use_key_file(page, ledger.path("bob.pem"))
    page.get_by_test_id("awaiting").wait_for()

    def tab_to(predicate, limit=60):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    tab_to("document.activeElement.textContent === 'Receive'")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Receive EV-1").wait_for()
    tab_to("document.activeElement.name === 'seal'")
    page.keyboard.type("S-1")
    page.keyboard.press("Enter")  # as a scanner ends its code: the seal is checked and the focus moves on
    assert page.evaluate("document.activeElement.name") == "location"
    page.keyboard.type("Safe 2")
    page.keyboard.press("Enter")  # sends the form: the review
    page.get_by_test_id("summary").wait_for()
    assert "seal S-1 intact" in page.get_by_test_id("summary").inner_text()
    tab_to("document.activeElement.textContent === 'Sign and record'")
    page.keyboard.press("Enter")
    page.get_by_test_id("outcome").get_by_text("Recorded as seq").wait_for()
    context.close()
