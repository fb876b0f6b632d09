"""Targets imported from a CSV file in the browser (errors by line, progress), then a takedown action."""

import json

from conftest import open_page, use_key_file
from test_custody import sign_and_record

ROWS = 2500


def csv_rows(count):
    lines = ["kind,value,category,country,hosting_provider,asn"]
    for index in range(count):
        lines.append(f"ip,198.18.{index // 250}.{index % 250},phishing,{['NL', 'DE', 'BR'][index % 3]},Hoster BV,64500")
    return "\n".join(lines) + "\n"


def test_a_csv_of_targets_is_checked_by_line_signed_in_the_browser_and_recorded_with_progress(
    ledger, server, browser, tmp_path
):
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,value,category,country\nip,198.51.100.7,phishing,NL\nip,300.1.1.1,phishing,NL\n"
                   "domain,login-bank.example,phishing,Netherlands\n")
    good = tmp_path / "targets.csv"
    good.write_text(csv_rows(ROWS))
    context, page = open_page(browser, server)
    use_key_file(page, ledger.path("carol.pem"))
    page.goto(server.url + "/#/targets")
    page.get_by_role("heading", name="Import targets from a CSV file").wait_for()
    page.get_by_label("Reported by").fill("Partner feed")
    page.locator("input[name=csv]").set_input_files(str(bad))
    page.get_by_role("button", name="Read the file").click()
    status = page.get_by_test_id("import-status")
    status.get_by_text("Nothing was recorded").wait_for()
    text = status.inner_text()
    assert "line 3:" in text and "line 4:" in text and "line 2:" not in text, text
    before = int(ledger.run("log", "--format", "jsonl").stdout.count("\n"))

    page.locator("input[name=csv]").set_input_files(str(good))
    page.get_by_role("button", name="Read the file").click()
    status.get_by_text(f"{ROWS} new targets in case OP-1").wait_for()
    page.get_by_role("button", name=f"Sign and record {ROWS} targets").click()
    status.get_by_text("Signed and sent 1000 of").wait_for()
    status.get_by_text(f"Recorded {ROWS} targets in").wait_for(timeout=120_000)
    assert page.locator("progress").evaluate("p => p.value === p.max")
    after = int(ledger.run("log", "--format", "jsonl").stdout.count("\n"))
    assert after - before == ROWS
    stats = json.loads(ledger.run("stats", "--case", "OP-1", "--json").stdout)
    assert stats["targets"]["identified"] == ROWS
    # The source as typed, a space included (a query is percent-encoded, never form-encoded).
    first = json.loads(ledger.run("targets", "--case", "OP-1", "--json").stdout.splitlines()[0])
    assert first["source"] == "Partner feed"

    # Reading the same file again: every row is already there, nothing to sign.
    page.get_by_role("button", name="Read the file").click()
    status.get_by_text(f"{ROWS} rows skipped").wait_for()

    # A takedown request on one of them: refused for a case officer, by role; recorded for a takedown officer.
    def request_takedown(page):
        page.goto(server.url + "/#/")
        page.goto(server.url + "/#/targets")
        page.get_by_test_id("targets").get_by_role("link").first.click()
        page.get_by_label("Recipient (hosting provider, registrar)").fill("Hoster BV")
        page.get_by_label("Legal instrument").fill("MLA 2024/17")
        page.get_by_role("button", name="Review").first.click()
        assert "request a takedown" in page.get_by_test_id("summary").inner_text()
        return sign_and_record(page)

    assert "none of which may sign takedown.requested (allowed: takedown-officer)" in request_takedown(page)
    ledger.add_person("theo", "Theo Takedown", "NCA", "takedown-officer")
    theo_context, theo = open_page(browser, server)
    use_key_file(theo, ledger.path("theo.pem"))
    assert "Recorded as seq" in request_takedown(theo)
    theo_context.close()
    stats = json.loads(ledger.run("stats", "--case", "OP-1", "--json").stdout)
    assert stats["targets"]["identified"] == ROWS
    assert ledger.run("verify", "--ledger", "custody.ledger").returncode == 0
    context.close()
