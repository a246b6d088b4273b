# snp/xcheck: the cross-checker proving architecture.md's I1-I7 (docs/gmem.md).
PURE_SRCS += snp/xcheck.c
UNIT_TESTS += xcheck
HOST_TOOLS += xcheck-dump
