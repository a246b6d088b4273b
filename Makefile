# snpvisor top-level build. Everything goes under $(BUILD)/ (git-ignored).
#
# Modules add to the variables below from their own fragments (hv/*.mk,
# iommu/*.mk, snp/*.mk, boot/*.mk, guest/*.mk, tools/*.mk):
#   PURE_SRCS     pure C compiled into both images AND into the host library
#                 $(BUILD)/host/libpure.a used by unit tests, tools and fuzzers
#   HV_SRCS       C/assembly that goes into both images only (hardware access)
#   BOOT_SRCS     the UEFI entry (the only code that includes GNU-EFI headers)
#   TEST_SRCS     only in the test image hv-test.efi: test scenarios and
#                 test-only hypercalls (hv/scenarios)
#   HW_ONLY_SRCS  only in the hardware image hv.efi: the stand-ins for what
#                 TEST_SRCS define in hv-test.efi
#   HW_ONLY_PURE_SRCS  the same, pure: also in the host library
# Two images from the same objects: $(BUILD)/hv.efi for real hardware (no
# test code; tools/check-hw-image.sh) and $(BUILD)/hv-test.efi, which make
# run, make test, make debug and make bench boot.
#   UNIT_TESTS    name -> tests/unit/test_<name>.c, a cmocka program
#   HOST_TOOLS    name -> tools/<name>.c, a host program linked with libpure
#   FUZZ_TARGETS  name -> tests/fuzz/fuzz_<name>.c, a libFuzzer target (clang)
#   GUESTS        name -> guest/<name>.c, a flat guest image (guest/guest.mk)
#   SCENARIOS     QEMU scenarios are listed in tests/qemu/scenarios.txt

BUILD ?= build
Q ?= @

# ---- machine for make run / make debug / QEMU tests -------------------------
QEMU ?= qemu-system-x86_64
MEM ?= 512M
CPU ?= EPYC
SMP ?= 1
QEMU_EXTRA ?=
CFG ?= guest/demo.cfg
TIMEOUT ?= 400
export QEMU MEM CPU SMP QEMU_EXTRA

PURE_SRCS :=
HV_SRCS :=
BOOT_SRCS :=
TEST_SRCS :=
HW_ONLY_SRCS :=
HW_ONLY_PURE_SRCS :=
UNIT_TESTS :=
HOST_TOOLS :=
FUZZ_TARGETS :=
GUESTS :=
# Shared unit-test fixtures, named before the fragments that depend on them.
SNP_ENV_OBJ := $(BUILD)/host/tests/unit/snp_env.o
FAKE_AMDVI_OBJ := $(BUILD)/host/tests/unit/fake_amdvi.o
HOST_ENV_SRCS :=
include $(sort $(shell find hv boot iommu snp guest tools -name '*.mk'))

# Development aid while a module is half-written: `make ALLOW_MISSING=1`
# drops listed sources that do not exist yet. Never used by make test.
ifeq ($(ALLOW_MISSING),1)
PURE_SRCS := $(wildcard $(PURE_SRCS))
HV_SRCS := $(wildcard $(HV_SRCS))
UNIT_TESTS := $(foreach t,$(UNIT_TESTS),$(if $(wildcard tests/unit/test_$(t).c),$(t)))
endif

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wmissing-prototypes
COMMON_CFLAGS := -std=gnu11 $(WARN) -g -I. -fno-strict-aliasing

# ---- host build (unit tests, tools) -----------------------------------------
HOST_CC ?= gcc
HOST_SAN ?= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_CFLAGS := $(COMMON_CFLAGS) -O1 -DSNPV_HOST=1 $(HOST_SAN)
HOST_OBJ := $(BUILD)/host
HOST_PURE_OBJS := $(patsubst %.c,$(HOST_OBJ)/%.o,$(PURE_SRCS) $(HW_ONLY_PURE_SRCS))
LIBPURE := $(HOST_OBJ)/libpure.a
HOST_ENV_OBJ := $(patsubst %.c,$(HOST_OBJ)/%.o,$(HOST_ENV_SRCS))

$(HOST_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(LIBPURE): $(HOST_PURE_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

UNIT_BINS := $(patsubst %,$(BUILD)/tests/unit/test_%,$(UNIT_TESTS))
$(BUILD)/tests/unit/test_%: $(HOST_OBJ)/tests/unit/test_%.o $(HOST_ENV_OBJ) $(LIBPURE)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(filter %.o,$^) $(filter %.a,$^) -lcmocka -o $@

TOOL_BINS := $(patsubst %,$(BUILD)/tools/%,$(HOST_TOOLS))
$(BUILD)/tools/%: $(HOST_OBJ)/tools/%.o $(HOST_ENV_OBJ) $(LIBPURE)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $^ -o $@

# ---- make bench-host: the pure core at -O2 without sanitizers ----------------
# tools/bench-host.c against its own -O2 build of the pure sources (docs/bench.md).
BENCH_CFLAGS := $(COMMON_CFLAGS) -O2 -DSNPV_HOST=1
BENCH_OBJ := $(BUILD)/host-o2
BENCH_OBJS := $(patsubst %.c,$(BENCH_OBJ)/%.o,$(PURE_SRCS) $(HW_ONLY_PURE_SRCS) $(HOST_ENV_SRCS) tools/bench-host.c)

$(BENCH_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTO2  $<"
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bench-host: $(BENCH_OBJS)
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) $^ -o $@

# ---- fuzz targets (clang + libFuzzer) ---------------------------------------
FUZZ_CC ?= clang
FUZZ_CFLAGS := $(COMMON_CFLAGS) -DSNPV_HOST=1 -DSNPV_FUZZ=1 -fsanitize=fuzzer,address,undefined
# Targets of the fuzz campaign that live here rather than in a module fragment:
# the whole GHCB NAE dispatcher and the guest-request path (docs/fuzzing.md).
FUZZ_TARGETS += ghcb guest_req
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
# What a target <t> may set (each optional), read by the binary's rule and by
# its own objects alike, so that the two cannot drift apart:
#   FUZZ_OPT_<t>    its optimization (-O1 when unset)
#   FUZZ_EXTRA_<t>  further flags (the ignorelists)
#   FUZZ_LISTS_<t>  the files those flags name (prerequisites)
#   FUZZ_NOCMP_<t>  sources built as objects of its own without trace-cmp (below)
# Targets that run xcheck after every operation: no coverage callbacks in the
# oracle's hot paths (ASan/UBSan unchanged), see tests/fuzz/oracle-nocov.txt.
FUZZ_NOCOV := tests/fuzz/oracle-nocov.txt
# fuzz_gmem also: -O2, and no ASan in the oracle only the harness calls
# (xcheck, the engine's walk and lookup; tests/fuzz/oracle-noasan.txt).
FUZZ_NOASAN := tests/fuzz/oracle-noasan.txt
FUZZ_OPT_gmem := -O2
FUZZ_EXTRA_gmem := -fsanitize-coverage-ignorelist=$(FUZZ_NOCOV) -fsanitize-ignorelist=$(FUZZ_NOASAN)
FUZZ_LISTS_gmem := $(FUZZ_NOCOV) $(FUZZ_NOASAN)
# fuzz_ghcb: the oracle's list, none in pmem's per-frame loops that every
# teardown runs (tests/fuzz/ghcb-nocov.txt); -O2, no ASan in the checker only
# the harness calls (tests/fuzz/ghcb-noasan.txt)
FUZZ_NOCOV_GHCB := tests/fuzz/ghcb-nocov.txt
FUZZ_NOASAN_GHCB := tests/fuzz/ghcb-noasan.txt
FUZZ_OPT_ghcb := -O2
FUZZ_EXTRA_ghcb := -fsanitize-coverage-ignorelist=$(FUZZ_NOCOV) \
	-fsanitize-coverage-ignorelist=$(FUZZ_NOCOV_GHCB) -fsanitize-ignorelist=$(FUZZ_NOASAN_GHCB)
FUZZ_LISTS_ghcb := $(FUZZ_NOCOV) $(FUZZ_NOCOV_GHCB) $(FUZZ_NOASAN_GHCB)
# fuzz_pt: the same for its own oracle and the table reader only it calls.
FUZZ_NOCOV_PT := tests/fuzz/pt-oracle-nocov.txt
FUZZ_EXTRA_pt := -fsanitize-coverage-ignorelist=$(FUZZ_NOCOV_PT)
FUZZ_LISTS_pt := $(FUZZ_NOCOV_PT)
# fuzz_guest_req: none in the crypto primitives (data-independent control flow),
# and no ASan/UBSan in the block function and GF(2^128) multiply (fixed
# 16-byte blocks of aes_gcm.c's own, tests/fuzz/crypto-noasan.txt); -O2
FUZZ_NOCOV_CRYPTO := tests/fuzz/crypto-nocov.txt
FUZZ_NOASAN_CRYPTO := tests/fuzz/crypto-noasan.txt
FUZZ_OPT_guest_req := -O2
FUZZ_EXTRA_guest_req := -fsanitize-coverage-ignorelist=$(FUZZ_NOCOV_CRYPTO) \
	-fsanitize-ignorelist=$(FUZZ_NOASAN_CRYPTO)
FUZZ_LISTS_guest_req := $(FUZZ_NOCOV_CRYPTO) $(FUZZ_NOASAN_CRYPTO)
# Code a target runs but does not aim at, built with edge coverage and without
# trace-cmp callbacks (without -use_value_profile they only feed mutation
# hints; ASan and UBSan unchanged; docs/fuzzing.md has the figures): the engine
# (hv/mm/pt*.c) in fuzz_pt (half of its time; every path still reached); in
# fuzz_gmem the engine (+23%), pmem, the RMP and its model (+8-15%; gmem itself
# keeps them); and in fuzz_ghcb the memory code below the dispatcher
# (gmem, pmem, the RMP and its model, which the teardown ending every input
# runs; +33%; the dispatcher and the checker keep their trace-cmp). The flag
# is per compilation, hence objects of each target's own.
FUZZ_ENGINE := $(filter hv/mm/pt%.c,$(PURE_SRCS) $(HW_ONLY_PURE_SRCS))
FUZZ_NOCMP_pt := $(FUZZ_ENGINE)
FUZZ_FRAMES := hv/mm/pmem.c snp/rmp.c snp/rmp_model.c
FUZZ_NOCMP_gmem := $(FUZZ_ENGINE) $(FUZZ_FRAMES)
FUZZ_NOCMP_ghcb := $(FUZZ_ENGINE) hv/core/gmem.c $(FUZZ_FRAMES)
fuzz_opt = $(or $(FUZZ_OPT_$(1)),-O1)
# $(1) target: its lists and its objects without trace-cmp
define fuzz_target_rules
$$(BUILD)/fuzz/fuzz_$(1): $$(FUZZ_LISTS_$(1))
FUZZ_NOCMP_OBJS_$(1) := $$(patsubst %.c,$$(BUILD)/fuzz/nocmp-$(1)/%.o,$$(FUZZ_NOCMP_$(1)))
$$(FUZZ_NOCMP_OBJS_$(1)): $$(BUILD)/fuzz/nocmp-$(1)/%.o: %.c $$(FUZZ_LISTS_$(1))
	@mkdir -p $$(dir $$@)
	@echo "  FUZZCC  $$@"
	$$(Q)$$(FUZZ_CC) $$(COMMON_CFLAGS) -DSNPV_HOST=1 -DSNPV_FUZZ=1 \
		-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-coverage=trace-cmp \
		$$(call fuzz_opt,$(1)) $$(FUZZ_EXTRA_$(1)) -MMD -MP -c $$< -o $$@
-include $$(FUZZ_NOCMP_OBJS_$(1):.o=.d)
$$(BUILD)/fuzz/fuzz_$(1): $$(FUZZ_NOCMP_OBJS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target_rules,$(t))))
# The target's own objects replace their sources.
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(HOST_ENV_SRCS) $(PURE_SRCS) $(HW_ONLY_PURE_SRCS)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(call fuzz_opt,$*) $(FUZZ_EXTRA_$*) \
		$(filter-out $(FUZZ_NOCMP_$*),$(filter %.c,$^)) $(filter %.o,$^) -o $@


# ---- hypervisor image (UEFI application, newlib C library) -------------------
NEWLIB_DIR := $(BUILD)/newlib
NEWLIB_INC := $(NEWLIB_DIR)/install/x86_64-elf/include
NEWLIB_LIBC := $(NEWLIB_DIR)/install/x86_64-elf/lib/libc.a
GCC_INC := $(shell $(HOST_CC) -print-file-name=include)
LIBGCC := $(shell $(HOST_CC) -print-libgcc-file-name)
EFI_LDS := /usr/lib/elf_x86_64_efi.lds
EFI_CRT0 := /usr/lib/crt0-efi-x86_64.o

# No SSE in hypervisor objects (-mgeneral-regs-only), checked after linking by
# tools/check-link.sh. -fpic/-mno-red-zone/-fshort-wchar per GNU-EFI (qemu-facts.md).
HV_CFLAGS := $(COMMON_CFLAGS) -O2 -fpic -fshort-wchar -mno-red-zone -ffreestanding \
	-fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-nostdinc -isystem $(GCC_INC) -isystem $(NEWLIB_INC) -DSNPV_HV=1
EFI_CFLAGS := -isystem /usr/include/efi -isystem /usr/include/efi/x86_64 -DGNU_EFI_USE_MS_ABI
HV_OBJ := $(BUILD)/hv-obj
hv_objs = $(patsubst %,$(HV_OBJ)/%.o,$(basename $(1)))
HV_COMMON_OBJS := $(call hv_objs,$(PURE_SRCS) $(HV_SRCS) $(BOOT_SRCS))
# hv.efi: for hardware, no test code. hv-test.efi: the test image.
HV_HW_OBJS := $(HV_COMMON_OBJS) $(call hv_objs,$(HW_ONLY_SRCS) $(HW_ONLY_PURE_SRCS))
HV_TEST_OBJS := $(HV_COMMON_OBJS) $(call hv_objs,$(TEST_SRCS))

$(NEWLIB_LIBC): tools/build-newlib.sh
	$(Q)sh tools/build-newlib.sh $(NEWLIB_DIR)

$(HV_OBJ)/boot/%.o: boot/%.c $(NEWLIB_LIBC)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(HOST_CC) $(HV_CFLAGS) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(HV_OBJ)/%.o: %.c $(NEWLIB_LIBC)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(HOST_CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(HV_OBJ)/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(HOST_CC) $(HV_CFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

# libefi's init.o defines memcpy/memset too: weaken them so newlib's win
# (qemu-facts.md).
$(BUILD)/efi/libefi.a: /usr/lib/libefi.a
	@mkdir -p $(dir $@)
	$(Q)objcopy --weaken-symbol=memcpy --weaken-symbol=memset $< $@

# $(call link_image,NAME,OBJECTS,HW): $(BUILD)/NAME.so and its map
# $(BUILD)/NAME.map; HW = yes: also tools/check-hw-image.sh (no test code).
define link_image
$(BUILD)/$(1).so: $(2) $(NEWLIB_LIBC) $(BUILD)/efi/libefi.a tools/check-link.sh \
		$(if $(3),tools/check-hw-image.sh)
	@echo "  LD      $$@"
	$(Q)ld -nostdlib -znocombreloc -T $(EFI_LDS) -shared -Bsymbolic --no-undefined \
		-z nodynamic-undefined-weak -z noexecstack $(EFI_CRT0) $(2) \
		--start-group $(NEWLIB_LIBC) $(BUILD)/efi/libefi.a /usr/lib/libgnuefi.a $(LIBGCC) --end-group \
		-Map $(BUILD)/$(1).map -o $$@.tmp
	$(Q)sh tools/check-link.sh $$@.tmp $(2)
	$(if $(3),$(Q)sh tools/check-hw-image.sh $(BUILD)/$(1).map $$@.tmp)
	$(Q)mv $$@.tmp $$@
endef
$(eval $(call link_image,hv,$(HV_HW_OBJS),yes))
$(eval $(call link_image,hv-test,$(HV_TEST_OBJS),))

$(BUILD)/%.efi: $(BUILD)/%.so
	@echo "  EFI     $@"
	$(Q)objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

all: $(BUILD)/hv.efi $(BUILD)/hv-test.efi host $(GUEST_IMAGES) $(BUILD)/bench-host

# (not into build/qemu-11: a whole Debian tree, with folders named *.d)
-include $(shell find $(BUILD) -path $(BUILD)/qemu-11 -prune -o -name '*.d' -type f -print 2>/dev/null)

# ---- top-level targets -------------------------------------------------------
.PHONY: all deps qemu11 host unit tools fuzz fuzz-long run test debug bench bench-host experiment experiments clean compdb format
.DEFAULT_GOAL := all

deps:
	$(Q)sh tools/install-deps.sh

# QEMU 11.1 + OVMF from Debian trixie-backports in $(BUILD)/qemu-11 (host
# untouched), the second test platform: make run QEMU=$(BUILD)/qemu-11/qemu-system-x86_64
qemu11:
	$(Q)sh tools/install-qemu11.sh $(BUILD)/qemu-11

host: $(LIBPURE) $(UNIT_BINS) $(TOOL_BINS)
unit: deps host
	$(Q)python3 tests/run_tests.py --build $(BUILD) --unit-only
tools: $(TOOL_BINS)

FUZZ_SECONDS ?= 60
fuzz: deps $(FUZZ_BINS)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) BUILD=$(BUILD) sh tools/run-fuzz.sh $(FUZZ_BINS)

# make fuzz-long: the campaign (tools/fuzz-campaign.py, docs/fuzzing.md): every
# target for FUZZ_RUNS executions or FUZZ_TIME seconds each (whichever comes
# first), FUZZ_JOBS fuzzers at a time, FUZZ_PER_TARGET of them per target
# sharing its corpus (kept in $(BUILD)/fuzz-corpus/<target>) and splitting its
# executions, figures in $(BUILD)/fuzz-campaign/summary.{json,md}.
# FUZZ_LONG_TARGETS: a subset.
FUZZ_RUNS ?= 10000000
FUZZ_TIME ?= 3600
FUZZ_JOBS ?= 2
FUZZ_PER_TARGET ?= 1
FUZZ_LONG_TARGETS ?= $(FUZZ_TARGETS)
fuzz-long: deps $(FUZZ_BINS)
	$(Q)python3 tools/fuzz-campaign.py --build $(BUILD) --runs $(FUZZ_RUNS) --time $(FUZZ_TIME) \
		--jobs $(FUZZ_JOBS) --fuzzers $(FUZZ_PER_TARGET) $(FUZZ_LONG_TARGETS)

JOBS ?= $(shell nproc)

test: deps
	$(Q)sh tools/install-qemu11.sh $(BUILD)/qemu-11 || echo "make test: going on; the qemu11/ scenarios will be skipped"
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all linux-assets $(BUILD)/fuzz/fuzz_psc
	$(Q)python3 tests/run_tests.py --build $(BUILD)

# the demo (guest/demo.cfg) has an SNP Linux guest: the Debian kernel and the
# initramfs of linux-assets (downloaded once, cached under $(BUILD)/linux)
run: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all linux-assets
	$(Q)python3 tools/qemu_run.py --build $(BUILD) --cfg $(CFG) --timeout $(TIMEOUT)

debug: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all
	$(Q)python3 tools/qemu_run.py --build $(BUILD) --cfg $(CFG) --debug

# BENCH_HOST_ARGS: e.g. --sizes 64M,512M or --csv build/bench-host.csv
BENCH_HOST_ARGS ?=
bench-host: $(BUILD)/bench-host
	$(Q)$(BUILD)/bench-host $(BENCH_HOST_ARGS)

# make experiment NAME=iommu-modes: runs tools/experiments/NAME.toml, writes
# docs/experiments/NAME/ (CSV, plots, report); make experiments: all but smoke.
# The qemu runner's experiments (linux-snp) boot build/hv-test.efi with the
# Linux guest of linux-assets, hence all and linux-assets (and QEMU 11.1 in
# build/qemu-11 for linux-snp's qemu = 11.1 points).
EXPERIMENTS := $(filter-out smoke,$(basename $(notdir $(wildcard tools/experiments/*.toml))))
experiment: deps
	$(Q)test -n "$(NAME)" || { echo "make experiment NAME=<one of: $(EXPERIMENTS)>"; exit 2; }
	$(Q)sh tools/install-qemu11.sh $(BUILD)/qemu-11 || echo "make experiment: no QEMU 11.1"
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all linux-assets
	$(Q)/usr/bin/python3 tools/experiment.py run $(NAME) --build $(BUILD)
experiments: deps
	$(Q)sh tools/install-qemu11.sh $(BUILD)/qemu-11 || echo "make experiments: no QEMU 11.1"
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all linux-assets
	$(Q)for e in $(EXPERIMENTS); do /usr/bin/python3 tools/experiment.py run $$e --build $(BUILD) || exit 1; done

bench: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all
	$(Q)python3 tests/run_tests.py --build $(BUILD) --bench

compdb:
	$(Q)bear --output compile_commands.json -- $(MAKE) -B -j$(JOBS) --no-print-directory all

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
