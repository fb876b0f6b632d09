// The person's key, kept in this browser: a non-extractable Ed25519 CryptoKey in IndexedDB (structured clone keeps
// it usable without ever exposing its bytes), with who it belongs to and the log key pinned when it was set up.

const DB = "custody-ledger";
const STORE = "identity";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request?.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error ?? new Error("the key store was not written"));
    });
  } finally {
    db.close();
  }
}

/** The identity stored under `name` ("me", or "pinned" for the pinned log key), or undefined. */
export function load(name = "me") {
  return run("readonly", (store) => store.get(name));
}

/** Stores an identity: `{privateKey, publicKey, raw, keyID, person, name, agency, created}`. */
export function save(value, name = "me") {
  return run("readwrite", (store) => store.put(value, name));
}

/** Forgets the stored key (the browser's copy only: a registered key stays registered). */
export function forget(name = "me") {
  return run("readwrite", (store) => store.delete(name));
}

/** Asks the browser to keep this site's storage (and so the key) under storage pressure; returns its answer. */
export async function persist() {
  if (!navigator.storage?.persist) return "unsupported";
  if (await navigator.storage.persisted()) return "granted";
  return (await navigator.storage.persist()) ? "granted" : "denied";
}
