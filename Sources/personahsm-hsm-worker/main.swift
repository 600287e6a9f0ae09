// personahsm-hsm-worker: an HSM worker process started by the scheduler (WorkerMode.processes).
// It owns one PKCS#11 session and serves batches over stdin/stdout; see HSMWorkerProcess.
import Foundation
import HSMScheduler

exit(HSMWorkerProcess.run())
