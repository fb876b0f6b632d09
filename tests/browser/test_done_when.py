"""Issue 22's "done when", as the README walks it: the demo ledger served, officers in their own windows."""

import shutil
import subprocess
import tempfile
from pathlib import Path

from conftest import LEDGER, ROOT, open_page, use_key_file
from test_custody import create_key_in_browser, sign_and_record


def test_on_the_demo_ledger_a_new_officer_registers_receives_an_exhibit_prints_and_scans_its_label(browser):
    folder = Path(tempfile.mkdtemp(prefix="ledger-done-when-"))
    subprocess.run([LEDGER, "demo", "--targets", "300"], cwd=folder, check=True, capture_output=True)
    keys = folder / "synergia-demo/keys"
    process = subprocess.Popen(
        [LEDGER, "serve", "--ledger", "synergia-demo/custody.ledger", "--listen", "127.0.0.1:0", "--json",
         "--web-root", str(ROOT / "Sources/LedgerWeb/app")],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        import json

        url = json.loads(process.stdout.readline())["url"]
        server = type("Server", (), {"url": url})()
        # A new officer makes a key in her own browser window and asks for its registration.
        pia_context, pia = open_page(browser, server)
        create_key_in_browser(pia, "Pia Berg", "pia.nl", "Forensic Lab Netherlands (fictitious)")
        # The administrator, in another window, registers it.
        ada_context, ada = open_page(browser, server)
        use_key_file(ada, str(keys / "ada.int.pem"))
        ada.goto(url + "/#/admin")
        request = ada.get_by_test_id("request-pia.nl")
        request.get_by_label("custodian").check()
        request.get_by_role("button", name="Review the registration").click()
        assert "Recorded as seq" in sign_and_record(ada)
        ada_context.close()
        # Erin, in her window with her key file, hands EV-0062 over to Pia.
        erin_context, erin = open_page(browser, server)
        use_key_file(erin, str(keys / "erin.nl.pem"))
        erin.goto(url + "/#/item/EV-0062/transfer")
        erin.get_by_label("Recipient").select_option("pia.nl")
        erin.get_by_label("Purpose").fill("Second examination")
        erin.get_by_role("button", name="Review").click()
        assert "hand EV-0062 over to Pia Berg" in erin.get_by_test_id("summary").inner_text()
        assert "Receipt verified in this browser" in sign_and_record(erin)
        # Pia receives it with a seal check, and sees the receipt verified in the page.
        pia.goto(url + "/#/")
        pia.get_by_test_id("awaiting").get_by_role("link", name="Receive").click()
        seal = pia.get_by_label("Seal number you see")
        seal.fill("SEAL-00062")
        seal.press("Enter")
        assert "matches" in pia.get_by_test_id("seal-check").inner_text()
        pia.get_by_label("Where you keep it now").fill("NL lab, safe 5")
        pia.get_by_role("button", name="Review").click()
        assert "seal SEAL-00062 intact" in pia.get_by_test_id("summary").inner_text()
        assert "Receipt verified in this browser against checkpoint" in sign_and_record(pia)
        # She prints its label, and scans it back by typing the code.
        pia.goto(url + "/#/item/EV-0062")
        pia.get_by_role("link", name="Label", exact=True).click()
        label = pia.get_by_test_id("label")
        label.wait_for()
        pia.wait_for_function("document.querySelector('[data-testid=label]').complete")
        shot = folder / "label.png"
        label.screenshot(path=str(shot))
        decoded = subprocess.run(["zbarimg", "-q", str(shot)], capture_output=True, text=True).stdout.split()
        assert "CODE-128:EV-0062" in decoded, decoded
        scan = pia.get_by_label("Scan or type a code")
        scan.fill("EV-0062")
        scan.press("Enter")
        pia.get_by_role("heading", name="Item EV-0062").wait_for()
        pia.get_by_test_id("verdict").get_by_text("Verified against checkpoint").wait_for()
        assert "received" in pia.get_by_test_id("chain").inner_text()
        pia_context.close()
        erin_context.close()
        assert subprocess.run([LEDGER, "verify", "--ledger", "synergia-demo/custody.ledger"], cwd=folder,
                              capture_output=True).returncode == 0
    finally:
        process.terminate()
        process.wait(timeout=15)
        shutil.rmtree(folder, ignore_errors=True)
