"""The auditor's page: the checkpoint checked with the pinned key, each new one proven consistent with the last."""

from conftest import open_page, use_key_file


def test_each_checkpoint_is_proven_to_extend_the_last_and_a_forged_proof_is_caught(ledger, server, browser):
    # Routing in the test sees the page's requests only without a service worker in between.
    context, page = open_page(browser, server, service_workers="block")
    use_key_file(page, ledger.path("carol.pem"))
    page.goto(server.url + "/#/audit")
    page.get_by_text("First check in this browser").wait_for()
    ledger.run("transfer", "EV-1", "--to", "bob", "--purpose", "storage", "--seal", "S-1", "--key", "carol.pem")
    page.reload()
    page.get_by_text("Consistent: the log of size").wait_for()

    ledger.run("receive", "EV-1", "--seal", "S-1", "--location", "Safe", "--key", "bob.pem")

    def forged(route):
        response = route.fetch()
        answer = response.json()
        answer["proof"] = answer["proof"][::-1] if len(answer["proof"]) > 1 else ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]
        route.fulfill(response=response, json=answer)

    page.route("**/api/v1/proofs/consistency*", forged)
    page.reload()
    page.get_by_text("Inconsistent:").wait_for()
    context.close()


def test_a_stored_time_stamp_is_listed_checked_by_the_server_with_its_files(ledger, browser):
    import subprocess

    from conftest import ROOT, start_server, stop_server

    script = str(ROOT / "tools/tsa/make-test-tsa.sh")
    subprocess.run([script, "init", "tsa"], cwd=ledger.folder, check=True, capture_output=True)
    size = ledger.run("checkpoint", "--latest", "--ledger", "custody.ledger").stdout.split("\n")[1]
    ledger.run("checkpoint", "timestamp-request", size, "--out", "cp.tsq", "--ledger", "custody.ledger")
    subprocess.run([script, "reply", "tsa", "cp.tsq", "cp.tsr"], cwd=ledger.folder, check=True, capture_output=True)
    ledger.run("checkpoint", "add-timestamp", size, "cp.tsr", "--ca-file", "tsa/ca.crt", "--ledger", "custody.ledger")
    server = start_server(ledger, "--tsa-ca", "tsa/ca.crt")
    try:
        context, page = open_page(browser, server, accept_downloads=True)
        use_key_file(page, ledger.path("carol.pem"))
        page.goto(server.url + "/#/audit")
        stamps = page.get_by_test_id("timestamps")
        stamps.get_by_text("yes, against its TSA CA").wait_for()
        assert f"Time stamps (RFC 3161): 1" in stamps.inner_text()
        with page.expect_download() as token:
            stamps.get_by_role("link", name=f"checkpoint-{size}.tsr").click()
        with page.expect_download() as body:
            stamps.get_by_role("link", name=f"checkpoint-{size}.txt").click()
        token.value.save_as(ledger.folder / "t.tsr")
        body.value.save_as(ledger.folder / "t.txt")
        checked = subprocess.run(["openssl", "ts", "-verify", "-in", "t.tsr", "-data", "t.txt", "-CAfile", "tsa/ca.crt"],
                                 cwd=ledger.folder, capture_output=True, text=True)
        assert "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
        context.close()
    finally:
        stop_server(server)
