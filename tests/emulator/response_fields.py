"""moto's pick of a response field from a plain dict, without its search of aliases.

moto 5 serialises every answer by walking the operation's output shape and, for each
member, asking six alias providers (each a new object) for names the value might sit
under on the Python object, and then the snake_case form of each. DynamoDB's answers are
plain dicts keyed by the member's own name, which is the name that search tries first
after the two providers that can never apply to a dict (an object's `Meta` aliases) or
that this code checks (the shape's own name). So when the dict has the member's name,
its value is the answer, and the response transformers run on it as in moto's own; every
other case goes to moto's own (test_response_fields.py compares both on every field of a
run of every DynamoDB, Streams and Secrets Manager call the functions make).
"""

from moto.core.serialize import (
    DEFAULT_ALIAS_PROVIDERS,
    AttributePicker,
    AttributePickerContext,
    ShapeNameAlias,
)


def install() -> None:
    """Installs it, once."""
    if getattr(AttributePicker.__call__, "_plain_dict_first", False):
        return
    moto_pick = AttributePicker.__call__

    def pick(self: AttributePicker, context: AttributePickerContext):
        obj, key = context.obj, context.key
        if (
            type(obj) is dict
            and self.alias_providers is DEFAULT_ALIAS_PROVIDERS
            and "." not in key
            and key in obj
            and not ShapeNameAlias(context).has_alias(key)
        ):
            value = obj[key]
            key_path = f"{context.key_path}.{key}"
            for transform_path, transform in self.response_transformers.items():
                if key_path.endswith(transform_path):
                    value = transform(value)
                    break
            return value
        return moto_pick(self, context)

    pick._plain_dict_first = True  # type: ignore[attr-defined]
    # moto's own, for the tests to compare with.
    pick.moto = moto_pick  # type: ignore[attr-defined]
    AttributePicker.__call__ = pick  # type: ignore[method-assign]
