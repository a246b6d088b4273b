#!/usr/bin/env python3
"""Independent reference for the SNP launch digest (docs/measure.md).

Computes the digest with hashlib from the same inputs tools/snp-measure takes,
without sharing any code with it, so the C unit test can compare the two.

  reference.py [--layout FILE]... [--image FILE --load GPA]
               [--vmsa-boot ENTRY:BOOTPARAMS[:SEVFEATURES]]...

Items are measured in command-line order (the image where --image appears).
Layout lines: GPA[-END] TYPE [FILE [OFFSET]] [imi=N vmpl1=N vmpl2=N vmpl3=N],
'#' starts a comment, END is the inclusive last byte, a relative FILE is
relative to the layout file. --vmsa-boot measures one VMSA page holding the
snpvisor boot state (docs/measure.md, "VMSA"), built here from the APM /
Linux offsets, not from hv/svm/vmsa.c. Prints 96 hex characters. No error checking
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


def vmsa_boot(spec):
    """The boot VMSA page: 32-bit flat protected mode (docs/guest-abi.md)."""
    f = [int(x, 0) for x in spec.split(":")]
    entry, params, feats = f[0], f[1], f[2] if len(f) > 2 else 1
    page = bytearray(PAGE)

    def seg(off, sel, attr, limit):
        struct.pack_into("<HHIQ", page, off, sel, attr, limit, 0)

    for off in (0x00, 0x20, 0x30, 0x40, 0x50):  # es ss ds fs gs
        seg(off, 0x10, 0xC93, 0xFFFFFFFF)
    seg(0x10, 0x08, 0xC9B, 0xFFFFFFFF)  # cs
    seg(0x70, 0, 0x82, 0xFFFF)  # ldtr
    seg(0x90, 0, 0x8B, 0xFFFF)  # tr (busy 32-bit TSS)
    for off, val in ((0xD0, 0x1000), (0x158, 0x31), (0x160, 0x400), (0x168, 0xFFFF0FF0),
                     (0x170, 0x2), (0x178, entry), (0x268, 0x0007040600070406),
                     (0x318, params), (0x3B0, feats), (0x3E8, 1)):
        struct.pack_into("<Q", page, off, val)
    struct.pack_into("<I", page, 0x408, 0x1F80)  # mxcsr
    struct.pack_into("<H", page, 0x410, 0x37F)  # x87 fcw
    return bytes(page)


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
        elif argv[i] == "--vmsa-boot":
            ld = measure(ld, TYPES["vmsa"], VMSA_GPA, vmsa_boot(argv[i + 1]), {})
        elif argv[i] != "--load":
            sys.exit("reference.py: unknown argument " + argv[i])
        i += 2
    print(ld.hex())


if __name__ == "__main__":
    main(sys.argv[1:])
