// An event loop as a Swift task executor. A caller task that prefers a client loop
// (`RPCChannel.taskExecutors`, `withTaskExecutorPreference`) resumes on the loop thread when its
// response arrives, and starts its next call there without queueing: a unary call then costs no
// hop through the global cooperative pool (no futex wake-up of a pool thread) and no eventfd
// wake-up of the loop. Measured in docs/PERFORMANCE.md ("Where the tail comes from"). Jobs run
// on the loop thread, so code in such tasks must never block.

extension EventLoop: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        execute { [self] in job.runSynchronously(on: asUnownedTaskExecutor()) }
    }
}
