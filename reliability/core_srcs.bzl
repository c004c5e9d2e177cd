"""core_srcs: the C sources and headers of one cc_library (its own srcs/hdrs, not its deps).

Lets reliability/ compile the allocator again with extra instrumentation (libFuzzer coverage)
without hakmem/BUILD.bazel exporting anything: a new file in hakmem/src is picked up at once."""

_SrcsInfo = provider(fields = {"files": "list of File"})

def _collect_impl(target, ctx):
    files = []
    for attr in ("srcs", "hdrs"):
        files += getattr(ctx.rule.files, attr, [])
    return [_SrcsInfo(files = files)]

_collect = aspect(implementation = _collect_impl)

def _core_srcs_impl(ctx):
    files = [f for f in ctx.attr.target[_SrcsInfo].files if f.extension in ("c", "h")]
    return [DefaultInfo(files = depset(files), runfiles = ctx.runfiles(files = files))]

core_srcs = rule(
    implementation = _core_srcs_impl,
    attrs = {"target": attr.label(aspects = [_collect])},
)
