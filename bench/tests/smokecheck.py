"""What the bench smoke tests share: check() records and prints a failed expectation (the test
goes on, so one run reports every problem), finish() turns the record into the exit status;
is_chart() accepts a chart the tools drew (an SVG document that parses, with its PNG beside it)."""

import os
import sys
import xml.etree.ElementTree as ET

failures = []


def python_env():
    """The import path Bazel gave this test (PYTHONPATH, from its py_library deps), for the tool
    scripts it runs with a fixed environment: they import their libraries by name."""
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": path} if path else {}


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message, file=sys.stderr)
    return condition


def finish(what, passed_message):
    """Exits 1 naming how many checks of `what` failed, else prints passed_message."""
    if failures:
        sys.exit(f"{what}: {len(failures)} check(s) failed")
    print(passed_message)


def is_chart(svg_path, mark="path"):
    """True if svg_path parses as an SVG document holding at least one <mark> element and a PNG of
    the same name sits beside it (plots.py writes both)."""
    try:
        root = ET.parse(svg_path).getroot()
        with open(os.path.splitext(svg_path)[0] + ".png", "rb") as f:
            png = f.read(8)
    except (OSError, ET.ParseError):
        return False
    svg_ns = "{http://www.w3.org/2000/svg}"
    return root.tag == svg_ns + "svg" and root.find(f".//{svg_ns}{mark}") is not None and png == b"\x89PNG\r\n\x1a\n"
