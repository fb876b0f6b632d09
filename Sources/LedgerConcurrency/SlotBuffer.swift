/// Fixed-size slots that concurrent workers fill at distinct indices, and another thread then reads or moves out.
///
/// The buffer does no locking: each slot must be accessed by one thread at a time, and handed from one thread to
/// the next by something that orders the two (``Background/wait()``, ``Parallel/forEach(_:_:)`` returning, a
/// semaphore). A Swift array in its place would copy itself, or trap, when workers write different elements at once.
/// Values move in and out of a slot without being copied.
///
/// Public, not `package`, like the rest of this module: Swift 6.3 does not inline or specialize the `@inlinable`
/// members of a `package` type in other modules, and these accessors run once per entry.
public final class SlotBuffer<Element> {
    @usableFromInline let base: UnsafeMutablePointer<Element>
    /// The number of slots.
    public let count: Int

    /// `count` slots, each holding `value`.
    @inlinable public init(repeating value: Element, count: Int) {
        precondition(count >= 0, "a slot buffer needs a count of 0 or more")
        base = .allocate(capacity: count)
        base.initialize(repeating: value, count: count)
        self.count = count
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// The value in slot `index`, read or replaced in place.
    @inlinable public subscript(index: Int) -> Element {
        get {
            assert(index >= 0 && index < count, "slot index out of range")
            return base[index]
        }
        set {
            assert(index >= 0 && index < count, "slot index out of range")
            base[index] = newValue
        }
    }

    /// Runs `body` on the value in slot `index` in place, without copying it out.
    @inlinable public func modify<Result, Failure: Error>(
        _ index: Int, _ body: (inout Element) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        assert(index >= 0 && index < count, "slot index out of range")
        return try body(&base[index])
    }

    /// Moves the value out of slot `index`, leaving `replacement` in its place.
    @inlinable public func take(_ index: Int, leaving replacement: Element) -> Element {
        assert(index >= 0 && index < count, "slot index out of range")
        let value = (base + index).move()
        (base + index).initialize(to: replacement)
        return value
    }

    /// Replaces every value with `value`, freeing the old ones on the calling thread.
    @inlinable public func reset(to value: Element) {
        for index in 0..<count { base[index] = value }
    }

    /// A copy of every value, in slot order.
    @inlinable public var values: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

// @unchecked: each slot is accessed by one thread at a time, handed over by the caller's own synchronisation.
extension SlotBuffer: @unchecked Sendable where Element: Sendable {}
