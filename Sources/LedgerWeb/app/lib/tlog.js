// Checking what the server says against the signed log, in the page (FORMAT.md §6.2–§6.5): a C2SP signed-note
// checkpoint verified with the pinned log key, and an RFC 9162 inclusion proof of a record up to its root.

import { base64, concat, equal, fromBase64, hex, sha256, utf8 } from "./bytes.js";
import { verify } from "./ed25519.js";

/** A vkey (`name+keyid+b64(0x01‖key)`) split and checked: its key id must be the one its name and key give. */
export async function parseVKey(vkey) {
  const first = vkey.indexOf("+");
  if (first < 1 || vkey.length < first + 10 || vkey[first + 9] !== "+") throw new Error("not a vkey");
  const name = vkey.slice(0, first);
  const id = vkey.slice(first + 1, first + 9);
  const key = fromBase64(vkey.slice(first + 10));
  if (key.length !== 33 || key[0] !== 0x01) throw new Error("the vkey is not an Ed25519 signed-note key");
  const expected = hex((await sha256(concat(utf8(name + "\n"), key))).subarray(0, 4));
  if (expected !== id) throw new Error("the vkey's key id does not match its name and key");
  return { name, id, keyID: (await sha256(concat(utf8(name + "\n"), key))).subarray(0, 4), publicKey: key.subarray(1) };
}

/**
 * A signed checkpoint note checked with a vkey: returns `{origin, size, root}` when the log's signature lines
 * (every one with its name and key id) verify over the body; throws otherwise.
 */
export async function verifyCheckpoint(note, vkey) {
  const key = await parseVKey(vkey);
  const split = note.indexOf("\n\n");
  if (split < 0) throw new Error("the checkpoint has no signature lines");
  const body = note.slice(0, split + 1);
  const lines = body.split("\n");
  const [origin, sizeText, rootText] = lines;
  if (origin !== key.name) throw new Error(`the checkpoint is of ${origin}, not of ${key.name}`);
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new Error("the checkpoint's size is not a number");
  const root = fromBase64(rootText);
  if (root.length !== 32) throw new Error("the checkpoint's root is not 32 bytes");
  let verified = 0;
  for (const line of note.slice(split + 2).split("\n")) {
    if (line === "") continue;
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match || match[1] !== key.name) continue;
    const bytes = fromBase64(match[2]);
    if (!equal(bytes.subarray(0, 4), key.keyID)) continue;
    if (bytes.length !== 68 || !(await verify(key.publicKey, bytes.subarray(4), utf8(body)))) {
      throw new Error("the checkpoint's log signature does not verify with the pinned log key");
    }
    verified += 1;
  }
  if (verified === 0) throw new Error("the checkpoint is not signed by the pinned log key");
  return { origin, size: Number(sizeText), root };
}

/** RFC 9162 §2.1.3.2: whether `proof` leads from the leaf hash at `index` to `root` in a tree of `size`. */
export async function verifyInclusion(leafHash, index, size, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(Uint8Array.of(1), p, r));
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(concat(Uint8Array.of(1), r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/** The leaf hash of a record: SHA-256(0x00 ‖ record). */
export async function leafHash(record) {
  return sha256(concat(Uint8Array.of(0), record));
}

/**
 * A C2SP tlog-proof (a receipt, or `GET /api/v1/proofs/inclusion`) checked with the pinned vkey: the record (from
 * its `extra` line, or given), its index, the proof and the signed checkpoint. Returns the record's bytes, its
 * seq and the checkpoint's size.
 */
export async function verifyProof(text, vkey, record) {
  const split = text.indexOf("\n\n");
  if (split < 0) throw new Error("the proof has no checkpoint");
  const head = text.slice(0, split).split("\n");
  if (head[0] !== "c2sp.org/tlog-proof@v1") throw new Error("not a c2sp.org/tlog-proof@v1");
  let line = 1;
  let extra;
  if (head[line]?.startsWith("extra ")) extra = fromBase64(head[line++].slice(6));
  const indexMatch = /^index (0|[1-9][0-9]*)$/.exec(head[line++] ?? "");
  if (!indexMatch) throw new Error("the proof has no index line");
  const index = Number(indexMatch[1]);
  const hashes = head.slice(line).map((h) => {
    const bytes = fromBase64(h);
    if (bytes.length !== 32) throw new Error("a proof hash is not 32 bytes");
    return bytes;
  });
  const checkpoint = await verifyCheckpoint(text.slice(split + 2), vkey);
  const bytes = record ?? extra;
  if (!bytes) throw new Error("the proof carries no record");
  const entry = JSON.parse(new TextDecoder().decode(bytes));
  if (entry?.body?.seq !== index + 1) throw new Error(`the record is seq ${entry?.body?.seq}, the proof's index ${index}`);
  if (!(await verifyInclusion(await leafHash(bytes), index, checkpoint.size, hashes, checkpoint.root))) {
    throw new Error("the inclusion proof does not lead to the checkpoint's root");
  }
  return { record: bytes, entry, seq: index + 1, size: checkpoint.size, root: base64(checkpoint.root) };
}

/** RFC 9162 §2.1.4.2: whether `proof` shows the tree of `first` leaves (root `firstRoot`) is a prefix of the tree
 * of `second` leaves (root `secondRoot`). Equal sizes need an empty proof and equal roots; size 0 is refused. */
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
  if (first === 0 || first > second || proof.length === 0) return false;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await sha256(concat(Uint8Array.of(1), c, fr));
      sr = await sha256(concat(Uint8Array.of(1), c, sr));
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = await sha256(concat(Uint8Array.of(1), sr, c));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}

/** The cosignature lines of a checkpoint note other than the log's: witness name and the time it cosigned (C2SP
 * tlog-cosignature/v1: key ID, 8-byte big-endian UNIX time, signature). Not verified here: the witness keys are not
 * pinned in the page. */
export function cosignatures(note, logName) {
  const out = [];
  for (const line of note.slice(note.indexOf("\n\n") + 2).split("\n")) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match || match[1] === logName) continue;
    let bytes;
    try {
      bytes = fromBase64(match[2]);
    } catch {
      continue;
    }
    if (bytes.length !== 76) continue;
    const seconds = new DataView(bytes.buffer, bytes.byteOffset + 4, 8).getBigUint64(0);
    out.push({ name: match[1], time: new Date(Number(seconds) * 1000).toISOString() });
  }
  return out;
}
