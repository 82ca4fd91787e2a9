"""Attribute values written as they are (attribute_values.py) answer as moto's walk does.

    .venv/bin/python -m unittest discover -s tests/emulator
"""

import random
import unittest

from moto.core.responses import XFormedAttributePicker
from moto.core.serialize import BaseJSONSerializer, JSONSerializer
from moto.core.utils import get_service_model

import attribute_values
import response_fields

KINDS = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")


def random_value(rng: random.Random, depth: int = 0):
    """An attribute value as moto holds one, now and then malformed (wrong Python type,
    no member or two), so both the fast path and the fallback are taken."""
    kind = rng.choice(KINDS if depth < 3 else KINDS[:5])
    roll = rng.random()
    if roll < 0.03:
        return {}
    if roll < 0.06:
        return {"S": "a", "N": "1"}
    if kind == "S":
        value = rng.choice(["", "x", "é ü", "a" * rng.randint(1, 50), "{\"json\": [1]}"])
    elif kind == "N":
        value = rng.choice(["0", "-1.5", "1e10", str(rng.randint(-10**20, 10**20)), 7, 2.5])
    elif kind == "B":
        value = rng.choice(["aGVsbG8=", b"raw"])
    elif kind in ("BOOL", "NULL"):
        value = rng.choice([True, False, "true"])
    elif kind == "M":
        value = {rng.choice(["a", "b", "ñ", "", "key.with.dots"]) + str(i): random_value(rng, depth + 1)
                 for i in range(rng.randint(0, 4))}
    elif kind == "L":
        value = [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    elif kind == "BS":
        value = ["aGk=", "aG8="]
    else:
        value = rng.sample(["1", "2", "x", "3.5", 4], rng.randint(0, 3))
    return {kind: value}


def serializers(service: str, operation: str):
    model = get_service_model(service).operation_model(operation)  # moto's, as its handlers use
    return lambda: JSONSerializer(operation_model=model, value_picker=XFormedAttributePicker())


class AttributeValues(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        response_fields.install()
        attribute_values.install()
        # Kept in a dict: a function kept on the class would become a method of the test.
        cls.ways = {"fast": BaseJSONSerializer._serialize, "moto": BaseJSONSerializer._serialize.moto}

    def both(self, make, result) -> tuple:
        try:
            mine = make().serialize(result)["body"]
            BaseJSONSerializer._serialize = self.ways["moto"]
            theirs = make().serialize(result)["body"]
        finally:
            BaseJSONSerializer._serialize = self.ways["fast"]
        return mine, theirs

    def test_an_item_is_written_as_moto_writes_it(self):
        rng = random.Random(20261203)
        get_item = serializers("dynamodb", "GetItem")
        for case in range(2_000):
            item = {f"attr{i}": random_value(rng) for i in range(rng.randint(1, 6))}
            mine, theirs = self.both(get_item, {"Item": item})
            self.assertEqual(mine, theirs, f"case {case}: {item!r}")

    def test_query_answers_and_stream_records_are_written_as_moto_writes_them(self):
        rng = random.Random(7)
        query = serializers("dynamodb", "Query")
        records = serializers("dynamodbstreams", "GetRecords")
        for case in range(300):
            items = [{"pk": {"S": f"p{i}"}, "v": random_value(rng)} for i in range(rng.randint(0, 5))]
            mine, theirs = self.both(query, {"Items": items, "Count": len(items), "ScannedCount": len(items),
                                             "LastEvaluatedKey": {"pk": {"S": "p"}}})
            self.assertEqual(mine, theirs, f"query case {case}")
            record = {"eventID": "1", "eventName": "MODIFY", "dynamodb": {
                "Keys": {"pk": {"S": "a"}}, "NewImage": items[0] if items else {}, "OldImage": {"v": random_value(rng)},
                "SequenceNumber": "100", "SizeBytes": 20, "StreamViewType": "NEW_AND_OLD_IMAGES"}}
            mine, theirs = self.both(records, {"Records": [record], "NextShardIterator": "it"})
            self.assertEqual(mine, theirs, f"stream case {case}")

    def test_the_types_the_functions_use_take_the_fast_path(self):
        value = {"M": {"s": {"S": "x"}, "n": {"N": "1"}, "l": {"L": [{"BOOL": True}, {"NULL": True}]},
                       "ss": {"SS": ["a"]}, "ns": {"NS": ["1"]}}}
        self.assertEqual(attribute_values.wire(value), value)
        self.assertIsNot(attribute_values.wire(value)["M"], value["M"])
        for moto_only in ({"B": "aGk="}, {"BS": ["aGk="]}, {"N": 1}, {"S": "a", "N": "1"}, {}, {"L": [{"B": "aGk="}]}):
            self.assertIsNone(attribute_values.wire(moto_only), moto_only)


if __name__ == "__main__":
    unittest.main()
