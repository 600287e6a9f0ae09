// A weak reference that can cross threads, for callbacks that must not keep a connection alive.

/// Holds `value` weakly; reading it from another thread is safe (weak loads are atomic in Swift).
final class WeakReference<Value: AnyObject>: @unchecked Sendable {
    weak var value: Value?

    init(_ value: Value) { self.value = value }
}
