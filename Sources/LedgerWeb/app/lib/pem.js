// Key files as `ledger key generate` writes them: PKCS#8 PEM ("PRIVATE KEY"), or passphrase-encrypted PKCS#8
// ("ENCRYPTED PRIVATE KEY": PBES2 with PBKDF2 and AES-CBC, RFC 8018), decrypted here with WebCrypto.

import { utf8 } from "./bytes.js";

const OID = {
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacSHA1: "1.2.840.113549.2.7",
  hmacSHA256: "1.2.840.113549.2.9",
  hmacSHA384: "1.2.840.113549.2.10",
  hmacSHA512: "1.2.840.113549.2.11",
  aes128CBC: "2.16.840.1.101.3.4.1.2",
  aes256CBC: "2.16.840.1.101.3.4.1.42",
};

/** The label and DER bytes of the one PEM block in a text. */
export function readPEM(text) {
  const match = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!match) throw new Error("this is not a PEM key file (no BEGIN … END block)");
  const body = match[2].replace(/\s+/g, "");
  const binary = atob(body);
  return { label: match[1], der: Uint8Array.from(binary, (c) => c.charCodeAt(0)) };
}

/** The PKCS#8 DER of a key file's text, decrypted with the passphrase when it is encrypted. */
export async function privateKeyDER(text, passphrase) {
  const { label, der } = readPEM(text);
  if (label === "PRIVATE KEY") return der;
  if (label !== "ENCRYPTED PRIVATE KEY") throw new Error(`a ${label} is not a private key file`);
  if (!passphrase) throw new Error("this key file is encrypted: give its passphrase");
  return decryptPKCS8(der, passphrase);
}

async function decryptPKCS8(der, passphrase) {
  // EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }
  const outer = children(readTLV(der, 0));
  const [algorithm, encrypted] = outer;
  const [schemeOID, pbes2Params] = children(algorithm);
  if (oid(schemeOID) !== OID.pbes2) throw new Error("the key file is not encrypted with PBES2");
  const [kdf, cipher] = children(pbes2Params);
  const [kdfOID, kdfParams] = children(kdf);
  if (oid(kdfOID) !== OID.pbkdf2) throw new Error("the key file's key derivation is not PBKDF2");
  const pbkdf2 = children(kdfParams);
  const salt = pbkdf2[0].value;
  const iterations = integer(pbkdf2[1]);
  let hash = "SHA-1";
  for (const part of pbkdf2.slice(2)) {
    if (part.tag !== 0x30) continue;
    const prf = oid(children(part)[0]);
    hash = { [OID.hmacSHA1]: "SHA-1", [OID.hmacSHA256]: "SHA-256", [OID.hmacSHA384]: "SHA-384",
      [OID.hmacSHA512]: "SHA-512" }[prf];
    if (!hash) throw new Error(`the key file's PBKDF2 hash (${prf}) is not supported`);
  }
  const [cipherOID, iv] = children(cipher);
  const length = { [OID.aes128CBC]: 128, [OID.aes256CBC]: 256 }[oid(cipherOID)];
  if (!length) throw new Error("the key file's cipher is not AES-128-CBC or AES-256-CBC");
  const base = await crypto.subtle.importKey("raw", utf8(passphrase), "PBKDF2", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    { name: "PBKDF2", salt, iterations, hash }, base, { name: "AES-CBC", length }, false, ["decrypt"]);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv: iv.value }, key, encrypted.value));
  } catch {
    throw new Error("wrong passphrase (the key file does not decrypt)");
  }
}

// A minimal DER reader: tag, length, value, and where the next element starts.
function readTLV(bytes, offset) {
  const tag = bytes[offset];
  let length = bytes[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count < 1 || count > 3) throw new Error("the key file is not valid DER");
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | bytes[start + i];
    start += count;
  }
  if (start + length > bytes.length) throw new Error("the key file is truncated");
  return { tag, value: bytes.subarray(start, start + length), end: start + length };
}

function children(node) {
  const out = [];
  let offset = 0;
  while (offset < node.value.length) {
    const child = readTLV(node.value, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

function oid(node) {
  if (node.tag !== 0x06) throw new Error("the key file is not valid DER (an OID expected)");
  const bytes = node.value;
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let value = 0;
  for (const byte of bytes.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

function integer(node) {
  if (node.tag !== 0x02) throw new Error("the key file is not valid DER (an integer expected)");
  return node.value.reduce((n, byte) => n * 256 + byte, 0);
}
