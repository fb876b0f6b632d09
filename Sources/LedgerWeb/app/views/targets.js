// Targets: the list with filters, takedown actions, and a CSV import signed in this browser: the server reads and
// normalizes the rows exactly as `ledger target import` does; the page signs one statement per row and submits
// them in batches, showing its progress.

import { ApiError, all, getJSON, queryString, send } from "../lib/api.js";
import { canonicalize } from "../lib/jcs.js";
import { field, h, notice, table } from "../lib/dom.js";
import { buildStatement, signStatement } from "../lib/statement.js";
import { explain, review } from "./act.js";
import { timestamp } from "./forms.js";

const ZERO = "0".repeat(64);
const BATCH = 1000;

export async function targetsPage(session) {
  const cases = await all(session.identity, "/api/v1/cases", "cases");
  const page = h("div", {}, h("h1", {}, "Targets"));
  const caseSelect = h("select", { name: "case" }, h("option", { value: "" }, "All my cases"), cases.map((c) => h("option", { value: c.id }, c.id)));
  const status = h("select", { name: "status" }, ["", "identified", "takedown-requested", "taken-down", "not-actioned", "reappeared", "false-positive"]
    .map((s) => h("option", { value: s }, s || "Any status")));
  const category = h("select", { name: "category" }, ["", "phishing", "ransomware", "infostealer", "malware-c2", "other"]
    .map((s) => h("option", { value: s }, s || "Any category")));
  const country = h("input", { name: "country", maxlength: 2, size: 3, placeholder: "NL" });
  const list = h("div", { "data-testid": "targets" });
  let after;
  async function load(more) {
    const parameters = { limit: "100", after: more ? after : undefined };
    for (const [name, control] of [["case", caseSelect], ["status", status], ["category", category], ["country", country]]) {
      const value = control.value.trim();
      if (value) parameters[name] = name === "country" ? value.toUpperCase() : value;
    }
    try {
      const answer = await getJSON(session.identity, `/api/v1/targets?${queryString(parameters)}`);
      after = answer.next;
      const rows = answer.targets.map((t) => [
        h("a", { href: `#/target/${encodeURIComponent(t.id)}` }, t.id), t.kind, h("span", { class: "mono" }, t.value),
        t.category, t.country, t.status,
      ]);
      const tableNode = table(["Target", "Kind", "Value", "Category", "Country", "Status"], rows);
      if (!more) list.replaceChildren();
      list.append(tableNode);
      moreButton.hidden = !after;
    } catch (error) {
      list.replaceChildren(explain(error));
    }
  }
  const moreButton = h("button", { type: "button", class: "secondary", onclick: () => load(true) }, "Show more");
  const filters = h("form", { class: "card", role: "search" },
    h("div", { class: "actions" }, field("Case", caseSelect), field("Status", status), field("Category", category), field("Country", country)),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter")));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    load(false);
  });
  page.append(importForm(session, cases), filters, list, moreButton);
  await load(false);
  return page;
}

function importForm(session, cases) {
  const caseSelect = h("select", { name: "import-case", required: true }, cases.map((c) => h("option", { value: c.id }, c.id)));
  const file = h("input", { type: "file", name: "csv", accept: ".csv,text/csv", required: true });
  const source = h("input", { name: "source", required: true });
  const progress = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Import progress" });
  const status = h("div", { "aria-live": "polite", "data-testid": "import-status" });
  const form = h(
    "form", { class: "card", "aria-labelledby": "import-title" },
    h("h2", { id: "import-title" }, "Import targets from a CSV file"),
    h("p", { class: "hint" }, "Columns: kind, value, category, country, and optionally hosting_provider, asn, source. Each row becomes a target.identified statement signed here with your key."),
    field("Case", caseSelect), field("CSV file", file), field("Reported by", source, "Who reported the targets, for rows without a source column."),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Read the file")),
    progress, status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren(notice("info", "The server reads and checks the rows…"));
    let prepared;
    try {
      const query = queryString({ case: caseSelect.value, source: source.value.trim() });
      const response = await send(session.identity, "POST", `/api/v1/targets/prepare?${query}`, {
        body: new Uint8Array(await file.files[0].arrayBuffer()), contentType: "text/csv",
      });
      prepared = await response.json();
    } catch (error) {
      status.replaceChildren(error instanceof ApiError
        ? notice("error", h("strong", {}, "Nothing was recorded. "), error.message)
        : explain(error));
      return;
    }
    const count = prepared.targets.length;
    const sign = h("button", { type: "button" }, `Sign and record ${count} targets`);
    status.replaceChildren(
      notice("info", `${count} new targets in case ${caseSelect.value}`,
        prepared.known.length ? `; ${prepared.known.length} rows skipped, the case already has them (${prepared.known.slice(0, 3).join("; ")}${prepared.known.length > 3 ? "; …" : ""})` : "", "."),
      count > 0 ? h("div", { class: "actions" }, sign) : null,
    );
    sign.addEventListener("click", async () => {
      sign.disabled = true;
      await importTargets(session, prepared.targets, progress, status);
    });
  });
  return form;
}

/** Signs every prepared target here and submits them in batches of 1,000, with progress and errors by line. */
export async function importTargets(session, targets, progress, status) {
  const { ledger } = session.info;
  const head = await getJSON(session.identity, `/api/v1/head?stream=${encodeURIComponent(targets[0].stream)}`);
  progress.hidden = false;
  progress.max = targets.length;
  progress.value = 0;
  let recorded = 0;
  const refused = [];
  const started = performance.now();
  for (let start = 0; start < targets.length; start += BATCH) {
    const batch = targets.slice(start, start + BATCH);
    const lines = [];
    for (const target of batch) {
      const statement = buildStatement(
        { ledger, genesis: head.genesis, stream: target.stream, rev: 0, prev: ZERO },
        { type: "target.identified", data: target.data, actor: session.identity.keyID });
      lines.push(canonicalize(await signStatement(statement, session.identity.privateKey)));
    }
    let results;
    try {
      const response = await send(session.identity, "POST", "/api/v1/statements", {
        body: lines.join("\n") + "\n", contentType: "application/jsonl",
      });
      results = (await response.json()).results;
    } catch (error) {
      status.replaceChildren(explain(error), notice("warning", `${recorded} targets were recorded before this; reading the file again skips them.`));
      return;
    }
    results.forEach((result, index) => {
      if (result.status === "refused") refused.push(`line ${batch[index].line}: ${result.problem?.detail ?? "refused"}`);
      else recorded += 1;
    });
    progress.value = Math.min(targets.length, start + batch.length);
    status.replaceChildren(notice("info", `Signed and sent ${progress.value} of ${targets.length}; ${recorded} recorded.`));
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  status.replaceChildren(
    refused.length === 0
      ? notice("ok", `Recorded ${recorded} targets in ${seconds} s.`)
      : notice("warning", `Recorded ${recorded} targets in ${seconds} s; ${refused.length} refused:`,
          h("ul", {}, refused.slice(0, 50).map((text) => h("li", {}, text))),
          refused.length > 50 ? `and ${refused.length - 50} more.` : null),
  );
}

const TAKEDOWN = {
  "takedown.requested": {
    title: "Request a takedown",
    fields: [["recipient", "Recipient (hosting provider, registrar)", "text", true], ["legal_instrument", "Legal instrument (its reference)", "text", true]],
  },
  "takedown.confirmed": {
    title: "Confirm the takedown",
    fields: [["method", "How", ["suspended", "null-routed", "sinkholed", "domain-hold", "seized"], true],
      ["occurred_at", "When", "datetime", true], ["reference", "Reference (optional)", "text", false]],
  },
  "takedown.not-actioned": {
    title: "Record it not actioned",
    fields: [["reason", "Why", ["jurisdiction", "shared-hosting", "no-response", "other"], true], ["details", "Details (optional)", "text", false]],
  },
};

export async function targetPage(session, id) {
  const target = await getJSON(session.identity, `/api/v1/targets/${encodeURIComponent(id)}`);
  const page = h("div", {}, h("h1", {}, `Target ${id}`));
  page.append(h("section", {}, h("dl", { class: "facts" },
    ...[["Case", target.case], ["Kind", target.kind], ["Value", target.value], ["Category", target.category],
      ["Country", target.country], ["Status", target.status], ["Hosting provider", target.hosting_provider], ["ASN", target.asn],
      ["Source", target.source]].flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value ?? "—")]))));
  const step = h("div", {});
  for (const [type, spec] of Object.entries(TAKEDOWN)) {
    const inputs = {};
    const controls = spec.fields.map(([name, label, kind, required]) => {
      const input = Array.isArray(kind)
        ? h("select", { name, required }, kind.map((option) => h("option", { value: option }, option)))
        : h("input", { name, required, type: kind === "datetime" ? "datetime-local" : "text" });
      inputs[name] = [input, kind];
      return field(label, input);
    });
    const form = h("form", { class: "card" }, h("h2", {}, spec.title), controls, h("div", { class: "actions" }, h("button", { type: "submit" }, "Review")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = {};
      for (const [name, [input, kind]] of Object.entries(inputs)) {
        if (input.value.trim()) data[name] = kind === "datetime" ? timestamp(input.value) : input.value.trim();
      }
      try {
        step.replaceChildren(await review(session, {
          stream: `target/${id}`, type, data,
          summary: `You, ${session.me.name}: ${spec.title.toLowerCase()} for ${target.kind} ${target.value} (${Object.values(data).join(", ")}).`,
          back: () => step.replaceChildren(),
        }));
        step.scrollIntoView();
      } catch (error) {
        step.replaceChildren(explain(error));
      }
    });
    page.append(form);
  }
  page.append(step);
  return page;
}
