// The seam between a worker thread and where its session lives: in this process
// (`InProcessRunner`) or in an HSM worker process (`ProcessRunner`). A worker hands a whole batch
// over at once so the process runner can ship it in one round trip.

import PKCS11

protocol BatchRunner: AnyObject {
    /// Runs `items` in order and returns one outcome per item. Calls `progress` before each HSM
    /// call it can observe, so a slow batch is not mistaken for a hung session.
    func run(_ items: [WorkItem], progress: () -> Void) -> [ExecutionOutcome]
    /// A health probe (session answers; health key signs).
    func probe(healthKey: KeyReference?) -> ExecutionOutcome
    /// Gets ready to run (starts a worker process); false when that failed. Not timed as part of
    /// a probe: starting a process is not the HSM answering slowly.
    func prepare() -> Bool
    /// Called from another thread when this runner is stuck: stop it if possible (kill the
    /// worker process); an in-process session cannot be interrupted.
    func abort()
}

/// A runner that can have more than one batch outstanding (a worker process reads the next
/// batch frame from its pipe the moment it finishes the current one, instead of idling for a
/// scheduler round trip). Outcomes come back in the order batches were sent, a batch's possibly
/// in several parts.
protocol PipelinedBatchRunner: BatchRunner {
    /// Batch frames that may be outstanding at once (jobs outstanding are bounded separately,
    /// by twice the batch size).
    var pipelineDepth: Int { get }
    /// Ships a batch. `behindRunningBatch`: another batch is still outstanding, so a frame too
    /// large to queue without blocking is refused with `.tooLarge` (send it after `receive`).
    func send(_ items: [WorkItem], behindRunningBatch: Bool) -> PipelineSendResult
    /// Waits for the next outcomes of the oldest outstanding batch: one or more, in the order of
    /// its items. Nil when the worker process died: every outstanding batch is lost (the next
    /// `send` starts a new one).
    func receive() -> [ExecutionOutcome]?
    /// A descriptor that turns readable when outcomes arrive (nil while no worker process runs).
    var outcomesFD: Int32? { get }
    /// The outcome given to every item of a batch lost with its worker process.
    var lostBatchOutcome: ExecutionOutcome { get }
}

enum PipelineSendResult {
    case sent
    case tooLarge
    /// The batch could not be shipped (and any outstanding batch is lost); every item gets this
    /// outcome.
    case failed(ExecutionOutcome)
}

/// One operation as shipped to a runner.
struct WorkItem: Sendable {
    var key: KeyReference
    var operation: HSMOperation
    var deadline: ContinuousClock.Instant?
    /// Its caller waits for this item alone (not for a whole batch), so a worker process returns
    /// its outcome early rather than at the end of the batch.
    var awaitedAlone = false
}

/// Runs batches on a session owned by the calling thread.
final class InProcessRunner: BatchRunner {
    private let executor: SessionExecutor

    init(configuration: BackendConfiguration) {
        executor = SessionExecutor(backendName: configuration.name, modulePath: configuration.modulePath,
                                   tokenLabel: configuration.tokenLabel, pin: configuration.pin)
    }

    func run(_ items: [WorkItem], progress: () -> Void) -> [ExecutionOutcome] {
        var outcomes: [ExecutionOutcome] = []
        outcomes.reserveCapacity(items.count)
        var broken: ExecutionOutcome?
        for item in items {
            // Once the backend has failed, do not hammer it with the rest of the batch.
            if let broken { outcomes.append(broken); continue }
            progress()
            let outcome = executor.execute(item.operation, key: item.key, deadline: item.deadline)
            switch outcome {
            case .backendFault, .noSession: broken = outcome
            default: break
            }
            outcomes.append(outcome)
        }
        return outcomes
    }

    func probe(healthKey: KeyReference?) -> ExecutionOutcome { executor.probe(healthKey: healthKey) }

    func prepare() -> Bool { true }

    func abort() {}
}
