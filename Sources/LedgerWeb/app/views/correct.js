// Correcting a descriptive fact of an earlier step (entry.corrected): the original stays in the log and on the
// page, with the correction beside it. Who acted, seals, hashes and times are never correctable.

import { getJSON } from "../lib/api.js";
import { field, h, notice } from "../lib/dom.js";
import { showReview } from "./act.js";

/** The correctable fields of item events (docs/EVENTS.md). */
export const CORRECTABLE = {
  "item.seized": ["description", "serial", "imei", "iccid", "device_state", "location", "seized_from", "legal_authority"],
  "item.acquired": ["write_blocker", "notes"],
  "custody.released": ["purpose", "courier", "tracking"],
  "custody.received": ["condition", "location"],
  "custody.release-cancelled": ["reason"],
  "custody.receipt-refused": ["reason"],
  "custody.reassigned": ["reason"],
  "item.sealed": ["reason"],
  "item.unsealed": ["reason"],
  "custody.lost": ["details"],
  "item.checked-out": ["purpose"],
  "item.checked-in": ["location", "condition"],
  "item.stored": ["location"],
  "item.examined": ["summary", "report_reference"],
  "item.disposed": ["recipient_reference", "details"],
};

/** Whether the person may correct a step: they recorded it, or they are a supervisor. */
export function mayCorrect(step, me) {
  return Boolean(CORRECTABLE[step.type]) && (step.by === me.person || me.roles.includes("supervisor"));
}

export async function correctPage(session, id, seq) {
  const item = await getJSON(session.identity, `/api/v1/items/${encodeURIComponent(id)}`);
  const step = (item.custody_chain ?? []).find((row) => row.seq === Number(seq));
  const page = h("div", {}, h("h1", {}, `Correct step ${step?.number ?? "?"} of ${id}`));
  if (!step || !mayCorrect(step, session.me)) {
    page.append(notice("warning", "You may correct only descriptive facts of steps you recorded (supervisors: any step)."));
    return page;
  }
  const fieldSelect = h("select", { name: "field", required: true }, CORRECTABLE[step.type].map((name) => h("option", { value: name }, name)));
  const value = h("textarea", { name: "value", required: true, rows: 2 });
  const reason = h("textarea", { name: "reason", required: true, rows: 2 });
  const out = h("div", {});
  const form = h(
    "form", { class: "card" },
    h("p", {}, `${step.type} of ${step.time.slice(0, 19).replace("T", " ")} UTC (seq ${step.seq}) by ${step.by}. The original stays on record.`),
    field("Field", fieldSelect), field("Corrected text", value), field("Why", reason),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Review")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = { corrects: step.seq, field: fieldSelect.value, value: value.value.trim(), reason: reason.value.trim() };
    await showReview(session, form, out, {
      stream: `item/${id}`, type: "entry.corrected", data,
      summary: `You, ${session.me.name}, correct ${data.field} of step ${step.number} of ${id} to “${data.value}”: “${data.reason}”.`,
    });
  });
  page.append(form, out);
  return page;
}
