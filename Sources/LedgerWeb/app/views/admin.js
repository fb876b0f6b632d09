// Key requests: an administrator registers a person's key with a signed key.registered statement carrying the
// request's own signature (its proof of possession), exactly as `ledger key register` does.

import { getJSON } from "../lib/api.js";
import { fromBase64, hex, sha256, utf8 } from "../lib/bytes.js";
import { h, notice } from "../lib/dom.js";
import { keyID, publicKeyProblem, verify } from "../lib/ed25519.js";
import { canonicalBytes } from "../lib/jcs.js";
import { review } from "./act.js";

const ROLES = ["admin", "auditor", "case-officer", "custodian", "examiner", "supervisor", "takedown-officer"];

/** The key.registered data and the new key's signature, from a queued request's text; throws when it is invalid. */
export async function registration(text, roles) {
  const { request, sig } = JSON.parse(text);
  const raw = fromBase64(request.public_key);
  const problem = publicKeyProblem(raw);
  if (problem) throw new Error(problem);
  const message = utf8(`custody-ledger/v1 key-request\n${hex(await sha256(canonicalBytes(request)))}\n`);
  if (!(await verify(raw, fromBase64(sig), message))) throw new Error("the request's signature does not verify");
  const key = await keyID(raw);
  return {
    key, sig,
    data: { agency: request.agency, key, name: request.name, person: request.person, public_key: request.public_key, roles: [...roles].sort() },
  };
}

export async function adminPage(session) {
  const page = h("div", {}, h("h1", {}, "Key requests"));
  if (!session.me?.roles.includes("admin")) {
    page.append(notice("warning", "Key requests are for administrators."));
    return page;
  }
  const { requests } = await getJSON(session.identity, "/api/v1/key-requests");
  if (requests.length === 0) page.append(h("p", {}, "No request is waiting."));
  for (const request of requests) {
    const boxes = ROLES.map((role) => h("label", { class: "role" }, h("input", { type: "checkbox", value: role, name: "role" }), ` ${role} `));
    const step = h("div", {});
    const form = h(
      "form", { class: "card", "data-testid": `request-${request.person}` },
      h("h2", {}, `${request.name} (${request.person}), ${request.agency}`),
      h("p", { class: "mono" }, `key ${request.key}`),
      h("p", { class: "hint" }, `received ${request.received}. Check the key id with the person before you register it.`),
      h("fieldset", {}, h("legend", {}, "Roles"), boxes),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Review the registration")),
      step,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const roles = boxes.map((box) => box.querySelector("input")).filter((input) => input.checked).map((input) => input.value);
      if (roles.length === 0) return step.replaceChildren(notice("error", "Choose at least one role."));
      try {
        const { key, sig, data } = await registration(request.request, roles);
        step.replaceChildren(await review(session, {
          stream: `key/${key}`, type: "key.registered", data,
          summary: `You, ${session.me.name}, register the key of ${data.name} (${data.person}, ${data.agency}) with the roles ${data.roles.join(", ")}.`,
          extraSignatures: [{ key, sig }],
          back: () => step.replaceChildren(),
        }));
      } catch (error) {
        step.replaceChildren(notice("error", error.message));
      }
    });
    page.append(form);
  }
  return page;
}

