// The auditor's page: the newest checkpoint checked against the pinned log key, proven consistent with the one this
// browser checked last (the log was only appended to in between), and the witnesses that cosigned it.

import { getJSON, getText } from "../lib/api.js";
import { base64, fromBase64 } from "../lib/bytes.js";
import { h, notice, table } from "../lib/dom.js";
import * as keystore from "../lib/keystore.js";
import { cosignatures, parseVKey, verifyCheckpoint, verifyConsistency } from "../lib/tlog.js";
import { pinnedLogKey } from "./key.js";

export async function auditPage(session) {
  const pinned = await pinnedLogKey(session);
  const note = await getText(session.identity, "/checkpoint");
  const page = h("div", {}, h("h1", {}, "Audit"));
  let checkpoint;
  try {
    checkpoint = await verifyCheckpoint(note, pinned.vkey);
  } catch (error) {
    page.append(notice("error", h("strong", {}, "The server's checkpoint does not verify: "), error.message));
    return page;
  }
  const previous = await keystore.load("audited");
  let consistency;
  if (!previous) {
    consistency = notice("info", `First check in this browser: checkpoint ${checkpoint.size} is kept as the one to compare the next with.`);
  } else if (previous.size > checkpoint.size) {
    consistency = notice("error", `The log shrank: this browser checked size ${previous.size}, the server now shows ${checkpoint.size}.`);
  } else {
    const answer = await getJSON(session.identity, `/api/v1/proofs/consistency?old=${previous.size}&new=${checkpoint.size}`);
    const ok = await verifyConsistency(previous.size, checkpoint.size, fromBase64(previous.root), checkpoint.root,
      answer.proof.map(fromBase64));
    consistency = ok
      ? notice("ok", `Consistent: the log of size ${checkpoint.size} extends the one of size ${previous.size} this browser checked on ${previous.checkedAt.slice(0, 16).replace("T", " ")} UTC; nothing before it was changed or removed.`)
      : notice("error", h("strong", {}, "Inconsistent: "), `the server's proof does not show that size ${checkpoint.size} extends the size ${previous.size} checked before. Report it.`);
    if (!ok) {
      page.append(consistency);
      return page;
    }
  }
  await keystore.save({ size: checkpoint.size, root: base64(checkpoint.root), checkedAt: new Date().toISOString() }, "audited");
  const witnesses = cosignatures(note, (await parseVKey(pinned.vkey)).name);
  page.append(
    h("section", { "aria-labelledby": "checkpoint" },
      h("h2", { id: "checkpoint" }, "The newest checkpoint"),
      notice("ok", `Checkpoint ${checkpoint.size} is signed by the log key pinned in this browser.`),
      consistency,
      h("pre", { class: "mono", "data-testid": "checkpoint" }, note)),
    h("section", { "aria-labelledby": "witnesses" },
      h("h2", { id: "witnesses" }, `Witness cosignatures (${witnesses.length})`),
      witnesses.length === 0
        ? h("p", {}, "No witness has cosigned this checkpoint (yet).")
        : table(["Witness", "Cosigned at (UTC)"], witnesses.map((w) => [w.name, w.time.slice(0, 19).replace("T", " ")])),
      h("p", { class: "hint" }, "Check them with the witnesses' own keys: ledger verify --witness VKEY --witness-quorum N.")),
    await timestampsSection(session),
    h("section", { "aria-labelledby": "full" },
      h("h2", { id: "full" }, "The whole log"),
      h("p", {}, "Auditors verify every entry, signature and custody rule on their own machine:"),
      h("pre", { class: "mono" }, `ledger verify --ledger ${session.info.url} --key YOUR-KEY.pem \\\n    --trust-log-key '${pinned.vkey}'`)),
  );
  return page;
}

/** The RFC 3161 time stamps stored over checkpoints, with the files to check them with `openssl ts -verify`. */
async function timestampsSection(session) {
  const { timestamps } = await getJSON(session.identity, "/api/v1/timestamps");
  const download = (text, name, bytes) => h("a", {
    href: URL.createObjectURL(new Blob([bytes ?? text], { type: "application/octet-stream" })), download: name,
  }, name);
  return h("section", { "aria-labelledby": "timestamps", "data-testid": "timestamps" },
    h("h2", { id: "timestamps" }, `Time stamps (RFC 3161): ${timestamps.length}`),
    timestamps.length === 0
      ? h("p", {}, "No time stamp is stored over any checkpoint.")
      : table(["Checkpoint size", "Time (TSA)", "Checked by the server", "Files"], timestamps.map((t) => [
          String(t.size), t.gen_time ?? "—",
          t.checked ? `yes, against its TSA CA${t.tsa ? ` (${t.tsa})` : ""}` : t.problem ?? "no (the server has no TSA CA): check it yourself",
          [download(null, `checkpoint-${t.size}.tsr`, fromBase64(t.token)), " ", download(t.checkpoint, `checkpoint-${t.size}.txt`)],
        ])),
    h("p", { class: "hint" }, "Check one yourself: openssl ts -verify -in checkpoint-N.tsr -data checkpoint-N.txt -CAfile TSA-CA.pem"));
}
