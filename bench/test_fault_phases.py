"""fault_phases.py on `perf script` lines written as perf writes them."""

import unittest

import fault_phases as fp

BIN = "/work/main/target/release/intake"


def run(pid: int, t0: float, shift: int) -> list:
    """One cold start: the binary's mappings, faults in three phases, two connects."""
    base = 0x5600_0000_0000 + shift
    p = f"{pid}/{pid}"
    worker = f"{pid}/{pid + 1}"

    def at(ms):
        return f"{t0 + ms / 1000:.6f}"

    def fault(thread, ms, address):
        return f"          intake  {thread}  {at(ms)}: page-faults:  {address:x}"

    return [
        f"          intake  {p}  {at(0)}:   sched:sched_process_exec: filename={BIN} pid={pid} old_pid={pid}",
        # perf writes 0/0 before some records: the process is the record's own.
        f"       perf-exec     0/0  {at(0)}: PERF_RECORD_MMAP2 {pid}/{pid}: [0x{base:x}(0x100000) @ 0 fe:00 1 2]: r--p {BIN}",
        f"          intake  {p}  {at(0)}: PERF_RECORD_MMAP2 {pid}/{pid}: [0x{base + 0x10000:x}(0x80000) @ 0x10000 fe:00 1 2]: r-xp {BIN}",
        f"          intake  {p}  {at(0)}: PERF_RECORD_MMAP2 {pid}/{pid}: [0x{base + 0x90000:x}(0x20000) @ 0x90000 fe:00 1 2]: rw-p {BIN}",
        f"          intake  {p}  {at(0)}: PERF_RECORD_MMAP2 {pid}/{pid}: [0x7f00000000(0x21000) @ 0x7ffffffde000 00:00 0 0]: rw-p [stack]",
        fault(p, 0.1, base + 0x100),  # read-only data
        fault(p, 0.2, base + 0x20000),  # text
        fault(p, 0.3, base + 0x90010),  # data, before the loader's mprotect
        # The loader makes .data.rel.ro read-only: still the data segment.
        f"          intake  {p}  {at(0.4)}: PERF_RECORD_MMAP2 {pid}/{pid}: [0x{base + 0x90000:x}(0x10000) @ 0x90000 fe:00 1 2]: r--p {BIN}",
        fault(p, 0.5, base + 0x91000),
        fault(p, 0.6, 0x7f00000100),  # stack
        fault(p, 0.7, 0x1234),  # brk heap: no mapping event
        fault(worker, 0.8, base + 0x30000),  # another thread
        f"          intake  {p}  {at(1.0)}: syscalls:sys_enter_connect: fd: 0x00000006, uservaddr: 0x7ffc, addrlen: 0x00000010",
        fault(p, 1.5, base + 0x40000),
        f"          intake  {p}  {at(2.0)}: syscalls:sys_enter_connect: fd: 0x00000007, uservaddr: 0x7ffc, addrlen: 0x00000010",
        fault(p, 2.5, 0x5678),
    ]


class FaultPhases(unittest.TestCase):
    def test_faults_are_split_at_the_connects_and_named_by_mapping(self):
        lines = run(100, 10.0, 0) + run(200, 11.0, 0x1000_0000)
        # Another program's exec and faults are left out.
        lines.append("          python  300/300  12.000000:   sched:sched_process_exec: filename=/usr/bin/python3 pid=300 old_pid=300")
        lines.append("          python  300/300  12.000100: page-faults:  1000")
        runs = fp.runs_of(lines, "intake")
        self.assertEqual(sorted(runs), ["100", "200"])
        for r in runs.values():
            first, second, rest = fp.phases(r, "intake")
            self.assertEqual((first["main"], first["other"]), (6, 1))
            self.assertAlmostEqual(first["to_ms"], 1.0, places=3)
            self.assertEqual(first["regions"], {
                "binary: read-only data (.rodata, relocations)": 1,
                "binary: text": 1,
                "binary: data (.data.rel.ro, .got, .data)": 2,
                "stack": 1,
                "heap": 1,
            })
            self.assertEqual((second["main"], second["regions"]), (1, {"binary: text": 1}))
            self.assertEqual((rest["main"], rest["to_ms"], rest["regions"]), (1, None, {"heap": 1}))


if __name__ == "__main__":
    unittest.main()
