// Format-2 statements (FORMAT.md §12.2, §12.4, §12.9): built here from a stream's head as the server reports it,
// hashed with RFC 8785, signed with the person's own key.

import { base64, hex, sha256, utf8 } from "./bytes.js";
import { canonicalBytes, canonicalize } from "./jcs.js";
import { sign } from "./ed25519.js";

/** The default time a statement may wait to be sequenced: 24 hours. */
export const DEFAULT_LIFETIME_MS = 24 * 3600 * 1000;

/** A time in the ledger's 24-character UTC form, `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
export function ledgerTime(milliseconds) {
  return new Date(milliseconds).toISOString();
}

/** The statement of the next revision of `position`'s stream. */
export function buildStatement(position, { type, data, actor, signedAt, lifetime, id }) {
  const now = signedAt ?? Date.now();
  const statement = {
    v: 2,
    ledger: position.ledger,
    id: id ?? crypto.randomUUID(),
    stream: position.stream,
    stream_rev: position.rev + 1,
    stream_prev: position.prev,
    type,
    actor,
    signed_at: ledgerTime(now),
    expires: ledgerTime(now + (lifetime ?? DEFAULT_LIFETIME_MS)),
    data,
  };
  if (position.genesis) statement.genesis = position.genesis;
  return statement;
}

/** hex(SHA-256(JCS(statement))). */
export async function statementHash(statement) {
  return hex(await sha256(canonicalBytes(statement)));
}

/** The actor's message: "custody-ledger/v2 statement\n" ‖ hex(statement hash) ‖ "\n". */
export async function actorMessage(statement) {
  return utf8(`custody-ledger/v2 statement\n${await statementHash(statement)}\n`);
}

/** A co-signer's message, with their own signing time. */
export async function coSignatureMessage(statement, signedAt) {
  return utf8(`custody-ledger/v2 co-signature\n${await statementHash(statement)}\n${signedAt}\n`);
}

/** The statement signed by its actor: `{"sigs":[…],"statement":…}`. */
export async function signStatement(statement, privateKey) {
  const sig = base64(await sign(privateKey, await actorMessage(statement)));
  return { sigs: [{ key: statement.actor, sig }], statement };
}

/** A signed statement with a co-signer's signature added (sorted by key, as the format requires). */
export async function coSign(signed, keyID, privateKey, signedAt) {
  const time = ledgerTime(signedAt ?? Date.now());
  const sig = base64(await sign(privateKey, await coSignatureMessage(signed.statement, time)));
  const sigs = [...signed.sigs.filter((s) => s.key !== keyID), { key: keyID, sig, signed_at: time }];
  sigs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { sigs, statement: signed.statement };
}

/** The canonical line a statement file holds (what `POST /api/v1/statements` takes as application/json). */
export function statementLine(signed) {
  return canonicalize(signed);
}
