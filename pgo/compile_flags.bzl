"""c_compile_flags: the exact C compile command line Bazel's C toolchain would use for given
copts and defines in the current configuration (toolchain flags such as -O2 -DNDEBUG
-D_FORTIFY_SOURCE, --copt/--conlyopt, then the target's own), written one argument per line with
the compiler first. pgo/'s stale-profile test compiles edited sources with it, so its result
says what the real build would do, whatever toolchain is configured.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

def _impl(ctx):
    toolchain = find_cpp_toolchain(ctx)
    features = cc_common.configure_features(
        ctx = ctx,
        cc_toolchain = toolchain,
        requested_features = ctx.features,
        unsupported_features = ctx.disabled_features,
    )
    variables = cc_common.create_compile_variables(
        feature_configuration = features,
        cc_toolchain = toolchain,
        user_compile_flags = ctx.fragments.cpp.copts + ctx.fragments.cpp.conlyopts + ctx.attr.copts,
        preprocessor_defines = depset(ctx.attr.defines),
    )
    action = "c-compile"
    compiler = cc_common.get_tool_for_action(feature_configuration = features, action_name = action)
    flags = cc_common.get_memory_inefficient_command_line(
        feature_configuration = features,
        action_name = action,
        variables = variables,
    )
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.write(out, "\n".join([compiler] + flags) + "\n")
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

c_compile_flags = rule(
    implementation = _impl,
    attrs = {
        "copts": attr.string_list(),
        "defines": attr.string_list(),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
    },
    fragments = ["cpp"],
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
)
