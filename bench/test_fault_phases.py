"""fault_phases.py on `perf script` lines written as perf writes them."""

import unittest

import fault_phases as fp

BIN = "/work/main/target/release/intake"
DATA = "binary: data segment (.data.rel.ro, .got, .data, .bss)"
RODATA = "binary: read-only data (.rodata, .eh_frame, relocations)"


def line(thread: str, at: float, text: str, comm: str = "intake") -> str:
    return f"{comm:>16}  {thread}  {at:.6f}: {text}"


def run(pid: int, t0: float, shift: int) -> list:
    """One cold start: the binary's mappings, faults in three phases, two connects."""
    base = 0x5600_0000_0000 + shift
    heap = 0x5700_0000_0000 + shift
    p, worker = f"{pid}/{pid}", f"{pid}/{pid + 1}"

    def at(ms):
        return t0 + ms / 1000

    def mmap(ms, start, size, offset, perms, path, thread=p):
        return line(thread, at(ms), f"PERF_RECORD_MMAP2 {pid}/{pid}: [0x{start:x}(0x{size:x}) @ {offset} fe:00 1 2]: {perms} {path}")

    def fault(thread, ms, address):
        return line(thread, at(ms), f"               page-faults:     {address:x}            0")

    def connect(ms, fd):
        return line(p, at(ms), f"syscalls:sys_enter_connect: fd: 0x{fd:08x}, uservaddr: 0x7ffc, addrlen: 0x00000010")

    return [
        # The loader maps the binary before the exec's tracepoint; perf writes 0/0 before
        # some records: the process is the record's own.
        mmap(-0.05, base, 0x100000, "0", "r--p", BIN, thread="0/0"),
        mmap(-0.04, base + 0x10000, 0x80000, "0x10000", "r-xp", BIN),
        mmap(-0.03, base + 0x90000, 0x20000, "0x90000", "rw-p", BIN),
        mmap(-0.02, 0x7F00000000, 0x21000, "0x7ffffffde000", "rw-p", "[stack]"),
        line(p, at(0), f"sched:sched_process_exec: filename={BIN} pid={pid} old_pid={pid}"),
        fault(p, 0.1, base + 0x100),  # read-only data
        fault(p, 0.2, base + 0x20000),  # text
        fault(p, 0.3, base + 0x90010),  # data, written by the loader
        # The loader makes .data.rel.ro read-only: still the data segment.
        mmap(0.4, base + 0x90000, 0x10000, "0x90000", "r--p", BIN),
        fault(p, 0.5, base + 0x91000),
        fault(p, 0.6, 0x7F00000100),  # stack
        # The first brk shows as anonymous memory at the heap's base, growth as [heap].
        mmap(0.65, heap, 0x21000, f"0x{heap:x}", "rw-p", "//anon"),
        fault(p, 0.7, heap + 0x10),
        fault(worker, 0.8, base + 0x30000),  # another thread
        fault(p, 0.9, heap + 0x30000),  # nothing mapped there yet: the heap grows later
        connect(1.0, 6),
        fault(p, 1.5, base + 0x40000),
        connect(2.0, 7),
        mmap(2.2, heap, 0x42000, f"0x{heap:x}", "rw-p", "[heap]"),
        fault(p, 2.5, heap + 0x30000),
    ]


class FaultPhases(unittest.TestCase):
    def runs(self, lines):
        return fp.runs(fp.read(lines), "intake")

    def test_faults_are_split_at_the_main_threads_connects_and_named_by_mapping(self):
        lines = run(100, 10.0, 0) + run(200, 11.0, 0x1000_0000)
        # Another program's exec and faults are left out.
        lines.append(line("300/300", 12.0, "sched:sched_process_exec: filename=/usr/bin/python3 pid=300 old_pid=300", "python3"))
        lines.append(line("300/300", 12.0001, "page-faults:  1000", "python3"))
        # A worker thread's connect does not end a phase.
        lines.append(line("100/101", 10.0012, "syscalls:sys_enter_connect: fd: 0x00000009, uservaddr: 0x7ffc, addrlen: 0x00000010"))
        found = self.runs(sorted(lines, key=lambda ln: float(ln.split(":")[0].split()[-1])))
        self.assertEqual(len(found), 2)
        for first, second, rest in found:
            self.assertEqual((first["main"], first["other"]), (7, 1))
            self.assertAlmostEqual(first["to_ms"], 1.0, places=3)
            self.assertEqual(first["regions"], {RODATA: 1, "binary: text": 1, DATA: 2, "stack": 1, "heap": 1, "unmapped": 1})
            self.assertEqual((second["main"], second["regions"]), (1, {"binary: text": 1}))
            self.assertEqual((rest["main"], rest["to_ms"], rest["regions"]), (1, None, {"heap": 1}))

    def test_a_pid_used_again_gives_one_run_per_exec_and_nothing_from_before_the_first(self):
        earlier = [
            line("100/100", 9.0, "syscalls:sys_enter_connect: fd: 0x00000003, uservaddr: 0x7ffc, addrlen: 0x00000010", "bash"),
            line("100/100", 9.1, "page-faults:     5000            0", "bash"),
        ]
        found = self.runs(earlier + run(100, 10.0, 0) + run(100, 11.0, 0x1000_0000))
        self.assertEqual([len(phases) for phases in found], [3, 3])
        for first, *_ in found:
            self.assertEqual(first["main"], 7)
            self.assertAlmostEqual(first["to_ms"], 1.0, places=3)
        # The second run reads the mappings of its own exec.
        self.assertEqual(found[1][0]["regions"][DATA], 2)

    def test_read_only_data_after_the_text_is_not_taken_for_the_data_segment(self):
        base = 0x5600_0000_0000
        lines = [
            line("100/100", 10.0, f"PERF_RECORD_MMAP2 100/100: [0x{base:x}(0x10000) @ 0 fe:00 1 2]: r-xp {BIN}"),
            line("100/100", 10.0, f"PERF_RECORD_MMAP2 100/100: [0x{base + 0x10000:x}(0x10000) @ 0x10000 fe:00 1 2]: r--p {BIN}"),
            line("100/100", 10.0001, f"sched:sched_process_exec: filename={BIN} pid=100 old_pid=100"),
            line("100/100", 10.0002, f"page-faults:     {base + 0x10010:x}            0"),
            line("100/100", 10.0003, "page-faults:"),  # no address: skipped
        ]
        (only,) = self.runs(lines)[0]
        self.assertEqual(only["regions"], {RODATA: 1})

    def test_the_report_gives_medians_and_the_median_run(self):
        lines = run(100, 10.0, 0) + run(200, 11.0, 0x1000_0000) + run(300, 12.0, 0x2000_0000)
        lines += [line("300/300", 12.0001 + i / 1e6, f"page-faults:     {0x99990000 + i:x}") for i in range(5)]
        text = fp.report(self.runs(lines), "intake")
        self.assertIn("intake: 3 runs", text)
        self.assertIn("to connect 1 at  1.00 ms    main thread     7  other threads    1", text)
        self.assertIn("the median run (10 faults)", text)
        self.assertIn("phase 3: heap 1", text)


if __name__ == "__main__":
    unittest.main()
