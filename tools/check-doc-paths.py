#!/usr/bin/env python3
"""Every file a document names exists: the paths in backquotes in the tracked
Markdown files (`hv/core/gmem.c`, `iommu/pci.[ch]`, `hv/core/gmem.{h,c}`,
`tools/xcheck-dump` for tools/xcheck-dump.c, `hv/mm/pt` for hv/mm/pt.c).
Prints one line per missing path and exits 1 if any; used by
tests/host/doc_paths.sh so that a moved or removed file cannot leave a stale
document behind."""
import glob
import os
import re
import subprocess
import sys

TOPS = ("hv/", "boot/", "iommu/", "snp/", "guest/", "tools/", "tests/", "docs/", ".ci/")
TOKEN = re.compile(r"`([^`\s]+)`")


def exists(p):
    if any(c in p for c in "*?["):
        return bool(glob.glob(p))
    if os.path.exists(p):
        return True
    # a program built from tools/<name>.c, or a module named without its suffix
    return any(os.path.exists(p + s) for s in (".c", ".h", ".S", ".py", ".sh", ".mk"))


def expand(t):
    m = re.match(r"^(.*)\{([^}]*)\}(.*)$", t)
    if m:
        return [m.group(1) + alt + m.group(3) for alt in m.group(2).split(",")]
    return [t]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    os.chdir(root)
    files = subprocess.run(["git", "ls-files", "*.md"], capture_output=True, text=True,
                           check=True).stdout.split()
    bad = 0
    for f in files:
        with open(f, errors="replace") as fh:
            for ln, line in enumerate(fh, 1):
                for m in TOKEN.finditer(line):
                    t = m.group(1).rstrip(".,:;)")
                    t = re.sub(r":\d+(-\d+)?$", "", t)  # file:line
                    if not t.startswith(TOPS) or "<" in t or "$" in t:
                        continue
                    for p in expand(t):
                        if not exists(p):
                            print(f"check-doc-paths: {f}:{ln}: names {p}, which does not exist")
                            bad += 1
    print(f"check-doc-paths: {len(files)} documents, {bad} missing path(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
