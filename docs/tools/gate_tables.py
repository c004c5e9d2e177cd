"""//docs:gate_tables renders the gate tables of README.md ("Environment variables") and
docs/design.md ("Variants and gates") from configs/gates.def, the one table of gates.
`bazel run //docs:gate_tables` rewrites the two blocks; `--check` (//docs:gate_tables_test)
fails when either differs from what gates.def says."""

import argparse
import re

import doclib

GATES = "configs/gates.def"
README = "README.md"
DESIGN = "docs/design.md"
# What each cold-gate kind accepts (hakmem/src/config.c parses them; gates.def says the same).
KIND_VALUES = {"BOOL": "0/1", "UINT": "0..64", "MS": "0..60000 (ms)"}
ARITY = {"HAK_HOT_GATE": 6, "HAK_BUILD_GATE": 5, "HAK_COLD_GATE": 5}


def _arguments(text, start, path):
    """The comma-separated arguments of the macro call whose '(' is at text[start]: C string
    literals (adjacent ones concatenated) and bare tokens."""
    args, current, i = [], [], start + 1
    while i < len(text):
        c = text[i]
        if c == '"':
            end = i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                break
            current.append(("s", text[i + 1 : end].replace('\\"', '"')))
            i = end + 1
        elif c in ",)":
            strings = [v for k, v in current if k == "s"]
            args.append("".join(strings) if strings else "".join(v for _, v in current).strip())
            current = []
            if c == ")":
                return args, i + 1
            i += 1
        else:
            current.append(("t", c))
            i += 1
    raise doclib.DocError(f"{path}: unterminated macro call")


def parse_gates(text, path=GATES):
    """Every gate of gates.def as a dict: kind (hot/build/cold), name, env, values, doc."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    gates = []
    for m in re.finditer(r"\b(HAK_HOT_GATE|HAK_BUILD_GATE|HAK_COLD_GATE)\s*\(", text):
        args, _ = _arguments(text, m.end() - 1, path)
        if len(args) != ARITY[m.group(1)]:
            raise doclib.DocError(f"{path}: {m.group(1)} with {len(args)} arguments, expected {ARITY[m.group(1)]}")
        if m.group(1) == "HAK_HOT_GATE":
            name, env, fast, dflt, hard, doc = args
            gates.append(
                dict(kind="hot", name=name, env=env, fast=fast, default=dflt, hardened=hard, values="0/1", doc=doc)
            )
        elif m.group(1) == "HAK_BUILD_GATE":
            name, fast, std, hard, doc = args
            gates.append(
                dict(kind="build", name=name, env=None, fast=fast, default=std, hardened=hard, values="-", doc=doc)
            )
        else:
            name, env, kind, dflt, doc = args
            if kind not in KIND_VALUES:
                raise doclib.DocError(f"{path}: gate {name}: unknown kind {kind}")
            gates.append(
                dict(
                    kind="cold",
                    name=name,
                    env=env,
                    fast=dflt,
                    default=dflt,
                    hardened=dflt,
                    values=KIND_VALUES[kind],
                    doc=doc,
                )
            )
    if not gates:
        raise doclib.DocError(f"{path}: no gates found")
    return gates


def _cell(text):
    return text.replace("|", "\\|")


def _first_sentence(doc):
    head = re.split(r"(?<=[a-z)])\. (?=[A-Z])", doc, maxsplit=1)[0]
    return head.rstrip(".")


def readme_table(gates):
    rows = ["| variable | values | default | effect |", "|---|---|---|---|"]
    for g in gates:
        if g["env"] is None:
            continue
        default = g["default"]
        if g["kind"] == "hot":
            default = f"{g['default']} (FAST: constant {g['fast']}, hardened: constant {g['hardened']})"
        rows.append(f"| `{g['env']}` | {g['values']} | {default} | {_cell(_first_sentence(g['doc']))} |")
    return "\n".join(rows) + "\n"


def design_table(gates):
    rows = [
        "| gate | kind | env | FAST | Standard / OBSERVE | hardened | what it does, what it costs |",
        "|---|---|---|---|---|---|---|",
    ]
    for g in gates:
        if g["kind"] == "cold":
            fast = std = hard = f"env, default {g['default']}"
        elif g["kind"] == "hot":
            fast, std, hard = f"{g['fast']} (constant)", f"env, default {g['default']}", f"{g['hardened']} (constant)"
        else:
            fast, std, hard = g["fast"], g["default"], g["hardened"]
        env = f"`{g['env']}`" if g["env"] else "-"
        rows.append(f"| {g['name']} | {g['kind']} | {env} | {fast} | {std} | {hard} | {_cell(g['doc'])} |")
    return "\n".join(rows) + "\n"


def render(root):
    gates = parse_gates(doclib.read(root, GATES))
    readme = doclib.replace_block(doclib.read(root, README), "gate_tables", readme_table(gates), README)
    design = doclib.replace_block(doclib.read(root, DESIGN), "gate_tables", design_table(gates), DESIGN)
    return {README: readme, DESIGN: design}


def main():
    p = argparse.ArgumentParser(prog="gate_tables", description=__doc__)
    p.add_argument("--check", action="store_true", help="fail if the committed tables differ")
    args = p.parse_args()
    try:
        doclib.write_or_check(doclib.source_root(), render(doclib.source_root()), args.check, "gate_tables")
    except doclib.DocError as e:
        doclib.fail("gate_tables", str(e))


if __name__ == "__main__":
    main()
