"""The llvm-bolt flags of hakmem's post-link layout: the one place they are chosen (docs/bolt.md).

INSTRUMENT_FLAGS make the training copy; OPTIMIZE_FLAGS make the shipped one. The library is small
(~18 KiB of code, 65-100 functions) and its hot path is a handful of functions, so the passes that
matter are the ones that pack the hot blocks of those functions into as few cache lines and pages
as possible and move everything else away; passes for large binaries (hugify, indirect-call
promotion, inlining) have nothing to work on here.
"""

INSTRUMENT_FLAGS = [
    "-instrument",
    # A relative name: each process writes into its working directory, which the training runner
    # makes one per table entry, so no absolute path of one build gets baked into the copy.
    "--instrumentation-file=prof",
    # One file per process (prof.<pid>.fdata): threads share counters, processes must not clobber
    # each other's file (fork, or a workload that runs helpers).
    "--instrumentation-file-append-pid",
    # Regular 4 KiB alignment instead of 2 MiB huge-page padding (see OPTIMIZE_FLAGS).
    "-no-huge-pages",
]

OPTIMIZE_FLAGS = [
    # Fill in the counts of fall-through edges the instrumented run left out. Without it the
    # linked-in bench binary's malloc and free (one block ending in conditional tail calls) had
    # their own fall-through path judged cold and split out: callgrind counted 1 M executions of
    # free.cold.0 and +1.4 % instructions (docs/bolt.md, "Profile").
    "-infer-fall-throughs",
    # Order the basic blocks of each function by ExtTSP (profile edge counts): the hot path falls
    # through, taken branches become rare.
    "-reorder-blocks=ext-tsp",
    # Order functions by cache-directed sort over the profiled call graph: callers beside their
    # hot callees, all hot functions together at the start of the new .text.
    "-reorder-functions=cdsort",
    # No -split-functions / -split-all-cold: moving what the training never ran into .text.cold
    # costs the programs it did not see, whose paths differ. Callgrind on held-out programs, split
    # against not split: L1i misses +1.7 % (lua), +0.3 % (clang), +12.8 % (perl, before it joined
    # the table), instructions within 0.02 % (docs/bolt.md, "Layout options tried").
    # Fold functions with identical code (one copy in the cache instead of two).
    "-icf=1",
    # Hot calls through the PLT become direct calls through the GOT (the library is linked with
    # -z now, so the GOT is final at start-up).
    "-plt=hot",
    # A 58 KiB library has one page of hot code: align the new text to 4 KiB, not to the 2 MiB
    # huge-page boundary BOLT uses by default (which grows the file to 4 MiB for nothing).
    "-no-huge-pages",
    # Describe the new segment with the GNU_STACK program header slot rather than a new one, so
    # strip and objcopy still handle the output.
    "-use-gnu-stack",
    # Print the profile-weighted dynamic statistics before and after: the evidence that the
    # layout changed what the profile says it should (kept in the build's .log output).
    "-dyno-stats",
    # List the functions by executed instructions (BOLT's own reading of the profile), so the
    # report can show where the hot ones went without parsing .fdata itself.
    "-print-sorted-by=executed-instructions",
]
