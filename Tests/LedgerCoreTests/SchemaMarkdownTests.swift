import LedgerCore
import Testing

/// The words docs/EVENTS.md states data members in, rendered from the schema (one place for every kind).
struct SchemaMarkdownTests {
    @Test(arguments: [
        (FieldSchema("seal", .text(max: 100)), "`seal` — name text of 1–100 scalars"),
        (FieldSchema("courier", .text(max: 200), required: false), "optional `courier` — name text of 1–200 scalars"),
        (FieldSchema("summary", .freeText(max: 10_000)), "`summary` — free text of 1–10,000 scalars"),
        (FieldSchema("to", .personID), "`to` — a person id"),
        (
            FieldSchema("asn", .integer(min: 1, max: 4_294_967_295), required: false),
            "optional `asn` — an integer from 1 to 4,294,967,295"
        ),
        (
            FieldSchema("corrects", .integer(min: 1, max: JSONValue.maxSafeInteger)),
            "`corrects` — an integer from 1 to 2^53 − 1"
        ),
        (FieldSchema("method", .oneOf(["a", "b"])), "`method` — one of `a`, `b`"),
        (
            FieldSchema("photos", .list(of: .hashes, minCount: 1), required: false),
            "optional `photos` — a non-empty array of distinct elements, each a hash list"
        ),
        (
            FieldSchema(
                "images",
                .list(of: .object([FieldSchema("name", .text(max: 255)), FieldSchema("size", .boolean)]), minCount: 2)),
            "`images` — an array of at least 2 distinct elements, each an object of exactly {`name` — name text of "
                + "1–255 scalars; `size` — `true` or `false`}"
        ),
    ])
    func fieldRendersItsKindAndBound(field: FieldSchema, expected: String) {
        #expect(field.markdown == expected)
    }

    @Test func dataSchemaIsOneLinePerMember() {
        let schema = DataSchema(
            version: 1, [FieldSchema("seal", .text(max: 100)), FieldSchema("x", .boolean, required: false)])
        #expect(
            schema.markdown(type: "item.sealed")
                == "* `item.sealed`:\n  * `seal` — name text of 1–100 scalars\n  * optional `x` — `true` or `false`")
        #expect(DataSchema(version: 1, []).markdown(type: "t") == "* `t`: no members (`{}`)")
    }
}
