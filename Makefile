# sealvisor — the one build entry point.
#   make            build build/BOOTX64.EFI, the partition images and the
#                   launch-measurement verifier build/tools/sv-measure
#   make run        boot it under QEMU/OVMF (SVM+NPT); prints the hypervisor's exit
#                   status, but make itself exits 0 or 2: ./run exits with it
#   make run-bochs  boot it under Bochs (VMX+EPT)
#   make run-linux  boot Debian 12's kernel (fetched once into build/linux) to its
#                   init and power-off, 2 vCPUs, 256 MiB (run-linux-bochs: Bochs)
#   make debug      QEMU paused with a gdb stub; prints the gdb command line
#   make test       host unit tests (plain and under ThreadSanitizer), fuzz smoke run, boot tests under QEMU and Bochs
#   make check-layout  include picture; fails on an include running back up (part of make test)
#   make fuzz       long libFuzzer run of the hypercall harness (FUZZ_RUNS)
#   make bench      host benchmarks and the extended-state switch cost measured
#                   in the hypervisor under QEMU (BENCH_BOCHS=1: Bochs too); figures only
#   make bench-guest  the in-guest micro-benchmark under QEMU/SVM and Bochs/VMX:
#                   exits, faults and punches in TSC cycles and as ratios to a
#                   baseline loop (table, CSV in build/bench); figures only

BUILD   ?= build
CC      := gcc
LD      := ld
NASM    := nasm
OBJCOPY := objcopy
CONFIG  ?= tests/configs/default.cfg

EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
EFI_CRT0 := $(EFI_LIB)/crt0-efi-x86_64.o

.DEFAULT_GOAL := all

# Quiet by default; `make V=1` shows the full commands.
Q := $(if $(V),,@)

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Freestanding, position-independent, no SSE (the hypervisor never saves its
# own FPU state), frame pointers kept for the exception backtrace.
HV_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fpic \
	-fno-stack-protector -fno-stack-check -fshort-wchar -mno-red-zone \
	-mgeneral-regs-only -maccumulate-outgoing-args -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fvisibility=hidden -fno-strict-aliasing \
	-DGNU_EFI_USE_MS_ABI -Iinclude -I. -I$(BUILD)/gen -MMD -MP
EFI_CFLAGS := -I$(EFI_INC) -I$(EFI_INC)/x86_64 -I$(EFI_INC)/protocol
HV_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic --no-undefined \
	-T linker.ld -L$(EFI_LIB)

HV_C_SRCS := $(wildcard boot/*.c arch/x86/*.c arch/x86/svm/*.c arch/x86/vmx/*.c mm/*.c hv/*.c lib/*.c)
HV_ASM_SRCS := $(wildcard arch/x86/*.asm arch/x86/svm/*.asm arch/x86/vmx/*.asm)
HV_OBJS := $(HV_C_SRCS:%.c=$(BUILD)/hv/%.o) $(HV_ASM_SRCS:%.asm=$(BUILD)/hv/%.asm.o)

# Host build of the hardware-independent code for unit tests and benchmarks.
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread -Iinclude -I. \
	-DSEALVISOR_HOST -MMD -MP
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)
HOST_MM_SRCS := $(wildcard mm/*.c) lib/fmt.c lib/errno_name.c
HOST_MM_OBJS := $(HOST_MM_SRCS:%.c=$(BUILD)/host/%.o)
# The VMM's device models (guest/vmm, issue 12 item 3): pure C, host-tested.
PC_DEVICE_SRCS := $(addprefix guest/vmm/,uart16550.c pic8259.c pit8254.c rtc_cmos.c rtc_irq.c ioapic.c com1_input.c \
	pci_host.c acpi_pm.c acpi_tables.c pc_machine.c pc_msr.c)
HOST_LIB_SRCS := $(HOST_MM_SRCS) lib/sha256.c hv/vm.c hv/vcpu_state.c hv/vcpu_regs.c hv/vcpu_mp.c hv/cr_policy.c hv/cpuid_policy.c hv/audit.c hv/hypercall.c \
	hv/run.c hv/events.c hv/nmi.c hv/vlapic.c hv/vlapic_msr.c hv/intercept.c hv/msr.c hv/cpuid.c hv/xstate_policy.c hv/clock.c hv/watchdog.c hv/trace.c lib/ratelimit.c hv/object_map.c hv/shootdown.c hv/invalidate.c hv/deferred_free.c hv/measure.c hv/memattr.c hv/memattr_vm.c hv/memattr_guest.c boot/config.c \
	arch/x86/svm/npt.c arch/x86/vmx/ept.c arch/x86/svm/svm_tlb.c arch/x86/svm/vmcb_clean.c arch/x86/svm/svm_msr.c arch/x86/vmx/vmx_tlb.c arch/x86/svm/svm_cr_decode.c arch/x86/timer_units.c guest/vmm/multiboot.c guest/vmm/linux_boot.c guest/vmm/pc_ram.c guest/vmm/vm_config.c \
	hv/insn_decode.c hv/vlapic_xapic.c hv/vlapic_mmio.c hv/guest_fetch.c hv/mmio.c \
	hv/attest.c hv/attest_report.c hv/attest_key.c hv/attest_digest.c hv/entropy_check.c \
	$(PC_DEVICE_SRCS)
HOST_LIB_OBJS := $(HOST_LIB_SRCS:%.c=$(BUILD)/host/%.o)
# The verifier's stream writer: the tool and the unit tests share it.
TOOL_LIB_OBJS := $(BUILD)/host/tests/tools/launch_stream.o
# vmcs_cache.c drives VMX instructions through hooks its unit test
# provides (tests/unit/test_vmcs_cache.c): linked with the unit tests
# only, not with the benchmark or the fuzzer.
UNIT_SRCS := $(wildcard tests/unit/*.c) arch/x86/vmx/vmcs_cache.c
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/host/%.o) $(TOOL_LIB_OBJS)
BENCH_SRCS := $(wildcard tests/bench/*.c)

# ---- BearSSL (issue 13: the attestation key's signatures) --------------------
# Debian's source (tests/bearssl.sh fetches and checks it; never committed),
# only the files ECDSA P-256 signing over SHA-256 with an HMAC-DRBG needs,
# built twice from the same list: with the hypervisor's own freestanding
# flags (no red zone, general registers only) for the image, and with the
# host flags for the unit tests, which also verify what they sign. BR_*=0:
# none of its CPU-feature paths (RDRAND, SSE2, AES-NI) and no clock. Its
# warnings are shown, not errors: a newer compiler must not break the build
# over code we do not change.
BEARSSL_DIR := $(BUILD)/bearssl
BEARSSL_SRC := $(BEARSSL_DIR)/bearssl-0.6
BEARSSL_STAMP := $(BEARSSL_SRC)/.checked
BEARSSL_SRCS := hash/sha2small.c mac/hmac.c rand/hmac_drbg.c \
	ec/ec_p256_m31.c ec/ec_pubkey.c ec/ec_keygen.c ec/ec_secp256r1.c ec/ec_secp384r1.c \
	ec/ec_secp521r1.c ec/ecdsa_i31_sign_raw.c ec/ecdsa_i31_vrfy_raw.c ec/ecdsa_i31_bits.c \
	codec/ccopy.c codec/dec32be.c codec/enc32be.c \
	int/i31_add.c int/i31_bitlen.c int/i31_decode.c int/i31_decmod.c int/i31_encode.c \
	int/i31_fmont.c int/i31_iszero.c int/i31_modpow.c int/i31_montmul.c int/i31_muladd.c \
	int/i31_ninv31.c int/i31_rshift.c int/i31_sub.c int/i31_tmont.c int/i32_div32.c
BEARSSL_FLAGS := -I$(BEARSSL_SRC)/inc -I$(BEARSSL_SRC)/src -DBR_RDRAND=0 -DBR_SSE2=0 \
	-DBR_AES_X86NI=0 -DBR_POWER8=0 -DBR_USE_UNIX_TIME=0 -DBR_USE_WIN32_TIME=0
BEARSSL_HV_OBJS := $(BEARSSL_SRCS:%.c=$(BEARSSL_DIR)/hv/%.o)
BEARSSL_HOST_OBJS := $(BEARSSL_SRCS:%.c=$(BEARSSL_DIR)/host/%.o)
BEARSSL_HV_LIB := $(BEARSSL_DIR)/libbearssl-hv.a
BEARSSL_HOST_LIB := $(BEARSSL_DIR)/libbearssl-host.a
# The files that include BearSSL's headers (hv/attest_key.c, and the unit
# test that verifies its signatures), in every build.
BEARSSL_USERS := $(BUILD)/hv/hv/attest_key.o $(BUILD)/host/hv/attest_key.o \
	$(BUILD)/tsan/hv/attest_key.o $(BUILD)/fuzz/obj/hv/attest_key.o \
	$(BUILD)/host/tests/unit/test_attest.o $(BUILD)/tsan/tests/unit/test_attest.o

$(BEARSSL_STAMP): tests/bearssl.sh
	$(Q)tests/bearssl.sh $(BEARSSL_DIR)
$(BEARSSL_HV_OBJS): $(BEARSSL_DIR)/hv/%.o: $(BEARSSL_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      bearssl/$*.c")
	$(Q)$(CC) $(filter-out -I% -MMD -MP -Werror,$(HV_CFLAGS)) $(BEARSSL_FLAGS) -c $(BEARSSL_SRC)/src/$*.c -o $@
$(BEARSSL_HOST_OBJS): $(BEARSSL_DIR)/host/%.o: $(BEARSSL_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  bearssl/$*.c")
	$(Q)$(CC) $(filter-out -I% -MMD -MP -DSEALVISOR_HOST -Werror,$(HOST_CFLAGS)) $(BEARSSL_FLAGS) -c $(BEARSSL_SRC)/src/$*.c -o $@
# Makefile too: under .SECONDARY a file added to BEARSSL_SRCS would not
# rebuild a library newer than the sources.
$(BEARSSL_HV_LIB): $(BEARSSL_HV_OBJS) Makefile
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)
$(BEARSSL_HOST_LIB): $(BEARSSL_HOST_OBJS) Makefile
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)
$(BEARSSL_USERS): | $(BEARSSL_STAMP)
$(BEARSSL_USERS): HV_CFLAGS += -I$(BEARSSL_SRC)/inc
$(BEARSSL_USERS): HOST_CFLAGS += -I$(BEARSSL_SRC)/inc
$(BEARSSL_USERS): TSAN_CFLAGS += -I$(BEARSSL_SRC)/inc
$(BEARSSL_USERS): FUZZ_CFLAGS += -I$(BEARSSL_SRC)/inc
# ---- end of BearSSL ----------------------------------------------------------

# Partition images (control partition, guest test kernels): freestanding
# static ELF64 linked at 1 MiB by guest/partition.ld.
PART_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-omit-frame-pointer -Iinclude -I. -MMD -MP
PART_LIB := guest/lib/rt.c lib/fmt.c lib/string.c lib/errno_name.c
PART_LIB_OBJS := $(PART_LIB:%.c=$(BUILD)/part/%.o)
KERNEL_LIB_OBJS := $(PART_LIB_OBJS) $(BUILD)/part/guest/lib/kernel.o $(BUILD)/part/guest/lib/trap.o \
	$(BUILD)/part/guest/lib/memattr.o \
	$(BUILD)/part/guest/lib/irq.o
GUEST_KERNELS := hello private-touch punch spin smp-punch stale-tlb hypercall-rights exceptions xstate intercepts msrs msr-exit db-storm irq x2apic xapic mmio nmi apic-timer marker \
	cpuid-table sipi memattr attest cc-demo bench-guest
# 16- and 32-bit test kernels in assembly (tests/guests/*.asm), linked low.
ASM_KERNELS := realmode prot32 modeswitch modeswitch16
# Hostile control partitions (tests/guests/*-control.c): no kernel runtime.
HOSTILE_CONTROLS := hostile-control map-race-control populate-flip-control exhaust-control \
	spin-control
PART_IMAGES := $(BUILD)/control.elf $(HOSTILE_CONTROLS:%=$(BUILD)/guests/%.elf) \
	$(GUEST_KERNELS:%=$(BUILD)/guests/%.elf) $(ASM_KERNELS:%=$(BUILD)/guests/%.elf)

.PHONY: all clean run run-bochs run-linux run-linux-bochs debug test unit-test boot-test bench bench-guest deps help image
# Keep every object, also those only reached through pattern rules.
.SECONDARY:
all: $(BUILD)/BOOTX64.EFI $(PART_IMAGES) $(BUILD)/tools/sv-measure $(MB_IMAGES)

$(BUILD)/part/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  PARTCC  $<")
	$(Q)$(CC) $(PART_CFLAGS) -c $< -o $@

# The control partition's VMM: guest/vmm/ (its files by job: guest/vmm/vmm.h).
VMM_OBJS := $(patsubst %.c,$(BUILD)/part/%.o,$(wildcard guest/vmm/*.c))
$(BUILD)/control.elf: $(VMM_OBJS) $(KERNEL_LIB_OBJS) guest/partition.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -nostdlib -static -z noexecstack -T guest/partition.ld $(filter %.o,$^) -o $@

# populate-flip-control computes launch digests itself, attest its RTMRs:
# they link SHA-256.
$(BUILD)/guests/populate-flip-control.elf $(BUILD)/guests/attest.elf: $(BUILD)/part/lib/sha256.o
$(HOSTILE_CONTROLS:%=$(BUILD)/guests/%.elf): $(BUILD)/guests/%.elf: $(BUILD)/part/tests/guests/%.o $(PART_LIB_OBJS) guest/partition.ld
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -nostdlib -static -z noexecstack -T guest/partition.ld $(filter %.o,$^) -o $@

$(ASM_KERNELS:%=$(BUILD)/guests/%.elf): $(BUILD)/guests/%.elf: tests/guests/%.asm tests/guests/sv-note.inc tests/guests/low.ld \
		$(wildcard tests/guests/*.inc)
	@mkdir -p $(@D) $(BUILD)/part/tests/guests
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) -f elf64 -I tests/guests/ $< -o $(BUILD)/part/tests/guests/$*.asm.o
	$(Q)$(LD) -nostdlib -static -z noexecstack -T tests/guests/low.ld $(BUILD)/part/tests/guests/$*.asm.o -o $@

# Multiboot test kernels (tests/mb/, one file each): kernels for `qemu -kernel`, run on
# QEMU itself and under ./sealvisor by tests/mb-tests.sh.
MB_KERNELS := mb-boot mb-irq mb-accept mb-acpi mb-rtc mb-pci mb-pit mb-lapic mb-ipi mb-uart mb-sse \
	mb-level mb-lint0 mb-rtc-irq mb-com1-in mb-elf32 mb-highmem mb-cr3 mb-inject-once
# Of those, the ones built as ELF32 files without the a.out kludge.
MB_ELF32 := mb-elf32
MB_LIB_OBJS := $(BUILD)/part/guest/mb/entry.asm.o $(BUILD)/part/guest/mb/ap.asm.o \
	$(patsubst %.c,$(BUILD)/part/%.o,$(wildcard guest/mb/*.c)) \
	$(BUILD)/part/lib/fmt.o $(BUILD)/part/lib/string.o
MB_IMAGES := $(MB_KERNELS:%=$(BUILD)/mb/%.elf)
# (all's prerequisites line above is read before this one: named here.)
all: $(MB_IMAGES)
# Their C may use SSE: entry.asm turns it on before any C runs.
$(MB_KERNELS:%=$(BUILD)/part/tests/mb/%.o): PART_CFLAGS := $(filter-out -mgeneral-regs-only,$(PART_CFLAGS))
$(BUILD)/part/guest/mb/%.asm.o: guest/mb/%.asm
	@mkdir -p $(@D)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) -f elf64 $< -o $@
$(filter-out $(MB_ELF32:%=$(BUILD)/mb/%.elf),$(MB_IMAGES)): $(BUILD)/mb/%.elf: $(BUILD)/part/tests/mb/%.o $(MB_LIB_OBJS) guest/mb/mb.ld
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -nostdlib -static -z noexecstack -z max-page-size=0x1000 -T guest/mb/mb.ld $(filter %.o,$^) -o $@
# The ELF32 kernels: a header without the a.out kludge, and the linked
# ELF64 file rewritten as ELF32 (all of it lies below 4 GiB), the format
# QEMU's Multiboot loader takes by its program headers.
$(BUILD)/part/guest/mb/entry-elf32.asm.o: guest/mb/entry.asm
	@mkdir -p $(@D)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) -f elf64 -DMB_ELF32 $< -o $@
$(MB_ELF32:%=$(BUILD)/mb/%.elf): $(BUILD)/mb/%.elf: $(BUILD)/part/tests/mb/%.o $(BUILD)/part/guest/mb/entry-elf32.asm.o \
		$(filter-out $(BUILD)/part/guest/mb/entry.asm.o,$(MB_LIB_OBJS)) guest/mb/mb.ld
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -nostdlib -static -z noexecstack -z max-page-size=0x1000 -T guest/mb/mb.ld $(filter %.o,$^) -o $@.64
	$(Q)objcopy -O elf32-i386 $@.64 $@
	$(Q)rm -f $@.64

$(BUILD)/guests/%.elf: $(BUILD)/part/tests/guests/%.o $(KERNEL_LIB_OBJS) guest/partition.ld
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -nostdlib -static -z noexecstack -T guest/partition.ld $(filter %.o,$^) -o $@

# The version string lives in a generated header rewritten only when it
# changes, so a new commit rebuilds exactly the files that print it (their
# .d files name it). Written while the Makefile is read, not by a rule:
# under .SECONDARY a rule for it counted as intermediate and never reran,
# and the banner kept the version of the first build.
$(shell mkdir -p $(BUILD)/gen && echo '#define SEALVISOR_VERSION "$(VERSION)"' > $(BUILD)/gen/version.h.tmp && \
	(cmp -s $(BUILD)/gen/version.h.tmp $(BUILD)/gen/version.h && rm $(BUILD)/gen/version.h.tmp || \
	 mv $(BUILD)/gen/version.h.tmp $(BUILD)/gen/version.h))

$(BUILD)/hv/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HV_CFLAGS) $(EFI_CFLAGS) -c $< -o $@

$(BUILD)/hv/%.asm.o: %.asm
	@mkdir -p $(@D)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) -f elf64 -g -F dwarf -I arch/x86/ -MD $(@:.o=.d) -MP $< -o $@

$(BUILD)/sealvisor.so: $(HV_OBJS) $(BEARSSL_HV_LIB) linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(HV_LDFLAGS) $(EFI_CRT0) $(HV_OBJS) $(BEARSSL_HV_LIB) -o $@ -lgnuefi -lefi

$(BUILD)/BOOTX64.EFI: $(BUILD)/sealvisor.so
	$(Q)$(OBJCOPY) -j .text -j .rodata -j .data -j .dynamic -j .dynsym -j .dynstr \
		-j .rela -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@
	@echo "built $@ (sealvisor $(VERSION))"

$(BUILD)/host/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

# Host tool: plain hosted C, none of the hypervisor's code but the shared
# headers (ABI, ELF64, the VMM's layout).
$(BUILD)/tools/sv-measure: $(BUILD)/host/tests/tools/sv-measure.o $(TOOL_LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTLD  $@")
	$(Q)$(CC) $^ -o $@

$(BUILD)/unit-tests: $(UNIT_OBJS) $(HOST_LIB_OBJS) $(BEARSSL_HOST_LIB)
	$(Q)$(CC) -pthread $^ -o $@ $(CHECK_LIBS)

# The benchmark drives the host build of hv/ (hypercall_dispatch, the
# fault path, the shootdown) with the fake backend, like the unit tests
# (and so links BearSSL: hv/attest_key.c is part of the host build).
$(BUILD)/bench-memobj: $(BENCH_SRCS:%.c=$(BUILD)/host/%.o) $(HOST_LIB_OBJS) $(BUILD)/host/tests/unit/fake_virt.o \
		$(BEARSSL_HOST_LIB)
	$(Q)$(CC) -pthread $^ -o $@

# ---- ThreadSanitizer build of the host unit tests (issue 9 item 7) --------
# The same sources as $(BUILD)/unit-tests (HOST_LIB_SRCS, UNIT_SRCS) built
# apart with -fsanitize=thread (gcc; runtime: Debian's libtsan2), so the
# tests where threads act as CPUs also report every unordered access they
# make, not only the interleavings a run happens to hit. `make tsan-test`
# fails on the first report (halt_on_error); Check forks each test, so a
# report fails that test and the others still run and report.
# -Wno-tsan: gcc warns that TSan does not model __atomic_thread_fence
# (hv/shootdown.c); the shootdown protocol's ordering is carried by its
# seq_cst loads and stores, which TSan does see.
TSAN_DIR := $(BUILD)/tsan
TSAN_CFLAGS := $(HOST_CFLAGS) -fsanitize=thread -Wno-tsan
TSAN_OBJS := $(HOST_LIB_SRCS:%.c=$(TSAN_DIR)/%.o) $(UNIT_SRCS:%.c=$(TSAN_DIR)/%.o) \
	$(TOOL_LIB_OBJS:$(BUILD)/host/%=$(TSAN_DIR)/%)
TSAN_OPTIONS_ALL := halt_on_error=1 second_deadlock_stack=1
# Tests tagged single-threaded-slow (the memory-object model) have nothing
# for TSan to find and would take most of its time: unit-test runs them.
TSAN_SKIP_TAGS := single-threaded-slow

.PHONY: tsan-test

$(TSAN_DIR)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TSANCC  $<")
	$(Q)$(CC) $(TSAN_CFLAGS) -c $< -o $@

$(TSAN_DIR)/unit-tests: $(TSAN_OBJS) $(BEARSSL_HOST_LIB)
	$(Q)$(CC) -fsanitize=thread -pthread $^ -o $@ $(CHECK_LIBS)

tsan-test: $(TSAN_DIR)/unit-tests
	@start=$$(date +%s); \
	TSAN_OPTIONS="$(TSAN_OPTIONS_ALL)" CK_EXCLUDE_TAGS="$(TSAN_SKIP_TAGS)" \
		$(TSAN_DIR)/unit-tests; status=$$?; \
	echo "tsan-test: $$(($$(date +%s) - start)) s"; exit $$status
# ---- end of the ThreadSanitizer block ---------------------------------------

deps:
	@tests/deps.sh

# The FAT boot image (an ESP) for a USB stick: tests/esp.sh, the same
# layout every QEMU boot uses.
IMAGE ?= $(BUILD)/sealvisor.img
image: all
	@tests/esp.sh $(BUILD) $(CONFIG) $(IMAGE)
	@echo "wrote $(IMAGE): EFI/BOOT/BOOTX64.EFI, sealvisor.cfg ($(CONFIG)) and the images it names"

help:
	@echo 'Targets:'
	@echo '  make             build $(BUILD)/BOOTX64.EFI, the partition images, $(BUILD)/tools/sv-measure'
	@echo '  make run         boot under QEMU/OVMF (SVM+NPT); ./run does the same and exits'
	@echo '                   with the hypervisor status (make exits 0 or 2)'
	@echo '  make run KERNEL=k [APPEND=.. INITRD=a,b VCPUS=n GUEST_MEM=128M]'
	@echo '                   run a qemu -kernel style kernel through ./sealvisor (README)'
	@echo '  make run-bochs   boot under Bochs (VMX+EPT)'
	@echo '  make run-linux   boot Debian 12'"'"'s kernel + busybox initramfs to power-off'
	@echo '                   (QEMU/SVM, 2 vCPUs, 256 MiB; fetched once into build/linux)'
	@echo '  make run-linux-bochs  the same under Bochs (VMX+EPT): slow'
	@echo '  make debug       QEMU paused with a gdb stub on :1234; prints the gdb command'
	@echo '  make image       write $(IMAGE), a FAT boot image (ESP) for a USB stick'
	@echo '  make test        unit tests, ThreadSanitizer, fuzz smoke run, boot tests'
	@echo '  make unit-test   host unit tests only (and the decoder against Zydis, the'
	@echo '                   attestation verifier against tampered reports)'
	@echo '  make tsan-test   host unit tests under ThreadSanitizer'
	@echo '  make boot-test   boot tests only (QEMU and Bochs)'
	@echo '  make fuzz        long fuzzing run (FUZZ_RUNS, FUZZ_JOBS)'
	@echo '  make bench       host benchmarks (table, CSV, PNG in build/bench), the xstate switch cost under QEMU (figures only)'
	@echo '  make bench-guest in-guest micro-benchmark (exits, faults, punches) under QEMU/SVM and'
	@echo '                   Bochs/VMX: table per backend, CSV in $(BUILD)/bench/guest.csv (figures only)'
	@echo '  make deps        install (as root) or name the Debian packages needed'
	@echo '  make clean       remove $(BUILD)'
	@echo 'Variables (make VAR=value, or in the environment):'
	@echo '  CONFIG=path      sealvisor.cfg to boot (default tests/configs/default.cfg)'
	@echo '  V=1              show full compiler commands'
	@echo '  BUILD=dir        build directory (default build)'
	@echo '  IMAGE=path       where make image writes (default $$(BUILD)/sealvisor.img)'
	@echo 'Run-script variables (environment; make run, ./run, tests/run-*.sh):'
	@echo '  SMP=n            QEMU CPUs (default 2)'
	@echo '  MEM=size         QEMU RAM, e.g. 512M (default 1G)'
	@echo '  TIMEOUT=s        seconds before the run is stopped with status 124'
	@echo '                   (default 120 QEMU, 300 Bochs)'
	@echo '  CPUS=n MEGS=n    Bochs CPUs (default 2) and RAM in MiB (default 512)'
	@echo '  KEEP=1           Bochs: keep its work directory (bochs.log, com1.out)'
	@echo '  BACKEND=bochs    ./run only: boot under Bochs'

# make can only exit 0 or 2: say which status the hypervisor gave, and point
# at ./run, whose own exit status is that status.
RUN_STATUS = status=$$?; [ $$status -eq 0 ] || echo "make $@: sealvisor exit status \
$$status (make exits 2 on any failure; ./run exits with the status itself)" >&2; exit $$status

# With KERNEL=path: ./sealvisor runs that kernel as QEMU's -kernel would
# (APPEND, INITRD, VCPUS, GUEST_MEM pass through) and exits as QEMU would,
# (value << 1) | 1 for the kernel's isa-debug-exit value. make can only
# exit 0 or 2: 0 for value 0, 2 for anything else; scripts call ./sealvisor.
run: deps all
ifdef KERNEL
	@BUILD=$(BUILD) ./sealvisor -kernel "$(KERNEL)" -append "$(APPEND)" \
		$(if $(INITRD),-initrd "$(INITRD)") -smp $(or $(VCPUS),1) -m $(or $(GUEST_MEM),128M); \
		s=$$?; echo "make run: ./sealvisor exit status $$s (isa-debug-exit value 0 gives 1," \
		"an ACPI power-off 0)"; \
		[ $$s -eq 1 ] || [ $$s -eq 0 ] || exit 2
else
	@tests/run-qemu.sh $(BUILD) $(CONFIG); $(RUN_STATUS)
endif

run-bochs: deps all
	@tests/run-bochs.sh $(BUILD) $(CONFIG); $(RUN_STATUS)

# Debian's kernel and busybox-static (apt-get download, cached in
# $(BUILD)/linux), booted to the init marker and power-off (README, "Linux").
run-linux: deps all
	@tests/linux/run.sh $(BUILD)

run-linux-bochs: deps all
	@tests/linux/run.sh $(BUILD) --bochs

debug: deps all
	tests/debug-qemu.sh $(BUILD) $(CONFIG)

# BOOTX64.EFI, not only sealvisor.so: the image the boot tests run must be
# the one whose build digest sv-verify recomputes from sealvisor.so.
unit-test: $(BUILD)/unit-tests $(BUILD)/insn-diff $(BUILD)/BOOTX64.EFI $(BUILD)/tools/sv-measure \
		$(BUILD)/guests/attest.elf
	$(BUILD)/unit-tests
	$(BUILD)/insn-diff
	tests/tools/sv-verify-test $(BUILD)
	tests/sealvisor-input-test.sh $(BUILD)
	tests/readme-check.sh

# The MMIO decoder against Zydis (Debian's libzydis-dev, tests/deps.sh)
# over generated encodings; prints the count, fails on a disagreement.
$(BUILD)/insn-diff: $(BUILD)/host/tests/tools/insn-diff.o $(BUILD)/host/hv/insn_decode.o
	$(Q)$(CC) $^ -o $@ -lZydis

boot-test: all
	tests/boot-tests.sh $(BUILD)
	MB_KERNELS="$(MB_KERNELS)" tests/mb-tests.sh $(BUILD)

# The folder-level include picture; fails on an include running up from
# mm/ or lib/, or on a module cycle not allowed in the script.
.PHONY: check-layout
check-layout:
	tests/include-graph.sh

test: deps
	$(MAKE) check-layout
	$(MAKE) unit-test
	$(MAKE) fuzz-smoke
	$(MAKE) tsan-test
	$(MAKE) boot-test

bench: deps $(BUILD)/bench-memobj all
	tests/bench/run.sh $(BUILD)
	@tests/bench-xstate.sh $(BUILD)
	tests/bench/guest.sh $(BUILD)

# tests/guests/bench-guest.c booted on both backends (tests/bench/guest.sh):
# cycles and ratios to its own baseline loop, never a check on time.
bench-guest: deps all
	tests/bench/guest.sh $(BUILD)

# ---- Fuzzing (issue 9 item 6) -----------------------------------------------
# A libFuzzer harness (tests/fuzz/) over the host build of hv/ + mm/ with the
# fake backend: hypercall sequences, faults, punches, unmaps and destroys,
# with the ownership audit and page accounting checked after every step.
#   make fuzz        FUZZ_RUNS executions over FUZZ_JOBS processes (cores)
#   make fuzz-smoke  fixed seed, FUZZ_SMOKE_RUNS executions (part of make test)
# Both print executions, exec/s and findings (tests/fuzz/run.sh) and fail on
# any finding; work files and reproducers go to $(BUILD)/fuzz/, the seed
# corpus tests/fuzz/corpus is only read. mm/heap.c is left out on purpose:
# tests/fuzz/fuzz_env.c backs kmalloc with malloc so ASan sees memory objects.
# Alignment checks are off: guest-supplied pointers may be unaligned, which
# x86 allows and the hypervisor relies on.
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=alignment
FUZZ_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude -I. -DSEALVISOR_HOST -MMD -MP \
	-fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	-fsanitize-coverage-ignorelist=tests/fuzz/nocov.txt -fsanitize-ignorelist=tests/fuzz/nocov.txt
FUZZ_SRCS := $(filter-out mm/heap.c,$(HOST_LIB_SRCS)) tests/unit/fake_virt.c \
	tests/fuzz/fuzz_env.c tests/fuzz/fuzz_hypercalls.c
FUZZ_BIN := $(BUILD)/fuzz/fuzz_hypercalls
# No comparison tracing (trace-cmp, libFuzzer's value profile and CMP
# dictionary) in the page-by-page loops of the page allocator, the object
# index, the stage-2 walks, page zeroing and SHA-256: their comparisons are on addresses
# and counters, not on input values, and tracing them took ~40% of every
# execution. Edge coverage and ASan/UBSan stay on in them.
FUZZ_NOCMP_SRCS := mm/pmm.c mm/memobj_index.c mm/stage2.c mm/zero.c mm/reclaim.c lib/sha256.c
$(FUZZ_NOCMP_SRCS:%.c=$(BUILD)/fuzz/obj/%.o): FUZZ_CFLAGS += -fno-sanitize-coverage=trace-cmp
FUZZ_RUNS ?= 10000000
FUZZ_SMOKE_RUNS ?= 300000
FUZZ_JOBS ?= 2

.PHONY: fuzz fuzz-smoke
$(BUILD)/fuzz/obj/%.o: %.c tests/fuzz/nocov.txt
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BIN): $(FUZZ_SRCS:%.c=$(BUILD)/fuzz/obj/%.o) $(BEARSSL_HOST_LIB)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ -o $@

fuzz: deps $(FUZZ_BIN)
	tests/fuzz/run.sh $(FUZZ_BIN) $(BUILD)/fuzz/long $(FUZZ_RUNS) $(FUZZ_JOBS) 0

fuzz-smoke: deps $(FUZZ_BIN)
	tests/fuzz/run.sh $(FUZZ_BIN) $(BUILD)/fuzz/smoke $(FUZZ_SMOKE_RUNS) $(FUZZ_JOBS) 1
# ---- end of fuzzing ---------------------------------------------------------

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
