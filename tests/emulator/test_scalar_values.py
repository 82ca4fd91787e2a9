"""The emulator's scalar-first cast (scalar_values.py) answers as moto's own does, so every
comparison built on it does too.

    .venv/bin/python -m unittest discover -s tests/emulator
"""

import itertools
import operator
import unittest

from moto.dynamodb.models.dynamo_type import DynamoType

import scalar_values

VALUES = [
    {"S": ""}, {"S": "a"}, {"S": "ALERT#datadog:monitor:1|model:chat"}, {"S": "b"},
    {"N": "0"}, {"N": "-0"}, {"N": "1"}, {"N": "1.0"}, {"N": "1e2"}, {"N": "100"},
    {"N": "-3.5"}, {"N": "12345678901234567890123456789012345678"},
    {"B": "AAEC"}, {"B": "AAED"}, {"BOOL": True}, {"BOOL": False}, {"NULL": True},
    {"SS": ["a", "b"]}, {"NS": ["1", "2.0"]}, {"BS": ["AAEC"]},
    {"L": [{"S": "a"}, {"N": "1"}]}, {"M": {"k": {"S": "v"}, "n": {"N": "2"}}},
]


class ScalarValues(unittest.TestCase):
    def setUp(self):
        scalar_values.install()
        self.moto = DynamoType.cast_value.fget.moto

    def test_every_type_casts_as_in_moto(self):
        for raw in VALUES:
            value = DynamoType(raw)
            self.assertEqual(value.cast_value, self.moto(value), raw)
            self.assertEqual(type(value.cast_value), type(self.moto(value)), raw)

    def test_comparisons_answer_as_in_moto(self):
        orders = (operator.lt, operator.le, operator.gt, operator.ge)

        def outcome(op, x, y):
            try:
                return op(x, y)
            except TypeError as e:
                return type(e)

        def moto_answers(a, b):
            # moto's DynamoType operators, written out over moto's own cast.
            x, y = self.moto(a), self.moto(b)
            return [a.type == b.type and x == y, a.type != b.type or x != y] + [
                outcome(op, x, y) for op in orders
            ]

        def answers(a, b):
            return [a == b, a != b] + [outcome(op, a, b) for op in orders]

        for ra, rb in itertools.product(VALUES, repeat=2):
            a, b = DynamoType(ra), DynamoType(rb)
            self.assertEqual(answers(a, b), moto_answers(a, b), (ra, rb))

    def test_installing_twice_keeps_one_layer(self):
        scalar_values.install()
        self.assertIs(DynamoType.cast_value.fget.moto, self.moto)


if __name__ == "__main__":
    unittest.main()
