"""What a hostile value or a lying server can do to the page: nothing, and it is seen."""

import json

from conftest import open_page, use_key_file

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def test_a_script_in_a_description_is_shown_as_text_and_an_injected_one_is_blocked_by_the_policy(
    ledger, server, browser
):
    ledger.run("item", "seize", "EV-2", "--case", "OP-1", "--exhibit", "C/2", "--kind", "phone", "--description",
               HOSTILE, "--seal", "S-2", "--location", "Room B", "--from", "Flat 3", "--authority", "W 7",
               "--key", "carol.pem")
    context, page = open_page(browser, server)
    violations = []
    page.expose_function("reportViolation", lambda directive: violations.append(directive))
    use_key_file(page, ledger.path("carol.pem"))
    page.goto(server.url + "/#/item/EV-2")
    page.get_by_text(HOSTILE, exact=True).wait_for()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main script, main img").count() == 0
    # Even markup put into the page by other means runs nothing: the policy refuses inline handlers.
    page.evaluate(
        "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective))")
    page.evaluate("""() => { const d = document.createElement('div');
        d.innerHTML = '<img src="/no-such-image" onerror="window.__pwned = 3">'; document.body.append(d); }""")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    assert any(v.startswith("script-src") for v in violations), violations
    response = page.request.get(server.url + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    context.close()


def test_a_history_row_changed_by_the_server_is_flagged_by_the_pages_own_proof_check(ledger, server, browser):
    ledger.run("transfer", "EV-1", "--to", "bob", "--purpose", "storage", "--seal", "S-1", "--key", "carol.pem")
    # Routing in the test sees the page's requests only without a service worker in between.
    context, page = open_page(browser, server, service_workers="block")
    use_key_file(page, ledger.path("carol.pem"))

    def tamper(route):
        response = route.fetch()
        item = response.json()
        item["custody_chain"][-1]["details"]["to"] = "olga"
        route.fulfill(response=response, body=json.dumps(item))

    page.route("**/api/v1/items/EV-1", tamper)
    page.goto(server.url + "/#/item/EV-1")
    verdict = page.get_by_test_id("verdict")
    verdict.get_by_text("does not match the signed log").wait_for()
    assert 'to "olga" is "bob" in the log' in verdict.inner_text()
    assert page.get_by_test_id("chain").get_by_text("NOT PROVEN").count() == 1
    # Unchanged, the same page proves every row.
    page.unroute("**/api/v1/items/EV-1")
    page.reload()
    page.get_by_test_id("verdict").get_by_text("Verified against checkpoint").wait_for()
    context.close()
