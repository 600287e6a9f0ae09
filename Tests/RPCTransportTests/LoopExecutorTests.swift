// Calls made from tasks that prefer the client's event loop as their executor
// (`RPCChannel.taskExecutors`): they must behave exactly like calls from the global executor
// (replies, deadlines, cancellation) while resuming on the loop thread; and pinned event loops
// (`eventLoopCPUs`) must serve calls, with an impossible CPU ignored rather than fatal.

import RPCCore
import Testing
@testable import RPCTransport

@Suite struct LoopExecutorTests {
    @Test func callsFromLoopPreferringTasksResumeOnTheLoop() async throws {
        let harness = try TestHarness.start()
        let channel = try harness.channel(connections: 2)
        let executor = try #require(channel.taskExecutors.first)
        let loop = try #require(executor as? EventLoop)
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for task in 0..<16 {
                group.addTask(executorPreference: executor) {
                    var good = 0
                    var onLoop = true
                    for call in 0..<40 {
                        let request: [UInt8] = [UInt8(task), UInt8(call)]
                        let reply = try await channel.unary(TestMethods.echo, request: request, options: CallOptions())
                        if reply == request { good += 1 }
                        onLoop = onLoop && loop.inEventLoop
                    }
                    return (good, onLoop)
                }
            }
            return try await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0.0 == 40 })
        #expect(results.allSatisfy { $0.1 }, "every call resumed its task on the client loop thread")
        await channel.close()
        await harness.stop()
    }

    @Test func deadlineAndCancellationFromTheLoop() async throws {
        let harness = try TestHarness.start()
        let channel = try harness.channel()
        let executor = try #require(channel.taskExecutors.first)
        let deadline = Task(executorPreference: executor) { () -> StatusCode? in
            do {
                _ = try await channel.unary(TestMethods.slow, request: [250], options: CallOptions(timeout: .milliseconds(100)))
                return nil
            } catch let error as RPCError {
                return error.code
            }
        }
        #expect(try await deadline.value == .deadlineExceeded)
        let cancelled = Task(executorPreference: executor) { () -> StatusCode? in
            do {
                _ = try await channel.unary(TestMethods.slow, request: [250], options: CallOptions())
                return nil
            } catch let error as RPCError {
                return error.code
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        cancelled.cancel()
        #expect(try await cancelled.value == .cancelled)
        // The loop still serves ordinary calls afterwards.
        let after = Task(executorPreference: executor) {
            try await channel.unary(TestMethods.echo, request: [9], options: CallOptions())
        }
        #expect(try await after.value == [9])
        await channel.close()
        await harness.stop()
    }

    @Test func pinnedLoopsServeCalls() async throws {
        var configuration = RPCServerConfiguration(eventLoopThreads: 2)
        configuration.eventLoopCPUs = [0, 4096]  // 4096 is outside any CPU set: left unpinned
        let harness = try TestHarness.start(configuration: configuration)
        let channel = try harness.channel(connections: 2) { $0.eventLoopCPUs = [0] }
        for value in 0..<20 {
            #expect(try await channel.unary(TestMethods.echo, request: [UInt8(value)], options: CallOptions()) == [UInt8(value)])
        }
        await channel.close()
        await harness.stop()
    }
}
