# Neurorack build. `make` builds the library, the program and the tests; `make check` runs everything
# CI runs (install of missing Debian packages, tests, tests under ASan+UBSan, fuzz corpus replay).

CC       ?= gcc
ARCH     ?= native
OPT      ?= -O2
BUILD    ?= build
SAN      ?=
CPPFLAGS += -Iinclude -Isrc -D_GNU_SOURCE
CFLAGS   += -std=c11 $(OPT) -g -march=$(ARCH) -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wno-missing-field-initializers $(if $(findstring clang,$(CC)),,-Wno-format-truncation) -fno-math-errno $(SAN) -MMD -MP
PKGS     := sndfile fftw3 samplerate libzip libcjson openblas jack alsa liblo ncursesw libpng
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS += $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread -lm
LDFLAGS  += $(SAN)

# Library: everything under src/ except the programs. The folders show the flow:
# analysis -> curves -> models -> engine -> audio out; core/io/formats/dsp serve them.
LIB_SRC  := $(sort $(filter-out src/apps/%,$(wildcard src/*/*.c)))
APP_SRC  := $(sort $(wildcard src/apps/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
LIB      := $(BUILD)/libneurorack.a

.PHONY: all deps check test asan-test fuzz-build fuzz clean run
all: $(BUILD)/neurorack $(TEST_BIN)
	@if [ "$(BUILD)" = build ]; then ln -sf build/neurorack neurorack; fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/neurorack: $(APP_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(APP_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/nr_test.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/tests/nr_test.o $(LIB) $(LDLIBS)

deps:
	@scripts/install-deps.sh

# The full suite: normal build, then the same tests under AddressSanitizer + UBSan.
check: deps
	$(MAKE) test
	$(MAKE) asan-test
	@scripts/summarize-tests.sh $(BUILD)/test-results.txt build-asan/test-results.txt

test: all
	@NR_BIN=$(BUILD)/neurorack scripts/run-tests.sh $(BUILD) $(TEST_BIN)

asan-test:
	$(MAKE) BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" test

# libFuzzer targets (clang): build-fuzz/fuzz_<name>; `make fuzz FUZZ_SECONDS=600` runs each that long.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=clang OPT=-O1 SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" build-fuzz/libneurorack.a
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang $(CPPFLAGS) -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined $$f build-fuzz/libneurorack.a $(LDLIBS) -o build-fuzz/$$n || exit 1; done
FUZZ_SECONDS ?= 60
fuzz: fuzz-build
	@for b in $(FUZZ_BIN); do n=$$(basename $$b); t=$${n#fuzz_}; mkdir -p tests/corpus/$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  $$b -max_total_time=$(FUZZ_SECONDS) -max_len=65536 tests/corpus/$$t || exit 1; done

run: deps all
	./neurorack render -o impact.wav

clean:
	rm -rf build build-asan build-fuzz neurorack

-include $(LIB_OBJ:.o=.d) $(APP_OBJ:.o=.d)
