"""//configs:tables.json: the variant, research-box, external-allocator and report-default tables as one JSON file,
so Python tools (bench/tools/tables.py) and CI (.ci/run) read the lists Bazel builds from instead
of keeping copies. Written at analysis time from the .bzl tables; nothing else is its source."""

load(":allocators.bzl", "EXTERNAL_ALLOCATORS")
load(":report_defaults.bzl", "LIBC_SAME_BINARY_HOST", "REPORT_DEFAULTS")
load(":research_boxes.bzl", "RESEARCH_BOXES")
load(
    ":variants.bzl",
    "BOX_VARIANTS",
    "BOX_VARIANT_NAMES",
    "DERIVED_VARIANTS",
    "DERIVED_VARIANT_NAMES",
    "VARIANTS",
    "VARIANT_NAMES",
    "allocator_suffix",
)

def _variant(v):
    spec = VARIANTS[v]
    return {
        "name": v,
        "label": allocator_suffix(v),
        "pgo": spec.get("pgo", False),
        "baseline": spec.get("baseline"),
    }

def _tables_json_impl(ctx):
    tables = {
        "variants": [_variant(v) for v in VARIANT_NAMES],
        "derived": [
            {"name": d, "label": allocator_suffix(d), "base": DERIVED_VARIANTS[d]["base"]}
            for d in DERIVED_VARIANT_NAMES
        ],
        "research_boxes": RESEARCH_BOXES,
        "box_variants": [
            {"name": b, "label": allocator_suffix(b), "box": BOX_VARIANTS[b]["box"], "value": BOX_VARIANTS[b]["value"]}
            for b in BOX_VARIANT_NAMES
        ],
        "external_allocators": EXTERNAL_ALLOCATORS,
        "report_defaults": REPORT_DEFAULTS,
        "libc_same_binary_host": LIBC_SAME_BINARY_HOST,
    }
    ctx.actions.write(ctx.outputs.out, json.encode_indent(tables) + "\n")

tables_json = rule(
    implementation = _tables_json_impl,
    attrs = {"out": attr.output(mandatory = True)},
    doc = "Writes the tables above as JSON to `out`.",
)
