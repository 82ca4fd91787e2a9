"""Page faults of each cold start, by phase and by what they touched, from a system-wide
`perf record` around `bench/cold_start_ab.py`:

    perf record -a -c 1 -o /tmp/faults.data -d -e page-faults -e sched:sched_process_exec \\
        -e syscalls:sys_enter_connect -- <the cold_start_ab.py command>
    perf script -i /tmp/faults.data --show-mmap-events -F comm,pid,tid,time,event,addr,trace \\
        | python3 bench/fault_phases.py intake

A run is one exec of the binary. Its phases end at the main thread's `connect`s, every
one (a function whose main thread does not make its connections, or that looks names up
over the network, gets other phases). For the intake under the Runtime API host:
connects 1 and 2 are its two init requests (the table check, the secret); 3 is
`GET /next`, after which the GetItem and the transaction reuse connection 2; 4 is the
answer's POST; 5 the next `GET /next`. Faults are counted for the whole process, and by
mapping for the main thread: the binary's text, its read-only data, its data segment
(.data.rel.ro and the GOT, copied on the loader's first write, then .data and .bss), the
heap, the stack, shared libraries by name. Medians over the runs, then the run with the
median number of faults in full.
"""

import re
import statistics
import sys
from collections import Counter, defaultdict
from typing import NamedTuple

EVENT = re.compile(r"\s*(\S+)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\S+?):?(?:\s+(.*))?$")
MMAP = re.compile(r"PERF_RECORD_MMAP2? (\d+)/\d+: \[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (\S+).*\]: (\S+) (.+)$")
EXEC = "sched:sched_process_exec"
CONNECT = "syscalls:sys_enter_connect"
FAULT = "page-faults"


class Mapping(NamedTuple):
    at: float
    base: int
    size: int
    offset: int
    perms: str
    path: str


class Process:
    """One pid's mappings (in the order perf recorded them) and events."""

    def __init__(self):
        self.maps: list[Mapping] = []
        self.events: list[tuple] = []  # (time, on the main thread, kind, rest)


def read(lines) -> dict[str, Process]:
    processes = defaultdict(Process)
    for line in lines:
        line = line.rstrip("\n")
        m = EVENT.match(line)
        if not m:
            continue
        _, pid, tid, at, kind, rest = m.groups()
        mm = MMAP.search(line)
        if mm:  # the process is the record's own (a synthesized one's line says 0/0)
            owner, base, size, offset, perms, path = mm.groups()
            offset = int(offset, 16) if offset.startswith("0x") else int(offset)
            processes[owner].maps.append(Mapping(float(at), int(base, 16), int(size, 16), offset, perms, path.strip()))
            continue
        processes[pid].events.append((float(at), tid == pid, kind, rest or ""))
    return processes


def execs_of(process: Process, binary: str) -> list[float]:
    found = []
    for at, _, kind, rest in process.events:
        if kind == EXEC:
            filename = rest.split("filename=", 1)[-1].split(" ", 1)[0]
            if filename.rsplit("/", 1)[-1] == binary:
                found.append(at)
    return found


def region(mapping: Mapping | None, process: Process, binary: str) -> str:
    if mapping is None:
        return "unmapped"
    name = mapping.path.rsplit("/", 1)[-1]
    if name == "anon" and any(m.base == mapping.base and m.path == "[heap]" for m in process.maps):
        return "heap"  # the first brk shows as anonymous memory at the heap's base
    if name != binary:
        return {"[heap]": "heap", "[stack]": "stack", "anon": "anonymous"}.get(name, name)
    if "x" in mapping.perms:
        return "binary: text"
    # The loader makes .data.rel.ro read-only once relocated (mprotect): a read-only
    # mapping of what was mapped writable is still the data segment.
    if "w" in mapping.perms or any(
            m.path == mapping.path and "w" in m.perms and m.offset <= mapping.offset < m.offset + m.size
            for m in process.maps if m.at <= mapping.at):
        return "binary: data segment (.data.rel.ro, .got, .data, .bss)"
    return "binary: read-only data (.rodata, .eh_frame, relocations)"


def where(address: int, at: float, process: Process) -> Mapping | None:
    """The mapping at `address` when the fault happened: the latest one recorded by then."""
    for m in reversed(process.maps):
        if m.at <= at and m.base <= address < m.base + m.size:
            return m
    return None


def runs(processes: dict[str, Process], binary: str) -> list[list[dict]]:
    """Each exec of `binary`: its phases, from the exec to each main-thread connect."""
    out = []
    for process in processes.values():
        execs = execs_of(process, binary)
        for n, start in enumerate(execs):
            stop = execs[n + 1] if n + 1 < len(execs) else float("inf")
            events = [e for e in process.events if start <= e[0] < stop]
            ends = [e[0] for e in events if e[2] == CONNECT and e[1]] + [stop]
            faults = []
            for at, main, kind, rest in events:
                if kind == FAULT:
                    try:
                        faults.append((at, main, int(rest.split()[0], 16)))
                    except (IndexError, ValueError):
                        continue  # a fault line without an address
            phases, begin = [], start
            for end in ends:
                inside = [f for f in faults if begin <= f[0] < end]
                phases.append({
                    "to_ms": (end - start) * 1e3 if end != float("inf") else None,
                    "main": sum(1 for f in inside if f[1]),
                    "other": sum(1 for f in inside if not f[1]),
                    "regions": Counter(region(where(a, t, process), process, binary) for t, main, a in inside if main),
                })
                begin = end
            out.append(phases)
    return out


def report(all_runs: list[list[dict]], binary: str) -> str:
    lines = []
    common = min(len(r) for r in all_runs)
    lines.append(f"{binary}: {len(all_runs)} runs; page faults by phase (median; the phases end at its main thread's connects)")
    if any(len(r) != common for r in all_runs):
        lines.append(f"  (runs made {sorted({len(r) - 1 for r in all_runs})} connects: only the first {common - 1} phases are compared)")
    for i in range(common):
        span = [r[i] for r in all_runs]
        to = [p["to_ms"] for p in span if p["to_ms"] is not None]
        end = f"connect {i + 1} at {statistics.median(to):5.2f} ms" if to else "the end"
        lines.append(f"  to {end:24s} main thread {statistics.median(p['main'] for p in span):5.0f}"
                     f"  other threads {statistics.median(p['other'] for p in span):4.0f}")
    def total(phases):
        return sum(p["main"] + p["other"] for p in phases)

    ordered = sorted(all_runs, key=total)
    middle = ordered[(len(ordered) - 1) // 2]
    lines.append(f"the median run ({total(middle)} faults), the main thread's by what they touched:")
    for i, p in enumerate(middle):
        top = ", ".join(f"{name} {n}" for name, n in p["regions"].most_common())
        lines.append(f"  phase {i + 1}: {top or 'none'}")
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit("usage: perf script ... | python3 bench/fault_phases.py BINARY_NAME")
    binary = sys.argv[1]
    found = runs(read(sys.stdin), binary)
    if not found:
        sys.exit(f"fault_phases: no exec of {binary} in the perf script on standard input")
    print(report(found, binary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
