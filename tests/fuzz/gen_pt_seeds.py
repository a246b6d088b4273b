#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_pt (tests/fuzz/seeds/fuzz_pt/): one byte for
the format and level count, then one 8-byte big-endian word per op, in the
layout decode_op() in tests/fuzz/fuzz_pt.c reads. Run from the top of the
tree after a change of that layout."""
import os
import struct

MAP, UNMAP, PROTECT, MERGE = range(4)
C4K, C4KX, C2M, C1G = range(4)  # class: 4K (1-4), 4K (1-64), 2M (1-4), 1G
R, W, X = 1, 2, 4
SZ4K, SZ2M, SZ1G = 1, 2, 4
CFG = {"x86_4": 0, "npt_4": 1, "npt_5": 2, "amdv1_3": 3, "amdv1_4": 4, "amdv1_6": 5,
       "shared_4": 6, "shared_5": 7}


def op(kind, cls, va, units=1, prot=R | W, sizes=7, pa_units=0, pa_gib=None,
       no_replace=False, fail_at=None, no_dma=False):
    """va in bytes; the output is va + pa_gib GiB, or va + pa_units units
    (2M for a 1G map, 4K otherwise)."""
    n = units - 1
    w = kind | cls << 2 | n << 4 | (va >> 12) << 10 | prot << 30 | sizes << 36
    if pa_gib is not None:
        w |= 1 << 39 | pa_gib << 40
    else:
        w |= pa_units << 40
    if no_replace:
        w |= 1 << 56
    if fail_at is not None:
        w |= 1 << 57 | fail_at << 58
    if no_dma:
        w |= 1 << 63
    return struct.pack(">Q", w)


M, G = 1 << 21, 1 << 30
SEEDS = {
    # a 1G leaf, a 4K protect in it (split 1G -> 2M -> 4K), protect back,
    # merge back into one 1G leaf
    "split_1g_merge": ("x86_4", [
        op(MAP, C1G, 0, pa_gib=1),
        op(PROTECT, C4K, 0x1000, prot=R),
        op(PROTECT, C4K, 0x1000, prot=R | W),
        op(MERGE, C1G, 0)]),
    # 4K leaves over two 2M spans (4K-only sizes), merged into 2M leaves,
    # then a 4K unmap in the middle of one
    "merge_4k_2m": ("amdv1_3", [
        op(MAP, C2M, 2 * M, units=2, sizes=SZ4K, pa_units=512),
        op(MERGE, C2M, 2 * M, units=2, sizes=SZ2M),
        op(UNMAP, C4K, 3 * M + 0x5000)]),
    # a 1G map with 2M leaves only (output 2M aligned, not 1G), a 1G map with
    # 2M leaves at a 1G-aligned output merged into a 1G leaf
    "map_1g_2m_leaves": ("npt_5", [
        op(MAP, C1G, 0, sizes=SZ2M, pa_units=3),
        op(MAP, C1G, G, sizes=SZ2M, pa_gib=2),
        op(MERGE, C1G, G, sizes=SZ1G)]),
    # allocation failures (first and second table page), a no-replace map
    # over mapped pages (-EEXIST), then the same maps allowed
    "failures": ("npt_4", [
        op(MAP, C4KX, 0x40000, units=16, pa_units=7, fail_at=0),
        op(MAP, C4KX, 0x40000, units=16, pa_units=7, fail_at=1),
        op(MAP, C4KX, 0x40000, units=16, pa_units=7),
        op(MAP, C4K, 0x42000, units=2, no_replace=True),
        op(MAP, C2M, 0, units=4, pa_units=1, fail_at=2)]),
    # 4K leaves across a 1G boundary (two level-2 tables), a 2M map over them
    # and a 1G unmap
    "cross_1g": ("amdv1_6", [
        op(MAP, C2M, G - 2 * M, units=4, pa_units=3),
        op(MAP, C2M, G - M * 0, units=1, pa_gib=3),
        op(UNMAP, C1G, 0),
        op(PROTECT, C2M, G, units=2, prot=R)]),
    # the shared NPT/IOMMU format: CPU-only 2M leaves (no DMA) split by a 4K
    # protect that gives DMA back to one page, protected back and merged; a
    # 1G map with 2M leaves in a 5-level table
    "shared_no_dma": ("shared_4", [
        op(MAP, C2M, 0, units=2, pa_units=512, no_dma=True),
        op(PROTECT, C4K, 0x3000, prot=R | W),
        op(PROTECT, C4K, 0x3000, prot=R | W, no_dma=True),
        op(MERGE, C2M, 0, units=2)]),
    "shared_1g": ("shared_5", [
        op(MAP, C1G, 0, sizes=SZ2M | SZ1G, pa_gib=1, no_dma=True),
        op(UNMAP, C2M, 4 * M),
        op(MAP, C2M, 4 * M, pa_units=0)]),
}


def main():
    out = os.path.join("tests", "fuzz", "seeds", "fuzz_pt")
    os.makedirs(out, exist_ok=True)
    for name, (cfg, ops) in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([CFG[cfg]]) + b"".join(ops))


if __name__ == "__main__":
    main()
