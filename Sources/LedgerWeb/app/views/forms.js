// The other custody acts on an item, each a small form: check out and in, store, seal and unseal, cancel a
// hand-over, refuse a receipt. Each is built, summarized, signed and recorded like a hand-over (act.js).

import { getJSON } from "../lib/api.js";
import { field, h, notice } from "../lib/dom.js";
import { explain, showReview } from "./act.js";

/** An RFC 3339 timestamp with this browser's offset from a `datetime-local` value ("2024-06-01T14:05"). */
export function timestamp(local) {
  const date = new Date(local);
  if (Number.isNaN(date.getTime())) throw new Error(`${local} is not a date and time`);
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offset) % 60).padStart(2, "0");
  return `${local.length === 16 ? `${local}:00` : local}${sign}${hours}:${minutes}`;
}

const holds = (item, me) => item.holder === me.person;
const handles = (item, me) => item.holder === me.person || item.checked_out_to === me.person;

/** The acts, by the name in their page's address (#/item/ID/act/NAME). */
export const ACTS = {
  "check-out": {
    title: "Check out", type: "item.checked-out",
    allowed: (item, me) => item.status === "in-custody" && holds(item, me),
    fields: [
      { name: "to", label: "Examiner", kind: "person", required: true },
      { name: "purpose", label: "Purpose", kind: "textarea", required: true },
      { name: "due", label: "Due back (optional)", kind: "datetime" },
    ],
    summary: (me, item, data, names) =>
      `You, ${me.name}, check ${item.id} out to ${names.to} for “${data.purpose}”${data.due ? `, due back ${data.due}` : ""}.`,
  },
  "check-in": {
    title: "Check in", type: "item.checked-in",
    allowed: (item, me) => item.status === "checked-out" && handles(item, me),
    fields: [
      { name: "location", label: "Where it is kept now (optional)" },
      { name: "condition", label: "Condition (optional)", kind: "textarea" },
    ],
    summary: (me, item, data) => `You, ${me.name}, check ${item.id} back in${data.location ? ` at ${data.location}` : ""}.`,
  },
  store: {
    title: "Store", type: "item.stored",
    allowed: (item, me) => item.status === "in-custody" && holds(item, me),
    fields: [{ name: "location", label: "Storage location (type or scan it)", required: true }],
    summary: (me, item, data) => `You, ${me.name}, store ${item.id} at ${data.location}.`,
  },
  seal: {
    title: "Seal", type: "item.sealed",
    allowed: (item, me) => ["in-custody", "checked-out"].includes(item.status) && handles(item, me) && !item.seal,
    fields: [
      { name: "seal", label: "Seal number (type or scan it)", required: true },
      { name: "reason", label: "Reason (optional)", kind: "textarea" },
    ],
    summary: (me, item, data) => `You, ${me.name}, seal ${item.id} with seal ${data.seal}.`,
  },
  unseal: {
    title: "Unseal", type: "item.unsealed",
    allowed: (item, me) => ["in-custody", "checked-out"].includes(item.status) && handles(item, me) && !!item.seal,
    fields: [
      { name: "seal", label: "Seal number on the item (type or scan it)", required: true, mustEqual: (item) => item.seal },
      { name: "reason", label: "Reason", kind: "textarea", required: true },
    ],
    summary: (me, item, data) => `You, ${me.name}, break seal ${data.seal} of ${item.id}: “${data.reason}”.`,
  },
  dispose: {
    title: "Dispose", type: "item.disposed",
    allowed: (item, me) => item.status === "in-custody" && holds(item, me),
    fields: [
      { name: "method", label: "How", kind: "select", options: ["returned-to-owner", "destroyed", "released"], required: true },
      { name: "authority", label: "Authority", required: true },
      { name: "recipient_reference", label: "Recipient reference (optional)" },
      { name: "details", label: "Details (optional)", kind: "textarea" },
      { name: "witness_key", label: "Witnessing officer (co-signs on their own device)", kind: "witness" },
    ],
    summary: (me, item, data, names) =>
      `You, ${me.name}, dispose of ${item.id} (${data.method}) under ${data.authority}${data.witness_key ? `, witnessed by ${names.witness_key}` : ""}.`,
  },
  acquire: {
    title: "Record a forensic image", type: "item.acquired",
    allowed: (item, me) => (item.status === "in-custody" && holds(item, me)) || (item.status === "checked-out" && item.checked_out_to === me.person),
    fields: [
      { name: "tool", label: "Imaging tool", required: true },
      { name: "tool_version", label: "Tool version", required: true },
      { name: "write_blocker", label: "Write blocker (optional)" },
      { name: "source_md5", label: "Source MD5 (as the tool reported it; optional)", kind: "hash", bytes: 16 },
      { name: "source_sha1", label: "Source SHA-1 (optional)", kind: "hash", bytes: 20 },
      { name: "source_sha256", label: "Source SHA-256 (optional)", kind: "hash", bytes: 32 },
      { name: "image_name", label: "Image file name", required: true },
      { name: "image_size", label: "Image size in bytes", required: true, kind: "integer" },
      { name: "image_sha256", label: "Image SHA-256", required: true, kind: "hash", bytes: 32 },
      { name: "verified", label: "The verification hash matched", kind: "checkbox" },
      { name: "notes", label: "Notes (optional)", kind: "textarea" },
    ],
    shape: (data) => {
      const sourceHashes = [["md5", data.source_md5], ["sha1", data.source_sha1], ["sha256", data.source_sha256]]
        .filter(([, value]) => value).map(([alg, value]) => ({ alg, value }));
      if (sourceHashes.length === 0) throw new Error("give at least one of the source's hashes, as the imaging tool reported them");
      const out = { tool: data.tool, tool_version: data.tool_version, source_hashes: sourceHashes,
        images: [{ name: data.image_name, size: Number(data.image_size), hashes: [{ alg: "sha256", value: data.image_sha256 }] }],
        verified: data.verified === true };
      if (data.write_blocker) out.write_blocker = data.write_blocker;
      if (data.notes) out.notes = data.notes;
      return out;
    },
    summary: (me, item, data) => `You, ${me.name}, record an image of ${item.id} made with ${data.tool} ${data.tool_version}: ${data.images[0].name}, ${data.images[0].size} bytes${data.verified ? ", verified" : ", NOT verified"}.`,
  },
  "report-lost": {
    title: "Report it lost", type: "custody.lost",
    allowed: (item, me) => item.status === "in-transit" && (holds(item, me) || item.pending_to === me.person || me.roles.includes("supervisor")),
    fields: [{ name: "details", label: "What happened", kind: "textarea", required: true }],
    summary: (me, item, data) => `You, ${me.name}, report ${item.id} lost in transit: “${data.details}”.`,
  },
  reassign: {
    title: "Reassign", type: "custody.reassigned",
    allowed: (item, me) => me.roles.includes("supervisor") && !["disposed", "lost"].includes(item.status),
    fields: [
      { name: "to", label: "New holder or recipient", kind: "person", required: true },
      { name: "reason", label: "Reason", kind: "textarea", required: true },
    ],
    summary: (me, item, data, names) => `You, ${me.name}, reassign ${item.id} to ${names.to}: “${data.reason}”.`,
  },
  "cancel-hand-over": {
    title: "Cancel the hand-over", type: "custody.release-cancelled",
    allowed: (item, me) => item.status === "in-transit" && holds(item, me),
    fields: [{ name: "reason", label: "Reason", kind: "textarea", required: true }],
    summary: (me, item, data) => `You, ${me.name}, cancel the hand-over of ${item.id} to ${item.pending_to}: “${data.reason}”.`,
  },
  "refuse-receipt": {
    title: "Refuse the receipt", type: "custody.receipt-refused",
    allowed: (item, me) => item.status === "in-transit" && item.pending_to === me.person,
    fields: [{ name: "reason", label: "Reason", kind: "textarea", required: true }],
    summary: (me, item, data) => `You, ${me.name}, refuse to receive ${item.id} (it goes back to ${item.holder}): “${data.reason}”.`,
  },
};

/** A choice of witnessing officer: another person, by their active key (what `witness_key` names). */
export function witnessSelect(people, me, name = "witness_key") {
  return h(
    "select", { name },
    h("option", { value: "" }, "No witnessing officer"),
    people
      .filter((person) => person.person !== me)
      .flatMap((person) => {
        const key = person.keys.find((k) => !k.revoked);
        return key ? [h("option", { value: key.key }, `${person.name} (${person.agency}) · ${person.person}`)] : [];
      }),
  );
}

/** The acts the person (`whoami`: person and roles) may do on an item now, for its page's buttons. */
export function actsFor(item, me) {
  return Object.entries(ACTS).filter(([, act]) => act.allowed(item, me));
}

export async function actPage(session, id, name) {
  const act = ACTS[name];
  if (!act) throw new Error(`no such act: ${name}`);
  const item = await getJSON(session.identity, `/api/v1/items/${encodeURIComponent(id)}`);
  const page = h("div", {}, h("h1", {}, `${act.title}: ${item.id}`));
  if (!act.allowed(item, session.me)) {
    page.append(notice("warning", `You cannot do this now: ${item.id} is ${item.status}, held by ${item.holder}.`));
    return page;
  }
  const people = [...(await session.peopleByID()).values()]
    .filter((person) => person.keys.some((key) => !key.revoked))
    .sort((a, b) => a.name.localeCompare(b.name));
  const inputs = {};
  const controls = act.fields.map((spec) => {
    let input;
    if (spec.kind === "select") {
      input = h("select", { name: spec.name, required: spec.required }, spec.options.map((option) => h("option", { value: option }, option)));
    } else if (spec.kind === "witness") {
      input = witnessSelect(people, session.me.person, spec.name);
    } else if (spec.kind === "person") {
      input = h("select", { name: spec.name, required: spec.required }, h("option", { value: "" }, "Choose a person"),
        people.map((person) => h("option", { value: person.person }, `${person.name} (${person.agency}) · ${person.person}`)));
    } else if (spec.kind === "textarea") {
      input = h("textarea", { name: spec.name, required: spec.required, rows: 3 });
    } else if (spec.kind === "checkbox") {
      input = h("input", { type: "checkbox", name: spec.name });
    } else if (spec.kind === "datetime") {
      input = h("input", { type: "datetime-local", name: spec.name, required: spec.required });
    } else {
      input = h("input", { name: spec.name, required: spec.required, autocomplete: "off" });
      // A scanner's Enter moves on instead of sending the form.
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          const next = input.closest("form").querySelectorAll("input, select, textarea, button")[
            [...input.closest("form").querySelectorAll("input, select, textarea, button")].indexOf(input) + 1];
          next?.focus();
        }
      });
    }
    inputs[spec.name] = input;
    return field(spec.label, input);
  });
  const occurred = h("input", { type: "datetime-local", name: "occurred_at" });
  const step = h("div", {});
  const form = h(
    "form", { class: "card" },
    h("p", {}, `${item.kind}, exhibit ${item.exhibit}; seal ${item.seal ?? "none"}; at ${item.location}.`),
    controls,
    field("When it happened, if earlier than now (optional)", occurred, "For an act recorded after the fact, from a paper form."),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Review")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let statement;
    try {
      const data = {};
      const names = {};
      for (const spec of act.fields) {
        if (spec.kind === "checkbox") {
          data[spec.name] = inputs[spec.name].checked;
          continue;
        }
        const value = inputs[spec.name].value.trim();
        if (!value) continue;
        if (spec.kind === "hash" && !new RegExp(`^[0-9a-f]{${spec.bytes * 2}}$`).test(value.toLowerCase())) {
          throw new Error(`${spec.label.replace(/ \(.*/, "")}: ${spec.bytes * 2} hex digits`);
        }
        if (spec.kind === "integer" && !/^(0|[1-9][0-9]{0,15})$/.test(value)) {
          throw new Error(`${spec.label}: a whole number`);
        }
        if (spec.mustEqual && value !== spec.mustEqual(item)) {
          throw new Error(`${spec.label.replace(/ \(.*/, "")}: ${value} is not the one on record (${spec.mustEqual(item)})`);
        }
        data[spec.name] = spec.kind === "datetime" ? timestamp(value) : spec.kind === "hash" ? value.toLowerCase() : value;
        if (spec.kind === "person") names[spec.name] = await session.nameOf(value);
        if (spec.kind === "witness") names[spec.name] = await session.nameOfKey(value);
      }
      const shaped = act.shape ? act.shape(data) : data;
      if (occurred.value) shaped.occurred_at = timestamp(occurred.value);
      statement = { stream: `item/${item.id}`, type: act.type, data: shaped, summary: act.summary(session.me, item, shaped, names) };
    } catch (error) {
      step.replaceChildren(explain(error));
      return;
    }
    await showReview(session, form, step, statement);
  });
  page.append(form, step);
  return page;
}
