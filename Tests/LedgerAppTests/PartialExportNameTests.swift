import Testing

@testable import LedgerApp

/// Which hidden folders an export may consider its own leftovers (FORMAT.md §8): exactly
/// `.NAME.partial-PID-XXXXXXXX`, or an earlier version's `.NAME.partial-XXXXXXXX`.
struct PartialExportNameTests {
    @Test(arguments: [
        (".case.partial-4242-0123abcd", PartialExports.Owner.process(4242)),
        (".a.partial-1-deadbeef", .process(1)),
        (".x.partial-7.partial-99-0123abcd", .process(99)),
        (".case.partial-0123abcd", .unrecorded),
        (".a.partial-12345678", .unrecorded),
    ])
    func ourNamesAreRecognized(name: String, owner: PartialExports.Owner) {
        #expect(PartialExports.owner(ofName: Array(name.utf8)) == owner)
    }

    @Test(arguments: [
        "case.partial-4242-0123abcd", ".partial-4242-0123abcd", ".case.partial-4242-0123abc",
        ".case.partial-4242-0123ABCD", ".case.partial-4242-0123abcd.x", ".case.partial-04242-0123abcd",
        ".case.partial--0123abcd", ".case.partial-99999999999-0123abcd", ".case.partial-x-0123abcd",
        ".case.partial-0123abc", ".partial-0123abcd", ".case.Partial-4242-0123abcd",
    ])
    func otherNamesAreNot(name: String) {
        #expect(PartialExports.owner(ofName: Array(name.utf8)) == nil)
    }
}
