# PersonaHSM developer entry points. `make demo` and `make test` are the two README commands;
# both install dependencies first, so a fresh machine needs nothing else.
SHELL := /bin/bash
SWIFT ?= swift
SWIFT_FLAGS ?=
BIN := .build/debug

.PHONY: deps build release demo test test-swift test-asan check-generated generate \
        generate-swift fuzz bench bench-hsm bench-rpc bench-issue bench-service bench-p11kit clean

deps:
	@Tools/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS)

# Regenerate the protoc-c C codec and the Swift wrappers (and test samples) from Protos/, and the
# generator's kitchen-sink fixture and golden files (Tests/ProtoGenKitTests). See Tools/PROTOGEN.md.
generate: deps
	Tools/generate-c.sh Sources/C/CPersonaProtos
	Tools/generate-swift.sh Sources/PersonaProtos/Generated Tests/PersonaProtosTests/Generated
	Tools/generate-fixture.sh

# Regenerate into a temp dir and fail on any difference from what is committed.
check-generated: deps
	Tools/check-generated.sh

test: deps check-generated
	$(SWIFT) build $(SWIFT_FLAGS)
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	PERSONAHSM_SOAK_SECONDS=60 $(SWIFT) test --skip-build --no-parallel $(SWIFT_FLAGS)
	$(MAKE) test-asan

# Malformed-input tests for every generated decoder, under AddressSanitizer. XCTest's own objects
# are still alive at exit, so LeakSanitizer is told to ignore libXCTest.so.
test-asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tools/lsan-suppressions.txt \
	  $(SWIFT) test --sanitize=address --scratch-path .build/asan --filter 'MalformedInputTests' $(SWIFT_FLAGS)

demo: release
	Tools/demo.sh

# HSM layer benchmark: OpenSSL and direct PKCS#11 ceilings vs the scheduler (docs/PERFORMANCE.md).
bench-hsm: deps
	Tools/bench-hsm.sh

# Credential issuance through personahsmd vs the direct PKCS#11 Ed25519 ceiling (release build).
bench-issue: release
	Tools/bench-issue.sh

# libFuzzer on the frame decoder and on protobuf-c message decoding, FUZZ_SECONDS each. New inputs
# go to .build/fuzz-corpus; the committed seeds in Tests/Fuzz/corpus are only read.
FUZZ_SECONDS ?= 60
FUZZ_BUILD := $(SWIFT) build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
	-Xswiftc -DFUZZING \
	--scratch-path .build/fuzz $(SWIFT_FLAGS)
fuzz: deps
	$(FUZZ_BUILD) --product fuzz-frames
	$(FUZZ_BUILD) --product fuzz-messages
	mkdir -p .build/fuzz-corpus/frames .build/fuzz-corpus/messages
	SWIFT_BACKTRACE=enable=no .build/fuzz/release/fuzz-frames -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		.build/fuzz-corpus/frames Tests/Fuzz/corpus/frames
	SWIFT_BACKTRACE=enable=no .build/fuzz/release/fuzz-messages -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		.build/fuzz-corpus/messages Tests/Fuzz/corpus/messages

# RPC transport benchmark over real TLS on loopback (BENCH_SECONDS per phase, default 5).
bench-rpc: deps
	$(SWIFT) build -c release --product rpc-bench $(SWIFT_FLAGS)
	.build/release/rpc-bench

# PersonaHSM end to end with personahsm-load (unary, batch, stream; sweep; HTML report).
bench-service: release
	Tools/bench-service.sh

# PersonaHSM vs `p11-kit server` (PKCS#11 over a unix socket) vs direct SoftHSM2, P-256 and RSA-2048.
bench-p11kit: release
	Tools/bench-p11kit.sh

# Everything side by side in one run (Tools/bench.sh): OpenSSL limits, HSM ceilings and scheduler,
# RPC transport, service, p11-kit peer, issuance; then a summary table of ratios, also written into
# docs/PERFORMANCE.md. BENCH_STEPS="hsm rpc" runs a subset.
bench: release
	Tools/bench.sh

clean:
	rm -rf .build
