# Neurorack build. `make` builds the library, the program and the tests; `make check` runs everything
# CI runs (install of missing Debian packages, tests, tests under ASan+UBSan, fuzz corpus replay, every fuzz
# target for FUZZ_CHECK_SECONDS, a SOAK_CHECK_MINUTES soak of the instrument).

CC       ?= gcc
# The whole build targets the baseline of the target architecture (x86-64; armv8-a, where NEON is
# baseline), so a binary, plugin or package runs on any CPU of it. The hot kernels (KERNEL_SRC) are built
# once more per path in KPATHS with that path's instruction set, and src/core/cpu.c picks them at start
# from what the CPU reports (NR_CPU=generic|avx2|avx512|neon forces a lower one). `make ARCH=native`
# builds the rest for this machine only (the per-path kernels keep their own flags).
MACHINE  := $(shell $(CC) -dumpmachine 2>/dev/null)
ifneq (,$(findstring x86_64,$(MACHINE)))
ARCH     ?= x86-64
KPATHS   := avx2 avx512
else ifneq (,$(findstring aarch64,$(MACHINE)))
ARCH     ?= armv8-a
KPATHS   := neon
else
ARCH     ?=
KPATHS   :=
endif
CPUFLAGS ?= $(if $(ARCH),-march=$(ARCH))
OPT      ?= -O2
BUILD    ?= build
SAN      ?=
CPPFLAGS += -Iinclude -Isrc -D_GNU_SOURCE
CFLAGS   += -std=c11 $(OPT) -g $(CPUFLAGS) -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wno-missing-field-initializers -Wno-psabi $(if $(findstring clang,$(CC)),,-Wno-format-truncation) \
            -fno-math-errno -ffp-contract=off -fPIC $(SAN) -MMD -MP
# -ffp-contract=off: a * b + c stays two rounded operations unless a kernel asks for FMAs (GCC's ISO C mode
# does this already; clang would fuse in the per-path AVX2 objects only, so optimised and reference code
# would round differently).
# -fPIC: the same objects link into the program and into the plugins (neurorack.lv2, neurorack~).
# -Wno-psabi (gcc and clang): the 16-lane vector helpers are static to their file, built with one set of
# flags, so the ABI note about passing them by value on a target without AVX-512 concerns no caller.
PKGS     := sndfile fftw3 fftw3f samplerate libzip zlib libcjson openblas jack alsa liblo ncursesw libpng libgpiod
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS += $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread -lm
# libfluidsynth renders SoundFont notes for the plucks and textures data sets (src/dataset/fluid_render.c);
# optional: without it that file builds a stub that says which package is missing (e.g. the aarch64 cross build).
FLUID_CFLAGS := $(shell pkg-config --cflags fluidsynth 2>/dev/null)
FLUID_LIBS   := $(shell pkg-config --libs fluidsynth 2>/dev/null)
ifneq (,$(FLUID_LIBS))
$(BUILD)/src/dataset/fluid_render.o: CPPFLAGS += -DNR_HAVE_FLUIDSYNTH $(FLUID_CFLAGS)
LDLIBS   += $(FLUID_LIBS)
endif
LDFLAGS  += $(SAN)

# Library: everything under src/ except the programs. The folders show the flow:
# analysis -> curves -> models -> synth -> the module host (instrument) -> panel, audio devices,
# hardware; core/io/formats/dsp serve them. scripts/check-layers.sh holds the layer table and checks the includes against it.
LIB_SRC  := $(sort $(filter-out src/apps/% src/plugins/%,$(wildcard src/*/*.c)))
APP_SRC  := $(sort $(wildcard src/apps/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
# Kernel files built once per path (besides their generic build above, which holds their dispatch
# tables): $(BUILD)/<file>.<path>.o, kernels named <function>_<path> (src/core/kernel_path.h).
KERNEL_SRC := src/dsp/fast_tanh.c src/dsp/moving_average.c src/dsp/dilated_conv.c src/dsp/gemm64.c src/dsp/fma_peak.c \
              src/models/impact_net.c src/models/impact_synth.c src/models/impact2_synth.c src/models/nsf_filter.c
KERNEL_OBJ := $(foreach p,$(KPATHS),$(KERNEL_SRC:%.c=$(BUILD)/%.$(p).o))
LIB_OBJ  += $(KERNEL_OBJ)
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
# WITH_LV2=0 (the aarch64 cross build: no arm64 liblilv, and lv2-ttl cannot run on the build machine)
# leaves out the LV2 bundle and its test.
WITH_LV2 ?= 1
ifeq ($(WITH_LV2),0)
TEST_SRC := $(filter-out tests/test_lv2.c tests/test_pd.c,$(TEST_SRC))
endif
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
LIB      := $(BUILD)/libneurorack.a

# The LV2 instrument: a bundle of the plugin, its Turtle files (written by lv2-ttl from the port table and
# the default model's templates) and copies of the default model and the latent curve model beside it.
# Hosts find it through LV2_PATH.
LV2_DIR    := $(BUILD)/neurorack.lv2
LV2_BUNDLE := $(LV2_DIR)/neurorack.so $(LV2_DIR)/manifest.ttl $(LV2_DIR)/default.latent.safetensors
# The Pd external neurorack~ (puredata-dev), with its help patch and copies of the default model and its
# latent curve model.
PD_DIR      := $(BUILD)/pd
PD_EXTERNAL := $(PD_DIR)/neurorack~.pd_linux $(PD_DIR)/neurorack~-help.pd $(PD_DIR)/default.safetensors \
               $(PD_DIR)/default.latent.safetensors
LILV_CFLAGS := $(shell pkg-config --cflags lilv-0 2>/dev/null)
LILV_LIBS   := $(shell pkg-config --libs lilv-0 2>/dev/null)

.PHONY: builtin-curves qemu-wrappers lv2-validate fuzz-check check-host check-emulated soak all deps check check-layers test asan-test fuzz-build fuzz clean run play cross-aarch64 test-aarch64 install install-aarch64 uninstall
all: $(BUILD)/neurorack $(if $(filter 0,$(WITH_LV2)),,$(LV2_BUNDLE) $(PD_EXTERNAL)) $(TEST_BIN)
	@if [ "$(BUILD)" = build ]; then ln -sf build/neurorack neurorack; fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Per-path flags: target-specific, so ARCH=native leaves them alone; a CPUFLAGS given on the command
# line (the aarch64 cross build) applies to every object, NEON's included.
$(BUILD)/%.avx2.o: CPUFLAGS = -march=x86-64-v3
$(BUILD)/%.avx512.o: CPUFLAGS = -march=x86-64-v4
KPATH_NUM_neon := 1
KPATH_NUM_avx2 := 2
KPATH_NUM_avx512 := 3
define kernel_rule
$(BUILD)/%.$(1).o: %.c
	@mkdir -p $$(dir $$@)
	@echo "CC $$< [$(1)]"
	@$$(CC) $$(CPPFLAGS) -DNR_KPATH=$(KPATH_NUM_$(1)) -DNR_KSUFFIX=$(1) $$(CFLAGS) -c $$< -o $$@
endef
$(foreach p,$(KPATHS),$(eval $(call kernel_rule,$(p))))

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/neurorack: $(APP_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(APP_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/nr_test.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/tests/nr_test.o $(LIB) $(LDLIBS)

# The plugin links the library's objects it needs; --exclude-libs keeps every symbol but lv2_descriptor
# inside, so two plugins built from different versions never mix. -z nodelete: a host's dlclose leaves it
# loaded, so the caches its code keeps in static pointers (FFTW plans, tables made once) stay reachable
# instead of turning into leaks (and a later load reuses them).
$(LV2_DIR)/neurorack.so: $(BUILD)/src/plugins/lv2.o $(LIB)
	@mkdir -p $(LV2_DIR)
	$(CC) $(LDFLAGS) -shared -Wl,--as-needed -Wl,--exclude-libs,ALL -Wl,-z,nodelete -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/lv2-ttl: $(BUILD)/src/plugins/lv2_ttl.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(LV2_DIR)/manifest.ttl: $(BUILD)/lv2-ttl models/default.safetensors
	@mkdir -p $(LV2_DIR)
	cp models/default.safetensors $(LV2_DIR)/default.safetensors
	$(BUILD)/lv2-ttl models/default.safetensors $(LV2_DIR)
$(LV2_DIR)/default.latent.safetensors: models/default.latent.safetensors
	@mkdir -p $(LV2_DIR)
	cp $< $@

$(BUILD)/src/plugins/pd.o: CPPFLAGS += -I/usr/include/pd
$(PD_DIR)/neurorack~.pd_linux: $(BUILD)/src/plugins/pd.o $(LIB)
	@mkdir -p $(PD_DIR)
	$(CC) $(LDFLAGS) -shared -Wl,--as-needed -Wl,--exclude-libs,ALL -Wl,-z,nodelete -o $@ $< $(LIB) $(LDLIBS)
$(PD_DIR)/neurorack~-help.pd: packaging/pd/neurorack~-help.pd
	@mkdir -p $(PD_DIR)
	cp $< $@
$(PD_DIR)/default.safetensors: models/default.safetensors
	@mkdir -p $(PD_DIR)
	cp $< $@
$(PD_DIR)/default.latent.safetensors: models/default.latent.safetensors
	@mkdir -p $(PD_DIR)
	cp $< $@
$(BUILD)/tests/test_pd: | $(PD_EXTERNAL) $(BUILD)/neurorack

# tests/test_lv2 hosts the bundle with liblilv
$(BUILD)/tests/test_lv2.o: CPPFLAGS += $(LILV_CFLAGS)
$(BUILD)/tests/test_lv2: LDLIBS += $(LILV_LIBS)
$(BUILD)/tests/test_lv2: | $(LV2_BUNDLE) $(BUILD)/neurorack

# The bundle's Turtle against the LV2 specification (lv2-dev's lv2_validate, sordi's sord_validate).
lv2-validate: $(LV2_BUNDLE)
	lv2_validate $(LV2_DIR)/*.ttl

deps:
	@scripts/install-deps.sh

# The full suite: the layer check (no lower layer includes a higher one), then two lanes side by side, one per
# core of a CI machine (make's job server shares the two slots, so a lane's builds use both once the other
# lane is done):
#   host:     the normal build and its tests, the LV2 bundle's Turtle, the same tests under AddressSanitizer +
#             UBSan, a 1-minute soak of the instrument, ThreadSanitizer over the threaded voice;
#   emulated: the aarch64 build and its tests under qemu (QEMU_TESTS), then each fuzz target for 20 s.
# The tests of a lane run one at a time. -Otarget keeps each target's output together.
check: deps
	@scripts/check-layers.sh
	$(MAKE) -j2 -Otarget --no-print-directory check-host check-emulated
	@scripts/summarize-tests.sh $(BUILD)/test-results.txt build-asan/test-results.txt build-aarch64/test-results.txt

check-host:
	$(MAKE) test
	$(MAKE) lv2-validate
	$(MAKE) asan-test
	$(MAKE) soak SOAK_MINUTES=$(SOAK_CHECK_MINUTES)
	$(MAKE) tsan-check

check-emulated:
	$(MAKE) test-aarch64
	$(MAKE) fuzz-check FUZZ_CHECK_JOBS=

check-layers:
	@scripts/check-layers.sh

test: all
	@NR_BIN=$(BUILD)/neurorack scripts/run-tests.sh $(BUILD) $(TEST_BIN)

# Leaks inside Debian's libraries (listed in tests/lsan.supp) are not ours to fix.
LSAN_SUPP := LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp
asan-test:
	$(LSAN_SUPP) $(MAKE) BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" test

# libFuzzer targets (clang): build-fuzz/fuzz_<name>, one per reader of outside bytes; corpora in
# tests/corpus/<name>/ (replayed by test_fuzz_corpus in every build). `make fuzz FUZZ_SECONDS=600` runs each
# that long and adds what it finds to the corpus (minimise it with -merge=1 before committing).
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer
fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=clang OPT=-O1 SAN="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" build-fuzz/libneurorack.a
	$(MAKE) $(FUZZ_BIN)
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_file.h build-fuzz/libneurorack.a
	@echo "LD $@"
	@clang $(CPPFLAGS) -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=fuzzer $(FUZZ_SAN) $< build-fuzz/libneurorack.a $(LDLIBS) -o $@
FUZZ_SECONDS ?= 60
fuzz: fuzz-build
	@for b in $(FUZZ_BIN); do n=$$(basename $$b); t=$${n#fuzz_}; mkdir -p tests/corpus/$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  $(LSAN_SUPP) $$b -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -close_fd_mask=2 tests/corpus/$$t || exit 1; done

# In `make check`: every target for FUZZ_CHECK_SECONDS, two at a time (one per core: 2 make jobs of one
# fuzzer each finish N targets in N/2 rounds; libFuzzer's -jobs=2 would run them one after another).
# New inputs go to build-fuzz/corpus/<name> (the committed corpus is only read); a crash leaves its input
# in build-fuzz/ and fails the check with the end of the fuzzer's log. -close_fd_mask=2: the readers' own
# warnings on stderr are dropped (libFuzzer's output and sanitizer reports still come through).
FUZZ_CHECK_SECONDS ?= 20
FUZZ_CHECK_JOBS    ?= 2
# FUZZ_CHECK_JOBS empty (as `make check` sets it): as many at a time as the job server gives (one while the
# other lane runs).
fuzz-check: fuzz-build
	@start=$$(date +%s); $(MAKE) $(if $(FUZZ_CHECK_JOBS),-j$(FUZZ_CHECK_JOBS)) $(FUZZ_BIN:build-fuzz/%=fuzz-check-%) || exit 1; \
	  echo "fuzz-check: $(words $(FUZZ_BIN)) targets x $(FUZZ_CHECK_SECONDS) s, $(if $(FUZZ_CHECK_JOBS),$(FUZZ_CHECK_JOBS) at a time,sharing the check's cores): $$(( $$(date +%s) - start )) s"
fuzz-check-fuzz_%: build-fuzz/fuzz_%
	@mkdir -p build-fuzz/corpus/$* tests/corpus/$*
	@if $(LSAN_SUPP) $< -max_total_time=$(FUZZ_CHECK_SECONDS) -max_len=65536 -close_fd_mask=2 -artifact_prefix=build-fuzz/$*- \
	    -print_final_stats=1 build-fuzz/corpus/$* tests/corpus/$* > build-fuzz/$*.log 2>&1; then \
	  echo "fuzz $*: $$(sed -n 's/^stat::number_of_executed_units: *//p' build-fuzz/$*.log) runs in $(FUZZ_CHECK_SECONDS) s, no finding"; \
	else tail -n 40 build-fuzz/$*.log; echo "fuzz $*: FAILED (input in build-fuzz/$*-*; log build-fuzz/$*.log)"; exit 1; fi

# The instrument for SOAK_MINUTES under random control scripts, OSC traffic, model reloads and settings
# saves (scripts/soak.sh): fails on a fault, dropped events beyond a bound, or memory growth.
SOAK_MINUTES       ?= 30
SOAK_CHECK_MINUTES ?= 1
soak: $(BUILD)/neurorack
	NR_BIN=$(BUILD)/neurorack scripts/soak.sh $(SOAK_MINUTES)

# The main job: the instrument on the built-in defaults (JACK, else ALSA's default device).
play: deps all
	./neurorack play

# Without a sound device: the same defaults rendered to a file.
run: deps all
	./neurorack render -o impact.wav

# The built-in templates' curves, analysed here once and kept in src/curves/builtin_curves.c (run it after
# changing src/curves/templates.c or the analysis; tests/test_templates.c fails until the table agrees).
builtin-curves: $(LIB)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $(BUILD)/gen-builtin-curves scripts/gen-builtin-curves.c $(LIB) $(LDLIBS)
	$(BUILD)/gen-builtin-curves > src/curves/builtin_curves.c.tmp
	mv src/curves/builtin_curves.c.tmp src/curves/builtin_curves.c

# Raspberry Pi 4/5 (aarch64) with Debian's cross compiler and arm64 multiarch libraries, into build-aarch64/.
# CROSS_CPU: the default runs on both (Cortex-A72 and A76); a Pi 5 only build: CROSS_CPU=-mcpu=cortex-a76.
CROSS_CC   ?= aarch64-linux-gnu-gcc
CROSS_CPU  ?= -march=armv8-a+simd -mtune=cortex-a72
CROSS_ENV  := PKG_CONFIG_LIBDIR=$(CURDIR)/build-aarch64/pkgconfig:/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
# The arm64 libc from multiarch (libc6:arm64) serves as the loader: with -L /usr/aarch64-linux-gnu (the cross
# toolchain's libc) qemu 7.2 hangs in the first pthread_create. A test stuck under emulation fails after 15 min.
QEMU_AARCH64 ?= timeout 900 qemu-aarch64
# Test programs left out under emulation, reported as skipped (they run natively in `make test`): too slow
# (test_instrument: 2.8 s natively, over 4 min under qemu; test_eval: 15 s natively, over 10 min under
# qemu: its control matrix, template sheet and the original model run through the CLI; the NEON paths
# it renders through are tested by test_impact, test_impact2 and test_nsf), or needing the host's JACK
# server (an emulated aarch64 client cannot join an x86-64 jackd). test_nsf runs a reduced set when NR_EMULATED is set.
QEMU_SKIP  ?= test_instrument test_eval
# The training side (data sets, descriptor losses, gradients, model families) is portable C with no kernel of
# its own, run on the desktop: natively and under ASan only (40-105 s each under qemu).
QEMU_TRAINING ?= test_dataset test_own_sounds test_desc_loss test_grad test_families
QEMU_HOST_ONLY ?= test_alloc_callback test_audio_backends
# Not built for aarch64 (WITH_LV2=0): the LV2 bundle and its host test run natively only.
QEMU_NO_LV2 ?= test_lv2 test_pd
# Debian 12's aarch64 GCC 12.2 crashes vectorising a loop that reduces with fmax/fmin (internal compiler error
# in vect_transform_reduction): those calls stay calls to libm there (same results).
CROSS_FIXES := -fno-builtin-fmax -fno-builtin-fmaxf -fno-builtin-fmin -fno-builtin-fminf
cross-aarch64:
	@scripts/install-cross-deps.sh
	@mkdir -p build-aarch64/pkgconfig
	@printf 'Name: liblo\nDescription: liblo7:arm64 with the host headers\nVersion: 0.31\nLibs: -L/usr/lib/aarch64-linux-gnu -l:liblo.so.7 -lpthread\nCflags:\n' > build-aarch64/pkgconfig/liblo.pc
	$(CROSS_ENV) $(MAKE) BUILD=build-aarch64 CC=$(CROSS_CC) CPUFLAGS="$(CROSS_CPU) $(CROSS_FIXES)" WITH_LV2=0 all

# The aarch64 test programs under qemu's user-mode emulator, through wrapper scripts in build-aarch64/qemu/.
# NR_EMULATED tells a test it runs emulated (a test may skip its slowest golden cases, saying so).
qemu-wrappers:
	@mkdir -p build-aarch64/qemu
	@for t in neurorack $(notdir $(TEST_BIN)); do b=build-aarch64/tests/$$t; [ $$t = neurorack ] && b=build-aarch64/neurorack; \
	  w=build-aarch64/qemu/$$t; why=; \
	  if echo " $(QEMU_SKIP) " | grep -q " $$t "; then \
	    why="too slow under qemu emulation (QEMU_SKIP in the Makefile); it runs natively in make test"; \
	  elif echo " $(QEMU_TRAINING) " | grep -q " $$t "; then \
	    why="the training side is portable C with no kernel of its own (QEMU_TRAINING in the Makefile); it runs natively and under ASan in make check"; \
	  elif echo " $(QEMU_NO_LV2) " | grep -q " $$t "; then \
	    why="the plugins (LV2, Pd) are built natively only (WITH_LV2=0 for aarch64: no arm64 liblilv or pd); it runs in make test"; \
	  elif echo " $(QEMU_HOST_ONLY) " | grep -q " $$t "; then \
	    why="needs the host JACK server, which an emulated aarch64 client cannot join (QEMU_HOST_ONLY in the Makefile); it runs natively in make test"; \
	  fi; \
	  if [ -n "$$why" ]; then printf '#!/bin/sh\necho "skip %s: %s"\necho "0 passed, 0 failed, 1 skipped"\n' $$t "$$why" > $$w; \
	  else printf '#!/bin/sh\nNR_EMULATED=qemu-aarch64 exec $(QEMU_AARCH64) %s "$$@"\n' "$$(pwd)/$$b" > $$w; fi; \
	  chmod +x $$w; done

test-aarch64: cross-aarch64 qemu-wrappers
	@NR_BIN=build-aarch64/qemu/neurorack scripts/run-tests.sh build-aarch64 $(addprefix build-aarch64/qemu/,$(notdir $(TEST_BIN)))

# Install the program, the example hardware file (kept if one exists), the systemd unit and the docs.
# For the Pi from this machine: make install-aarch64 DESTDIR=/path/to/the/pi/root
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share/neurorack
DOCDIR     ?= $(PREFIX)/share/doc/neurorack
SYSCONFDIR ?= /etc
UNITDIR    ?= /etc/systemd/system
LV2DIR     ?= $(PREFIX)/lib/lv2
install: $(BUILD)/neurorack $(if $(filter 0,$(WITH_LV2)),,$(LV2_BUNDLE))
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/models $(DESTDIR)$(DOCDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/neurorack $(DESTDIR)$(UNITDIR)
	install -m 755 $(BUILD)/neurorack $(DESTDIR)$(BINDIR)/neurorack
	# every shipped model: default (impacts) and its latent curve model, plucks, textures
	for m in models/*.safetensors; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(DATADIR)/models/; done; true
	install -m 644 packaging/hardware.conf $(DESTDIR)$(DATADIR)/hardware.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/neurorack/hardware.conf ] || \
	  install -m 644 packaging/hardware.conf $(DESTDIR)$(SYSCONFDIR)/neurorack/hardware.conf
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	  packaging/neurorack.service > $(DESTDIR)$(UNITDIR)/neurorack.service
	chmod 644 $(DESTDIR)$(UNITDIR)/neurorack.service
	for d in docs/*.md; do [ -f "$$d" ] && install -m 644 "$$d" $(DESTDIR)$(DOCDIR)/; done; true
	if [ "$(WITH_LV2)" != 0 ]; then install -d $(DESTDIR)$(LV2DIR)/neurorack.lv2 && \
	install -m 755 $(LV2_DIR)/neurorack.so $(DESTDIR)$(LV2DIR)/neurorack.lv2/ && \
	install -m 644 $(LV2_DIR)/*.ttl $(LV2_DIR)/default.safetensors $(LV2_DIR)/default.latent.safetensors \
	  $(DESTDIR)$(LV2DIR)/neurorack.lv2/; fi
	@echo "installed in $(DESTDIR)$(PREFIX); start at boot: systemctl daemon-reload && systemctl enable --now neurorack"

install-aarch64: cross-aarch64
	$(CROSS_ENV) $(MAKE) BUILD=build-aarch64 CC=$(CROSS_CC) CPUFLAGS="$(CROSS_CPU) $(CROSS_FIXES)" WITH_LV2=0 install

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/neurorack $(DESTDIR)$(UNITDIR)/neurorack.service
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(LV2DIR)/neurorack.lv2
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/neurorack/hardware.conf"

clean:
	rm -rf build build-asan build-fuzz build-aarch64 build-tsan neurorack

-include $(LIB_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(BUILD)/src/plugins/pd.d $(BUILD)/src/plugins/lv2.d $(BUILD)/src/plugins/lv2_ttl.d $(TEST_BIN:=.d) $(BUILD)/tests/nr_test.d

# Optional, not part of check: neurorack.lv2 in a headless Ardour 7 session (ardour7-lua, Dummy backend):
# three notes exported to WAV and checked, the session saved, reloaded and exported again. Exit 77 (skip)
# without ardour7-lua. docs/plugins.md.
.PHONY: ardour-check
ardour-check: $(LV2_BUNDLE)
	sh scripts/ardour-check.sh $(BUILD)

# ThreadSanitizer over the original model's voice split across threads (scripts/tsan-check.sh; part of
# check, about a minute): exit 77 from the script (no ../shared, or a kernel the sanitizer cannot start
# on) is a skip. docs/performance.md.
.PHONY: tsan-check
tsan-check:
	$(MAKE) BUILD=build-tsan OPT=-O1 SAN="-fsanitize=thread" WITH_LV2=0 build-tsan/neurorack
	@sh scripts/tsan-check.sh build-tsan; rc=$$?; [ $$rc -eq 77 ] && rc=0; exit $$rc
