// An item's printable label (made by the server with libzint): a QR code with the item page's address and a Code
// 128 of its id, which a keyboard-wedge scanner types back into the scan field.

import { queryString, send } from "../lib/api.js";
import { field, h } from "../lib/dom.js";

/** An image the server made, shown from a blob (the request must be signed, so no plain `src`). */
async function signedImage(session, path, alt) {
  const response = await send(session.identity, "GET", path);
  const url = URL.createObjectURL(await response.blob());
  return h("img", { src: url, alt, class: "label-image", "data-testid": "label" });
}

/** Seal and storage-location labels, made by the server from a typed or scanned number or place. */
export async function labelsPage(session) {
  const kind = h("select", { name: "kind" }, h("option", { value: "seal" }, "Seal"), h("option", { value: "location" }, "Storage location"));
  const text = h("input", { name: "text", required: true, maxlength: 200, autocomplete: "off" });
  const sheet = h("div", { class: "label-sheet", hidden: true });
  const form = h("form", { class: "card no-print" },
    field("Label for", kind), field("Seal number or place (type or scan it)", text),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Make the label")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = queryString({ [kind.value]: text.value.trim(), format: "svg" });
    sheet.replaceChildren(await signedImage(session, `/api/v1/labels?${query}`, `${kind.value} label ${text.value.trim()}`));
    sheet.hidden = false;
  });
  return h("div", {}, h("h1", { class: "no-print" }, "Seal and location labels"), form,
    h("div", { class: "actions" }, h("button", { type: "button", onclick: () => window.print() }, "Print the label")), sheet);
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
