import CustodyDomain
import HTTPTypes
import LedgerApp
import LedgerCore
import LedgerCrypto

/// Who may read what, derived from the ledger itself (docs/API.md "Authorization"): the one place these rules live.
///
/// - Auditors and administrators read everything, the whole log included.
/// - A person reads the cases their agency has joined, and those cases' items and targets.
/// - Anyone reads an item they hold, held, or are named in (recipient, examiner, witness…): a recipient in another
///   agency must read the item's head to sign its receipt.
enum Access {
    /// Whether `caller` may read `item` (with its custody steps).
    static func mayRead(item: ItemRecord, steps: [CustodyStep], caseRecord: CaseRecord?, by caller: Caller) -> Bool {
        if caller.readsWholeLog { return true }
        if let caseRecord, caseRecord.agencies.contains(where: { $0.hasSameBytes(as: caller.agency) }) { return true }
        let person = caller.person
        for named in [item.holder, item.pendingTo, item.checkedOutTo] {
            if let named, named.hasSameBytes(as: person) { return true }
        }
        return steps.contains { step in
            step.by.hasSameBytes(as: person)
                || (step.details.objectMembers ?? []).contains {
                    $0.value.stringValue?.hasSameBytes(as: person) == true
                }
        }
    }

    /// The item `id` with its custody steps, when `caller` may read it; else a 404 or 403 problem.
    static func readableItem(_ id: String, by caller: Caller, in store: any LedgerStore) throws -> (
        item: ItemRecord, steps: [CustodyStep]
    ) {
        guard let (item, steps) = try CustodyQueries.item(id, in: store) else {
            throw Problem(.notFound, code: "not-found", "no item \(id)")
        }
        let caseRecord = try CustodyQueries.caseRecord(item.caseID, in: store)
        guard mayRead(item: item, steps: steps, caseRecord: caseRecord, by: caller) else {
            throw Problem.forbidden("you may not read item \(id): your agency has not joined case \(item.caseID)")
        }
        return (item, steps)
    }

    /// Whether `caller` may read the case `caseRecord` (its figures and log).
    static func mayRead(caseRecord: CaseRecord, by caller: Caller) -> Bool {
        caller.readsWholeLog || caseRecord.agencies.contains { $0.hasSameBytes(as: caller.agency) }
    }

    /// Whether `caller` may read the stream `stream`'s head and history; reads what it needs from `store`.
    static func mayRead(stream: String, by caller: Caller, in store: any LedgerStore) throws -> Bool {
        if caller.readsWholeLog { return true }
        if stream.hasPrefix("item/") {
            let id = String(stream.dropFirst("item/".count))
            guard let (item, steps) = try CustodyQueries.item(id, in: store) else { return false }
            let caseRecord = try CustodyQueries.caseRecord(item.caseID, in: store)
            return mayRead(item: item, steps: steps, caseRecord: caseRecord, by: caller)
        }
        if stream.hasPrefix("case/") {
            guard let caseRecord = try CustodyQueries.caseRecord(String(stream.dropFirst("case/".count)), in: store)
            else { return false }
            return mayRead(caseRecord: caseRecord, by: caller)
        }
        if stream.hasPrefix("target/") {
            guard let target = try CustodyQueries.target(String(stream.dropFirst("target/".count)), in: store),
                let caseRecord = try CustodyQueries.caseRecord(target.caseID, in: store)
            else { return false }
            return mayRead(caseRecord: caseRecord, by: caller)
        }
        return false
    }
}
