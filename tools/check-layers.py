#!/usr/bin/env python3
"""The layer check: every #include of the tree against docs/ARCHITECTURE.md's
layer table, and no include cycle between folders.

Usage: check-layers.py [ROOT]          (ROOT defaults to the current directory)
       check-layers.py --table         prints the table (folder -> may include)
       check-layers.py --markdown      the same as the Markdown table of docs/ARCHITECTURE.md

Exit 0 when every include is allowed and the folder graph has no cycle;
1 with one line per violation otherwise (file:line, the include, the rule).
The table below is the one in docs/ARCHITECTURE.md ("Layers"); keep both in
the same commit. A folder may always include its own files.
"""
import os
import re
import subprocess
import sys

# (folder, what lives there, folders it may include). Order = layer order.
LAYERS = [
    ("hv/base", "types, bits, log, physical-memory accessors, reports, the hv.cfg format", []),
    ("hv/abi", "the guest contract: hypercall numbers and layouts, plain C types", []),
    ("boot", "UEFI entry (GNU-EFI) and struct boot_info", ["hv/base"]),
    ("hv/mm", "pmem and the one page-table engine with its formats", ["hv/base"]),
    ("hv/arch/x86", "CPU access, MSRs, TSC, console, own paging, ACPI, SMP, newlib glue",
     ["hv/base", "boot", "hv/mm"]),
    ("hv/arch/host", "the physical-memory window of unit tests, fuzzers and tools", ["hv/base"]),
    ("iommu", "AMD-Vi, IVRS, PCI, edu; owns no page tables",
     ["hv/base", "hv/mm", "hv/arch/x86"]),
    ("snp", "SNP library: RMP, PSP driver + firmware model, launch, measurement, crypto, GHCB codec",
     ["hv/base", "hv/mm", "hv/arch/x86", "iommu"]),
    ("hv/core", "gmem (the one allocator of guest pages) and xcheck", ["hv/base", "hv/mm", "snp"]),
    ("hv/svm", "VMCB/VMSA, world switch, vCPU, exit dispatch, CPUID/MSR policy, guest-facing SNP",
     ["hv/base", "hv/abi", "hv/mm", "hv/arch/x86", "snp", "hv/core"]),
    ("hv/vm", "guest lifecycle, scheduler, guest memory, SNP launch, devices, dumps",
     ["hv/base", "hv/abi", "boot", "hv/mm", "hv/arch/x86", "iommu", "snp", "hv/core", "hv/svm"]),
    ("hv/platform", "hv_main, SNP platform bring-up, the scenario interface",
     ["hv/base", "hv/abi", "boot", "hv/mm", "hv/arch/x86", "iommu", "snp", "hv/core", "hv/svm",
      "hv/vm"]),
    ("hv/scenarios", "test scenarios and test-only hypercalls (test image only)",
     ["hv/base", "hv/abi", "boot", "hv/mm", "hv/arch/x86", "iommu", "snp", "hv/core", "hv/svm",
      "hv/vm", "hv/platform"]),
    ("guest", "guest programs and their library", ["hv/abi", "snp", "hv/base", "hv/arch/x86"]),
    ("tools", "host tools", ["hv/base", "hv/abi", "hv/mm", "hv/arch/host", "iommu", "snp",
                             "hv/core", "hv/svm", "hv/vm"]),
    ("tests", "unit tests, fuzz targets, fixtures", None),  # None: anything
]

# Inside a folder: includes a file may not make (xcheck depends on gmem, not the reverse).
FILE_RULES = [
    ("hv/core/gmem.", "hv/core/xcheck.h", "gmem does not depend on xcheck (the caller runs it)"),
]

# Guest code sees only the ABI and the SNP codec (and the base types those use).
GUEST_FILES = {
    "hv/abi/hypercall.h", "snp/ghcb.h", "snp/guest_msg.h", "snp/aes_gcm.h", "snp/sev_fw.h",
    "snp/aes_gcm.c", "snp/guest_msg.c", "hv/base/types.h", "hv/base/bits.h",
    "hv/arch/x86/msr.h",  # MSR numbers only, no prototypes
}

INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(path):
    best = None
    for name, _, _ in LAYERS:
        if path == name or path.startswith(name + "/"):
            if best is None or len(name) > len(best):
                best = name
    return best


def files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard"],
                             capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = []
        for d, _, fs in os.walk(root):
            for f in fs:
                out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(p for p in out if p.endswith((".c", ".h", ".S"))
                  and os.path.exists(os.path.join(root, p)))


def resolve(root, src, inc):
    """The tree path an include names: relative to the file, else to the root (-I.)."""
    rel = os.path.normpath(os.path.join(os.path.dirname(src), inc))
    if os.path.exists(os.path.join(root, rel)):
        return rel
    return os.path.normpath(inc)


def sccs(nodes, edges):
    """Tarjan: the strongly connected components with more than one node."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main(argv):
    if "--folders" in argv:
        print("\n".join(name for name, _, _ in LAYERS))
        return 0
    if "--markdown" in argv:
        print("| folder | role | may include |\n|---|---|---|")
        for name, what, may in LAYERS:
            inc = ", ".join(f"`{m}`" for m in may) if may else ("anything" if may is None else "nothing")
            print(f"| `{name}/` | {what} | {inc} |")
        return 0
    if "--table" in argv:
        for name, what, may in LAYERS:
            print(f"{name:14} {what}\n{'':14} may include: {', '.join(may) if may is not None else 'anything'}")
        return 0
    root = argv[1] if len(argv) > 1 else "."
    allowed = {name: may for name, _, may in LAYERS}
    bad = []
    # The table itself must be a layering: no cycle among the may-include sets.
    table = {n: set(m) for n, m in allowed.items() if m is not None}
    for comp in sccs(set(table), table):
        bad.append("the layer table has a cycle: " + " <-> ".join(comp))
    edges = {}
    nfiles = ninc = 0
    for src in files(root):
        sf = folder_of(src)
        if sf is None:
            continue
        nfiles += 1
        with open(os.path.join(root, src), errors="replace") as f:
            for ln, line in enumerate(f, 1):
                m = INC.match(line)
                if not m:
                    continue
                ninc += 1
                tgt = resolve(root, src, m.group(1))
                tf = folder_of(tgt)
                for pre, forbidden, why in FILE_RULES:
                    if src.startswith(pre) and tgt == forbidden:
                        bad.append(f"{src}:{ln}: includes {tgt}: {why}")
                if tf is None or tf == sf:
                    continue
                edges.setdefault(sf, set()).add(tf)
                may = allowed[sf]
                if may is not None and tf not in may:
                    bad.append(f"{src}:{ln}: includes {tgt}: {sf} may not include {tf} "
                               f"(may include: {', '.join(may) or 'nothing'})")
                elif sf == "guest" and tgt not in GUEST_FILES:
                    bad.append(f"{src}:{ln}: includes {tgt}: guest code includes only the "
                               f"guest ABI and the SNP codec headers")
    for comp in sccs(set(edges) | {t for s in edges.values() for t in s}, edges):
        bad.append("include cycle between folders: " + " <-> ".join(comp))
    for b in bad:
        print("check-layers: " + b)
    print(f"check-layers: {nfiles} files, {ninc} includes, {len(bad)} violation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
