# hv/arch/host: the physical-memory window of host programs (unit tests,
# fuzzers, tools): phys_to_virt() over a buffer instead of the identity map.
HOST_ENV_SRCS := hv/arch/host/host_env.c
