"""//docs:refs_test: every repository path and Bazel target that README.md, docs/*.md and the
logs (docs/log/*.md) name must exist.

- Paths: any word starting with a top-level folder of the repository (`hakmem/`, `docs/`, `.ci/`,
  ...) is a path; it must exist in the source tree. The test finds the tree through its runfiles
  (README.md there is a link into it) and is tagged `external`, so it runs every time: the
  paths are not declared inputs, and a cached pass could hide a file deleted since.
- Targets: every `//package:name` (and `//package`) the docs name is listed in
  docs/doc_targets.bzl, which this tool writes (`./bazelw run //docs:refs`) and checks. A
  genquery over that list (//docs:doc_targets_query) fails the build when a listed target does
  not exist: the build graph itself decides, macro-generated targets included. The few targets
  private to their package (genquery must see a target to query it) are in PRIVATE_TARGETS of
  docs/BUILD.bazel; for them, and for bare packages, the package's BUILD file must exist. The
  targets of //docs itself are checked against the names docs/BUILD.bazel declares (querying
  them would make the query depend on its own test).
Placeholders (`<v>`, `{a,b}`, `$VAR`, `*`) and `:all` / `...` patterns are not checked."""

import argparse
import glob
import os
import re

import doclib

TARGETS_BZL = "docs/doc_targets.bzl"
# Folders and files at the top of the repository: a word starting with one is a path.
TOP = (
    "hakmem",
    "bench",
    "docs",
    "configs",
    "perf_tools",
    "pgo",
    "bolt",
    "reliability",
    "third_party",
    "toolchain",
    "install",
    "examples",
    ".ci",
)
PATH_RE = re.compile(r"(?<![\w/.@:$-])((?:" + "|".join(re.escape(t) for t in TOP) + r")/[\w./+=,-]*)(.?)")
LABEL_RE = re.compile(r"(?<![\w@:/])//([\w/.-]*)(?::([\w/.+=-]+))?(.?)")
TEMPLATE_NEXT = "<{*$"
# Labels of another workspace, shown in a command run there.
FOREIGN = {"//:which_malloc": "examples/bazel_consumer's own workspace (docs/build.md)"}


def doc_files(root):
    pages = glob.glob(os.path.join(root, "docs", "*.md")) + glob.glob(os.path.join(root, "docs", "log", "*.md"))
    return ["README.md"] + sorted(os.path.relpath(p, root) for p in pages)


def names(text):
    """(paths, labels) a markdown text names, placeholders and patterns left out."""
    paths, labels = set(), set()
    for m in PATH_RE.finditer(text):
        path, after = m.group(1).rstrip(".,;:"), m.group(2)
        if (after and after in TEMPLATE_NEXT) or "..." in path:
            continue
        paths.add(path)
    for m in LABEL_RE.finditer(text):
        package, name, after = m.group(1).rstrip("/."), m.group(2), m.group(3)
        if (
            (after and after in TEMPLATE_NEXT)
            or package.endswith("...")
            or name in ("all", "*")
            or (name or "").endswith("/")
        ):
            continue
        if name is None and (package == "" or package.endswith("/")):
            continue
        if name:
            name = name.rstrip(".,;:")
        labels.add(f"//{package}:{name}" if name else f"//{package}")
    return paths, labels


def collect(root):
    paths, labels = {}, {}
    for doc in doc_files(root):
        p, l = names(doclib.read(root, doc))
        for x in p:
            paths.setdefault(x, doc)
        for x in l:
            labels.setdefault(x, doc)
    return paths, labels


def render_bzl(labels):
    listed = sorted(l for l in labels if ":" in l and l not in FOREIGN)
    body = "".join(f'    "{l}",\n' for l in listed)
    return (
        '"""Every target README.md and docs/*.md name, written by `./bazelw run //docs:refs`\n'
        '(docs/tools/refs_check.py); //docs:doc_targets_query proves each exists."""\n\n'
        f"DOC_TARGETS = [\n{body}]\n"
    )


def source_tree():
    """The source tree: BUILD_WORKSPACE_DIRECTORY under `bazel run`; under `bazel test` the
    directory README.md's runfiles link points into."""
    if os.environ.get("BUILD_WORKSPACE_DIRECTORY"):
        return os.environ["BUILD_WORKSPACE_DIRECTORY"]
    return os.path.dirname(os.path.realpath("README.md"))


def has_build(tree, package):
    return any(os.path.isfile(os.path.join(tree, package, f)) for f in ("BUILD", "BUILD.bazel"))


def problems(tree, paths, labels, private):
    out = []
    for path, doc in sorted(paths.items()):
        if not os.path.exists(os.path.join(tree, path)):
            out.append(f"{doc}: names {path}, which does not exist")
    for label, doc in sorted(labels.items()):
        package = label[2:].split(":")[0]
        if (":" not in label or label in private) and not has_build(tree, package):
            out.append(f"{doc}: names {label}, but {package or 'the root'} has no BUILD file")
    return out


def own_targets(root):
    """The targets of docs/BUILD.bazel (not queried: the query is one of them): every declared
    name, and NAME_test for each doc_tool (docs/defs.bzl)."""
    build = doclib.read(root, "docs/BUILD.bazel")
    names = set(re.findall(r'^\s*name = "([^"]+)"', build, re.M))
    tools = re.findall(r'doc_tool\(\s*name = "([^"]+)"', build)
    return names | {t + "_test" for t in tools}


def main():
    p = argparse.ArgumentParser(prog="refs", description=__doc__)
    p.add_argument("--check", action="store_true", help="check, do not rewrite docs/doc_targets.bzl")
    p.add_argument("--private", default="", help="comma-separated targets genquery cannot see")
    p.add_argument("--query", help="the genquery output: the listed targets that exist")
    args = p.parse_args()
    tree = source_tree()
    try:
        paths, labels = collect(tree)
        found = problems(tree, paths, labels, set(filter(None, args.private.split(","))))
        for label in sorted(l for l in labels if l.startswith("//docs:")):
            if label.split(":")[1] not in own_targets(tree if not args.check else os.getcwd()):
                found.append(f"{labels[label]}: names {label}, which docs/BUILD.bazel does not declare")
        if args.query:
            queried = set(doclib.read(os.getcwd(), args.query).split())
            for label in sorted(labels):
                if (
                    ":" in label
                    and label not in FOREIGN
                    and label not in args.private.split(",")
                    and not label.startswith("//docs:")
                ):
                    if label not in queried:
                        found.append(f"{labels[label]}: names {label}, which the query did not return")
        for line in found:
            print(f"refs: {line}")
        wanted = {TARGETS_BZL: render_bzl(labels)}
        doclib.write_or_check(tree if not args.check else os.getcwd(), wanted, args.check, "refs")
    except doclib.DocError as e:
        doclib.fail("refs", str(e))
    if found:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
