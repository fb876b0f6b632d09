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
