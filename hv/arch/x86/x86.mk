# hv/arch/x86: the machine. ACPI tables and the MADT parser are pure
# (unit tests acpi, madt; fuzz target madt); console, the exit port, newlib
# glue, the physical-memory identity, the hypervisor's own paging, the CPU
# report, AP start-up (trampoline, 64-bit entry) and the TSC calibration
# only go into hv.efi.
PURE_SRCS += hv/arch/x86/acpi.c
HV_SRCS += hv/arch/x86/console.c hv/arch/x86/platform.c hv/arch/x86/syscalls.c \
	hv/arch/x86/mem_hv.c hv/arch/x86/cpu_report.c hv/arch/x86/paging.c \
	hv/arch/x86/smp.c hv/arch/x86/smp_trampoline.S hv/arch/x86/smp_entry.S hv/arch/x86/tsc.c
UNIT_TESTS += acpi madt
FUZZ_TARGETS += madt
