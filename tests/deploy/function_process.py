"""One function's real binary as one Lambda execution environment: started with exactly
the environment it is given, fed events through the Runtime API host, stopped after."""

import json
import subprocess
import time
from pathlib import Path

from runtime_api import Outcome, RuntimeApi


class InitFailed(Exception):
    pass


class FunctionProcess:
    def __init__(self, name: str, binary: Path | list, env: dict, log_path: Path, arn: str, timeout_s: int):
        self.name = name
        # A path to the `bootstrap`, or a whole command (the benchmarks' Python baseline).
        self.command = [str(a) for a in binary] if isinstance(binary, list) else [str(binary)]
        self.binary = binary
        self.env = env
        self.log_path = log_path
        self.timeout_s = timeout_s
        self.api = RuntimeApi(arn)
        self.proc = None

    def __enter__(self) -> "FunctionProcess":
        self.api.start()
        env = dict(self.env, AWS_LAMBDA_RUNTIME_API=self.api.address)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w", encoding="utf-8")
        # No inherited environment: the function sees what Lambda would give it, nothing
        # from the developer's shell (a stray MODELWATCH_CONFIG_FILE would hide a gap).
        self.started_at = time.monotonic()  # the benchmarks' "exec"
        self.proc = subprocess.Popen(self.command, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd="/")
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.api.polled.is_set():
                return self
            if self.api.init_error is not None or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()
        failure = self._init_failure()
        self.__exit__(None, None, None)
        raise InitFailed(failure)

    def _init_failure(self) -> str:
        if self.api.init_error is not None:
            return f"{self.name}: init error {json.dumps(self.api.init_error.body)}"
        if self.proc.poll() is not None:
            self._log.flush()
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            return (f"{self.name}: exited with {self.proc.returncode} before asking for its first event "
                    f"(Lambda would report Runtime.ExitError): {lines[-1][:300] if lines else 'no output'}")
        return f"{self.name}: did not ask for an event within 30 s; log: {self.log_path}"

    def invoke(self, event) -> Outcome:
        outcome = self.api.invoke(event, self.timeout_s)
        if outcome is None:
            alive = "still running" if self.proc.poll() is None else f"exited with {self.proc.returncode}"
            return Outcome(False, {"errorMessage": f"no answer within the template's Timeout ({self.timeout_s} s); process {alive}"})
        return outcome

    def peak_rss_kib(self) -> int:
        """The process's peak resident memory so far (VmHWM), 0 once it has exited."""
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return 0
        line = next((ln for ln in status.splitlines() if ln.startswith("VmHWM:")), "VmHWM: 0 kB")
        return int(line.split()[1])

    def scheduled_ms(self) -> tuple[float, float] | None:
        """What the scheduler counted for the process's threads so far (/proc/PID/task/*/
        schedstat, nanoseconds): time running on a core, and time runnable but waiting
        for one. None once it has exited. Threads that already ended are not counted:
        tokio's blocking thread lingers ten seconds."""
        running = waiting = 0
        try:
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                fields = (task / "schedstat").read_text().split()
                running += int(fields[0])
                waiting += int(fields[1])
        except (OSError, ValueError, IndexError):
            return None
        return running / 1e6, waiting / 1e6

    def log_lines(self) -> list:
        """The function's JSON log lines (anything else it printed is skipped)."""
        self._log.flush()
        lines = []
        for raw in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
        return lines

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # As Lambda's shutdown phase: SIGTERM, then SIGKILL after 500 ms.
            self.proc.terminate()
            try:
                self.proc.wait(0.5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.api.stop()
        self._log.close()
