import CustodyDomain
import LedgerCore

/// Checks the filter values a list command is given before it runs, so that a typo is an error naming the valid
/// values, never an empty list that reads as "nothing matches" (exit 2: ``LedgerError/Code/usage`` for a value
/// outside a fixed list, ``LedgerError/Code/notFound`` for a case or person the ledger does not know).
///
/// `option` is the name the user gave the filter (`--status`), so the message speaks in their terms.
public enum QueryFilters {
    /// Every target status, in lifecycle order (EVENTS.md §6.2).
    public static let targetStatuses = [
        TargetStatus.identified, TargetStatus.verified, TargetStatus.falsePositive, TargetStatus.notified,
        TargetStatus.takedownRequested, TargetStatus.takenDown, TargetStatus.notActioned, TargetStatus.reappeared,
    ]

    /// How many known values an error lists before "…".
    static let listed = 20

    /// A value that must be one of `allowed`.
    public static func check(_ value: String?, option: String, oneOf allowed: [String]) throws(LedgerError) {
        guard let value, !allowed.contains(value) else { return }
        throw .usage("unknown \(option) \(quoted(value)): give one of \(allowed.joined(separator: ", "))")
    }

    /// An item status (`ledger items --status`).
    public static func checkItemStatus(_ value: String?, option: String = "--status") throws(LedgerError) {
        try check(value, option: option, oneOf: ItemStatus.all)
    }

    /// A target status (`ledger targets --status`).
    public static func checkTargetStatus(_ value: String?, option: String = "--status") throws(LedgerError) {
        try check(value, option: option, oneOf: targetStatuses)
    }

    /// A target category (`ledger targets --category`).
    public static func checkTargetCategory(_ value: String?, option: String = "--category") throws(LedgerError) {
        try check(value, option: option, oneOf: CustodyTypeTable.targetCategories)
    }

    /// A country code as targets record it: two capital letters (ISO 3166-1 alpha-2).
    public static func checkCountry(_ value: String?, option: String = "--country") throws(LedgerError) {
        guard let value else { return }
        guard value.utf8.count == 2, value.utf8.allSatisfy({ (0x41...0x5a).contains($0) }) else {
            throw .usage(
                "\(option) \(quoted(value)) is not an ISO 3166-1 alpha-2 code: give two capital letters, e.g. "
                    + (value.utf8.count == 2 ? value.uppercased() : "NL"))
        }
    }

    /// A case the ledger knows (`--case`).
    public static func checkCase(_ id: String?, option: String = "--case", in store: any LedgerStore) throws {
        guard let id, try CustodyQueries.caseRecord(id, in: store) == nil else { return }
        let known = try CustodyQueries.cases(in: store).map(\.id)
        throw LedgerError(
            code: .notFound,
            "\(option) \(quoted(id)): no such case; " + listing(known, "the cases are", none: "the ledger has no cases")
                + " (see `ledger case list`)")
    }

    /// A person the ledger knows (`--holder`, `--actor`, `--to`).
    public static func checkPerson(_ id: String?, option: String, in store: any LedgerStore) throws {
        guard let id, try CustodyQueries.person(id, in: store) == nil else { return }
        let known = try CustodyQueries.people(in: store).map(\.person)
        throw LedgerError(
            code: .notFound,
            "\(option) \(quoted(id)): no such person; "
                + listing(known, "the people are", none: "the ledger has no people") + " (see `ledger people`)")
    }

    private static func listing(_ known: [String], _ lead: String, none: String) -> String {
        guard !known.isEmpty else { return none }
        return lead + " " + known.prefix(listed).joined(separator: ", ")
            + (known.count > listed ? ", … (\(known.count) in all)" : "")
    }

    private static func quoted(_ value: String) -> String {
        String(decoding: JCS.serialize(.string(value)), as: UTF8.self)
    }
}
