"""srcs_of: the source files of cc targets (read through an aspect), as a filegroup-like target.

One aspect for every test that needs the allocator's files without hakmem/BUILD.bazel exporting a
filegroup: the OS-layer test greps them, the stale-profile test (pgo/) compiles them, reliability/
compiles them again with fuzzing instrumentation and hands them to real programs. The aspect reads
the `srcs`/`hdrs`/`textual_hdrs` attributes, so a new file in hakmem/src is seen at once.
"""

SrcsInfo = provider(fields = {
    "own": "list of File: the target's own srcs, hdrs and textual_hdrs",
    "all": "depset of File: those of the target and, transitively, of its deps",
})

def _collect_impl(target, ctx):
    own = []
    for attr in ("srcs", "hdrs", "textual_hdrs"):
        own += getattr(ctx.rule.files, attr, [])
    trans = [d[SrcsInfo].all for d in getattr(ctx.rule.attr, "deps", []) if SrcsInfo in d]
    return [SrcsInfo(own = own, all = depset(own, transitive = trans))]

_collect = aspect(implementation = _collect_impl, attr_aspects = ["deps"])

def _srcs_of_impl(ctx):
    if ctx.attr.with_deps:
        files = depset(transitive = [t[SrcsInfo].all for t in ctx.attr.targets])
    else:
        files = depset([f for t in ctx.attr.targets for f in t[SrcsInfo].own])
    return [DefaultInfo(files = files, runfiles = ctx.runfiles(transitive_files = files))]

srcs_of = rule(
    implementation = _srcs_of_impl,
    attrs = {
        "targets": attr.label_list(aspects = [_collect]),
        # False: only the targets' own files, e.g. to compile one library again as the srcs of
        # another (its deps' files, such as configs/gates.def, are no sources there).
        "with_deps": attr.bool(default = True),
    },
)
