// Seizing an item: its facts, where it was taken and on what authority, its seal, and photos hashed in this
// browser with WebCrypto (the files are not uploaded: only their SHA-256 goes into the signed statement).

import { all, getJSON } from "../lib/api.js";
import { hex, sha256 } from "../lib/bytes.js";
import { field, h, notice, table } from "../lib/dom.js";
import { explain, showReview } from "./act.js";
import { timestamp, witnessSelect } from "./forms.js";

const KINDS = ["laptop", "phone", "hard-disk", "server", "storage-media", "other"];

export async function seizePage(session) {
  const cases = (await all(session.identity, "/api/v1/cases", "cases")).filter((c) => c.status !== "closed");
  const page = h("div", {}, h("h1", {}, "Seize an item"));
  if (cases.length === 0) {
    page.append(notice("warning", "No open case you may record in."));
    return page;
  }
  const input = (name, attributes = {}) => h("input", { name, autocomplete: "off", ...attributes });
  const caseSelect = h("select", { name: "case", required: true }, cases.map((c) => h("option", { value: c.id }, `${c.id} · ${c.title ?? ""}`)));
  const id = input("id", { required: true, pattern: "[A-Za-z0-9._\\-]{1,64}" });
  const exhibit = input("exhibit", { required: true, maxlength: 64 });
  const kind = h("select", { name: "kind", required: true }, KINDS.map((k) => h("option", { value: k }, k)));
  const description = h("textarea", { name: "description", required: true, rows: 3 });
  const serial = input("serial");
  const imei = input("imei");
  const state = input("device_state");
  const seal = input("seal");
  const location = input("location", { required: true });
  const from = input("seized_from", { required: true });
  const authority = input("legal_authority", { required: true });
  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const when = h("input", { type: "datetime-local", name: "occurred_at", required: true, value: now });
  const people = [...(await session.peopleByID()).values()].sort((a, b) => a.name.localeCompare(b.name));
  const witness = witnessSelect(people, session.me.person);
  const photos = h("input", { type: "file", name: "photos", multiple: true, accept: "image/*" });
  const hashed = h("div", { "aria-live": "polite", "data-testid": "photo-hashes" });
  let photoHashes = [];
  photos.addEventListener("change", async () => {
    hashed.replaceChildren(notice("info", "Hashing the photos in this browser…"));
    photoHashes = [];
    const rows = [];
    for (const file of photos.files) {
      const digest = hex(await sha256(new Uint8Array(await file.arrayBuffer())));
      photoHashes.push([{ alg: "sha256", value: digest }]);
      rows.push([file.name, String(file.size), h("span", { class: "mono" }, digest)]);
    }
    hashed.replaceChildren(
      table(["Photo", "Bytes", "SHA-256"], rows),
      h("p", { class: "hint" }, "Only these hashes are recorded; the photos stay on this device."),
    );
  });
  const step = h("div", {});
  const form = h(
    "form", { class: "card" },
    h("div", { class: "grid" },
      h("div", {}, field("Case", caseSelect), field("Item id", id, "A new id, e.g. EV-0104"), field("Exhibit number", exhibit),
        field("Kind", kind), field("Description", description)),
      h("div", {}, field("Serial number (optional)", serial), field("IMEI (optional)", imei),
        field("Device state (optional)", state, "e.g. powered off, in Faraday bag"), field("Seal number (optional)", seal))),
    h("div", { class: "grid" },
      h("div", {}, field("Seized from", from, "Where: a case-file reference, not a private address"),
        field("Legal authority", authority, "e.g. the warrant's reference")),
      h("div", {}, field("Kept now at", location), field("When it was seized", when),
        field("Witnessing officer (optional)", witness, "They co-sign on their own device before it is recorded."))),
    field("Photos (optional)", photos, "Hashed here with SHA-256; the files are not uploaded."),
    hashed,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Review")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let statement;
    try {
      const data = {
        case: caseSelect.value, exhibit: exhibit.value.trim(), kind: kind.value, description: description.value.trim(),
        location: location.value.trim(), occurred_at: timestamp(when.value), seized_from: from.value.trim(),
        legal_authority: authority.value.trim(),
      };
      for (const [name, control] of [["serial", serial], ["imei", imei], ["device_state", state], ["seal", seal]]) {
        if (control.value.trim()) data[name] = control.value.trim();
      }
      if (photoHashes.length > 0) data.photos = photoHashes;
      if (witness.value) data.witness_key = witness.value;
      const itemID = id.value.trim();
      const summary = `You, ${session.me.name}, seize ${itemID} (${data.kind}, exhibit ${data.exhibit}) for case ${data.case} from ${data.seized_from} under ${data.legal_authority}; seal ${data.seal ?? "none"}${photoHashes.length ? `; ${photoHashes.length} photo hashes` : ""}${data.witness_key ? `; witnessed by ${await session.nameOfKey(data.witness_key)}` : ""}.`;
      statement = { stream: `item/${itemID}`, type: "item.seized", data, summary };
    } catch (error) {
      step.replaceChildren(explain(error));
      return;
    }
    await showReview(session, form, step, statement);
  });
  page.append(form, step);
  return page;
}

