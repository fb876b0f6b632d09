// RFC 8785 JSON Canonicalization Scheme: the bytes every statement, request and record is signed over.
//
// Numbers are serialized as ECMAScript does (which is what RFC 8785 §3.2.2.3 specifies); strings as
// JSON.stringify does, except that a lone surrogate is refused (FORMAT.md §2); object members sorted by their
// names' UTF-16 code units (RFC 8785 §3.2.3), which is what Array.prototype.sort does by default.

/** The canonical text of a JSON value. */
export function canonicalize(value) {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("JSON has no NaN or Infinity");
    return Object.is(value, -0) ? "0" : JSON.stringify(value);
  }
  if (typeof value === "string") {
    if (!value.isWellFormed()) throw new Error("a string holds a lone surrogate");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonicalize).join(",") + "]";
  if (typeof value === "object") {
    const names = Object.keys(value).filter((name) => value[name] !== undefined).sort();
    return "{" + names.map((name) => canonicalize(name) + ":" + canonicalize(value[name])).join(",") + "}";
  }
  throw new Error(`not a JSON value: ${typeof value}`);
}

/** The canonical UTF-8 bytes of a JSON value. */
export function canonicalBytes(value) {
  return new TextEncoder().encode(canonicalize(value));
}
