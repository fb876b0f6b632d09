import Dispatch
import Foundation

/// Work started on another thread, and its result (or error) once the caller waits for it.
///
/// Pipelines keep these in order: start the work for the next batch, then wait for the one started before it.
/// `Failure` is `Never` for work that cannot fail.
public final class Background<Value, Failure: Error> {
    @usableFromInline let group = DispatchGroup()
    /// Set once by the work before it leaves `group`.
    @usableFromInline var result: Result<Value, Failure>?
    /// For work started in parts: each part's error, by part.
    @usableFromInline let failures: SlotBuffer<Failure?>?

    @usableFromInline init(result: Result<Value, Failure>?, parts: Int? = nil) {
        self.result = result
        failures = parts.map { SlotBuffer(repeating: nil, count: $0) }
    }

    /// Waits until the work is done and returns its result, or throws its error (every call gives the same one).
    ///
    /// For work started in parts, the error is that of the first part in part order that failed.
    public func wait() throws(Failure) -> Value {
        group.wait()
        if let failures {
            for part in 0..<failures.count {
                if let failure = failures[part] { throw failure }
            }
        }
        guard let result else { preconditionFailure("finished background work has its result") }
        return try result.get()
    }
}

// @unchecked: `result` and the parts' failures are written before the work leaves `group`, read after its `wait()`.
extension Background: @unchecked Sendable where Value: Sendable {}

extension Background where Value: Sendable {
    /// Starts `work` on the global concurrent queue of `qos` and returns at once.
    @discardableResult
    public static func start(
        qos: DispatchQoS.QoSClass = .userInitiated, _ work: @escaping @Sendable () throws(Failure) -> Value
    ) -> Background<Value, Failure> {
        let background = Background(result: nil)
        DispatchQueue.global(qos: qos).async(group: background.group) {
            background.result = Result { () throws(Failure) in try work() }
        }
        return background
    }

    /// Starts `work` on a new thread of its own and returns at once.
    ///
    /// For work that lives as long as the caller's loop and blocks between steps (waiting for the caller's next
    /// chunk): on the dispatch pool it would hold one of a few shared threads while it waits.
    public static func thread(_ work: @escaping @Sendable () throws(Failure) -> Value) -> Background<Value, Failure> {
        let background = Background(result: nil)
        background.group.enter()
        Thread {
            background.result = Result { () throws(Failure) in try work() }
            background.group.leave()
        }.start()
        return background
    }
}

extension Background where Value == Void {
    /// Starts `body` for each part of `partition`, each part as a block of its own on the global concurrent queue
    /// of `qos`, and returns at once.
    ///
    /// A part that throws stops there; the others run to their end. `wait()` returns when every part is done, and
    /// throws the error of the first part (in part order) that failed.
    @discardableResult
    public static func start(
        _ partition: Partition, qos: DispatchQoS.QoSClass = .userInitiated,
        _ body: @escaping @Sendable (_ part: Int, _ range: Range<Int>) throws(Failure) -> Void
    ) -> Background<Void, Failure> {
        let background = Background(result: .success(()), parts: partition.count)
        for part in 0..<partition.count {
            DispatchQueue.global(qos: qos).async(group: background.group) {
                do throws(Failure) { try body(part, partition[part]) } catch { background.failures?[part] = error }
            }
        }
        return background
    }
}
