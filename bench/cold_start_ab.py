"""Cold starts of one function in two or more variants, alternated run by run so that a
change in the machine's speed falls on every variant alike: `bench/cold_start.py`'s setup
(the emulator, the fakes, the template's environment, one new alert per event).

A variant is LABEL, or LABEL:bin=PATH, or LABEL:env=NAME=VALUE (both may be given,
comma-separated): a binary other than target/release's, or an environment variable set.

    MODELWATCH_EMULATOR_CALLS=$PWD/target/bench/ab/calls.jsonl tests/emulator/with-dynamodb \\
        .venv-sam/bin/python bench/cold_start_ab.py --function intake --runs 15 \\
        --variant example --variant one-model:env=MODELWATCH_CONFIG_FILE=$PWD/bench/one-model.yaml

The fakes are one build per run of this script (MODELWATCH_FAKES_BIN): to compare builds
of them, alternate runs of it.
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cold_start as cs  # noqa: E402


def variant(spec: str) -> tuple[str, Path | None, dict]:
    label, _, rest = spec.partition(":")
    binary, env = None, {}
    for part in filter(None, rest.split(",")):
        kind, _, value = part.partition("=")
        if kind == "bin":
            binary = Path(value)
        elif kind == "env" and "=" in value:
            name, _, v = value.partition("=")
            env[name] = v
        else:
            sys.exit(f"cold_start_ab: {part!r} in {spec!r}: expected bin=PATH or env=NAME=VALUE")
    return label, binary, env


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--function", choices=("intake", "escalator"), required=True)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--variant", action="append", required=True, help="LABEL[:bin=PATH][,env=NAME=VALUE]")
    a = p.parse_args()
    variants = [variant(v) for v in a.variant]
    b = cs.Bench(a.runs)
    named = [binary for _, binary, _ in variants if binary is not None]
    if missing := [str(binary) for binary in named if not binary.is_file()]:
        sys.exit(f"cold_start_ab: {', '.join(missing)} not found: expected the binaries the variants name")
    # target/release's: the intake that writes the escalator's event, and the function's
    # own where a variant names no binary.
    b.setup(tuple(({"intake"} if a.function == "escalator" else set())
                  | ({a.function} if len(named) < len(variants) else set())))
    monitor = 60_000
    try:
        for _ in range(a.runs):
            for label, binary, env in variants:
                command = binary or cs.RELEASE / a.function
                if a.function == "intake":
                    b.measure(label, b.fns["intake"], command, cs.webhook(b.token, monitor), None, env)
                    monitor += 1
                    continue
                # The escalator's event: one new alert's batch, written by the intake.
                with cs.FunctionProcess("ab-intake", cs.RELEASE / "intake", b.s.env_for(b.fns["intake"], b.extra),
                                        cs.OUT / "ab-intake.log", b.s.resolver.resolve({"Fn::GetAtt": [b.fns["intake"].logical_id, "Arn"]}), 10) as proc:
                    problem = cs.ok_answer(proc.invoke(cs.webhook(b.token, monitor)))
                if problem:
                    b.failures.append(f"the escalator's webhook: {problem}")
                    continue
                event = b.of_monitor(b.new_stream_batch(), monitor)
                monitor += 1
                b.measure(label, b.fns["escalator"], command, event, None, env)
    finally:
        b.stop()
    print(f"{a.function}, {a.runs} runs per variant, alternated (medians, ms)")
    for label, *_ in variants:
        v = b.samples.get(label, [])
        m = lambda key: statistics.median(s[key] for s in v) if v else float("nan")  # noqa: E731
        print(f"  {label:24} init {m('init_ms'):6.1f}  first response {m('first_response_ms'):6.1f}  "
              f"CPU {m('cpu_ms'):5.1f}  waiting for a core {m('core_wait_ms'):5.1f}  emulator {m('emulator_ms'):5.1f}")
    for f in b.failures:
        print(f"FAIL {f}", file=sys.stderr)
    return 1 if b.failures else 0


if __name__ == "__main__":
    sys.exit(main())
