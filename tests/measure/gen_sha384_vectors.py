#!/usr/bin/env python3
"""Regenerates the random-input vectors embedded in tests/unit/test_sha384.c.

The inputs come from a small xorshift64 generator that test_sha384.c mirrors
(gen_bytes), so only the lengths and the hashlib digests need embedding.
Usage: python3 tests/measure/gen_sha384_vectors.py > /tmp/vecs.h
"""
import hashlib

MASK = 2**64 - 1
LENGTHS = [1, 2, 3, 55, 56, 63, 64, 65, 100, 110, 111, 112, 113, 119, 120, 127, 128, 129, 130,
           200, 238, 239, 240, 241, 255, 256, 257, 383, 384, 385, 1000, 4095, 4096, 4097, 10007]


def gen_bytes(n, seed):
    x = (seed * 0x9E3779B97F4A7C15 + 1) & MASK
    out = bytearray()
    for _ in range(n):
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
        out.append(x & 0xFF)
    return bytes(out)


def main():
    print("/* Generated with python3 hashlib.sha384 over gen_bytes(len, seed = index). */")
    print("static const struct rand_vec rand_vecs[] = {")
    for i, n in enumerate(LENGTHS):
        print('\t{ %d, "%s" },' % (n, hashlib.sha384(gen_bytes(n, i)).hexdigest()))
    print("};")


if __name__ == "__main__":
    main()
