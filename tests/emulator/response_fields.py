"""moto's pick of a response field from a plain dict, without its search of aliases.

moto 5 serialises every answer by walking the operation's output shape and, for each
member, asking six alias providers (each a new object) for names the value might sit
under on the Python object, and then the snake_case form of each. DynamoDB's answers are
plain dicts keyed by the member's own name, which is the name that search tries first
after the two providers that can never apply to a dict (an object's `Meta` aliases) or
that this code checks (the shape's own name). So when the dict has the member's name,
its value is the answer, and the response transformers run on it as in moto's own.

Otherwise (most often a member the dict does not have: an attribute value `{"S": ...}`
is asked for each of its ten members), the names moto would try are the same for every
plain dict at the same place in the same shape: the providers read only the key, the
shape, its parent and the object's class (a dict has no `Meta`). So the names are worked
out by moto's own search once per key and shape and tried in moto's order. Any other
object goes to moto's own (test_response_fields.py compares both on every field of a run
of every DynamoDB, Streams and Secrets Manager call the functions make).
"""

from moto.core.serialize import (
    DEFAULT_ALIAS_PROVIDERS,
    AttributePicker,
    AttributePickerContext,
    ShapeNameAlias,
)
from moto.core.utils import get_value

_MISSING = object()
# (picker class, key, shape, shape's parent) → (shape, parent, names to try). The shape and
# parent are kept in the value so their ids cannot be reused while the entry lives.
_names: dict = {}
# Shapes live as long as moto's service models; a bound in case they did not.
_NAMES_KEPT = 50_000


def _names_to_try(picker: AttributePicker, context: AttributePickerContext) -> tuple:
    shape = context.shape
    parent = getattr(shape, "parent", None)
    key = (type(picker), context.key, id(shape), id(parent))
    found = _names.get(key)
    if found is None:
        if len(_names) >= _NAMES_KEPT:
            _names.clear()
        found = (shape, parent, tuple(picker.get_possible_keys(context)))
        _names[key] = found
    return found[2]


def install() -> None:
    """Installs it, once."""
    if getattr(AttributePicker.__call__, "_plain_dict_first", False):
        return
    moto_pick = AttributePicker.__call__

    def pick(self: AttributePicker, context: AttributePickerContext):
        obj, key = context.obj, context.key
        if type(obj) is not dict or self.alias_providers is not DEFAULT_ALIAS_PROVIDERS:
            return moto_pick(self, context)
        if "." not in key and key in obj and not ShapeNameAlias(context).has_alias(key):
            value = obj[key]
        else:
            value = None
            for name in _names_to_try(self, context):
                found = get_value(obj, name, _MISSING)
                if found is not _MISSING:
                    value = found
                    break
        key_path = f"{context.key_path}.{key}"
        for transform_path, transform in self.response_transformers.items():
            if key_path.endswith(transform_path):
                value = transform(value)
                break
        return value

    pick._plain_dict_first = True  # type: ignore[attr-defined]
    # moto's own, for the tests to compare with.
    pick.moto = moto_pick  # type: ignore[attr-defined]
    AttributePicker.__call__ = pick  # type: ignore[method-assign]
