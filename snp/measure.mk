# SNP launch measurement: SHA-384 and the PAGE_INFO launch digest (pure),
# the host predictor tools/snp-measure, and their tests (docs/measure.md).
PURE_SRCS += snp/sha384.c snp/measure.c
UNIT_TESTS += sha384 measure
HOST_TOOLS += snp-measure
