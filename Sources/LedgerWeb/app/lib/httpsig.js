// HTTP message signatures (RFC 9421) in this server's profile (docs/API.md): "@method", "@target-uri" and,
// with a body, "content-digest" (RFC 9530); created, expires, nonce, keyid, alg="ed25519".

import { base64, sha256, utf8 } from "./bytes.js";
import { sign } from "./ed25519.js";

/** How long a signature is valid, in seconds (the server allows at most 300). */
export const LIFETIME = 60;

/** The `Content-Digest` value of a body. */
export async function contentDigest(body) {
  return `sha-256=:${base64(await sha256(body))}:`;
}

/** The signature base (RFC 9421 §2.5) for these components and the serialized parameter list. */
export function signatureBase(components, values, parameterList) {
  const lines = components.map((name) => `"${name}": ${values[name]}`);
  lines.push(`"@signature-params": ${parameterList}`);
  return lines.join("\n");
}

/**
 * The header fields that sign a request: `Signature-Input`, `Signature` and, with a body, `Content-Digest`.
 *
 * `url` is the URL the server signs requests for (its public URL) with the path and query exactly as sent;
 * `now` is the server's clock in seconds (the page corrects its own by the server's `Date`).
 */
export async function signRequest({ method, url, body, keyID, privateKey, now, nonce }) {
  const components = ["@method", "@target-uri"];
  const values = { "@method": method.toUpperCase(), "@target-uri": url };
  const headers = {};
  if (body && body.length > 0) {
    headers["Content-Digest"] = await contentDigest(body);
    components.push("content-digest");
    values["content-digest"] = headers["Content-Digest"];
  }
  const created = Math.floor(now ?? Date.now() / 1000);
  const list =
    "(" + components.map((name) => `"${name}"`).join(" ") + ")" +
    `;created=${created};expires=${created + LIFETIME};nonce="${nonce ?? crypto.randomUUID()}"` +
    `;keyid="${keyID}";alg="ed25519"`;
  const signature = await sign(privateKey, utf8(signatureBase(components, values, list)));
  headers["Signature-Input"] = `ledger=${list}`;
  headers["Signature"] = `ledger=:${base64(signature)}:`;
  return headers;
}
