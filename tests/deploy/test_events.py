"""The events built as AWS builds them (events.py): Scheduler's context attributes."""

import unittest

import events as ev

ARN = "arn:aws:scheduler:us-east-1:123456789012:schedule/default/daily"


class ScheduleInput(unittest.TestCase):
    def test_the_scheduled_time_is_filled_in_as_scheduler_writes_it(self):
        event = ev.schedule_input('{"report": "daily", "time": "<aws.scheduler.scheduled-time>"}', ARN, 1_795_424_400)
        self.assertEqual(event, {"report": "daily", "time": "2026-11-23T09:00:00Z"})

    def test_every_documented_attribute_is_filled_in(self):
        text = '{"a": "<aws.scheduler.schedule-arn>", "n": "<aws.scheduler.attempt-number>", "id": "<aws.scheduler.execution-id>"}'
        event = ev.schedule_input(text, ARN, 0, attempt=2)
        self.assertEqual(event["a"], ARN)
        self.assertEqual(event["n"], "2")
        self.assertRegex(event["id"], r"^[0-9a-f]{16}$")

    def test_an_attribute_scheduler_does_not_know_is_refused(self):
        with self.assertRaisesRegex(ValueError, "scheduled-tme"):
            ev.schedule_input('{"time": "<aws.scheduler.scheduled-tme>"}', ARN, 0)


if __name__ == "__main__":
    unittest.main()
