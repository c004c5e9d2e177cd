"""What perf_tools reads from a binary, through LLVM 19's llvm-readelf (its JSON output, so no
text scraping and no ELF parser of ours): allocated sections, and function symbols with their
address, size and 64-byte-line / 4 KiB-page span. ThinLTO's '.llvm.<hash>' suffixes are dropped
so one function keeps one name across builds; '.cold' parts are tied to their parent."""

import json
import re
import subprocess

from ptlib import UsageError

LINE = 64
PAGE = 4096
_LTO_SUFFIX = re.compile(r"\.llvm\.\d+$")
_COLD = re.compile(r"^(.*)\.cold(\.\d+)?$")


def readelf_json(readelf, path, what):
    proc = subprocess.run([readelf, "--elf-output-style=JSON", what, path], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UsageError(f"llvm-readelf cannot read {path}: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout)[0]


def sections(readelf, path):
    """[{name, size, address, align, exec}] of the sections loaded at run time (SHF_ALLOC)."""
    out = []
    for entry in readelf_json(readelf, path, "--sections")["Sections"]:
        s = entry["Section"]
        flags = {f["Name"] for f in s["Flags"]["Flags"]}
        if "SHF_ALLOC" in flags:
            out.append(
                {
                    "name": s["Name"]["Name"],
                    "size": s["Size"],
                    "address": s["Address"],
                    "align": s["AddressAlignment"],
                    "exec": "SHF_EXECINSTR" in flags,
                }
            )
    return out


def base_name(name):
    """'heap_carve.llvm.1234' -> 'heap_carve'; '.cold' parts keep their suffix."""
    return _LTO_SUFFIX.sub("", name)


def cold_parent(name):
    m = _COLD.match(name)
    return m.group(1) if m else None


def span(address, size, unit):
    """The unit-sized blocks (64-byte lines, 4 KiB pages) [address, address + size) touches."""
    if size <= 0:
        return set()
    return set(range(address // unit, (address + size - 1) // unit + 1))


def alignment(address):
    """The largest power of two dividing the address, capped at a page."""
    return min(address & -address, PAGE) if address else PAGE


def functions(readelf, path):
    """{name: {address, size, align, lines, pages, order}} of every defined function symbol,
    in address order; a name defined twice (two static functions) gets '#2'."""
    syms = []
    for entry in readelf_json(readelf, path, "--symbols").get("Symbols", []):
        s = entry["Symbol"]
        if s["Type"]["Name"] == "Function" and s["Value"] and s["Section"]["Name"] not in ("Undefined", ""):
            syms.append((s["Value"], s["Size"], base_name(s["Name"]["Name"])))
    syms.sort()
    table = {}
    for order, (address, size, name) in enumerate(syms):
        key, n = name, 2
        while key in table:
            if table[key]["address"] == address:  # an alias of the same code (e.g. a global and a local name)
                break
            key, n = f"{name}#{n}", n + 1
        else:
            table[key] = {
                "address": address,
                "size": size,
                "align": alignment(address),
                "order": order,
                "lines": len(span(address, size, LINE)),
                "pages": len(span(address, size, PAGE)),
            }
    return table


def parts(table, name):
    """The entries of function `name` and of its .cold parts."""
    return [table[k] for k in table if k == name or cold_parent(k) == name]


def footprint(table, names):
    """(64-byte lines, 4 KiB pages) the code of `names` (with their .cold parts) occupies."""
    lines, pages = set(), set()
    for name in names:
        for p in parts(table, name):
            lines |= span(p["address"], p["size"], LINE)
            pages |= span(p["address"], p["size"], PAGE)
    return len(lines), len(pages)


def neighbours(table, name):
    """(previous, next) function names in address order, '-' at either end."""
    order = sorted(table, key=lambda k: table[k]["address"])
    i = order.index(name)
    return (order[i - 1] if i > 0 else "-", order[i + 1] if i + 1 < len(order) else "-")
