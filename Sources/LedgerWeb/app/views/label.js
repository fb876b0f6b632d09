// An item's printable label (made by the server with libzint): a QR code with the item page's address and a Code
// 128 of its id, which a keyboard-wedge scanner types back into the scan field.

import { send } from "../lib/api.js";
import { h } from "../lib/dom.js";

/** An image the server made, shown from a blob (the request must be signed, so no plain `src`). */
async function signedImage(session, path, alt) {
  const response = await send(session.identity, "GET", path);
  const url = URL.createObjectURL(await response.blob());
  return h("img", { src: url, alt, class: "label-image", "data-testid": "label" });
}

export async function labelPage(session, id) {
  const encoded = encodeURIComponent(id);
  const image = await signedImage(session, `/api/v1/items/${encoded}/label?format=svg`, `Exhibit label of ${id}`);
  return h(
    "div", {},
    h("h1", { class: "no-print" }, `Label of ${id}`),
    h("p", { class: "no-print" }, "The QR code opens the item's page on a phone; the barcode holds the item id, which a scanner types into the scan field above."),
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => window.print() }, "Print the label"),
      h("a", { href: `#/item/${encoded}`, class: "button-link secondary" }, "Back to the item")),
    h("div", { class: "label-sheet" }, image),
  );
}
