# SMP (docs/smp.md): the MADT parser lives in hv/acpi.c (pure, unit test
# madt); AP bring-up (hv/smp.c, the real-mode trampoline hv/smp_trampoline.S,
# the 64-bit AP entry hv/smp_entry.S) and the smp scenario run only in hv.efi.
UNIT_TESTS += madt
HV_SRCS += hv/smp.c hv/smp_trampoline.S hv/smp_entry.S hv/smp_scenario.c
FUZZ_TARGETS += madt
