"""The page's own cryptography against the shared vectors and the Swift implementation, byte for byte."""

import json
from pathlib import Path

from conftest import ROOT, open_page

VECTORS = ROOT / "Tests/Vectors/jcs"

RFC9421_KEY = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""


def test_rfc8785_vectors_are_canonicalized_in_the_browser_as_in_swift(server, browser):
    context, page = open_page(browser, server)
    cases = {path.name: path.read_text(encoding="utf-8") for path in sorted((VECTORS / "input").glob("*.json"))}
    results = page.evaluate(
        """async (cases) => {
            const { canonicalize } = await import("/app/lib/jcs.js");
            return Object.fromEntries(Object.entries(cases).map(([name, text]) => [name, canonicalize(JSON.parse(text))]));
        }""",
        cases,
    )
    assert len(results) == 6
    for name, canonical in results.items():
        assert canonical.encode("utf-8") == (VECTORS / "output" / name).read_bytes(), name
    lines = [line.split(",") for line in (VECTORS / "numbers.txt").read_text().splitlines() if line]
    wrong = page.evaluate(
        """async (lines) => {
            const { canonicalize } = await import("/app/lib/jcs.js");
            const view = new DataView(new ArrayBuffer(8));
            return lines.filter(([bits, expected]) => {
                view.setBigUint64(0, BigInt("0x" + bits));
                return canonicalize(view.getFloat64(0)) !== expected;
            });
        }""",
        lines,
    )
    assert len(lines) == 5000 and wrong == []
    context.close()


def test_a_statement_signed_in_the_browser_is_the_one_ledger_sign_makes(ledger, server, browser):
    ledger.run("head", "item/EV-1", "--json", "--ledger", "custody.ledger")
    head = ledger.run("head", "item/EV-1", "--json", "--ledger", "custody.ledger").stdout
    (ledger.folder / "head.json").write_text(head)
    ledger.run("sign", "--head", "head.json", "--type", "custody.released", "--data",
               '{"purpose":"Imaging","seal":"S-1","to":"bob"}', "--key", "carol.pem", "--out", "s.jsonl")
    line = (ledger.folder / "s.jsonl").read_text().rstrip("\n")
    context, page = open_page(browser, server)
    made = page.evaluate(
        """async ({ pem, head, line }) => {
            const { importPKCS8, keyID } = await import("/app/lib/ed25519.js");
            const { privateKeyDER } = await import("/app/lib/pem.js");
            const { buildStatement, signStatement } = await import("/app/lib/statement.js");
            const { canonicalize } = await import("/app/lib/jcs.js");
            const key = await importPKCS8(await privateKeyDER(pem));
            const theirs = JSON.parse(line).statement;
            const signedAt = Date.parse(theirs.signed_at);
            const statement = buildStatement(JSON.parse(head), {
                type: "custody.released", data: { purpose: "Imaging", seal: "S-1", to: "bob" },
                actor: await keyID(key.raw), signedAt, lifetime: Date.parse(theirs.expires) - signedAt, id: theirs.id,
            });
            return canonicalize(await signStatement(statement, key.privateKey));
        }""",
        {"pem": (ledger.folder / "carol.pem").read_text(), "head": head, "line": line},
    )
    assert made == line
    context.close()


def test_an_encrypted_key_file_opens_in_the_browser_and_makes_the_same_registration_request(ledger, server, browser):
    (ledger.folder / "frank.pass").write_text("correct horse battery staple\n")
    generated = json.loads(ledger.run(
        "key", "generate", "--out", "frank.pem", "--name", "Frank Field", "--person", "frank", "--agency", "NCA",
        "--passphrase-file", "frank.pass", "--json", "--ledger", "custody.ledger").stdout)
    pem = (ledger.folder / "frank.pem").read_text()
    assert "ENCRYPTED PRIVATE KEY" in pem
    context, page = open_page(browser, server)
    made = page.evaluate(
        """async ({ pem }) => {
            const { importPKCS8, keyID } = await import("/app/lib/ed25519.js");
            const { privateKeyDER } = await import("/app/lib/pem.js");
            const { registrationRequest } = await import("/app/views/key.js");
            let wrong;
            try { await privateKeyDER(pem, "not the passphrase"); } catch (error) { wrong = error.message; }
            const key = await importPKCS8(await privateKeyDER(pem, "correct horse battery staple"));
            return {
                wrong, keyID: await keyID(key.raw),
                request: await registrationRequest({ agency: "NCA", ledger: "ledger.test.example/web", name: "Frank Field",
                    person: "frank", raw: key.raw, privateKey: key.privateKey }),
            };
        }""",
        {"pem": pem},
    )
    assert made["wrong"] == "wrong passphrase (the key file does not decrypt)"
    assert made["keyID"] == generated["key_id"]
    assert made["request"] == generated["request"]
    context.close()


def test_rfc9421_ed25519_example_is_signed_in_the_browser_as_the_rfc_says(server, browser):
    context, page = open_page(browser, server)
    signature = page.evaluate(
        """async ({ pem }) => {
            const { importPKCS8, sign } = await import("/app/lib/ed25519.js");
            const { privateKeyDER } = await import("/app/lib/pem.js");
            const { signatureBase } = await import("/app/lib/httpsig.js");
            const { base64, utf8 } = await import("/app/lib/bytes.js");
            const key = await importPKCS8(await privateKeyDER(pem));
            const components = ["date", "@method", "@path", "@authority", "content-type", "content-length"];
            const values = { date: "Tue, 20 Apr 2021 02:07:55 GMT", "@method": "POST", "@path": "/foo",
                "@authority": "example.com", "content-type": "application/json", "content-length": "18" };
            const list = '("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
            return base64(await sign(key.privateKey, utf8(signatureBase(components, values, list))));
        }""",
        {"pem": RFC9421_KEY},
    )
    assert signature == "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
    context.close()


def test_small_order_and_non_canonical_public_keys_are_refused_by_the_page(server, browser):
    context, page = open_page(browser, server)
    answers = page.evaluate(
        """async () => {
            const { publicKeyProblem, verify } = await import("/app/lib/ed25519.js");
            const { fromHex } = await import("/app/lib/bytes.js");
            const ones = "ff".repeat(30);
            const bad = ["00".repeat(32), "01" + "00".repeat(31), "ec" + ones + "7f", "ed" + ones + "7f",
                "ee" + ones + "7f", "ef" + ones + "7f", "ff".repeat(32),
                "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
                "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
                "01" + "00".repeat(30) + "80"];
            // The trivial forgery: the identity key, R the identity, S zero, for any message.
            const identity = fromHex("01" + "00".repeat(31));
            const forgery = fromHex("01" + "00".repeat(63));
            const raw = await crypto.subtle.importKey("raw", identity, { name: "Ed25519" }, false, ["verify"])
                .then((key) => crypto.subtle.verify({ name: "Ed25519" }, key, forgery, new Uint8Array([1, 2, 3])))
                .catch(() => "refused");
            const good = fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
            return { problems: bad.map((h) => publicKeyProblem(fromHex(h))), ours: await verify(identity, forgery, new Uint8Array([1, 2, 3])),
                good: publicKeyProblem(good), browser: raw };
        }"""
    )
    print(f"the browser's own Ed25519 verify of the identity-key forgery: {answers['browser']}")
    assert all(problem is not None for problem in answers["problems"]), answers["problems"]
    assert answers["good"] is None
    assert answers["ours"] is False
    context.close()


def test_rfc6962_inclusion_and_consistency_vectors_verify_in_the_browser_and_altered_ones_do_not(server, browser):
    vectors = json.loads((ROOT / "Tests/Vectors/merkle-rfc6962.json").read_text())
    context, page = open_page(browser, server)
    results = page.evaluate(
        """async ({ inclusion, consistency }) => {
            const { verifyInclusion, verifyConsistency } = await import("/app/lib/tlog.js");
            const { fromHex } = await import("/app/lib/bytes.js");
            const out = { inclusion: [], consistency: [], altered: [] };
            for (const v of inclusion) {
                const proof = v.proof.map(fromHex);
                out.inclusion.push(await verifyInclusion(fromHex(v.leaf_hash), v.leaf_index, v.tree_size, proof, fromHex(v.root)));
                if (proof.length > 0) {
                    const bad = proof.map((p) => p.slice()); bad[0][0] ^= 1;
                    out.altered.push(await verifyInclusion(fromHex(v.leaf_hash), v.leaf_index, v.tree_size, bad, fromHex(v.root)));
                }
            }
            for (const v of consistency) {
                const proof = v.proof.map(fromHex);
                out.consistency.push(await verifyConsistency(v.size1, v.size2, fromHex(v.root1), fromHex(v.root2), proof));
                if (proof.length > 0) {
                    const bad = proof.map((p) => p.slice()); bad[bad.length - 1][0] ^= 1;
                    out.altered.push(await verifyConsistency(v.size1, v.size2, fromHex(v.root1), fromHex(v.root2), bad));
                }
            }
            return out;
        }""",
        {"inclusion": vectors["inclusion_proofs"], "consistency": vectors["consistency_proofs"]},
    )
    assert results["inclusion"] and all(results["inclusion"])
    assert results["consistency"] and all(results["consistency"])
    assert results["altered"] and not any(results["altered"])
    context.close()
