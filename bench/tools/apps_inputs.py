"""Inputs of //bench:apps that are generated rather than shipped as scripts (bench/programs/inputs/):
an SQL script, a C translation unit, a git fast-import stream and redis commands. Each is a pure
function of its size, so every allocator, round and machine gets byte-identical input."""


def sql_script(rows):
    """In-memory SQLite: bulk insert of `rows` rows, index build, group-by, delete, vacuum; every
    query's result is printed (the output compared across allocators)."""
    return f"""PRAGMA cache_size = -65536;
CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, payload BLOB);
WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {rows})
INSERT INTO t SELECT x, (x * 7919) % 997, 'name-' || ((x * 104729) % 100003),
                     zeroblob(16 + (x * 31) % 200) FROM seq;
CREATE INDEX t_name ON t(name);
CREATE INDEX t_grp ON t(grp, id);
SELECT grp, count(*), sum(length(payload)), min(name) FROM t GROUP BY grp ORDER BY grp LIMIT 20;
SELECT count(DISTINCT name) FROM t;
DELETE FROM t WHERE grp % 3 = 0;
VACUUM;
SELECT count(*), sum(id) % 1000003 FROM t;
SELECT name, count(*) AS c FROM t GROUP BY name ORDER BY c DESC, name LIMIT 10;
"""


def c_unit(functions):
    """A C translation unit of `functions` functions with structs, loops, switches and calls: the
    optimiser's work (and its allocations) grows with the count."""
    out = ["#include <stddef.h>", "struct node { struct node *next; long value; int kind; };"]
    for i in range(functions):
        callee = f"f{i - 1}(n, k + {i % 5})" if i else "k"
        out.append(
            f"""long f{i}(struct node *n, long k) {{
  long acc = {i};
  for (struct node *p = n; p != NULL; p = p->next) {{
    switch ((p->kind + k) % {3 + i % 6}) {{
    case 0: acc += p->value * {i + 3}; break;
    case 1: acc ^= p->value << {i % 13}; break;
    case 2: acc -= (p->value + k) / {1 + i % 7}; break;
    default: acc += {callee};
    }}
    for (int j = 0; j < {4 + i % 9}; j++) acc = acc * 31 + j * k;
  }}
  return acc;
}}"""
        )
    return "\n".join(out) + "\n"


def git_stream(commits):
    """A fast-import stream: `commits` commits on one branch, each rewriting a few of 40 text files
    with lines shifted from the previous version, so packing finds deltas to compute."""
    parts = []
    for c in range(1, commits + 1):
        files = []
        for f in range(c % 5, 40, 5):
            body = "".join(
                f"file {f} line {(l * 7 + c) % 997} commit {c if l % 11 == 0 else 0}\n" for l in range(200 + f * 10)
            )
            data = body.encode()
            files.append(b"M 100644 inline src/file%d.txt\ndata %d\n%s\n" % (f, len(data), data))
        message = f"change {c}".encode()
        parts.append(
            b"commit refs/heads/main\nmark :%d\n" % c
            + b"author hakmem <hakmem@localhost> %d +0000\n" % (1600000000 + c)
            + b"committer hakmem <hakmem@localhost> %d +0000\n" % (1600000000 + c)
            + b"data %d\n%s\n" % (len(message), message)
            + (b"from :%d\n" % (c - 1) if c > 1 else b"")
            + b"".join(files)
            + b"\n"
        )
    return b"".join(parts)


def _resp(*words):
    """One command in the redis protocol (what redis-cli --pipe sends)."""
    out = [b"*%d\r\n" % len(words)]
    for w in words:
        w = w.encode() if isinstance(w, str) else w
        out.append(b"$%d\r\n%s\r\n" % (len(w), w))
    return b"".join(out)


def redis_commands(keys):
    """Deterministic load after redis-benchmark's traffic: strings of many sizes, lists, hashes and
    sorted sets over `keys` keys, some deleted and rewritten; the server's DEBUG DIGEST of the
    result is compared across allocators."""
    cmds = [_resp("FLUSHALL")]
    for i in range(keys):
        cmds.append(_resp("SET", f"s:{i}", chr(97 + i % 26) * (1 + (i * 7919) % 3000)))
        cmds.append(_resp("RPUSH", f"l:{i % 500}", f"item-{i}"))
        cmds.append(_resp("HSET", f"h:{i % 300}", f"field-{i}", str(i * i)))
        cmds.append(_resp("ZADD", f"z:{i % 200}", str((i * 31) % 1000), f"m-{i}"))
        if i % 4 == 3:
            cmds.append(_resp("DEL", f"s:{i - 2}"))
            cmds.append(_resp("APPEND", f"s:{i - 1}", "x" * (i % 100)))
    return b"".join(cmds)
