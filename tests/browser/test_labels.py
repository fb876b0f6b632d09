"""An item's label, drawn by the browser from the server's SVG, read back by zbarimg, and scanned back by typing."""

import subprocess

from conftest import open_page, use_key_file


def test_the_label_prints_its_codes_and_a_scanned_code_opens_the_item(ledger, server, browser, tmp_path):
    context, page = open_page(browser, server)
    use_key_file(page, ledger.path("carol.pem"))
    page.goto(server.url + "/#/item/EV-1")
    page.get_by_role("link", name="Label", exact=True).click()
    label = page.get_by_test_id("label")
    label.wait_for()
    page.wait_for_function("document.querySelector('[data-testid=label]').complete")
    shot = tmp_path / "label.png"
    label.screenshot(path=str(shot))
    decoded = subprocess.run(["zbarimg", "-q", str(shot)], capture_output=True, text=True).stdout.split()
    assert sorted(decoded) == ["CODE-128:EV-1", f"QR-Code:{server.url}/#/item/EV-1"], decoded

    # A keyboard-wedge scanner types the Code 128 and Enter into the scan field: the item opens.
    page.goto(server.url + "/#/")
    page.get_by_role("heading", name="My work", exact=False).wait_for()
    scan = page.get_by_label("Scan or type a code")
    scan.fill("EV-1")
    scan.press("Enter")
    page.get_by_role("heading", name="Item EV-1").wait_for()
    # A phone-style scan of the QR code's address works the same.
    page.goto(server.url + "/#/")
    page.get_by_role("heading", name="My work", exact=False).wait_for()
    scan.fill(f"{server.url}/#/item/EV-1")
    scan.press("Enter")
    page.get_by_role("heading", name="Item EV-1").wait_for()
    context.close()


def test_seal_and_location_labels_are_made_in_the_page_and_read_back(ledger, server, browser, tmp_path):
    # A long place makes narrow bars: drawn at three device pixels per CSS pixel, as a printer's resolution would.
    context, page = open_page(browser, server, device_scale_factor=3)
    use_key_file(page, ledger.path("carol.pem"))
    page.get_by_role("link", name="Labels", exact=True).click()
    for kind, text in (("seal", "SEAL-00077"), ("location", "Evidence store B, shelf 4")):
        page.get_by_label("Label for").select_option(kind)
        page.get_by_label("Seal number or place").fill(text)
        page.get_by_role("button", name="Make the label").click()
        label = page.get_by_role("img", name=f"{kind} label {text}")
        label.wait_for()
        page.wait_for_function("[...document.querySelectorAll('img')].every((i) => i.complete)")
        shot = tmp_path / f"{kind}.png"
        label.screenshot(path=str(shot))
        decoded = subprocess.run(["zbarimg", "-q", str(shot)], capture_output=True, text=True).stdout.splitlines()
        assert sorted(decoded) == [f"CODE-128:{text}", f"QR-Code:{text}"], decoded
    context.close()
