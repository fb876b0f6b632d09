// Custody moves, each built, shown in plain words, signed in this browser and recorded: hand over, receive.

import { ApiError, getJSON, send, submit } from "../lib/api.js";
import { field, h, notice } from "../lib/dom.js";
import { canonicalize } from "../lib/jcs.js";
import { buildStatement, signStatement, statementHash } from "../lib/statement.js";
import { verifyProof } from "../lib/tlog.js";
import { pinnedLogKey } from "./key.js";

/**
 * Shows exactly what will be signed (the plain summary, and the statement itself), then signs it with the key in
 * this browser, submits it and checks the receipt's inclusion proof against the pinned log key.
 */
export async function review(session, { stream, type, data, summary, back, extraSignatures = [] }) {
  const position = await getJSON(session.identity, `/api/v1/head?stream=${encodeURIComponent(stream)}`);
  const statement = buildStatement(position, { type, data, actor: session.identity.keyID });
  const hash = await statementHash(statement);
  const outcome = h("div", { "aria-live": "polite", "data-testid": "outcome" });
  const signButton = h("button", { type: "button" }, "Sign and record");
  const card = h(
    "section", { class: "card", "aria-labelledby": "review-title" },
    h("h2", { id: "review-title" }, "What you are about to sign"),
    h("p", { class: "summary", "data-testid": "summary" }, summary),
    h(
      "details", {},
      h("summary", {}, "The statement, exactly as signed"),
      h("pre", { class: "mono" }, JSON.stringify(statement, null, 2)),
      h("p", { class: "mono" }, `statement hash ${hash}`),
    ),
    h("div", { class: "actions" }, signButton, h("button", { type: "button", class: "secondary", onclick: back }, "Change it")),
    outcome,
  );
  signButton.addEventListener("click", async () => {
    signButton.disabled = true;
    outcome.replaceChildren(notice("info", "Signing and recording…"));
    try {
      const signed = await signStatement(statement, session.identity.privateKey);
      // A registration carries the new key's own signature of its request beside the administrator's.
      signed.sigs.push(...extraSignatures);
      signed.sigs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      if (data.witness_key) {
        // A witnessing officer co-signs on their own device: the server holds the statement for them.
        await send(session.identity, "POST", "/api/v1/pending", {
          body: canonicalize(signed), contentType: "application/json", accept: [202],
        });
        const witness = await session.nameOfKey(data.witness_key);
        outcome.replaceChildren(
          notice("ok", h("strong", {}, "Signed. "), `It waits for ${witness} to co-sign on their own device; it is recorded once they do (until ${statement.expires.slice(0, 16).replace("T", " ")} UTC).`),
        );
        return;
      }
      const result = await submit(session.identity, signed);
      const pinned = await pinnedLogKey(session);
      const proof = await verifyProof(result.receipt, pinned.vkey);
      const recorded = JSON.parse(new TextDecoder().decode(proof.record));
      const same = canonicalize(recorded.body.statement) === canonicalize(statement);
      outcome.replaceChildren(
        same
          ? notice("ok", h("strong", {}, `Recorded as seq ${result.seq}. `), `Receipt verified in this browser against checkpoint ${proof.size}, signed by the pinned log key.`)
          : notice("error", "The receipt is for another statement than the one you signed."),
        stream.startsWith("item/")
          ? h("p", {}, h("a", { href: `#/item/${encodeURIComponent(stream.slice(5))}` }, "Open the item"))
          : null,
      );
    } catch (error) {
      signButton.disabled = false;
      outcome.replaceChildren(explain(error));
    }
  });
  return card;
}

/**
 * Puts the review of a statement (`{stream, type, data, summary}`) in `step` in place of `form`, with a way back to
 * the form; an error building it is explained under the form.
 */
export async function showReview(session, form, step, statement) {
  try {
    form.hidden = true;
    step.replaceChildren(await review(session, {
      ...statement,
      back: () => {
        form.hidden = false;
        step.replaceChildren();
      },
    }));
  } catch (error) {
    form.hidden = false;
    step.replaceChildren(explain(error));
  }
}

/** A refusal in words: a conflict says someone else was first; a custody rule says which. */
export function explain(error) {
  if (!(error instanceof ApiError)) return notice("error", error.message);
  if (error.status === 0) return notice("error", h("strong", {}, "Not sent: "), error.message);
  const code = error.problem.code;
  if (error.status === 409 || code === "stale-revision" || code === "conflict") {
    return notice(
      "error",
      h("strong", {}, "Someone else recorded a step on this item first. "),
      "Nothing was recorded for you: open the item again and check where it is now. ",
      h("span", { class: "hint" }, `(${error.message})`),
    );
  }
  const rule = error.problem.rule ? ` [rule ${error.problem.rule}]` : "";
  return notice("error", h("strong", {}, "Refused: "), `${error.message}${rule}`);
}

async function loadItem(session, id) {
  return getJSON(session.identity, `/api/v1/items/${encodeURIComponent(id)}`);
}

export async function transferPage(session, id) {
  const item = await loadItem(session, id);
  const people = [...(await session.peopleByID()).values()]
    .filter((person) => person.person !== session.me.person && person.keys.some((key) => !key.revoked))
    .sort((a, b) => a.name.localeCompare(b.name));
  const page = h("div", {}, h("h1", {}, `Hand over ${item.id}`));
  if (item.status !== "in-custody" || item.holder !== session.me.person) {
    page.append(notice("warning", `You do not hold ${item.id} (it is ${item.status}, held by ${item.holder}).`));
    return page;
  }
  const to = h("select", { name: "to", required: true }, h("option", { value: "" }, "Choose the recipient"),
    people.map((person) => h("option", { value: person.person }, `${person.name} (${person.agency}) · ${person.person}`)));
  const purpose = h("input", { name: "purpose", required: true });
  const courier = h("input", { name: "courier" });
  const tracking = h("input", { name: "tracking" });
  const step = h("div", {});
  const form = h(
    "form", { class: "card" },
    h("p", {}, `Seal on the item now: ${item.seal ?? "none"} · location ${item.location}`),
    field("Recipient", to), field("Purpose", purpose, "Why it is handed over: it is on the record."),
    field("Courier (optional)", courier), field("Tracking number (optional)", tracking),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Review")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = { to: to.value, purpose: purpose.value.trim() };
    if (item.seal) data.seal = item.seal;
    if (courier.value.trim()) data.courier = courier.value.trim();
    if (tracking.value.trim()) data.tracking = tracking.value.trim();
    const recipient = await session.nameOf(to.value);
    const summary = `You, ${session.me.name}, hand ${item.id} over to ${recipient} for “${data.purpose}”; seal ${item.seal ?? "none"}.`;
    await showReview(session, form, step, { stream: `item/${item.id}`, type: "custody.released", data, summary });
  });
  page.append(form, step);
  return page;
}

export async function receivePage(session, id) {
  const item = await loadItem(session, id);
  const page = h("div", {}, h("h1", {}, `Receive ${item.id}`));
  if (item.status !== "in-transit" || item.pending_to !== session.me.person) {
    page.append(notice("warning", `${item.id} is not on its way to you (it is ${item.status}).`));
    return page;
  }
  const sender = await session.nameOf(item.holder);
  const seal = h("input", { name: "seal", autocomplete: "off", autofocus: true });
  const broken = h("input", { type: "checkbox", name: "broken" });
  const place = h("input", { name: "location", required: true });
  const condition = h("input", { name: "condition" });
  const check = h("div", { "aria-live": "polite", "data-testid": "seal-check" });
  const step = h("div", {});
  // A scanner ends its code with Enter: in the seal field that checks the seal instead of sending the form.
  seal.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      compare();
      place.focus();
    }
  });
  seal.addEventListener("change", compare);
  function compare() {
    const seen = seal.value.trim();
    if (!item.seal && !seen) return check.replaceChildren(notice("info", "The item was released unsealed."));
    if (seen === (item.seal ?? "")) {
      return check.replaceChildren(notice("ok", `The seal matches the one it was released under (${item.seal}).`));
    }
    broken.checked = true;
    check.replaceChildren(
      notice("warning", h("strong", {}, "The seal does not match. "),
        `You typed ${seen || "nothing"}; ${item.id} was released under ${item.seal ?? "no seal"}. It will be recorded as a broken seal.`),
    );
  }
  const form = h(
    "form", { class: "card" },
    h("p", {}, `From ${sender}. Released under seal ${item.seal ?? "none"}.`),
    field("Seal number you see (type or scan it)", seal, "Leave empty if the item bears no seal."),
    check,
    h("div", { class: "field checkbox" }, h("label", {}, broken, " The seal is broken, missing or not the one it was released under")),
    field("Where you keep it now", place), field("Condition (optional)", condition),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Review")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    compare();
    const seen = seal.value.trim();
    const intact = !broken.checked && seen === (item.seal ?? "");
    const data = { seal_intact: intact, location: place.value.trim() };
    if (seen) data.seal = seen;
    if (condition.value.trim()) data.condition = condition.value.trim();
    const sealText = seen ? `seal ${seen} ${intact ? "intact" : "broken"}` : intact ? "no seal" : "seal missing";
    const summary = `You, ${session.me.name}, receive ${item.id} from ${sender}; ${sealText}; kept at ${data.location}.`;
    await showReview(session, form, step, { stream: `item/${item.id}`, type: "custody.received", data, summary });
  });
  page.append(form, step);
  return page;
}
