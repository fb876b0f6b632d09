// An item: its facts, corrections beside the original, the custody chain as the paper form lists it, and the
// proof, checked in this browser, that every row shown is in the signed log.

import { getJSON, getText, records } from "../lib/api.js";
import { h, notice, table } from "../lib/dom.js";
import { verifyProof } from "../lib/tlog.js";
import { mayCorrect } from "./correct.js";
import { actsFor } from "./forms.js";
import { timeline } from "./timeline.js";
import { pinnedLogKey } from "./key.js";

const STEP_NAMES = {
  "item.seized": "seized", "item.acquired": "forensic image made", "custody.released": "handed over",
  "custody.received": "received", "custody.release-cancelled": "hand-over cancelled",
  "custody.receipt-refused": "receipt refused", "item.checked-out": "checked out", "item.checked-in": "checked in",
  "item.stored": "stored", "item.sealed": "sealed", "item.unsealed": "unsealed", "item.disposed": "disposed",
  "entry.corrected": "corrected", "custody.lost": "reported lost", "custody.reassigned": "reassigned",
  "item.examined": "examined", "note.added": "note",
};

/** The details of a step as the form prints them: "to bob · seal S-1 broken · location Safe 2". */
function detailsText(type, details) {
  const parts = [];
  if (details.to) parts.push(`to ${details.to}`);
  if (details.purpose) parts.push(details.purpose);
  if (details.seal !== undefined) {
    const state = details.seal_intact === false ? " BROKEN" : details.seal_intact === true ? " intact" : "";
    parts.push(`seal ${details.seal ?? "none"}${state}`);
  } else if (details.seal_intact === false) parts.push("seal BROKEN");
  if (details.location) parts.push(`at ${details.location}`);
  if (details.condition) parts.push(`condition: ${details.condition}`);
  if (details.occurred_at) parts.push(`done ${details.occurred_at}`);
  if (details.text) parts.push(details.text);
  return parts.join(" · ") || (STEP_NAMES[type] ? "" : type);
}

/**
 * Checks the rows the server showed against the item's records, each proven in the log by an inclusion proof up
 * to a checkpoint the pinned log key signed. Returns `{size, problems: [text], verifiedRows: Set<seq>}`.
 */
export async function checkChain(session, id, steps, vkey) {
  const bytes = await records(session.identity, `item/${id}`);
  const bySeq = new Map();
  const problems = [];
  const keyOwner = new Map();
  for (const person of (await session.peopleByID()).values()) for (const key of person.keys) keyOwner.set(key.key, person.person);
  let size = 0;
  await Promise.all(
    bytes.map(async (record) => {
      const entry = JSON.parse(new TextDecoder().decode(record));
      const seq = entry.body.seq;
      const proof = await getText(session.identity, `/api/v1/proofs/inclusion?seq=${seq}`);
      try {
        const checked = await verifyProof(proof, vkey, record);
        size = Math.max(size, checked.size);
        bySeq.set(seq, entry);
      } catch (error) {
        problems.push(`seq ${seq}: ${error.message}`);
      }
    }),
  );
  const verifiedRows = new Set();
  for (const step of steps) {
    const entry = bySeq.get(step.seq);
    if (!entry) {
      problems.push(`row ${step.number} (seq ${step.seq}) is not among the item's proven records`);
      continue;
    }
    const statement = entry.body.statement ?? entry.body;
    const data = statement.data ?? {};
    const differences = [];
    if (entry.body.time !== step.time) differences.push(`time ${step.time} is ${entry.body.time} in the log`);
    if (statement.type !== step.type) differences.push(`type ${step.type} is ${statement.type} in the log`);
    const actor = keyOwner.get(statement.actor);
    if (actor && actor !== step.by) differences.push(`by ${step.by} is ${actor} in the log`);
    for (const name of ["to", "purpose", "location", "seal", "seal_intact", "condition"]) {
      if (name in data && name in step.details && JSON.stringify(data[name]) !== JSON.stringify(step.details[name])) {
        differences.push(`${name} ${JSON.stringify(step.details[name])} is ${JSON.stringify(data[name])} in the log`);
      }
    }
    if (differences.length > 0) problems.push(`row ${step.number} (seq ${step.seq}) differs from the signed log: ${differences.join("; ")}`);
    else verifiedRows.add(step.seq);
  }
  return { size, problems, verifiedRows, entries: bySeq };
}

export async function itemPage(session, id) {
  const answer = await getJSON(session.identity, `/api/v1/items/${encodeURIComponent(id)}`);
  const steps = answer.custody_chain ?? [];
  const me = session.me?.person;
  const page = h("div", {}, h("h1", {}, `Item ${answer.id}`, " ", h("span", { class: "badge" }, answer.status)));
  const actions = h("div", { class: "actions" });
  if (answer.status === "in-custody" && answer.holder === me) {
    actions.append(h("a", { href: `#/item/${encodeURIComponent(id)}/transfer`, class: "button-link" }, "Hand over"));
  }
  if (answer.status === "in-transit" && answer.pending_to === me) {
    actions.append(h("a", { href: `#/item/${encodeURIComponent(id)}/receive`, class: "button-link" }, "Receive"));
  }
  for (const [name, act] of session.me ? actsFor(answer, session.me) : []) {
    actions.append(h("a", { href: `#/item/${encodeURIComponent(id)}/act/${name}`, class: "button-link secondary" }, act.title));
  }
  actions.append(h("a", { href: `#/item/${encodeURIComponent(id)}/label`, class: "button-link secondary" }, "Label"));
  actions.append(h("button", { type: "button", class: "secondary", onclick: () => window.print() }, "Print this page"));
  page.append(actions);
  const holder = answer.status === "in-transit" ? `${await session.nameOf(answer.holder)}, in transit to ${await session.nameOf(answer.pending_to)}` : await session.nameOf(answer.holder);
  const corrected = new Map();
  for (const correction of answer.corrections ?? []) corrected.set(correction.field, correction);
  const fact = (label, name, value) => {
    const correction = corrected.get(name);
    return [
      h("dt", {}, label),
      correction
        ? h("dd", {}, correction.value, h("span", { class: "hint" }, ` (corrected at seq ${correction.seq} by ${correction.by}: ${correction.reason}; originally “${value ?? "—"}”)`))
        : h("dd", {}, value ?? "—"),
    ];
  };
  page.append(
    h(
      "section", { "aria-labelledby": "facts" },
      h("h2", { id: "facts" }, "Facts"),
      h(
        "dl", { class: "facts" },
        fact("Case", "case", answer.case), fact("Exhibit", "exhibit", answer.exhibit), fact("Kind", "kind", answer.kind),
        fact("Description", "description", answer.description), fact("Serial", "serial", answer.serial),
        fact("IMEI", "imei", answer.imei), fact("Held by", "holder", holder), fact("Location", "location", answer.location),
        fact("Seal", "seal", (answer.seal ?? "none") + (answer.seal_incident ? " (a seal was found broken)" : "")),
        fact("Seized", "seized_at", answer.seized_at),
      ),
    ),
  );
  const acquisitions = answer.acquisitions ?? [];
  if (acquisitions.length > 0) {
    page.append(
      h("section", { "aria-labelledby": "hashes" },
        h("h2", { id: "hashes" }, "Forensic images and their hashes"),
        table(["Seq", "Tool", "Image", "Bytes", "SHA-256", "Verified"],
          acquisitions.flatMap((a) => (a.images ?? []).map((image) => [
            String(a.seq), a.tool, image.name, String(image.size), h("span", { class: "mono" }, image.sha256 ?? ""),
            a.verified ? "yes" : "NO",
          ])), { "data-testid": "hashes" })),
    );
  }
  const verdict = h("div", { "aria-live": "polite", "data-testid": "verdict" }, notice("info", "Checking every row against the signed log…"));
  const rows = steps.map((step) => [
    String(step.number), step.time.slice(0, 19).replace("T", " "), STEP_NAMES[step.type] ?? step.type,
    `${step.by} (${step.by_agency})`,
    [detailsText(step.type, step.details ?? {}), session.me && mayCorrect(step, session.me)
      ? [" ", h("a", { href: `#/item/${encodeURIComponent(id)}/correct/${step.seq}`, class: "hint" }, "correct")] : null],
    h("span", { "data-seq": step.seq, class: "badge" }, "…"),
  ]);
  page.append(
    h(
      "section", { "aria-labelledby": "chain" },
      h("h2", { id: "chain" }, "Chain of custody"),
      verdict,
      h("div", { class: "table-wrap" }, table(["#", "Recorded (UTC)", "Step", "By", "Details", "In the log"], rows, { "data-testid": "chain" })),
      steps.length > 0 ? h("figure", {}, timeline(steps), h("figcaption", { class: "hint" }, "Drawn to scale, by who acted: a dashed band is a hand-over in transit.")) : null,
    ),
  );
  const pinned = await pinnedLogKey(session);
  const photos = h("div", { "data-testid": "photos" });
  page.append(photos);
  checkChain(session, id, steps, pinned.vkey)
    .then(({ size, problems, verifiedRows, entries }) => {
      const seized = [...entries.values()].find((entry) => (entry.body.statement ?? entry.body).type === "item.seized");
      const list = (seized?.body.statement ?? seized?.body)?.data?.photos ?? [];
      if (list.length > 0) {
        photos.replaceChildren(h("section", { "aria-labelledby": "photos-title" },
          h("h2", { id: "photos-title" }, `Photos at the seizure (${list.length})`),
          h("p", { class: "hint" }, "Their SHA-256, from the seizure's record (proven above): compare with the photo files."),
          h("ul", {}, list.map((hashes) => h("li", { class: "mono" }, hashes.map((x) => `${x.alg} ${x.value}`).join(", "))))));
      }
      for (const badge of page.querySelectorAll("[data-seq]")) {
        const ok = verifiedRows.has(Number(badge.dataset.seq));
        badge.textContent = ok ? "proven" : "NOT PROVEN";
        badge.className = ok ? "badge ok" : "badge bad";
      }
      verdict.replaceChildren(
        problems.length === 0
          ? notice("ok", `Verified against checkpoint ${size}: every row above is in the signed log (log key pinned in this browser).`)
          : notice("error", h("strong", {}, "What the server shows does not match the signed log. "), h("ul", {}, problems.map((p) => h("li", {}, p)))),
      );
    })
    .catch((error) => verdict.replaceChildren(notice("error", `The check could not be made: ${error.message}`)));
  return page;
}
