# hv core: logging, reports, pmem (pure); console, platform, newlib glue,
# hv_main (hypervisor only).
PURE_SRCS += hv/log.c hv/report.c hv/pmem.c hv/acpi.c
HV_SRCS += hv/console.c hv/platform.c hv/syscalls.c hv/main.c hv/mem_hv.c hv/cpu_report.c
UNIT_TESTS += bits pmem acpi
HV_SRCS += hv/paging.c hv/scenario.c
