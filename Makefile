# certkeep - build, test, demo. See README.md.
#
#   make            build bin/certkeep (and build/libcertkeep.a)
#   make check      install missing packages (as root), build, run every test
#   make demo       walk through the lifecycle on a throwaway store
#   make e2e-san    the end-to-end suite against the sanitizer build (bin/certkeep-san; part of check)
#   make bench      store and CA benchmarks at 1,000,000 certificates (BENCH_N=...),
#                   rebinding, the monitor's memory at 100,000 due, and mail delivery with a reused connection against one per mail

CC      ?= cc
PKGS    := libcrypto sqlite3 jansson libidn2
# libssl and libcurl: headers at build time; the libraries are loaded when a
# probe or a mail first needs them (dlopen, src/pki/libssl.h and
# src/mail/smtp.c), so that other commands do not pay for loading them.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libssl libcurl 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The TLS test servers in the unit tests use libssl directly.
TEST_LIBS  := $(PKG_LIBS) $(shell pkg-config --libs libssl 2>/dev/null) -lcmocka

WARN    := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wpointer-arith -Wformat=2
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(PKG_CFLAGS) -Isrc
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC := $(sort $(wildcard src/base/*.c src/pki/*.c src/store/*.c src/mail/*.c src/core/*/*.c src/daemon/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

LIB_OBJ := $(LIB_SRC:%.c=build/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=build/obj/%.o)
SCLI_OBJ := $(CLI_SRC:%.c=build/san/%.o)
SLIB_OBJ := $(LIB_SRC:%.c=build/san/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/unit/%)
UNIT_SAN := $(UNIT_SRC:tests/unit/%.c=build/unit-san/%)

PREFIX  ?= /usr/local
DEPS_APT := build-essential pkg-config libssl-dev libsqlite3-dev libjansson-dev libidn2-dev \
            libcurl4-openssl-dev libcmocka-dev openssl sqlite3 jq fiu-utils postfix nginx-light iproute2 \
            python3-aiosmtpd eatmydata

.PHONY: all check deps unit unit-san e2e e2e-san demo bench bench-smoke install clean analyze lint fuzz fuzz-replay
all: bin/certkeep docs/certkeep.1

# Quiet by default; "make V=1" shows every command.
Q := $(if $(V),,@)

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-SAN  $<")
	$(Q)$(CC) $(CFLAGS) $(SAN) -MMD -MP -c -o $@ $<

build/libcertkeep.a: $(LIB_OBJ)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)ar rcs $@ $^

build/libcertkeep-san.a: $(SLIB_OBJ)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)ar rcs $@ $^

bin/certkeep: $(CLI_OBJ) build/libcertkeep.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) build/libcertkeep.a $(PKG_LIBS)

# The same binary under AddressSanitizer and UndefinedBehaviorSanitizer,
# for one run of the end-to-end suite (make e2e-san).
bin/certkeep-san: $(SCLI_OBJ) build/libcertkeep-san.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $(SCLI_OBJ) build/libcertkeep-san.a $(PKG_LIBS)

build/unit/%: tests/unit/%.c tests/unit/unit_util.h build/libcertkeep.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< build/libcertkeep.a $(TEST_LIBS)

build/unit-san/%: tests/unit/%.c tests/unit/unit_util.h build/libcertkeep-san.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(SAN) -Wno-missing-prototypes -o $@ $< build/libcertkeep-san.a $(TEST_LIBS)

docs/certkeep.1: docs/certkeep.1.in bin/certkeep
	sh docs/mkman.sh bin/certkeep docs/certkeep.1.in > $@.tmp && mv $@.tmp $@

# Installs what the build and the tests need, when run as root on Debian.
deps:
	@sh tests/deps.sh $(DEPS_APT)

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

unit-san: $(UNIT_SAN)
	@sh tests/run-unit.sh $(UNIT_SAN)

e2e: bin/certkeep docs/certkeep.1
	@bash tests/e2e/run.sh
	@bash tests/man-examples.sh

# Every end-to-end case against the sanitizer build: a leak, an overflow
# or undefined behaviour makes the command fail (exit 99 or a signal).
e2e-san: bin/certkeep-san
	@CK=$(CURDIR)/bin/certkeep-san E2E_SAN=1 E2E_CASE_TIMEOUT=300 bash tests/e2e/run.sh

check: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) unit-san
	$(MAKE) fuzz-replay
	$(MAKE) e2e
	$(MAKE) e2e-san
	$(MAKE) demo
	$(MAKE) bench-smoke
	@echo "check: 9 passed, 0 failed (build, lint, unit, unit-san, fuzz-replay, e2e, e2e-san, demo, bench-smoke)"

demo: bin/certkeep
	@bash tests/demo.sh

build/bench/%: bench/%.c build/libcertkeep.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $< build/libcertkeep.a $(PKG_LIBS)

BENCH_N ?= 1000000
BENCH_CA_BULK ?= 20000
bench: build/bench/bench_store build/bench/bench_ca build/bench/bench_mail bin/certkeep
	build/bench/bench_store $(BENCH_N)
	build/bench/bench_ca $(BENCH_N) $(BENCH_CA_BULK)
	bash bench/bench_rebind.sh 1000
	bash bench/bench_monitor.sh 100000
	bash bench/bench_mail.sh

bench-smoke: build/bench/bench_store build/bench/bench_ca bin/certkeep
	build/bench/bench_store 2000
	bash bench/bench_rebind.sh 50
	bash bench/bench_monitor.sh 2000
	build/bench/bench_ca 2000 300

# Fuzzing: each fuzz/fuzz_X.c is a libFuzzer harness. fuzz-replay runs the
# corpus through it (sanitizers on, no libFuzzer needed) as part of check;
# "make fuzz FUZZ=names FUZZ_SECONDS=60" fuzzes with clang's libFuzzer.
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=build/fuzz-replay/%)
FUZZ ?= names
FUZZ_SECONDS ?= 60

build/fuzz-replay/%: fuzz/%.c fuzz/replay.c build/libcertkeep-san.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $< fuzz/replay.c build/libcertkeep-san.a $(PKG_LIBS)

fuzz-replay: $(FUZZ_REPLAY)
	@for h in $(FUZZ_REPLAY); do n=$${h#build/fuzz-replay/fuzz_}; \
	  $$h fuzz/corpus/$$n/* || exit 1; done

fuzz:
	@mkdir -p build/fuzz
	clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
	  -o build/fuzz/fuzz_$(FUZZ) fuzz/fuzz_$(FUZZ).c $(LIB_SRC) $(PKG_CFLAGS) $(PKG_LIBS)
	@mkdir -p build/fuzz/corpus-$(FUZZ)
	build/fuzz/fuzz_$(FUZZ) -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$(FUZZ) fuzz/corpus/$(FUZZ)

analyze:
	$(MAKE) clean
	$(MAKE) CFLAGS="-O1 -g -fanalyzer" all

# The layers are read from includes, the circles from the objects' symbols.
lint: bin/certkeep
	@sh tests/layers.sh
	@sh tests/circles.sh
	@! grep -rnE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|sscanf|gets)[[:space:]]*\(' src \
	  || { echo "banned calls above"; exit 1; }

install: all
	install -D -m 0755 bin/certkeep $(DESTDIR)$(PREFIX)/bin/certkeep
	install -D -m 0644 docs/certkeep.1 $(DESTDIR)$(PREFIX)/share/man/man1/certkeep.1
	for u in certkeep.service certkeep-monitor.service certkeep-monitor.timer; do \
	  sed 's|/usr/local/bin/|$(PREFIX)/bin/|' contrib/systemd/$$u > build/$$u && \
	  install -D -m 0644 build/$$u $(DESTDIR)$(PREFIX)/lib/systemd/system/$$u || exit 1; \
	done

clean:
	rm -rf build bin docs/certkeep.1

-include $(shell find build -name '*.d' 2>/dev/null)
