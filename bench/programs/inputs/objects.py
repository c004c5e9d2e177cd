# //bench:apps "python": run with PYTHONMALLOC=malloc, so every object comes from the allocator
# under test. Dicts that grow and shrink, string building and splitting, JSON round trips.
# Usage: python3 objects.py N (work scales with N). Prints one deterministic checksum line.
import hashlib
import json
import sys

n = int(sys.argv[1])
h = hashlib.sha256()
state = 12345


def rand(k):
    """A fixed linear congruential sequence: the same objects under every allocator."""
    global state
    state = (state * 1103515245 + 12345) & 0x7FFFFFFF
    return state % k


for epoch in range(n):
    table = {}
    for i in range(2000):
        key = "k%d_%d" % (rand(5000), i % 7)
        table[key] = {"id": i, "tags": ["t%d" % rand(50) for _ in range(rand(6))], "score": rand(1000) / 7}
        if rand(3) == 0:
            table.pop("k%d_%d" % (rand(5000), rand(7)), None)
    text = json.dumps(table, sort_keys=True)
    back = json.loads(text)
    words = text.replace('"', " ").split()
    joined = "|".join(sorted(set(words))[:500])
    h.update(joined.encode())
    h.update(str(len(back)).encode())
print(h.hexdigest(), n)
