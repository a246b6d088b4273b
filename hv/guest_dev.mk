# hv/guest_dev: PCI devices passed through to guests, DMA fed only by gmem
# (docs/devices.md). The unit test covers gmem_map_mmio and xcheck's MMIO rules.
HV_SRCS += hv/guest_dev.c
UNIT_TESTS += gmem_mmio
