// A mutex with two condition variables on the monotonic clock. The writer and watchdog threads
// sleep on deadlines ("fail this append 1 s after it arrived"), which must not move when the wall
// clock is stepped; Foundation's NSCondition waits on wall-clock dates and Synchronization's Mutex
// has no condition variable, so this wraps pthreads directly.

#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with two monotonic-clock condition variables.
final class ConditionLock: @unchecked Sendable {
    /// Which of the two sleepers to wait on or wake.
    enum Sleeper { case writer, watchdog }

    // The pthread objects must not move, so they live in memory this instance owns and frees.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let writerCondition: UnsafeMutablePointer<pthread_cond_t>
    private let watchdogCondition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        writerCondition = .allocate(capacity: 1)
        watchdogCondition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(writerCondition, &attributes)
        pthread_cond_init(watchdogCondition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(writerCondition)
        pthread_cond_destroy(watchdogCondition)
        pthread_mutex_destroy(mutex)
        writerCondition.deallocate()
        watchdogCondition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the lock.
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Wakes `sleeper` (call with the lock held).
    func wake(_ sleeper: Sleeper) {
        pthread_cond_signal(sleeper == .writer ? writerCondition : watchdogCondition)
    }

    /// Sleeps until woken or until `deadline` (nil: no deadline). Call with the lock held; it is
    /// held again on return. Spurious wake-ups happen: callers re-check their condition.
    func wait(_ sleeper: Sleeper, until deadline: ContinuousClock.Instant?) {
        let condition = sleeper == .writer ? writerCondition : watchdogCondition
        guard let deadline else {
            pthread_cond_wait(condition, mutex)
            return
        }
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let parts = remaining.components
        var nanoseconds = Int64(now.tv_nsec) + parts.attoseconds / 1_000_000_000
        var seconds = Int64(now.tv_sec) + parts.seconds + nanoseconds / 1_000_000_000
        nanoseconds %= 1_000_000_000
        if seconds > Int64(Int32.max) * 1000 { seconds = Int64(Int32.max) * 1000 }
        var target = timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))
        pthread_cond_timedwait(condition, mutex, &target)
    }
}
