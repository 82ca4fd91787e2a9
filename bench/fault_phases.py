"""Page faults of each cold start, by phase and by what they touched, from a system-wide
`perf record` around `bench/cold_start_ab.py`:

    perf record -a -c 1 -o /tmp/faults.data -d -e page-faults -e sched:sched_process_exec \\
        -e syscalls:sys_enter_connect -- <the cold_start_ab.py command>
    perf script -i /tmp/faults.data --show-mmap-events -F comm,pid,tid,time,event,addr,trace \\
        | python3 bench/fault_phases.py intake

The phases end at the function's `connect`s (the first is its first request; through
the Runtime API host, the last two are `GET /next` and the answer's POST); faults are
counted for the whole process, and by mapping for the main thread: the binary's text, its
read-only data, its relocated data (.data.rel.ro, copied on the loader's first write), the
heap, the stack, shared libraries by name. Medians over the runs, then one run in full.
"""

import re
import statistics
import sys
from collections import Counter, defaultdict

EVENT = re.compile(r"\s*(\S+)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\S+?):?\s+(.*)")
MMAP = re.compile(r"PERF_RECORD_MMAP2? (\d+)/\d+: \[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (\S+).*\]: (\S+) (\S+)")


def region(perms: str, path: str, offset: int, binary: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name != binary:
        return {"[heap]": "heap", "[stack]": "stack", "anon": "anonymous"}.get(name, name)
    if "x" in perms:
        return "binary: text"
    if "w" in perms or offset > 0:
        # The data segment; once relocated, .data.rel.ro is made read-only (mprotect).
        return "binary: data (.data.rel.ro, .got, .data)"
    return "binary: read-only data (.rodata, relocations)"


def runs_of(lines, binary: str):
    """Per process of `binary`: its events in time order and its mappings as they came."""
    runs = defaultdict(lambda: {"events": [], "maps": []})
    for line in lines:
        mm = MMAP.search(line)
        if mm:  # the process is the record's own (a synthesized one's line says 0/0)
            pid, base, size, offset, perms, path = mm.groups()
            runs[pid]["maps"].append((int(base, 16), int(size, 16), perms, path,
                                      int(offset, 16) if offset.startswith("0x") else 0))
            continue
        m = EVENT.match(line)
        if not m:
            continue
        comm, pid, tid, at, kind, rest = m.groups()
        if kind == "sched:sched_process_exec" and not rest.split("filename=")[-1].split()[0].endswith("/" + binary):
            continue
        runs[pid]["events"].append((float(at), tid == pid, kind, rest))
    return {pid: r for pid, r in runs.items()
            if any(e[2] == "sched:sched_process_exec" for e in r["events"])}


def where(address: int, maps, binary: str) -> str:
    for base, size, perms, path, offset in reversed(maps):  # the latest mapping wins
        if base <= address < base + size:
            return region(perms, path, offset, binary)
    return "heap"  # brk growth shows no mapping event


def phases(run, binary: str):
    events = run["events"]
    start = next(e[0] for e in events if e[2] == "sched:sched_process_exec")
    ends = [e[0] for e in events if e[2] == "syscalls:sys_enter_connect" and e[1]] + [float("inf")]
    faults = [e for e in events if e[2] == "page-faults"]
    out, begin = [], start
    for end in ends:
        inside = [f for f in faults if begin <= f[0] < end]
        by_region = Counter(where(int(f[3].split()[0], 16), run["maps"], binary) for f in inside if f[1])
        out.append({"from_ms": (begin - start) * 1e3,
                    "to_ms": (end - start) * 1e3 if end != float("inf") else None,
                    "main": sum(1 for f in inside if f[1]), "other": sum(1 for f in inside if not f[1]),
                    "regions": by_region})
        begin = end
    return out


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit("usage: perf script ... | python3 bench/fault_phases.py BINARY_NAME")
    binary = sys.argv[1]
    runs = [phases(r, binary) for r in runs_of(sys.stdin, binary).values()]
    if not runs:
        sys.exit(f"fault_phases: no exec of {binary} in the perf script on standard input")
    common = min(len(r) for r in runs)
    print(f"{binary}: {len(runs)} runs; page faults by phase (median; the phases end at its connects)")
    for i in range(common):
        span = [p[i] for p in runs]
        to = [p["to_ms"] for p in span if p["to_ms"] is not None]
        end = f"connect {i + 1} at {statistics.median(to):5.2f} ms" if to else "exit"
        print(f"  to {end:24s} main thread {statistics.median(p['main'] for p in span):5.0f}"
              f"  other threads {statistics.median(p['other'] for p in span):4.0f}")
    print("one run, the main thread's faults by what they touched:")
    for i, p in enumerate(runs[0][:common]):
        top = ", ".join(f"{name} {n}" for name, n in p["regions"].most_common())
        print(f"  phase {i + 1}: {top or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
