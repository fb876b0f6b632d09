// The server's API (docs/API.md), every request signed with the person's key as the server requires.

import { utf8 } from "./bytes.js";
import { signRequest } from "./httpsig.js";
import { canonicalize } from "./jcs.js";

/** A refused request: its HTTP status and the problem details (RFC 9457) the server sent. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `the server answered ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

const offlineListeners = [];

/** Calls `listener(date)` whenever an answer is a copy read earlier (the server could not be reached). */
export function onOffline(listener) {
  offlineListeners.push(listener);
}

/**
 * A query string with every value percent-encoded (RFC 3986: a space is %20, a plus %2B). Not URLSearchParams,
 * whose form encoding writes a space as "+", which the server reads as a plus.
 */
export function queryString(parameters) {
  return Object.entries(parameters)
    .filter(([, value]) => value !== undefined && value !== null && value !== "")
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join("&");
}

let serverInfo;
let clockOffset = 0;

/** What the server says about itself before anyone signs in: `{ledger, url, log_vkey}` (cached). */
export async function info() {
  if (serverInfo) return serverInfo;
  const response = await fetch("/api/v1/info", { cache: "no-store" });
  if (response.headers.get("X-Offline-Copy")) offlineListeners.forEach((listener) => listener(response.headers.get("X-Offline-Copy")));
  if (!response.ok) throw new ApiError(response.status, await problem(response));
  const date = Date.parse(response.headers.get("Date") ?? "");
  if (Number.isFinite(date)) clockOffset = date - Date.now();
  serverInfo = await response.json();
  return serverInfo;
}

async function problem(response) {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/**
 * Sends a request signed by `identity` (`{privateKey, keyID}`; none for unsigned requests); returns the response,
 * or throws an ApiError for any status outside `accept`.
 */
export async function send(identity, method, path, { body, contentType, accept = [200] } = {}) {
  const { url } = await info();
  const bytes = typeof body === "string" ? utf8(body) : body;
  const headers = {};
  if (bytes && contentType) headers["Content-Type"] = contentType;
  if (identity) {
    Object.assign(
      headers,
      await signRequest({
        method, url: url + path, body: bytes, keyID: identity.keyID, privateKey: identity.privateKey,
        now: (Date.now() + clockOffset) / 1000,
      }),
    );
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: bytes, cache: "no-store" });
  } catch {
    throw new ApiError(0, { detail: method === "GET"
      ? "the server cannot be reached, and this was not read before on this device"
      : "the server cannot be reached: nothing was sent or recorded; try again when it can be" });
  }
  const offline = response.headers.get("X-Offline-Copy");
  if (offline) offlineListeners.forEach((listener) => listener(offline));
  if (!accept.includes(response.status)) throw new ApiError(response.status, await problem(response));
  return response;
}

/** A signed GET answered with JSON. */
export async function getJSON(identity, path) {
  return (await send(identity, "GET", path)).json();
}

/** A signed GET answered with text (a proof, JSON Lines). */
export async function getText(identity, path) {
  return (await send(identity, "GET", path)).text();
}

/** Every page of a list (`{"<member>":[…],"next":…}`). */
export async function all(identity, path, member, query = {}) {
  const values = [];
  let after;
  do {
    const page = await getJSON(identity, `${path}?${queryString({ ...query, limit: "1000", after })}`);
    values.push(...(page[member] ?? []));
    after = page.next;
  } while (after);
  return values;
}

/** The exact records of a stream the person may read, in seq order. */
export async function records(identity, stream) {
  const out = [];
  let path = `/api/v1/log?${queryString({ stream, limit: "1000" })}`;
  while (path) {
    const response = await send(identity, "GET", path);
    const text = await response.text();
    for (const line of text.split("\n")) if (line) out.push(utf8(line));
    const link = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("Link") ?? "");
    path = link?.[1];
  }
  return out;
}

/**
 * Submits one signed statement; returns the server's result (`status` "recorded" or "already-recorded", `seq`,
 * `receipt`); a refusal (a conflict, a custody rule, a bad signature) is thrown as an ApiError with its problem.
 */
export async function submit(identity, signed) {
  const response = await send(identity, "POST", "/api/v1/statements", {
    body: canonicalize(signed), contentType: "application/json", accept: [200, 201],
  });
  return response.json();
}
