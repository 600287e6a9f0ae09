// hsm-bench: the HSM layer's benchmark (`make bench-hsm`). In one run, for Ed25519, ECDSA P-256 and
// RSA-2048, it measures the physical limit (raw OpenSSL signing), the HSM ceiling (a direct
// C_SignInit/C_Sign loop with 1 thread, 2 threads and 2 processes) and the batched scheduler on the
// same key (worker processes; for Ed25519 also worker threads) as a ratio of the best ceiling, the
// cases interleaved over several rounds; then the scheduler against the fault module modelling a
// 1 ms network HSM with 3 backends, as a ratio of that model's capacity, with the scheduler
// process's CPU in cores and where a simulated session's time goes. Each case prints one
// `BENCH name=… ops_per_s=… ratio=…` line. Also the child half of the multi-process cases.

import Foundation
import Glibc

signal(SIGPIPE, SIG_IGN)
let arguments = BenchArguments(CommandLine.arguments)
if arguments.flag("--direct-child") {
    exit(DirectChild.run(arguments))
}
exit(BenchRun(arguments).run())
