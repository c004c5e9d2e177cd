"""srcs_of: the source files of cc targets (read through an aspect), as a filegroup-like target.

The OS-layer test greps hakmem/src without hakmem/BUILD.bazel having to export a filegroup: the
aspect reads the `srcs`/`hdrs` attributes of the libraries it is given, so a new file is seen at once.
"""

SrcsInfo = provider(fields = {"files": "depset of source files"})

def _collect_impl(target, ctx):
    direct = []
    for attr in ("srcs", "hdrs", "textual_hdrs"):
        direct += getattr(ctx.rule.files, attr, [])
    trans = [d[SrcsInfo].files for d in getattr(ctx.rule.attr, "deps", []) if SrcsInfo in d]
    return [SrcsInfo(files = depset(direct, transitive = trans))]

_collect = aspect(implementation = _collect_impl, attr_aspects = ["deps"])

def _srcs_of_impl(ctx):
    files = depset(transitive = [t[SrcsInfo].files for t in ctx.attr.targets])
    return [DefaultInfo(files = files, runfiles = ctx.runfiles(transitive_files = files))]

srcs_of = rule(
    implementation = _srcs_of_impl,
    attrs = {"targets": attr.label_list(aspects = [_collect])},
)
