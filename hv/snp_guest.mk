# hv/snp_guest: hypervisor side of the SEV-SNP guest protocol (VMGEXIT /
# GHCB, PVALIDATE emulation, page-state changes). Pure; docs/snp-guest.md.
PURE_SRCS += hv/snp_guest.c
UNIT_TESTS += snp_guest
