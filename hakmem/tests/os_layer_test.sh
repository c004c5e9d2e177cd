#!/bin/sh
# os_layer_test.sh -- proves hakmem/src/os.c is the only OS layer: no other hakmem/src file (given
# as arguments by //hakmem/tests:hakmem_sources) calls mmap/munmap/mremap/madvise/mprotect/mincore/brk/
# sbrk/getenv/secure_getenv or syscall(...) of any kind, or includes <sys/mman.h>. Comments are
# stripped first; a self-test on fixtures proves the matcher finds each of them and no false
# positive. The summary line counts the checks that really ran.
set -u

CALL_RE='(^|[^A-Za-z0-9_])(mmap|mmap64|munmap|mremap|madvise|posix_madvise|mprotect|mincore|brk|sbrk|syscall|getenv|secure_getenv)[[:space:]]*\(|SYS_(mmap|munmap|mremap|madvise|mprotect|brk)([^A-Za-z0-9_]|$)|#[[:space:]]*include[[:space:]]*[<"]sys/mman\.h[>"]'

# Prints the file with /* */ and // comments blanked (line numbers kept; strings kept verbatim).
strip_comments() {
    awk '{
        out = ""; n = length($0); i = 1; q = ""
        while (i <= n) {
            c = substr($0, i, 1); d = substr($0, i, 2)
            if (incomment) { if (d == "*/") { incomment = 0; i += 2 } else i++; continue }
            if (q != "") {
                out = out c
                if (c == "\\") { out = out substr($0, i + 1, 1); i += 2; continue }
                if (c == q) q = ""
                i++; continue
            }
            if (d == "/*") { incomment = 1; out = out " "; i += 2; continue }
            if (d == "//") break
            if (c == "\"" || c == "\047") q = c
            out = out c; i++
        }
        print out
    }' "$1"
}

# Prints "file:line: text" for every OS call in file $1.
scan() {
    strip_comments "$1" | grep -nE "$CALL_RE" | sed "s|^|$1:|"
}

fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
ok() { passed=$((passed + 1)); }

# --- self-test of the matcher --------------------------------------------------------------
fx=$(mktemp -d "${TEST_TMPDIR:-/tmp}/oslayer.XXXXXX")
printf 'static void *f(void) {\n    return mmap(0, 4096, 3, 0x22, -1, 0);\n}\n' > "$fx/call.c"
printf '#include <stdio.h>\n#  include <sys/mman.h>\n' > "$fx/inc.h"
printf 'long r = syscall(SYS_madvise, p, n, 4);\nchar *e = secure_getenv ("X");\n' > "$fx/sys.c"
printf 'mprotect(p, 4096, 0);\nvoid *b = sbrk(0);\nint r = brk(b);\nlong t = syscall(186);\nmincore(p, n, v);\n' > "$fx/more.c"
cat > "$fx/clean.c" <<'EOC'
/* mmap(2) is called only by os.c; madvise( too
 * getenv( in a block comment */
void g(void) { hak_os_mmap(4096); stats.mmap_calls++; } // munmap(p, n)
int k(void) { return hak_os_syscall_count + my_brk_size(2) + sbrk_like; } /* brk( */
const char *s = "a /* b"; int h(void) { return my_getenv_free(1); }
EOC
[ -n "$(scan "$fx/call.c")" ] || fail "self-test: mmap call not detected"
ok
[ -n "$(scan "$fx/inc.h")" ] || fail "self-test: #include <sys/mman.h> not detected"
ok
[ "$(scan "$fx/sys.c" | wc -l)" -eq 2 ] || fail "self-test: syscall(SYS_madvise)/secure_getenv not detected"
ok
[ "$(scan "$fx/more.c" | wc -l)" -eq 5 ] || fail "self-test: mprotect/sbrk/brk/syscall(...)/mincore not all detected: $(scan "$fx/more.c")"
ok
[ -z "$(scan "$fx/clean.c")" ] || fail "self-test: false positive: $(scan "$fx/clean.c")"
ok
rm -rf "$fx"

# --- the real sources -----------------------------------------------------------------------
checked=0
os_seen=0
offenders=""
for f in "$@"; do
    case "$f" in
    hakmem/src/* | */hakmem/src/*) ;;
    *) continue ;;
    esac
    [ -f "$f" ] || fail "source $f missing from the sandbox"
    if [ "${f##*/}" = os.c ]; then
        os_seen=1
        [ -n "$(scan "$f")" ] || fail "$f makes no OS call: is the matcher broken?"
        ok
        continue
    fi
    checked=$((checked + 1))
    hits=$(scan "$f")
    if [ -z "$hits" ]; then ok; else offenders="$offenders$hits
"; fi
done
[ "$os_seen" = 1 ] || fail "hakmem/src/os.c (the OS layer) is not among the sources: $*"
[ "$checked" -gt 0 ] || fail "no other hakmem/src file was given"
if [ -n "$offenders" ]; then
    echo "OS calls outside hakmem/src/os.c:" >&2
    printf '%s' "$offenders" >&2
    fail "$(printf '%s' "$offenders" | cut -d: -f1 | sort -u | tr '\n' ' ')"
fi
echo "$checked files besides os.c checked: no OS calls outside the OS layer"
echo "$passed passed, 0 failed"
