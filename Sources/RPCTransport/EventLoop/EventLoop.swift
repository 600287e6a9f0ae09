// One owned thread running epoll: sockets, timers and work submitted from other threads. Every
// connection lives on exactly one loop and is touched only there, so connection state needs no
// locks. Work from handler tasks arrives through `execute`; a pending-wake flag means a burst of
// thousands of responses costs one eventfd write, and all of them are flushed together at the end
// of the iteration (one TLS write per connection per iteration: write coalescing).
// Why epoll on owned threads rather than Dispatch sources: measured in docs/PERFORMANCE.md.

import CShims
import Foundation
import Synchronization

/// Something registered with an event loop: a listening socket or a connection.
protocol EventLoopChannel: AnyObject {
    /// The descriptor can be read (or has hung up / errored: the read reports it).
    func readable()
    /// The descriptor can be written again after a short write.
    func writable()
    /// End-of-iteration hook for channels that asked for it with ``EventLoop/requestFlush(_:)``.
    func flush()
}

/// An epoll event loop on its own thread.
final class EventLoop: @unchecked Sendable {
    // Thread-safe parts.
    private let epollFD: Int32
    private let wakeFD: Int32
    private let inbox = Mutex<[@Sendable () -> Void]>([])
    private let wakePending = Atomic<Bool>(false)
    /// The loop thread's pthread id (0 before start); atomic so `inEventLoop` costs one load.
    private let threadID = Atomic<UInt>(0)
    let name: String

    // Loop-confined parts (touched only on the loop thread).
    private var channels: [Int32: any EventLoopChannel] = [:]
    private var timers = TimerQueue()
    private var flushQueue: [any EventLoopChannel] = []
    private var stopping = false
    /// Scratch buffers reused by every connection of this loop for socket reads and TLS decryption.
    let socketScratch: UnsafeMutableRawBufferPointer
    let plaintextScratch: UnsafeMutableRawBufferPointer

    init(name: String) throws(TransportError) {
        self.name = name
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw TransportError(.socket, "epoll_create1 failed", cause: Errno.describe()) }
        let wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            Glibc.close(epollFD)
            throw TransportError(.socket, "eventfd failed", cause: Errno.describe())
        }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
        socketScratch = .allocate(byteCount: 64 * 1024, alignment: 16)
        plaintextScratch = .allocate(byteCount: 64 * 1024, alignment: 16)
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeFD))
        _ = epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
    }

    deinit {
        Glibc.close(epollFD)
        Glibc.close(wakeFD)
        socketScratch.deallocate()
        plaintextScratch.deallocate()
    }

    /// Starts the loop's thread.
    func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { raw in
            let loop = Unmanaged<EventLoop>.fromOpaque(raw!).takeRetainedValue()
            loop.run()
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed: \(result)")
        threadID.store(UInt(thread), ordering: .releasing)
    }

    /// Whether the caller runs on this loop's thread.
    var inEventLoop: Bool {
        threadID.load(ordering: .acquiring) == UInt(pthread_self())
    }

    /// Runs `work` on the loop thread, after the current iteration's events. From the loop thread
    /// itself no wake-up is needed: the loop drains its inbox before it waits again.
    func execute(_ work: @escaping @Sendable () -> Void) {
        inbox.withLock { $0.append(work) }
        if inEventLoop { return }
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    /// Stops the loop after pending work and waits for its thread to exit. Call from outside the loop.
    func shutdown() {
        execute { [self] in stopping = true }
        let thread = threadID.exchange(0, ordering: .acquiringAndReleasing)
        if thread != 0 { pthread_join(pthread_t(thread), nil) }
    }

    // MARK: Loop-thread API

    func register(_ channel: any EventLoopChannel, fd: Int32, writable: Bool = false) throws(TransportError) {
        var event = epoll_event(events: Self.mask(writable: writable), data: epoll_data_t(fd: fd))
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
            throw TransportError(.socket, "epoll_ctl(ADD) failed", cause: Errno.describe())
        }
        channels[fd] = channel
    }

    func setWritableInterest(fd: Int32, _ writable: Bool) {
        var event = epoll_event(events: Self.mask(writable: writable), data: epoll_data_t(fd: fd))
        _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    /// Stops watching `fd` for reads (back-pressure) or resumes.
    func setReadInterest(fd: Int32, reading: Bool, writable: Bool) {
        var mask: UInt32 = writable ? EPOLLOUT.rawValue : 0
        if reading { mask |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        var event = epoll_event(events: mask, data: epoll_data_t(fd: fd))
        _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    func deregister(fd: Int32) {
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        channels[fd] = nil
    }

    /// The channels registered on this loop.
    var registeredChannels: [any EventLoopChannel] { Array(channels.values) }

    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) -> TimerID {
        timers.schedule(at: deadline, action)
    }

    func cancelTimer(_ timer: TimerID?) {
        if let timer { timers.cancel(timer) }
    }

    /// Calls `channel.flush()` once at the end of this iteration.
    func requestFlush(_ channel: any EventLoopChannel) {
        flushQueue.append(channel)
    }

    private static func mask(writable: Bool) -> UInt32 {
        EPOLLIN.rawValue | EPOLLRDHUP.rawValue | (writable ? EPOLLOUT.rawValue : 0)
    }

    private func run() {
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while !stopping {
            let count = epoll_wait(epollFD, events, Int32(capacity), waitMillis())
            if count > 0 {
                for index in 0..<Int(count) {
                    let event = events[index]
                    let fd = event.data.fd
                    if fd == wakeFD {
                        var value: UInt64 = 0
                        _ = Glibc.read(wakeFD, &value, 8)
                        continue
                    }
                    guard let channel = channels[fd] else { continue }
                    if event.events & EPOLLOUT.rawValue != 0 { channel.writable() }
                    if event.events & ~EPOLLOUT.rawValue != 0, channels[fd] != nil { channel.readable() }
                }
            }
            runInbox()
            runDueTimers()
            runFlushes()
        }
        runInbox()
        runFlushes()
    }

    private func waitMillis() -> Int32 {
        if !flushQueue.isEmpty || inbox.withLock({ !$0.isEmpty }) { return 0 }
        guard let next = timers.nextDeadline() else { return 1000 }
        let remaining = next - ContinuousClock.now
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(min(millis, 1000))
    }

    /// Runs queued work, including work queued by that work (a task resumed here that starts its
    /// next call), up to a bound so sockets and timers are not starved.
    private func runInbox() {
        for _ in 0..<4 {
            wakePending.store(false, ordering: .releasing)
            let work = inbox.withLock { queue -> [@Sendable () -> Void] in
                defer { queue.removeAll(keepingCapacity: true) }
                return queue
            }
            if work.isEmpty { return }
            for item in work { item() }
        }
    }

    private func runDueTimers() {
        guard !timers.isEmpty else { return }
        for action in timers.popDue(now: .now) { action() }
    }

    private func runFlushes() {
        while !flushQueue.isEmpty {
            let queue = flushQueue
            flushQueue.removeAll(keepingCapacity: true)
            for channel in queue { channel.flush() }
        }
    }
}

/// errno as text.
enum Errno {
    static func describe(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
}
