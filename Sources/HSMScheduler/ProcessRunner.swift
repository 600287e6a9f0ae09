// Placeholder filled in with the worker-process transport.
import PKCS11

final class ProcessRunner: BatchRunner {
    let configuration: BackendConfiguration
    init(configuration: BackendConfiguration, executable: String) { self.configuration = configuration }
    func run(_ items: [WorkItem], progress: () -> Void) -> [ExecutionOutcome] {
        items.map { _ in .backendFault(HSMError(.unavailable(retryAfter: .seconds(1)), "not built", backend: configuration.name)) }
    }
    func probe(healthKey: KeyReference?) -> ExecutionOutcome { .backendFault(HSMError(.internal, "not built")) }
    func abort() {}
}
