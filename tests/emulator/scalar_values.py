"""moto's value of a DynamoDB attribute (`DynamoType.cast_value`), for strings, binaries,
booleans and numbers, without its chain of type checks.

Every comparison moto makes (a key condition, the sort of a query's results, an index's
hash key against each item, a condition expression) casts both sides, and the cast asks
five type questions, each a method call, before a string falls through to its own value.
In the demo's two simulated days that was a quarter of the emulator's time. Here the
scalar types answer first, with what moto's own cast returns for them (a number as a
`Decimal`, anything else as its value); sets, lists, maps and NULL go to moto's own
(test_scalar_values.py compares both over every type).
"""

from decimal import Decimal

from moto.dynamodb.models.dynamo_type import DynamoType

_PLAIN = frozenset(("S", "B", "BOOL"))


def install() -> None:
    """Installs it, once."""
    if getattr(DynamoType.cast_value.fget, "_scalar_first", False):
        return
    moto_cast_value = DynamoType.cast_value.fget

    def cast_value(self: DynamoType):
        kind = self.type
        if kind in _PLAIN:
            return self.value
        if kind == "N":
            return Decimal(self.value)
        return moto_cast_value(self)

    cast_value._scalar_first = True  # type: ignore[attr-defined]
    # moto's own, for the tests to compare with.
    cast_value.moto = moto_cast_value  # type: ignore[attr-defined]
    DynamoType.cast_value = property(cast_value)  # type: ignore[method-assign,assignment]
