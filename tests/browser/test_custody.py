"""Officers at their own desks, each in a browser of their own, signing with keys that never leave it."""

import json
import re

from conftest import open_page, use_key_file


def create_key_in_browser(page, name, person, agency):
    page.goto(page.url.split("#")[0] + "#/key")
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=person]").fill(person)
    page.locator("input[name=agency]").fill(agency)
    page.get_by_role("button", name="Create my key and ask for its registration").click()
    page.get_by_test_id("key-status").wait_for()
    return page.get_by_test_id("key-id").inner_text()


def sign_and_record(page):
    page.get_by_role("button", name="Sign and record").click()
    outcome = page.get_by_test_id("outcome")
    outcome.get_by_text(re.compile(r"Recorded as seq \d+|Refused|Someone else")).wait_for()
    return outcome.inner_text()


def test_a_key_is_registered_in_the_browser_and_an_exhibit_seized_handed_over_and_received_with_a_broken_seal(
    ledger, server, browser
):
    # Erin, new, makes her key in her own browser and asks for its registration.
    erin_context, erin = open_page(browser, server)
    erin_key = create_key_in_browser(erin, "Erin Jansen", "erin", "NCA")
    assert re.fullmatch(r"[0-9a-f]{64}", erin_key)
    assert "waiting for an administrator" in erin.get_by_test_id("key-status").inner_text()
    assert erin.get_by_test_id("pinned-vkey").inner_text() == ledger.log_vkey

    # Ada, the administrator, approves it in her browser: a key.registered statement she signs.
    ada_context, ada = open_page(browser, server)
    use_key_file(ada, ledger.path("admin.pem"))
    ada.goto(server.url + "/#/admin")
    request = ada.get_by_test_id("request-erin")
    assert erin_key in request.inner_text()
    request.get_by_label("custodian").check()
    request.get_by_role("button", name="Review the registration").click()
    assert "register the key of Erin Jansen (erin, NCA) with the roles custodian" in ada.get_by_test_id("summary").inner_text()
    assert "Recorded as seq" in sign_and_record(ada)
    erin.get_by_role("button", name="Check again").click()
    erin.get_by_test_id("key-status").get_by_text("registered: custodian").wait_for()

    # Carol seizes EV-7 in her browser, then hands it over to Erin.
    carol_context, carol = open_page(browser, server)
    use_key_file(carol, ledger.path("carol.pem"))
    carol.goto(server.url + "/#/seize")
    for label, value in (("Item id", "EV-7"), ("Exhibit number", "C/7"), ("Description", "Black phone"),
                         ("Seal number (optional)", "S-7"), ("Seized from", "Search 1"),
                         ("Legal authority", "Warrant 7"), ("Kept now at", "Van 1")):
        carol.get_by_label(label).fill(value)
    carol.get_by_role("button", name="Review").click()
    assert "Recorded as seq" in sign_and_record(carol)
    carol.goto(server.url + "/#/item/EV-7/transfer")
    carol.get_by_label("Recipient").select_option("erin")
    carol.get_by_label("Purpose").fill("Imaging at the lab")
    carol.get_by_role("button", name="Review").click()
    summary = carol.get_by_test_id("summary").inner_text()
    assert summary == "You, Carol Visser, hand EV-7 over to Erin Jansen (NCA) for “Imaging at the lab”; seal S-7."
    outcome = sign_and_record(carol)
    assert "Receipt verified in this browser against checkpoint" in outcome, outcome

    # Erin sees it awaiting her receipt, types the seal she sees: another number. The page says so and records
    # a broken seal, never an intact one.
    erin.goto(server.url + "/#/")
    awaiting = erin.get_by_test_id("awaiting")
    assert "EV-7" in awaiting.inner_text() and "Carol Visser" in awaiting.inner_text()
    awaiting.get_by_role("link", name="Receive").click()
    seal = erin.get_by_label("Seal number you see")
    seal.fill("S-9")
    seal.press("Enter")
    assert "does not match" in erin.get_by_test_id("seal-check").inner_text()
    assert erin.get_by_label("The seal is broken").is_checked()
    erin.get_by_label("Where you keep it now").fill("Lab safe 2")
    erin.get_by_role("button", name="Review").click()
    assert erin.get_by_test_id("summary").inner_text() == (
        "You, Erin Jansen, receive EV-7 from Carol Visser (NCA); seal S-9 broken; kept at Lab safe 2."
    )
    assert "Receipt verified" in sign_and_record(erin)

    # The history, proven row by row in the page, and the ledger itself agree.
    erin.goto(server.url + "/#/item/EV-7")
    erin.get_by_test_id("verdict").get_by_text("Verified against checkpoint").wait_for()
    chain = erin.get_by_test_id("chain").inner_text()
    assert "seized" in chain and "handed over" in chain and "received" in chain and "S-9 BROKEN" in chain
    shown = json.loads(ledger.run("item", "show", "EV-7", "--json", "--ledger", "custody.ledger").stdout)
    assert shown["holder"] == "erin" and shown["seal_incident"] is True
    assert ledger.run("verify", "--ledger", "custody.ledger").returncode == 0
    for context in (erin_context, ada_context, carol_context):
        context.close()


def test_two_officers_handing_over_one_item_at_once_get_one_record_and_one_clear_conflict(ledger, server, browser):
    context, first = open_page(browser, server)
    use_key_file(first, ledger.path("carol.pem"))
    second = context.new_page()
    second.goto(server.url + "/#/")
    pages = []
    for page, recipient in ((first, "bob"), (second, "olga")):
        page.goto(server.url + "/#/item/EV-1/transfer")
        page.get_by_label("Recipient").select_option(recipient)
        page.get_by_label("Purpose").fill("storage")
        page.get_by_role("button", name="Review").click()
        page.get_by_test_id("summary").wait_for()
        pages.append(page)
    # Both reviewed the same head; both sign.
    outcomes = [sign_and_record(page) for page in pages]
    assert sum("Recorded as seq" in outcome for outcome in outcomes) == 1, outcomes
    conflict = next(outcome for outcome in outcomes if "Recorded" not in outcome)
    assert "Someone else recorded a step on this item first" in conflict
    assert "Nothing was recorded for you" in conflict
    context.close()
