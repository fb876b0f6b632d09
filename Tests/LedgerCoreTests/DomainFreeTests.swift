import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// The log core verifies a ledger without any domain: a type table of the core's rows alone and a fold that keeps no
/// state.
struct DomainFreeTests {
    @Test func aLedgerOfCoreEventsVerifiesWithoutADomain() throws {
        var builder = LedgerBuilder()
        builder.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "opened"], signer: builder.admin)
        let table = TypeTable(roles: [Roles.admin], domainRows: [])
        let checkpoint = builder.checkpoint()
        var verifier = LedgerVerifier(table: table, fold: NoDomainFold(), rootSizes: [checkpoint.checkpoint.size])
        for (index, record) in builder.records.enumerated() {
            try verifier.verify(
                PreparedEntry.prepare(
                    position: Int64(index + 1), record: record, knownKeys: verifier.knownPublicKeys, table: table))
        }
        let summary = try verifier.finish(checkpoints: [checkpoint], pinnedLogKey: builder.logVKey)
        #expect(summary.entries == 3)
        #expect(summary.findings.isEmpty)
        #expect(summary.checkpointSizes == [3])
    }

    @Test func aDomainEventIsUnknownToTheCoreAlone() throws {
        var builder = LedgerBuilder()
        builder.append(type: "case.opened", stream: "case/C-1", data: ["title": "T"], signer: builder.admin)
        let table = TypeTable(roles: [Roles.admin], domainRows: [])
        var verifier = LedgerVerifier(table: table, fold: NoDomainFold())
        var failure: VerificationFailure?
        do throws(VerificationFailure) {
            for (index, record) in builder.records.enumerated() {
                try verifier.verify(
                    PreparedEntry.prepare(
                        position: Int64(index + 1), record: record, knownKeys: verifier.knownPublicKeys, table: table))
            }
        } catch { failure = error }
        #expect(failure?.rule == .typeTable)
        #expect(failure?.seq == 3)
        #expect(failure?.message.contains("unknown event type") == true)
    }
}
