// My work: what awaits my receipt, what I hold, what is in transit, what is checked out and overdue.

import { all, getJSON } from "../lib/api.js";
import { h, notice, table } from "../lib/dom.js";
import { describe, pendingLists } from "./cosign.js";

/** A link to an item page. */
export function itemLink(id) {
  return h("a", { href: `#/item/${encodeURIComponent(id)}` }, id);
}

/** "3 h" / "2 d": how long ago a ledger time was. */
export function since(time) {
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(time)) / 60000));
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h`;
  return `${Math.round(minutes / 1440)} d`;
}

/** The items of the person's cases that changed last, newest first, each with its last step (one request). */
async function recentActivity(session) {
  return (await getJSON(session.identity, "/api/v1/activity?limit=10")).activity;
}

export async function homePage(session) {
  if (!session.me) {
    return h("div", {}, h("h1", {}, "My work"), notice("warning", "Your key is not registered yet. ", h("a", { href: "#/key" }, "See my key.")));
  }
  const me = session.me.person;
  const [mine, inTransit, overdue] = await Promise.all([
    all(session.identity, "/api/v1/items", "items", { holder: me }),
    all(session.identity, "/api/v1/items", "items", { view: "in-transit" }),
    all(session.identity, "/api/v1/items", "items", { view: "overdue" }),
  ]);
  const { mine: toCoSign, theirs: waitingOn } = await pendingLists(session);
  const awaiting = inTransit.filter((row) => row.to === me);
  const names = new Map();
  for (const person of new Set(inTransit.flatMap((row) => [row.from, row.to]))) names.set(person, await session.nameOf(person));
  const recent = await recentActivity(session);
  const page = h("div", {}, h("h1", {}, `My work, ${session.me.name}`));
  if (toCoSign.length > 0 || waitingOn.length > 0) {
    page.append(
      h(
        "section", { "aria-labelledby": "cosign", "data-testid": "co-signatures" },
        h("h2", { id: "cosign" }, `Awaiting my co-signature (${toCoSign.length})`),
        toCoSign.length === 0
          ? h("p", {}, "Nothing waits for your co-signature.")
          : h("ul", {}, await Promise.all(toCoSign.map(async (p) => h("li", {}, await describe(session, p.signed.statement), " ",
              h("a", { href: `#/cosign/${encodeURIComponent(p.id)}` }, "Read and co-sign"))))),
        waitingOn.length === 0 ? null : h("h3", {}, `Waiting for a witness's co-signature (${waitingOn.length})`),
        waitingOn.length === 0 ? null : h("ul", {}, await Promise.all(waitingOn.map(async (p) =>
          h("li", {}, `${p.type} on ${p.stream}, for ${await session.nameOfKey(p.co_signer)} (until ${p.expires.slice(0, 16).replace("T", " ")} UTC)`)))),
      ),
    );
  }
  page.append(
    h(
      "section", { "aria-labelledby": "awaiting" },
      h("h2", { id: "awaiting" }, `Awaiting my receipt (${awaiting.length})`),
      awaiting.length === 0
        ? h("p", {}, "Nothing is on its way to you.")
        : table(
            ["Item", "Exhibit", "From", "Since", "Seal", ""],
            awaiting.map((row) => [
              itemLink(row.item.id), row.item.exhibit, names.get(row.from), `${row.since.slice(0, 16).replace("T", " ")} (${since(row.since)})`,
              row.item.seal ?? "none",
              h("a", { href: `#/item/${encodeURIComponent(row.item.id)}/receive` }, "Receive"),
            ]),
            { "data-testid": "awaiting" },
          ),
    ),
    h(
      "section", { "aria-labelledby": "mine" },
      h("h2", { id: "mine" }, `Items I hold (${mine.length})`),
      mine.length === 0
        ? h("p", {}, "You hold no items.")
        : table(
            ["Item", "Case", "Exhibit", "Kind", "Status", "Seal", "Location"],
            mine.map((item) => [
              itemLink(item.id), item.case, item.exhibit, item.kind,
              item.status + (item.pending_to ? ` → ${item.pending_to}` : ""), item.seal ?? "none", item.location,
            ]),
            { "data-testid": "mine" },
          ),
    ),
    h(
      "section", { "aria-labelledby": "transit" },
      h("h2", { id: "transit" }, `In transit (${inTransit.length})`),
      inTransit.length === 0
        ? h("p", {}, "Nothing you may see is in transit.")
        : table(
            ["Item", "From", "To", "Since", "For"],
            inTransit.map((row) => [itemLink(row.item.id), names.get(row.from), names.get(row.to), outSince(row), since(actTime(row))]),
          ),
    ),
    h(
      "section", { "aria-labelledby": "recent" },
      h("h2", { id: "recent" }, "Recent activity in my cases"),
      recent.length === 0
        ? h("p", {}, "Nothing recorded yet.")
        : table(["Item", "Case", "Last step", "By", "Seq"],
            recent.map((row) => [itemLink(row.item), row.case, row.type, row.by, String(row.seq)]),
            { "data-testid": "recent" }),
    ),
    h(
      "section", { "aria-labelledby": "overdue" },
      h("h2", { id: "overdue" }, `Checked out and overdue (${overdue.length})`),
      overdue.length === 0
        ? h("p", {}, "Nothing is overdue.")
        : table(
            ["Item", "Examiner", "Out since", "Due", "Purpose"],
            overdue.map((row) => [itemLink(row.item.id), row.examiner, outSince(row), row.due ?? "", row.purpose ?? ""]),
          ),
    ),
  );
  return page;
}

// When an act happened (a hand-over, a check-out): its own time when it gave one, in UTC as the recorded time is;
// else when it was recorded.
function actTime(row) {
  const act = row.occurred_at ? new Date(row.occurred_at) : null;
  return act && !Number.isNaN(act.getTime()) ? act.toISOString() : row.since;
}

function outSince(row) {
  return actTime(row).slice(0, 16).replace("T", " ");
}
