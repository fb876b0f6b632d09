// Ed25519 through WebCrypto, with the format's public-key rules applied here (FORMAT.md §3.2): a key must be
// canonically encoded (y < p) and must not be a point of small order. The browser's own verify does not check
// this: for the identity key it accepts the trivial forgery, a signature that verifies for every message.

import { hex, sha256 } from "./bytes.js";

// The y coordinates (little-endian, sign bit cleared) of the points of small order, and the non-canonical
// encodings of 0 and 1 (y = p, p + 1): y = 0, 1, p − 1, ±y8, p, p + 1.
const ones = "ff".repeat(30);
const SMALL_ORDER_Y = [
  "00".repeat(32),
  "01" + "00".repeat(31),
  "ec" + ones + "7f",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ed" + ones + "7f",
  "ee" + ones + "7f",
];

/** Why a raw 32-byte public key is not acceptable, or null when it is. */
export function publicKeyProblem(raw) {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) return "an Ed25519 public key is 32 bytes";
  const y = raw.slice();
  y[31] &= 0x7f;
  if (SMALL_ORDER_Y.includes(hex(y))) return "the public key is a point of small order";
  if (y[31] === 0x7f && y.subarray(1, 31).every((b) => b === 0xff) && y[0] >= 0xed) {
    return "the public key is not canonically encoded (y >= p)";
  }
  return null;
}

/** A new key pair whose private key cannot be exported from the browser. */
export async function generateKeyPair() {
  return crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
}

/** The raw 32 bytes of a public CryptoKey. */
export async function rawPublicKey(publicKey) {
  return new Uint8Array(await crypto.subtle.exportKey("raw", publicKey));
}

/** The ledger key id of a raw public key: hex of its SHA-256 (FORMAT.md §4.1). */
export async function keyID(raw) {
  return hex(await sha256(raw));
}

/** An Ed25519 signature (64 bytes) over bytes. */
export async function sign(privateKey, message) {
  return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, message));
}

/** Whether a signature verifies over a message with a raw public key; false for a key the format refuses. */
export async function verify(raw, signature, message) {
  if (publicKeyProblem(raw) !== null || signature.length !== 64) return false;
  const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

/** Imports an unencrypted PKCS#8 private key (DER) as a non-extractable signing key, with its public key. */
export async function importPKCS8(der) {
  const privateKey = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
  // The public key is derived from the private one: import it once more, extractable, to read it as a JWK.
  const extractable = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", extractable);
  const raw = fromBase64Url(jwk.x);
  const publicKey = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, true, ["verify"]);
  return { privateKey, publicKey, raw };
}

function fromBase64Url(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

