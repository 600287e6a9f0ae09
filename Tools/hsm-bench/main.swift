// hsm-bench: the HSM layer's benchmark (`make bench-hsm`). In one run it measures the physical limit
// (raw OpenSSL Ed25519 signing), the HSM ceiling (a direct C_SignInit/C_Sign loop with 1 thread, 2
// threads and 2 processes), the scheduler on the same key (threads and worker processes, many
// requests in flight) as a ratio of the best ceiling, and the scheduler against the fault module
// modelling a 1 ms network HSM with 3 backends as a ratio of that simulated capacity. Each case
// prints one `BENCH name=… ops_per_s=… ratio=…` line. Also the child half of the 2-process case.

import Foundation
import Glibc

signal(SIGPIPE, SIG_IGN)
let arguments = BenchArguments(CommandLine.arguments)
if arguments.flag("--direct-child") {
    exit(DirectChild.run(arguments))
}
exit(BenchRun(arguments).run())
