// Cases: the operation's figures with a chart, and its court bundle, exported by the server and downloaded here.

import { all, getJSON, send } from "../lib/api.js";
import { h, notice, table } from "../lib/dom.js";
import { explain } from "./act.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** A horizontal bar chart of targets identified and taken down, by category (drawn with SVG elements, no script). */
export function targetsChart(byCategory) {
  const rows = Object.entries(byCategory);
  const max = Math.max(1, ...rows.map(([, c]) => c.identified));
  const width = 640;
  const rowHeight = 46;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowHeight + 30}`, role: "img", class: "chart",
    "aria-label": "Targets identified and taken down by category: " + rows.map(([name, c]) => `${name} ${c.taken_down} of ${c.identified}`).join("; ") });
  rows.forEach(([name, counts], index) => {
    const y = index * rowHeight + 10;
    const scale = (value) => Math.round(((width - 190) * value) / max);
    chart.append(
      svg("text", { x: 0, y: y + 17, "font-size": 14 }, name),
      svg("rect", { x: 120, y, width: scale(counts.identified), height: 14, fill: "#9db8d9" }),
      svg("rect", { x: 120, y: y + 16, width: scale(counts.taken_down), height: 14, fill: "#0b4f9c" }),
      svg("text", { x: 126 + scale(counts.identified), y: y + 12, "font-size": 12 }, String(counts.identified)),
      svg("text", { x: 126 + scale(counts.taken_down), y: y + 28, "font-size": 12 }, String(counts.taken_down)),
    );
  });
  return h("figure", {}, chart, h("figcaption", { class: "hint" }, "Light: identified; dark: taken down."));
}

export async function casesPage(session) {
  const cases = await all(session.identity, "/api/v1/cases", "cases");
  return h(
    "div", {}, h("h1", {}, "Cases"),
    cases.length === 0
      ? notice("info", "No case you may read.")
      : table(["Case", "Title", "Status", "Agencies"], cases.map((c) => [
          h("a", { href: `#/case/${encodeURIComponent(c.id)}` }, c.id), c.title, c.status, (c.agencies ?? []).join(", "),
        ])),
  );
}

export async function casePage(session, id) {
  const record = await getJSON(session.identity, `/api/v1/cases/${encodeURIComponent(id)}`);
  const stats = record.stats;
  const targets = stats.targets ?? {};
  const exportResult = h("div", { "aria-live": "polite", "data-testid": "export" });
  const exportButton = h("button", { type: "button" }, "Export the court bundle");
  exportButton.addEventListener("click", async () => {
    exportButton.disabled = true;
    exportResult.replaceChildren(notice("info", "The server is making the bundle (signed by its log key)…"));
    try {
      const response = await send(session.identity, "POST", "/api/v1/exports", {
        body: JSON.stringify({ case: id }), contentType: "application/json",
      });
      const blob = await response.blob();
      const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "")?.[1] ?? `bundle-${id}.tar`;
      exportResult.replaceChildren(
        notice("ok", `The bundle is ready (${Math.round(blob.size / 1024)} KiB): `,
          h("a", { href: URL.createObjectURL(blob), download: name }, `download ${name}`),
          ". Unpack it (tar -xf) and check it with ledger verify-bundle and the log key you trust."),
      );
    } catch (error) {
      exportResult.replaceChildren(explain(error));
    } finally {
      exportButton.disabled = false;
    }
  });
  const percent = targets.taken_down_percent_of_identified;
  return h(
    "div", {},
    h("h1", {}, `${record.id}: ${record.title}`),
    h("p", {}, `${record.status}; agencies ${(record.agencies ?? []).join(", ")}; opened ${record.opened_at}.`),
    h(
      "section", { "aria-labelledby": "figures" },
      h("h2", { id: "figures" }, "The operation's figures"),
      h("dl", { class: "facts", "data-testid": "figures" },
        h("dt", {}, "Targets identified"), h("dd", {}, String(targets.identified ?? 0)),
        h("dt", {}, "Taken down"), h("dd", {}, `${targets.taken_down ?? 0}${percent ? ` (${percent}%)` : ""}`),
        h("dt", {}, "Not actioned"), h("dd", {}, String(targets.not_actioned ?? 0)),
        h("dt", {}, "Servers seized"), h("dd", {}, String(stats.servers_seized ?? 0)),
        h("dt", {}, "Devices seized"), h("dd", {}, String(stats.devices_seized ?? 0)),
        h("dt", {}, "Items"), h("dd", {}, Object.entries(stats.items_by_status ?? {}).map(([s, n]) => `${s} ${n}`).join(", ") || "none"),
      ),
      targets.by_category && Object.keys(targets.by_category).length > 0 ? targetsChart(targets.by_category) : null,
    ),
    h("section", { "aria-labelledby": "bundle" },
      h("h2", { id: "bundle" }, "Court bundle"),
      h("p", {}, "The case's entries with their proofs, a report, the targets as CSV and the chain as CASE/UCO: verifiable offline by a court."),
      h("div", { class: "actions" }, exportButton), exportResult),
  );
}
