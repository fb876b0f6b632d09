// Co-signing as a witnessing officer, on one's own device: the statement another officer signed, in plain words
// and exactly, signed here with one's own key and time, then recorded by the server.

import { getJSON, send } from "../lib/api.js";
import { h, notice } from "../lib/dom.js";
import { canonicalize } from "../lib/jcs.js";
import { coSign, statementHash } from "../lib/statement.js";
import { verifyProof } from "../lib/tlog.js";
import { explain } from "./act.js";
import { pinnedLogKey } from "./key.js";

/** What a statement says, in words, for the officer asked to witness it. */
export async function describe(session, statement) {
  const actor = await session.nameOfKey(statement.actor);
  const item = statement.stream.replace(/^item\//, "");
  const d = statement.data;
  switch (statement.type) {
    case "item.seized":
      return `${actor} seizes ${item} (${d.kind}, exhibit ${d.exhibit}) for case ${d.case} from ${d.seized_from} under ${d.legal_authority}; seal ${d.seal ?? "none"}. You witness it.`;
    case "item.disposed":
      return `${actor} disposes of ${item} (${d.method}) under ${d.authority}. You witness it.`;
    default:
      return `${actor}: ${statement.type} on ${statement.stream}. You co-sign it.`;
  }
}

/** The statements waiting for the person's co-signature, and those they wait on (the dashboard's lists). */
export async function pendingLists(session) {
  const { pending } = await getJSON(session.identity, "/api/v1/pending");
  return {
    mine: pending.filter((p) => p.role === "co-signer"),
    theirs: pending.filter((p) => p.role === "actor"),
  };
}

export async function cosignPage(session, id) {
  const { mine } = await pendingLists(session);
  const entry = mine.find((p) => p.id === id);
  const page = h("div", {}, h("h1", {}, "Co-sign as witnessing officer"));
  if (!entry) {
    page.append(notice("warning", "No statement with this id waits for your co-signature (it may have been recorded, withdrawn or expired)."));
    return page;
  }
  const statement = entry.signed.statement;
  const outcome = h("div", { "aria-live": "polite", "data-testid": "outcome" });
  const sign = h("button", { type: "button" }, "Co-sign and record");
  const decline = h("button", { type: "button", class: "secondary" }, "Decline");
  page.append(
    h(
      "section", { class: "card" },
      h("p", { class: "summary", "data-testid": "summary" }, await describe(session, statement)),
      h("p", {}, `Signed by its actor at ${statement.signed_at.slice(0, 19).replace("T", " ")} UTC; it may be recorded until ${statement.expires.slice(0, 16).replace("T", " ")} UTC.`),
      h("details", {}, h("summary", {}, "The statement, exactly as signed"), h("pre", { class: "mono" }, JSON.stringify(statement, null, 2)),
        h("p", { class: "mono" }, `statement hash ${await statementHash(statement)}`)),
      h("div", { class: "actions" }, sign, decline),
      outcome,
    ),
  );
  sign.addEventListener("click", async () => {
    sign.disabled = true;
    try {
      const cosigned = await coSign(entry.signed, session.identity.keyID, session.identity.privateKey);
      const response = await send(session.identity, "POST", `/api/v1/pending/${encodeURIComponent(id)}/cosign`, {
        body: canonicalize(cosigned), contentType: "application/json", accept: [200, 201],
      });
      const result = await response.json();
      const proof = await verifyProof(result.receipt, (await pinnedLogKey(session)).vkey);
      outcome.replaceChildren(notice("ok", h("strong", {}, `Recorded as seq ${result.seq}. `), `Receipt verified in this browser against checkpoint ${proof.size}.`));
      decline.hidden = true;
    } catch (error) {
      sign.disabled = false;
      outcome.replaceChildren(explain(error));
    }
  });
  decline.addEventListener("click", async () => {
    if (!confirm("Decline to co-sign? The statement is taken out of the queue and is not recorded.")) return;
    try {
      await send(session.identity, "DELETE", `/api/v1/pending/${encodeURIComponent(id)}`, { accept: [204] });
      outcome.replaceChildren(notice("info", "Declined: it will not be recorded."));
      sign.hidden = true;
      decline.hidden = true;
    } catch (error) {
      outcome.replaceChildren(explain(error));
    }
  });
  return page;
}
