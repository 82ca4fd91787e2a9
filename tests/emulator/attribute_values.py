"""DynamoDB attribute values written into an answer as they are, without moto's shape walk.

moto 5 serialises an answer by walking the operation's output shape, and an item's every
attribute value (`{"S": "..."}`, `{"M": {...}}`) is a structure of ten members, each
looked up, found missing or wrapped, and copied: py-spy on the local stack at 100
webhooks a second put about a third of the emulator's time in that walk, mostly for
stream records and queried items. moto keeps attribute values in DynamoDB's own JSON form
(`Item.to_json`), so for the types the functions use (S, N, BOOL, NULL, M, L, SS, NS) the
walk's answer is the value itself, copied. Anything else (a binary, a value of an
unexpected Python type, more or fewer than one member) goes to moto's own walk.
test_attribute_values.py compares both on random values of every type.
"""

from moto.core.serialize import BaseJSONSerializer

_STRING_SETS = ("SS", "NS")


def wire(value):
    """The attribute value as moto's walk would write it, or None to leave it to moto."""
    if type(value) is not dict or len(value) != 1:
        return None
    (kind, inner), = value.items()
    t = type(inner)
    if kind == "S" or kind == "N":
        return {kind: inner} if t is str else None
    if kind == "M":
        if t is not dict:
            return None
        out = {}
        for name, member in inner.items():
            if type(name) is not str or (written := wire(member)) is None:
                return None
            out[name] = written
        return {"M": out}
    if kind == "L":
        if t is not list:
            return None
        out = []
        for member in inner:
            if (written := wire(member)) is None:
                return None
            out.append(written)
        return {"L": out}
    if kind == "BOOL" or kind == "NULL":
        return {kind: inner} if t is bool else None
    if kind in _STRING_SETS:
        return {kind: list(inner)} if t is list and all(type(s) is str for s in inner) else None
    return None


def install() -> None:
    """Installs it, once."""
    if getattr(BaseJSONSerializer._serialize, "_attribute_values_as_they_are", False):
        return
    moto_serialize = BaseJSONSerializer._serialize

    def serialize(self, serialized, value, shape, key):
        if shape.name == "AttributeValue" and key and not getattr(self._value_picker, "response_transformers", None):
            written = wire(value)
            if written is not None:
                serialized[self.get_serialized_name(shape, key)] = written
                return
        moto_serialize(self, serialized, value, shape, key)

    serialize._attribute_values_as_they_are = True  # type: ignore[attr-defined]
    serialize.moto = moto_serialize  # type: ignore[attr-defined]
    BaseJSONSerializer._serialize = serialize  # type: ignore[method-assign]
