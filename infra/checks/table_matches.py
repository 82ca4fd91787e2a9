"""The alerts table in infra/template.yaml must be the one in infra/table.json.

infra/table.json is the definition the code and the tests create tables from; the
template adds only what the emulator has no use for (point-in-time recovery,
encryption, deletion protection, the table's name).
"""

import json
import sys
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_ONLY = {
    "TableName",
    "PointInTimeRecoverySpecification",
    "SSESpecification",
    "DeletionProtectionEnabled",
}


def main() -> int:
    template, problems = decode(str(ROOT / "infra/template.yaml"))
    if problems:
        for p in problems:
            print(f"infra/template.yaml: {p}", file=sys.stderr)
        return 1
    table = template["Resources"]["AlertsTable"]["Properties"]
    in_template = {k: v for k, v in table.items() if k not in TEMPLATE_ONLY}
    shared = json.loads((ROOT / "infra/table.json").read_text())
    # Compare as plain JSON: the decoder's mapping types carry line numbers.
    in_template = json.loads(json.dumps(in_template))
    if in_template != shared:
        print("AlertsTable in infra/template.yaml differs from infra/table.json:", file=sys.stderr)
        for key in sorted(set(in_template) | set(shared)):
            if in_template.get(key) != shared.get(key):
                print(f"  {key}:\n    template:   {in_template.get(key)}\n    table.json: {shared.get(key)}", file=sys.stderr)
        return 1
    print("AlertsTable in infra/template.yaml matches infra/table.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
