// The evidence staff's web interface: a page per daily move, each action signed in this browser (docs/WEB.md).

import { ApiError, all, getJSON, info, onOffline } from "./lib/api.js";
import { h, notice, replace } from "./lib/dom.js";
import * as keystore from "./lib/keystore.js";
import { adminPage } from "./views/admin.js";
import { auditPage } from "./views/audit.js";
import { homePage } from "./views/home.js";
import { itemPage } from "./views/item.js";
import { keyPage } from "./views/key.js";
import { labelPage, labelsPage } from "./views/label.js";
import { receivePage, transferPage } from "./views/act.js";
import { casePage, casesPage } from "./views/cases.js";
import { cosignPage } from "./views/cosign.js";
import { correctPage } from "./views/correct.js";
import { actPage } from "./views/forms.js";
import { seizePage } from "./views/seize.js";
import { targetPage, targetsPage } from "./views/targets.js";

/** What every page knows: the server, the person's key and who the server says they are. */
export const session = {
  info: undefined,
  identity: undefined,
  me: undefined,
  people: undefined,
  /** People by person id, read once per page load (officers name recipients from it). */
  async peopleByID() {
    if (!this.people) {
      const people = await all(this.identity, "/api/v1/people", "people");
      this.people = new Map(people.map((person) => [person.person, person]));
    }
    return this.people;
  },
  /** The name and agency of a key's holder, or the key id's start when unknown. */
  async nameOfKey(keyID) {
    for (const person of (await this.peopleByID()).values()) {
      if (person.keys.some((key) => key.key === keyID)) return `${person.name} (${person.agency})`;
    }
    return `key ${keyID.slice(0, 12)}…`;
  },
  /** A person's name and agency for display: "Carol Visser (NCA)", or the id when unknown. */
  async nameOf(person) {
    const known = (await this.peopleByID()).get(person);
    return known ? `${known.name} (${known.agency})` : person;
  },
};

const routes = [
  [/^#\/?$/, () => homePage(session)],
  [/^#\/key$/, () => keyPage(session, refreshIdentity)],
  [/^#\/item\/([^/]+)$/, (id) => itemPage(session, decodeURIComponent(id))],
  [/^#\/item\/([^/]+)\/transfer$/, (id) => transferPage(session, decodeURIComponent(id))],
  [/^#\/item\/([^/]+)\/receive$/, (id) => receivePage(session, decodeURIComponent(id))],
  [/^#\/item\/([^/]+)\/correct\/(\d+)$/, (id, seq) => correctPage(session, decodeURIComponent(id), seq)],
  [/^#\/item\/([^/]+)\/label$/, (id) => labelPage(session, decodeURIComponent(id))],
  [/^#\/item\/([^/]+)\/act\/([a-z-]+)$/, (id, act) => actPage(session, decodeURIComponent(id), act)],
  [/^#\/seize$/, () => seizePage(session)],
  [/^#\/cases$/, () => casesPage(session)],
  [/^#\/labels$/, () => labelsPage(session)],
  [/^#\/targets$/, () => targetsPage(session)],
  [/^#\/target\/([^/]+)$/, (id) => targetPage(session, decodeURIComponent(id))],
  [/^#\/case\/([^/]+)$/, (id) => casePage(session, decodeURIComponent(id))],
  [/^#\/cosign\/([^/]+)$/, (id) => cosignPage(session, decodeURIComponent(id))],
  [/^#\/admin$/, () => adminPage(session)],
  [/^#\/audit$/, () => auditPage(session)],
];

async function refreshIdentity() {
  session.identity = await keystore.load();
  session.me = undefined;
  session.people = undefined;
  if (session.identity) {
    try {
      session.me = await getJSON(session.identity, "/api/v1/whoami");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
  }
  renderChrome();
}

function renderChrome() {
  const links = [["#/", "My work"], ["#/seize", "Seize"], ["#/cases", "Cases"], ["#/targets", "Targets"], ["#/labels", "Labels"], ["#/audit", "Audit"], ["#/key", "My key"]];
  if (session.me?.roles.includes("admin")) links.push(["#/admin", "Key requests"]);
  const here = location.hash || "#/";
  replace(
    document.getElementById("nav"),
    links.map(([href, label]) => h("li", {}, h("a", { href, "aria-current": here === href ? "page" : undefined }, label))),
  );
  replace(
    document.getElementById("who"),
    session.me
      ? `${session.me.name} · ${session.me.agency} · ${session.me.roles.join(", ")}`
      : session.identity ? "key not registered yet" : "no key in this browser",
  );
  if (session.info) replace(document.getElementById("ledger-info"), `Ledger ${session.info.ledger}`);
}

let rendering = 0;

async function route() {
  const main = document.getElementById("main");
  const hash = location.hash || "#/";
  // Only the newest navigation renders: a page still loading when the person moves on is dropped.
  const mine = ++rendering;
  if (!session.identity && !hash.startsWith("#/key")) {
    location.replace("#/key");
    return;
  }
  // A key waiting for its registration: ask again on every page, so that an approval shows without a reload.
  if (session.identity && !session.me) {
    try {
      await refreshIdentity();
    } catch {
      // Unreachable server: the page says so itself.
    }
  }
  renderChrome();
  document.getElementById("offline").hidden = true;
  for (const [pattern, page] of routes) {
    const match = pattern.exec(hash);
    if (!match) continue;
    replace(main, h("p", { class: "loading" }, "Loading…"));
    let content;
    try {
      content = await page(...match.slice(1));
    } catch (error) {
      content = [h("h1", {}, "Something went wrong"), notice("error", error.message)];
    }
    if (mine !== rendering) return;
    replace(main, content);
    main.focus();
    return;
  }
  replace(main, h("h1", {}, "Not found"), h("p", {}, "There is no such page. ", h("a", { href: "#/" }, "Go to my work.")));
}

// A keyboard-wedge scanner types a code and Enter into the focused field: an item id opens the item.
document.getElementById("scan").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("scan-input");
  const code = input.value.trim();
  input.value = "";
  if (code) location.hash = `#/item/${encodeURIComponent(itemIDFromCode(code))}`;
});

/** The item id a scanned code names: the id itself, or the `item` of a label's URL. */
export function itemIDFromCode(code) {
  const match = /[#/]item\/([^/?#\s]+)/.exec(code);
  return match ? decodeURIComponent(match[1]) : code;
}

onOffline((date) => {
  const banner = document.getElementById("offline");
  banner.textContent = `Offline: the server cannot be reached. This shows what this device read earlier (${date}); nothing can be signed until it is back.`;
  banner.hidden = false;
});

window.addEventListener("hashchange", route);
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
  navigator.serviceWorker.ready.then((registration) => {
    const files = performance.getEntriesByType("resource").map((entry) => entry.name)
      .filter((url) => url.startsWith(`${location.origin}/app/`));
    registration.active?.postMessage({ keep: ["/", "/api/v1/info", ...new Set(files)] });
  });
}
(async () => {
  try {
    session.info = await info();
    await refreshIdentity();
  } catch (error) {
    replace(document.getElementById("main"), notice("error", `The server cannot be reached: ${error.message}`));
    return;
  }
  await route();
})();

export { refreshIdentity, route };
