"""Seizure with photos hashed in the browser, and the other acts on an item, each signed in the page."""

import hashlib
import json

from conftest import open_page, use_key_file
from test_custody import sign_and_record


def act(page, server, item, name, fill):
    page.goto(f"{server.url}/#/item/{item}/act/{name}")
    page.get_by_role("button", name="Review").wait_for()
    fill(page)
    page.get_by_role("button", name="Review").click()
    page.get_by_test_id("summary").or_(page.locator(".notice.error")).first.wait_for()


def test_a_seizure_with_photos_hashed_in_the_browser_then_store_unseal_seal_check_out_and_in(ledger, server, browser):
    photos = []
    for index in range(2):
        path = ledger.folder / f"photo-{index}.jpg"
        path.write_bytes(bytes([index]) * (1000 + index))
        photos.append(path)
    context, page = open_page(browser, server)
    use_key_file(page, ledger.path("carol.pem"))
    page.goto(server.url + "/#/seize")
    page.get_by_label("Item id").fill("EV-5")
    page.get_by_label("Exhibit number").fill("C/5")
    page.get_by_label("Kind").select_option("phone")
    page.get_by_label("Description").fill("Black phone, cracked screen")
    page.get_by_label("Seal number (optional)").fill("S-5")
    page.get_by_label("Seized from").fill("Search 2, room 1")
    page.get_by_label("Legal authority").fill("Warrant 12")
    page.get_by_label("Kept now at").fill("Van 3")
    page.locator("input[name=photos]").set_input_files([str(p) for p in photos])
    hashes = page.get_by_test_id("photo-hashes")
    expected = [hashlib.sha256(p.read_bytes()).hexdigest() for p in photos]
    hashes.get_by_text(expected[1]).wait_for()
    page.get_by_role("button", name="Review").click()
    assert "seize EV-5 (phone, exhibit C/5) for case OP-1" in page.get_by_test_id("summary").inner_text()
    assert "Recorded as seq" in sign_and_record(page)
    shown = json.loads(ledger.run("item", "show", "EV-5", "--json", "--ledger", "custody.ledger").stdout)
    recorded = json.loads(ledger.run("log", "--stream", "item/EV-5", "--format", "jsonl").stdout.splitlines()[0])
    assert [p[0]["value"] for p in recorded["body"]["statement"]["data"]["photos"]] == expected
    assert shown["seal"] == "S-5" and shown["location"] == "Van 3"

    act(page, server, "EV-5", "store", lambda p: p.get_by_label("Storage location").fill("Shelf 4"))
    assert "store EV-5 at Shelf 4" in page.get_by_test_id("summary").inner_text()
    sign_and_record(page)

    # Unsealing names the seal on the item: another number is refused before anything is signed.
    def wrong_seal(p):
        p.get_by_label("Seal number on the item").fill("S-4")
        p.get_by_label("Reason").fill("Examination")
    act(page, server, "EV-5", "unseal", wrong_seal)
    assert "S-4 is not the one on record (S-5)" in page.locator(".notice.error").inner_text()

    def right_seal(p):
        p.get_by_label("Seal number on the item").fill("S-5")
        p.get_by_label("Reason").fill("Examination")
    act(page, server, "EV-5", "unseal", right_seal)
    assert "Recorded as seq" in sign_and_record(page)
    act(page, server, "EV-5", "seal", lambda p: p.get_by_label("Seal number").fill("S-6"))
    assert "Recorded as seq" in sign_and_record(page)

    def check_out(p):
        p.get_by_label("Examiner").select_option("bob")
        p.get_by_label("Purpose").fill("Chip-off")
    act(page, server, "EV-5", "check-out", check_out)
    assert "check EV-5 out to Bob Baker (NCA) for “Chip-off”" in page.get_by_test_id("summary").inner_text()
    assert "Recorded as seq" in sign_and_record(page)
    act(page, server, "EV-5", "check-in", lambda p: p.get_by_label("Where it is kept now").fill("Shelf 4"))
    assert "Recorded as seq" in sign_and_record(page)

    page.goto(server.url + "/#/item/EV-5")
    page.get_by_test_id("verdict").get_by_text("Verified against checkpoint").wait_for()
    chain = page.get_by_test_id("chain").inner_text()
    for step in ("seized", "stored", "unsealed", "sealed", "checked out", "checked in"):
        assert step in chain, step
    shown = json.loads(ledger.run("item", "show", "EV-5", "--json", "--ledger", "custody.ledger").stdout)
    assert shown["seal"] == "S-6" and shown["status"] == "in-custody"
    assert ledger.run("verify", "--ledger", "custody.ledger").returncode == 0
    context.close()


def test_a_disposal_waits_for_the_witnessing_officer_who_co_signs_on_their_own_device(ledger, server, browser):
    carol_context, carol = open_page(browser, server)
    use_key_file(carol, ledger.path("carol.pem"))

    def dispose(p):
        p.get_by_label("How").select_option("destroyed")
        p.get_by_label("Authority").fill("Court order 5")
        p.get_by_label("Witnessing officer").select_option(label="Bob Baker (NCA) · bob")
    act(carol, server, "EV-1", "dispose", dispose)
    assert "dispose of EV-1 (destroyed) under Court order 5, witnessed by Bob Baker (NCA)" in (
        carol.get_by_test_id("summary").inner_text())
    carol.get_by_role("button", name="Sign and record").click()
    carol.get_by_test_id("outcome").get_by_text("waits for Bob Baker (NCA) to co-sign").wait_for()
    assert json.loads(ledger.run("item", "show", "EV-1", "--json", "--ledger", "custody.ledger").stdout)["status"] == (
        "in-custody")

    bob_context, bob = open_page(browser, server)
    use_key_file(bob, ledger.path("bob.pem"))
    waiting = bob.get_by_test_id("co-signatures")
    assert "Carol Visser (NCA) disposes of EV-1 (destroyed) under Court order 5. You witness it." in waiting.inner_text()
    waiting.get_by_role("link", name="Read and co-sign").click()
    bob.get_by_role("button", name="Co-sign and record").click()
    bob.get_by_test_id("outcome").get_by_text("Recorded as seq").wait_for()
    assert "Receipt verified" in bob.get_by_test_id("outcome").inner_text()
    shown = json.loads(ledger.run("item", "show", "EV-1", "--json", "--ledger", "custody.ledger").stdout)
    assert shown["status"] == "disposed"
    record = json.loads(ledger.run("log", "--stream", "item/EV-1", "--format", "jsonl").stdout.splitlines()[-1])
    assert len(record["sigs"]) == 2 and any("signed_at" in sig for sig in record["sigs"])
    assert ledger.run("verify", "--ledger", "custody.ledger").returncode == 0
    carol.goto(server.url + "/#/")
    carol.get_by_role("heading", name="Items I hold", exact=False).wait_for()
    assert carol.get_by_test_id("co-signatures").count() == 0
    carol_context.close()
    bob_context.close()


def test_a_forensic_image_is_recorded_and_a_description_corrected_beside_the_original(ledger, server, browser):
    context, page = open_page(browser, server)
    use_key_file(page, ledger.path("carol.pem"))

    def acquire(p):
        p.get_by_label("Imaging tool").fill("ewfacquire")
        p.get_by_label("Tool version").fill("20140608")
        p.get_by_label("Source MD5").fill("d41d8cd98f00b204e9800998ecf8427e")
        p.get_by_label("Image file name").fill("EV-1.E01")
        p.get_by_label("Image size in bytes").fill("1048576")
        p.get_by_label("Image SHA-256").fill("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
        p.get_by_label("The verification hash matched").check()
    act(page, server, "EV-1", "acquire", acquire)
    assert "EV-1.E01, 1048576 bytes, verified" in page.get_by_test_id("summary").inner_text()
    assert "Recorded as seq" in sign_and_record(page)
    record = json.loads(ledger.run("log", "--stream", "item/EV-1", "--format", "jsonl").stdout.splitlines()[-1])
    data = record["body"]["statement"]["data"]
    assert data["source_hashes"] == [{"alg": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"}]
    assert data["images"][0]["hashes"][0]["value"].startswith("e3b0c442")

    page.goto(server.url + "/#/item/EV-1")
    page.get_by_test_id("chain").get_by_role("link", name="correct").first.click()
    page.get_by_label("Field").select_option("description")
    page.get_by_label("Corrected text").fill("Grey laptop, Dell Latitude 5420")
    page.get_by_label("Why").fill("Model read from the label")
    page.get_by_role("button", name="Review").click()
    assert "correct description of step 1 of EV-1" in page.get_by_test_id("summary").inner_text()
    assert "Recorded as seq" in sign_and_record(page)
    page.goto(server.url + "/#/item/EV-1")
    page.get_by_text("Grey laptop, Dell Latitude 5420").wait_for()
    assert "originally “Grey laptop”" in page.locator("main").inner_text()
    page.get_by_test_id("verdict").get_by_text("Verified against checkpoint").wait_for()
    context.close()
