"""doc_tool: a docs/tools/ script as `bazel run //docs:NAME` (rewrites what it generates in the
source tree) and `//docs:NAME_test` (the same script with --check: fails when the committed text
differs from what it renders)."""

_RUN_PYTHON = "//bench:tools/run_python.sh"

def doc_tool(name, script, tools, test_data, test_args = [], test_tags = [], run_data = []):
    native.sh_binary(
        name = name,
        srcs = [_RUN_PYTHON],
        args = ["$(rootpath %s)" % script],
        data = tools + run_data,
    )
    native.sh_test(
        name = name + "_test",
        size = "small",
        srcs = [_RUN_PYTHON],
        args = ["$(rootpath %s)" % script, "--check"] + test_args,
        data = tools + test_data,
        tags = test_tags,
    )
