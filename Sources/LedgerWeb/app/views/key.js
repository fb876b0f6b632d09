// My key: create one in this browser (never leaves it) and ask for its registration, or use an existing key file;
// the log key is pinned here the first time.

import { ApiError, send } from "../lib/api.js";
import { base64, hex, sha256, utf8 } from "../lib/bytes.js";
import { field, h, notice } from "../lib/dom.js";
import { generateKeyPair, importPKCS8, keyID, publicKeyProblem, rawPublicKey, sign } from "../lib/ed25519.js";
import { canonicalBytes, canonicalize } from "../lib/jcs.js";
import * as keystore from "../lib/keystore.js";
import { privateKeyDER } from "../lib/pem.js";

/** The pinned log key, pinning the server's now if none is; the answer says whether they differ. */
export async function pinnedLogKey(session) {
  let pinned = await keystore.load("pinned");
  if (!pinned) {
    pinned = { vkey: session.info.log_vkey, ledger: session.info.ledger, pinnedAt: new Date().toISOString() };
    await keystore.save(pinned, "pinned");
  }
  return { ...pinned, changed: pinned.vkey !== session.info.log_vkey };
}

/** A registration request (FORMAT.md §4.3), signed by the new key: the text the server queues. */
export async function registrationRequest({ agency, ledger, name, person, raw, privateKey }) {
  const request = { agency, ledger, name, person, public_key: base64(raw), v: 1 };
  const message = utf8(`custody-ledger/v1 key-request\n${hex(await sha256(canonicalBytes(request)))}\n`);
  return canonicalize({ request, sig: base64(await sign(privateKey, message)) });
}

export async function keyPage(session, refreshIdentity) {
  const pinned = await pinnedLogKey(session);
  const page = h("div", {}, h("h1", {}, "My key"));
  if (pinned.changed) {
    page.append(
      notice(
        "error",
        h("strong", {}, "The server's log key is not the one pinned in this browser. "),
        "Do not sign anything: ask your administrator. Pinned ", h("span", { class: "mono" }, pinned.vkey),
        ", served ", h("span", { class: "mono" }, session.info.log_vkey),
      ),
    );
  }
  const identity = session.identity;
  if (identity) {
    const persisted = await keystore.persist();
    page.append(
      h(
        "section", {},
        h("h2", {}, "The key in this browser"),
        h(
          "dl", { class: "facts" },
          h("dt", {}, "Key id"), h("dd", { class: "mono", "data-testid": "key-id" }, identity.keyID),
          h("dt", {}, "Person"), h("dd", {}, session.me ? `${session.me.name} (${session.me.person}), ${session.me.agency}` : `${identity.name ?? "?"} (${identity.person ?? "?"})`),
          h("dt", {}, "Status"),
          h("dd", { "data-testid": "key-status" }, session.me ? `registered: ${session.me.roles.join(", ")}` : "waiting for an administrator to register it"),
          h("dt", {}, "Kept by the browser"),
          h("dd", {}, persisted === "granted" ? "yes: the browser keeps this site's storage" : `not guaranteed (${persisted}): the browser may clear it when it needs room`),
        ),
        h("p", { class: "hint" }, "The private key cannot be read out of this browser, not even by this page: only used to sign."),
        h(
          "div", { class: "actions" },
          h("button", { class: "secondary", type: "button", onclick: () => refreshIdentity().then(() => location.reload()) }, "Check again"),
          h("button", {
            class: "danger", type: "button",
            onclick: async () => {
              if (!confirm("Forget the key in this browser? A registered key stays registered; you need your key file or a new registration to sign again.")) return;
              await keystore.forget();
              navigator.serviceWorker?.controller?.postMessage("forget");
              await refreshIdentity();
              location.hash = "#/key";
              location.reload();
            },
          }, "Forget this key"),
        ),
      ),
    );
  } else {
    page.append(
      notice("info", "There is no key in this browser yet. Create one here, or use the key file you were given."),
      createForm(session, refreshIdentity),
      importForm(session, refreshIdentity),
    );
  }
  page.append(
    h(
      "section", {},
      h("h2", {}, "The ledger's log key"),
      h("p", {}, "Pinned in this browser on ", pinned.pinnedAt.slice(0, 10), ": every receipt and proof is checked against it. Compare it with the one your administrator gave you."),
      h("p", { class: "mono", "data-testid": "pinned-vkey" }, pinned.vkey),
    ),
  );
  return page;
}

function createForm(session, refreshIdentity) {
  const name = h("input", { name: "name", required: true, autocomplete: "name" });
  const person = h("input", { name: "person", required: true, pattern: "[A-Za-z0-9._@\\-]{1,64}" });
  const agency = h("input", { name: "agency", required: true, autocomplete: "organization" });
  const result = h("div", { "aria-live": "polite" });
  const form = h(
    "form", { class: "card", "aria-labelledby": "create-title" },
    h("h2", { id: "create-title" }, "Create a key in this browser"),
    field("Your name", name),
    field("Your person id", person, "As your administrator gave it: letters, digits, . _ @ -"),
    field("Your agency", agency),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Create my key and ask for its registration")),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const pair = await generateKeyPair();
      const raw = await rawPublicKey(pair.publicKey);
      const problem = publicKeyProblem(raw);
      if (problem) throw new Error(problem);
      const identity = {
        privateKey: pair.privateKey, publicKey: pair.publicKey, raw, keyID: await keyID(raw),
        person: person.value.trim(), name: name.value.trim(), agency: agency.value.trim(), created: new Date().toISOString(),
      };
      const request = await registrationRequest({ ...identity, ledger: session.info.ledger });
      await send(undefined, "POST", "/api/v1/key-requests", { body: request, contentType: "application/json", accept: [202] });
      await keystore.save(identity);
      await refreshIdentity();
      location.reload();
    } catch (error) {
      result.replaceChildren(notice("error", error.message));
    }
  });
  return form;
}

function importForm(session, refreshIdentity) {
  const file = h("input", { type: "file", name: "keyfile", accept: ".pem,.key,text/plain", required: true });
  const passphrase = h("input", { type: "password", name: "passphrase", autocomplete: "current-password" });
  const result = h("div", { "aria-live": "polite" });
  const form = h(
    "form", { class: "card", "aria-labelledby": "import-title" },
    h("h2", { id: "import-title" }, "Use my key file"),
    field("Key file (PEM, as ledger key generate writes it)", file),
    field("Passphrase", passphrase, "Only if the key file is encrypted. It is used here and never sent."),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Use this key")),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const text = await file.files[0].text();
      const der = await privateKeyDER(text, passphrase.value);
      const { privateKey, publicKey, raw } = await importPKCS8(der);
      const problem = publicKeyProblem(raw);
      if (problem) throw new Error(problem);
      const identity = { privateKey, publicKey, raw, keyID: await keyID(raw), created: new Date().toISOString() };
      await keystore.save(identity);
      await refreshIdentity();
      if (!session.me) {
        result.replaceChildren(notice("warning", "This key is not registered in this ledger (yet)."));
        return;
      }
      location.hash = "#/";
    } catch (error) {
      result.replaceChildren(notice("error", error instanceof ApiError ? error.message : `${error.message}`));
    }
  });
  return form;
}
