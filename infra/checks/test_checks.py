"""The deploy checks fail on broken inputs (a check that cannot fail proves nothing):
each test breaks one thing in a scratch copy and expects the check to name it.

    .venv-sam/bin/python -m unittest discover -s infra/checks -p 'test_*.py'
"""

import io
import json
import shutil
import stat
import sys
import tempfile
import unittest
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1] / "tests/deploy")]

import deploy_template  # noqa: E402
import env_check  # noqa: E402
import events  # noqa: E402
import iam_check  # noqa: E402
import package_check  # noqa: E402
import template_model as tm  # noqa: E402

ROOT = tm.ROOT


def scratch_template(edit) -> Path:
    """infra/template.yaml with `edit(text) -> text` applied, in a temporary file."""
    text = (ROOT / "infra/template.yaml").read_text()
    changed = edit(text)
    assert changed != text, "the edit did not apply: the test's anchor text is gone from the template"
    f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    f.write(changed)
    f.close()
    return Path(f.name)


def env_failures(path: Path) -> list:
    return env_check.check(tm.translate(path), tm.source(path))[1]


class EnvCheck(unittest.TestCase):
    def test_the_template_passes(self):
        self.assertEqual(env_failures(tm.TEMPLATE), [])

    def test_a_variable_set_that_nothing_reads_fails(self):
        path = scratch_template(lambda t: t.replace("        RUST_LOG: info\n", "        RUST_LOG: info\n        MODELWATCH_ENVIRONMENT: !Ref EnvironmentName\n", 1))
        failures = env_failures(path)
        self.assertTrue(any("sets MODELWATCH_ENVIRONMENT" in f and "IntakeFunction" in f for f in failures), failures)

    def test_a_variable_read_and_not_set_fails(self):
        path = scratch_template(lambda t: t.replace("        MODELWATCH_TABLE: !Ref AlertsTable\n", "", 1))
        failures = env_failures(path)
        self.assertTrue(any("reads MODELWATCH_TABLE" in f for f in failures), failures)

    def test_a_read_whose_name_cannot_be_told_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "functions/intake/src").mkdir(parents=True)
            (root / "shared/src").mkdir(parents=True)
            (root / "functions/intake/src/lib.rs").write_text('fn f() { let v = std::env::var(format!("X_{}", 1)); }\n')
            found, unknown = env_check.reads("intake", root)
            self.assertTrue(unknown and "cannot tell" in unknown[0], unknown)


class DeployTemplate(unittest.TestCase):
    def test_template_file_in_the_global_parameters_fails(self):
        root = deploy_template.scratch('version = 0.1\n[default.global.parameters]\ntemplate_file = "infra/template.yaml"\n'
                                       '[default.deploy.parameters]\nstack_name = "s"\n')
        failures = deploy_template.check(root)
        self.assertTrue(any("would use infra/template.yaml" in f for f in failures), failures)

    def test_the_example_samconfig_deploys_the_built_template(self):
        root = deploy_template.scratch((ROOT / deploy_template.EXAMPLE).read_text())
        self.assertEqual(deploy_template.check(root), [])


class Iam(unittest.TestCase):
    TABLE = f"arn:aws:dynamodb:{tm.REGION}:{tm.ACCOUNT}:table/t"

    def test_a_call_the_role_does_not_allow_fails(self):
        uses = [iam_check.Use("dynamodb:DeleteItem", self.TABLE, "code")]
        rows, failures = iam_check.compare("intake", [iam_check.Grant("dynamodb:PutItem", self.TABLE)], uses)
        self.assertTrue(any("called dynamodb:DeleteItem" in f for f in failures), failures)
        self.assertTrue(any("grants dynamodb:PutItem" in f for f in failures), failures)

    def test_a_grant_on_the_index_for_a_table_action_fails(self):
        uses = [iam_check.Use("dynamodb:GetItem", self.TABLE, "code")]
        granted = [iam_check.Grant("dynamodb:GetItem", self.TABLE), iam_check.Grant("dynamodb:GetItem", self.TABLE + "/index/open-alerts")]
        failures = iam_check.compare("intake", granted, uses)[1]
        self.assertEqual(len(failures), 1, failures)
        self.assertIn("index/open-alerts", failures[0])

    def test_transaction_parts_need_their_own_actions_and_name_their_keys(self):
        call = {"key": "k", "service": "dynamodb", "operation": "TransactWriteItems", "resources": [{}],
                "items": [["Put", "t", "ALERT#a"], ["ConditionCheck", "t", "SIGNAL#a#1"]]}
        uses = sorted((u.action, u.leading_keys) for u in iam_check.code_uses([call], {}))
        self.assertEqual(uses, [("dynamodb:ConditionCheckItem", ("SIGNAL#a#1",)), ("dynamodb:PutItem", ("ALERT#a",))])

    def reporter_grants(self, path=tm.TEMPLATE) -> list:
        cfn = tm.translate(path)
        resolver = tm.test_values(cfn, {}, "t", f"arn:aws:secretsmanager:{tm.REGION}:{tm.ACCOUNT}:secret:s")
        return iam_check.grants(cfn["Resources"]["ReporterRole"], resolver)

    def test_the_reporter_writes_report_claims_and_nothing_else(self):
        granted = self.reporter_grants()
        put = lambda key: [iam_check.Use("dynamodb:PutItem", self.TABLE, "code", (key,))]  # noqa: E731
        update = lambda key: iam_check.Use("dynamodb:UpdateItem", self.TABLE, "code", (key,))  # noqa: E731
        self.assertTrue(iam_check.allows(granted, put("REPORT#daily|ml-team|C1|1780000000000")[0]))
        self.assertTrue(iam_check.allows(granted, update("REPORT#daily|ml-team|C1|1780000000000")))
        for key in ("ALERT#m|q|g", "SUB#daily", "SILENCES"):
            self.assertFalse(iam_check.allows(granted, put(key)[0]), key)
            self.assertFalse(iam_check.allows(granted, update(key)), key)
        # A call whose keys the emulator did not log cannot be shown to meet the condition.
        self.assertFalse(iam_check.allows(granted, iam_check.Use("dynamodb:UpdateItem", self.TABLE, "code")))
        # The call on another key is checked even after one of the same action was allowed.
        failures = iam_check.compare("reporter", granted, put("REPORT#daily|ml-team|C1|1") + put("ALERT#m|q|g"))[1]
        self.assertTrue(any("called dynamodb:PutItem" in f and "partition keys ALERT#m|q|g" in f for f in failures), failures)

    def test_without_its_condition_the_reporter_could_write_alerts(self):
        path = scratch_template(lambda t: t.replace(
            '                Condition:\n                  "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["REPORT#*"] }\n', "", 1))
        put = iam_check.Use("dynamodb:PutItem", self.TABLE, "code", ("ALERT#m|q|g",))
        self.assertTrue(iam_check.allows(self.reporter_grants(path), put))

    def test_a_condition_beyond_the_check_is_refused_by_name(self):
        role = {"Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
            {"Sid": "S", "Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": self.TABLE,
             "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}}]}}]}}
        with self.assertRaisesRegex(ValueError, "statement S: the condition .* is beyond this check"):
            iam_check.grants(role, tm.Resolver({}, {}))

    def test_a_condition_whose_calls_all_touched_other_keys_is_named_as_such(self):
        granted = [iam_check.Grant("dynamodb:PutItem", self.TABLE, ("REPORT#*",))]
        uses = [iam_check.Use("dynamodb:PutItem", self.TABLE, "code", (k,)) for k in ("SUB#daily", "ALERT#a", "SUB#daily")]
        failures = iam_check.compare("reporter", granted, uses)[1]
        self.assertEqual(len(failures), 2, failures)
        refused, unused = failures
        # One failure per action and resource, every key it was refused named once.
        self.assertIn("called dynamodb:PutItem", refused)
        self.assertIn("(partition keys ALERT#a, SUB#daily)", refused)
        self.assertIn("for partition keys REPORT#*, and its calls of it touched other keys (ALERT#a, SUB#daily)", unused)
        self.assertNotIn("expected it removed", unused)

    def test_string_like_has_no_character_classes(self):
        grant = iam_check.Grant("dynamodb:PutItem", self.TABLE, ("A[b]*",))
        self.assertTrue(grant.key_matches("A[b]c"))
        self.assertFalse(grant.key_matches("Abc"))

    def test_string_equals_keys_are_not_patterns(self):
        role = {"Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": self.TABLE,
             "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["A*"]}}}]}}]}}
        granted = iam_check.grants(role, tm.Resolver({}, {}))
        get = lambda key: iam_check.Use("dynamodb:GetItem", self.TABLE, "code", (key,))  # noqa: E731
        self.assertTrue(iam_check.allows(granted, get("A*")))
        self.assertFalse(iam_check.allows(granted, get("AB")))


def zip_with(name: str, data: bytes, mode: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFREG | mode) << 16
        z.writestr(info, data)
    return buf.getvalue()


ARM_ELF = b"\x7fELF\x02\x01\x01" + bytes(11) + (0xB7).to_bytes(2, "little") + bytes(44)


class Package(unittest.TestCase):
    def test_a_good_zip_passes(self):
        self.assertEqual(package_check.check_zip("f", zip_with("bootstrap", ARM_ELF, 0o755), "arm64")[1], [])

    def test_no_bootstrap_at_the_root_fails(self):
        failures = package_check.check_zip("f", zip_with("Cargo.toml", b"[workspace]", 0o644), "arm64")[1]
        self.assertTrue(any("no bootstrap" in f for f in failures), failures)

    def test_a_bootstrap_that_cannot_run_fails(self):
        self.assertTrue(package_check.check_zip("f", zip_with("bootstrap", ARM_ELF, 0o644), "arm64")[1])
        wrong = package_check.check_zip("f", zip_with("bootstrap", ARM_ELF, 0o755), "x86_64")[1]
        self.assertTrue(any("expected an x86_64 ELF" in f for f in wrong), wrong)

    def test_an_unpackaged_code_uri_fails(self):
        template = {"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": ".."}}}}
        failures = package_check.check(template, lambda uri: b"")[1]
        self.assertTrue(any("expected an s3://" in f for f in failures), failures)


class StreamFilter(unittest.TestCase):
    def test_the_templates_filter_passes_alert_states_that_owe_and_nothing_else(self):
        cfn = tm.translate()
        mapping = next(r["Properties"] for r in cfn["Resources"].values() if r["Type"] == "AWS::Lambda::EventSourceMapping")
        record = lambda sk, owed: {"dynamodb": {"Keys": {"pk": {"S": "ALERT#a"}, "sk": {"S": sk}},  # noqa: E731
                                               "NewImage": {"owed_count": {"N": str(owed)}}}}
        self.assertTrue(events.passes(mapping["FilterCriteria"], record("STATE", 2)))
        self.assertFalse(events.passes(mapping["FilterCriteria"], record("STATE", 0)))
        self.assertFalse(events.passes(mapping["FilterCriteria"], record("RECEIPT#x", 2)))


if __name__ == "__main__":
    unittest.main()
