# PersonaHSM developer entry points. `make demo` and `make test` are the two README commands;
# both install dependencies first, so a fresh machine needs nothing else.
SHELL := /bin/bash
SWIFT ?= swift
SWIFT_FLAGS ?=
BIN := .build/debug

.PHONY: deps build release demo test test-swift test-asan check-generated generate \
        generate-swift fuzz bench bench-hsm bench-rpc bench-issue clean

deps:
	@Tools/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS)

# Regenerate the protoc-c C codec and the Swift wrappers from Protos/.
generate: deps
	Tools/generate-c.sh Sources/C/CPersonaProtos
	Tools/generate-swift.sh Sources/PersonaProtos/Generated

# Regenerate into a temp dir and fail on any difference from what is committed.
check-generated: deps
	Tools/check-generated.sh

test: deps check-generated
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_FLAGS)
	$(MAKE) test-asan

# Malformed-input tests for every generated decoder, under AddressSanitizer.
test-asan:
	$(SWIFT) test --sanitize=address --scratch-path .build/asan --filter 'MalformedInputTests' $(SWIFT_FLAGS)

demo: release
	Tools/demo.sh

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

clean:
	rm -rf .build
