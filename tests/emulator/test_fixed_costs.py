"""The emulator's cached per-request lookups (fixed_costs.py) answer as moto's own do.

    .venv/bin/python -m unittest discover -s tests/emulator
"""

import unittest

import moto.backends as backends_module
import moto.core.responses as responses_module
from moto.dynamodb.responses import DynamoHandler
from moto.secretsmanager.responses import SecretsManagerResponse

import fixed_costs


class FixedCosts(unittest.TestCase):
    def test_the_cached_answers_are_motos_own(self):
        fixed_costs.install()
        cached = backends_module.list_of_moto_modules
        self.assertTrue(getattr(cached, "_cached", False))
        # Compared with moto's own, kept beside each cache (whatever order tests run in).
        modules = list(cached.moto())
        names = responses_module.method_names_from_class.moto
        handlers = {c: names(c) for c in (DynamoHandler, SecretsManagerResponse)}
        self.assertEqual(list(cached()), modules)
        self.assertIn("dynamodb", modules)
        self.assertIn("dynamodbstreams", modules)
        for clazz, names in handlers.items():
            self.assertEqual(responses_module.method_names_from_class(clazz), names)
            self.assertIn("get_item" if clazz is DynamoHandler else "get_secret_value", names)

    def test_a_caller_cannot_change_the_cached_method_names(self):
        fixed_costs.install()
        first = responses_module.method_names_from_class(DynamoHandler)
        first.clear()
        self.assertIn("get_item", responses_module.method_names_from_class(DynamoHandler))


if __name__ == "__main__":
    unittest.main()
