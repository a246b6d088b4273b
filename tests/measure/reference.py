#!/usr/bin/env python3
"""Independent reference for the SNP launch digest (docs/measure.md).

Computes the digest with hashlib from the same inputs tools/snp-measure takes,
without sharing any code with it, so the C unit test can compare the two.

  reference.py [--layout FILE]... [--image FILE --load GPA]

Items are measured in command-line order (the image where --image appears).
Layout lines: GPA[-END] TYPE [FILE [OFFSET]] [imi=N vmpl1=N vmpl2=N vmpl3=N],
'#' starts a comment, END is the inclusive last byte, a relative FILE is
relative to the layout file. Prints 96 hex characters. No error checking
beyond what Python raises: it is a test oracle, not a tool.
"""
import hashlib
import os
import struct
import sys

PAGE = 4096
TYPES = {"normal": 1, "vmsa": 2, "zero": 3, "unmeasured": 4, "secrets": 5, "cpuid": 6}
VMSA_GPA = 0xFFFFFFFFF000


def page_info(ld, contents, ptype, gpa, imi=0, vmpl1=0, vmpl2=0, vmpl3=0):
    # SNP ABI PAGE_INFO: the dword at 0x64 is rsvd[7:0] vmpl1[15:8] vmpl2[23:16] vmpl3[31:24]
    perms = (vmpl3 << 24) | (vmpl2 << 16) | (vmpl1 << 8)
    return struct.pack("<48s48sHBBIQ", ld, contents, 0x70, ptype, imi, perms, gpa)


def measure(ld, ptype, gpa, data, opts):
    if ptype in (TYPES["normal"], TYPES["vmsa"]):
        contents = hashlib.sha384(data.ljust(PAGE, b"\0")).digest()
    else:
        contents = bytes(48)
    if ptype == TYPES["vmsa"]:
        gpa = VMSA_GPA
    info = page_info(ld, contents, ptype, gpa, **opts)
    assert len(info) == 0x70
    return hashlib.sha384(info).digest()


def measure_range(ld, start, end, ptype, data, opts):
    for i, gpa in enumerate(range(start, end, PAGE)):
        ld = measure(ld, ptype, gpa, data[i * PAGE:(i + 1) * PAGE], opts)
    return ld


def layout(ld, path):
    base = os.path.dirname(path)
    for line in open(path):
        f = line.split("#", 1)[0].split()
        if not f:
            continue
        a = f[0].split("-")
        start = int(a[0], 0)
        end = int(a[1], 0) + 1 if len(a) > 1 else start + PAGE
        pos = [x for x in f[2:] if "=" not in x]
        opts = {k: int(v, 0) for k, v in (x.split("=") for x in f[2:] if "=" in x)}
        data = b""
        if pos:
            with open(os.path.join(base, pos[0]), "rb") as fh:
                fh.seek(int(pos[1], 0) if len(pos) > 1 else 0)
                data = fh.read()
        ld = measure_range(ld, start, end, TYPES[f[1]], data, opts)
    return ld


def main(argv):
    ld = bytes(48)
    load = None
    if "--load" in argv:
        load = int(argv[argv.index("--load") + 1], 0)
    i = 0
    while i < len(argv):
        if argv[i] == "--layout":
            ld = layout(ld, argv[i + 1])
        elif argv[i] == "--image":
            data = open(argv[i + 1], "rb").read()
            end = load + (len(data) + PAGE - 1) // PAGE * PAGE
            ld = measure_range(ld, load, end, TYPES["normal"], data, {})
        elif argv[i] != "--load":
            sys.exit("reference.py: unknown argument " + argv[i])
        i += 2
    print(ld.hex())


if __name__ == "__main__":
    main(sys.argv[1:])
