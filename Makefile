# mesos-conform: the two commands of the README, and the rest.
#   make run    install what is missing, build, run the main job
#   make test   install what is missing, build (normal + sanitizers), run every test
#   make bench  benchmarks        make fuzz   libFuzzer targets, bounded time
#   make deps   only install      make install

BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
PREFIX     ?= /usr/local

.PHONY: all deps build build-asan run test test-release test-asan bench fuzz install clean

all: build

deps:
	@bash scripts/deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(BUILD_ASAN)/CMakeCache.txt:
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DMC_SANITIZE=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(BUILD_ASAN)/CMakeCache.txt
	cmake --build $(BUILD_ASAN) -j $(JOBS)

run: build
	@bash scripts/run-main $(BUILD)

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

test: test-release test-asan

bench: build
	@bash scripts/bench $(BUILD)

fuzz:
	@bash scripts/deps clang
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DMC_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	@bash scripts/fuzz $(BUILD_FUZZ) $(FUZZ_SECONDS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
