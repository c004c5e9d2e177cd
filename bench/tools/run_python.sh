#!/bin/sh
# The Python interpreter of the build: /usr/bin/python3 (standard library, plus Debian's matplotlib
# for charts), never whatever python3 is first on PATH. Every py_binary and py_test runs on it (the
# py_runtime of toolchain/BUILD.bazel), and genrules run their scripts with it directly ($1 is the
# script). -B: the scripts resolve to the source tree, where bytecode caches must not appear.
exec /usr/bin/python3 -B "$@"
