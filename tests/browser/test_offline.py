"""With the server gone, what this device read is still shown, marked as such; nothing can be signed."""

from conftest import open_page, use_key_file


def test_what_was_read_stays_readable_when_the_server_is_gone(ledger, server, browser):
    context, page = open_page(browser, server)
    use_key_file(page, ledger.path("carol.pem"))
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function("caches.open('custody-ledger-shell-v1').then((c) => c.match('/app/app.js')).then(Boolean)")
    page.goto(server.url + "/#/item/EV-1")
    page.get_by_test_id("verdict").get_by_text("Verified against checkpoint").wait_for()
    page.goto(server.url + "/#/")
    page.get_by_test_id("mine").wait_for()
    assert page.locator("#offline").is_hidden()

    server.process.terminate()
    server.process.wait(timeout=15)
    page.reload()
    page.get_by_test_id("mine").wait_for()
    banner = page.locator("#offline")
    assert banner.is_visible() and "Offline" in banner.inner_text()
    page.goto(server.url + "/#/item/EV-1")
    page.get_by_role("heading", name="Item EV-1").wait_for()
    # The proofs read before are checked again, from the copies: still every row proven.
    page.get_by_test_id("verdict").get_by_text("Verified against checkpoint").wait_for()
    # Nothing can be signed: the hand-over's head was never read here, and nothing is sent.
    page.goto(server.url + "/#/item/EV-1/transfer")
    page.get_by_label("Recipient").select_option("bob")
    page.get_by_label("Purpose").fill("storage")
    page.get_by_role("button", name="Review").click()
    refusal = page.locator(".notice.error")
    refusal.get_by_text("the server cannot be reached").wait_for()
    assert "Not sent" in refusal.inner_text()
    assert page.get_by_role("button", name="Sign and record").count() == 0
    context.close()
