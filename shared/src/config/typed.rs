//! The typed parse, from the tree the shape check passed: the structs of `raw` read the
//! tree as they would read the text, so the YAML is read once (the second read was over
//! a third of the parse). Positions reach serde_saphyr's `Spanned` fields as its own
//! reader gives them, and a text field given a plain scalar (`1.10`, `true`) gets it as
//! written, as from the text.

use std::fmt;

use serde::de::value::MapDeserializer;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::tree::{At, Value};

/// What went wrong, and where: the innermost value's place.
#[derive(Debug)]
pub(super) struct TypedError {
    pub message: String,
    pub at: Option<(u32, u32)>,
}

impl fmt::Display for TypedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TypedError {}

impl de::Error for TypedError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        TypedError {
            message: message.to_string(),
            at: None,
        }
    }
}

impl TypedError {
    /// Places an error at `node` unless a value inside it already placed it.
    fn at<T>(mut self, node: &At<T>) -> Self {
        self.at.get_or_insert((node.line, node.column));
        self
    }
}

/// `T` read from `tree`, which was read from `text`.
pub(super) fn from_tree<'de, T: de::Deserialize<'de>>(
    text: &'de str,
    tree: &'de At<Value>,
) -> Result<T, TypedError> {
    T::deserialize(Node { node: tree, text })
}

/// How serde_saphyr's `Spanned` asks for a value with its place: a newtype of this name,
/// then a map whose first key is its marker (serde_saphyr 2.2, `spanned.rs`; pinned by
/// Cargo.lock; `typed_tests` compares the places and fails if a new version changes it).
const SPANNED: &str = "__yaml_spanned";
const SPANNED_MARKER: &str = "__serde_saphyr_private_spanned";

/// A newtype: serde_saphyr's `Spanned` gets `value` with the place of `at`, any other the
/// value itself.
fn newtype<'de, D, T, V>(
    value: D,
    at: &At<T>,
    name: &'static str,
    visitor: V,
) -> Result<V::Value, TypedError>
where
    D: Deserializer<'de, Error = TypedError>,
    V: Visitor<'de>,
{
    if name == SPANNED {
        visitor.visit_newtype_struct(Spanned {
            value,
            line: at.line,
            column: at.column,
        })
    } else {
        visitor.visit_newtype_struct(value)
    }
}

/// One value of the tree.
#[derive(Clone, Copy)]
struct Node<'de> {
    node: &'de At<Value>,
    text: &'de str,
}

impl<'de> Node<'de> {
    fn unexpected(&self) -> de::Unexpected<'de> {
        match &self.node.value {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Integer(i) => match i64::try_from(*i) {
                Ok(i) => de::Unexpected::Signed(i),
                Err(_) => de::Unexpected::Other("a large integer"),
            },
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::Text(t) => de::Unexpected::Str(t),
            Value::List(_) => de::Unexpected::Seq,
            Value::Map(_) => de::Unexpected::Map,
        }
    }

    fn wrong<V: Visitor<'de>>(&self, visitor: &V) -> TypedError {
        de::Error::invalid_type(self.unexpected(), visitor)
    }
}

/// Each `deserialize_*` places its errors at the node.
macro_rules! at_node {
    ($self:ident, $body:expr) => {{
        let node = $self.node;
        ($body).map_err(|e: TypedError| e.at(node))
    }};
}

impl<'de> Deserializer<'de> for Node<'de> {
    type Error = TypedError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypedError> {
        at_node!(
            self,
            match &self.node.value {
                Value::Null => visitor.visit_unit(),
                Value::Bool(b) => visitor.visit_bool(*b),
                Value::Integer(i) => match (i64::try_from(*i), u64::try_from(*i)) {
                    (Ok(i), _) => visitor.visit_i64(i),
                    (_, Ok(u)) => visitor.visit_u64(u),
                    _ => visitor.visit_i128(*i),
                },
                Value::Float(f) => visitor.visit_f64(*f),
                Value::Text(t) => visitor.visit_borrowed_str(t),
                Value::List(items) => visitor.visit_seq(Items {
                    items: items.iter(),
                    text: self.text,
                }),
                Value::Map(entries) => visitor.visit_map(Entries {
                    entries: entries.iter(),
                    value: None,
                    text: self.text,
                }),
            }
        )
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypedError> {
        at_node!(
            self,
            match self.node.value {
                Value::Null => visitor.visit_none(),
                _ => visitor.visit_some(self),
            }
        )
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypedError> {
        at_node!(
            self,
            match &self.node.value {
                Value::Text(t) => visitor.visit_borrowed_str(t),
                Value::List(_) | Value::Map(_) => Err(self.wrong(&visitor)),
                _ => match self.node.plain_text(self.text) {
                    Some(written) => visitor.visit_borrowed_str(written),
                    None => Err(self.wrong(&visitor)),
                },
            }
        )
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypedError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypedError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TypedError> {
        at_node!(self, newtype(self, self.node, name, visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TypedError> {
        at_node!(
            self,
            match &self.node.value {
                Value::Map(entries) if entries.len() == 1 => visitor.visit_enum(Variant {
                    key: Key {
                        key: &entries[0].0,
                        text: self.text,
                    },
                    value: Node {
                        node: &entries[0].1,
                        text: self.text,
                    },
                }),
                _ => Err(self.wrong(&visitor)),
            }
        )
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct ignored_any
    }
}

/// A mapping key: text, or a plain scalar as written.
struct Key<'de> {
    key: &'de At<String>,
    text: &'de str,
}

impl<'de> Key<'de> {
    fn written(&self) -> &'de str {
        self.key
            .plain_text(self.text)
            .unwrap_or(self.key.value.as_str())
    }
}

impl<'de> Deserializer<'de> for Key<'de> {
    type Error = TypedError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypedError> {
        let key = self.key;
        visitor
            .visit_borrowed_str(self.written())
            .map_err(|e: TypedError| e.at(key))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TypedError> {
        let key = self.key;
        newtype(self, key, name, visitor).map_err(|e: TypedError| e.at(key))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// A value with its place, as serde_saphyr's `Spanned` reads it: the marker, the value,
/// then where it is used and where it is defined (the same place: the tree keeps where a
/// value is used).
struct Spanned<D> {
    value: D,
    line: u32,
    column: u32,
}

impl<'de, D: Deserializer<'de, Error = TypedError>> Deserializer<'de> for Spanned<D> {
    type Error = TypedError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypedError> {
        visitor.visit_map(SpannedFields {
            value: Some(self.value),
            line: self.line,
            column: self.column,
            state: 0,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct SpannedFields<D> {
    value: Option<D>,
    line: u32,
    column: u32,
    /// The fields given so far.
    state: u8,
}

impl<'de, D: Deserializer<'de, Error = TypedError>> MapAccess<'de> for SpannedFields<D> {
    type Error = TypedError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TypedError> {
        let key = match self.state {
            0 => SPANNED_MARKER,
            1 => "value",
            2 => "referenced",
            3 => "defined",
            _ => return Ok(None),
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, TypedError> {
        self.state += 1;
        match self.state {
            1 => seed.deserialize(().into_deserializer()),
            2 => match self.value.take() {
                Some(value) => seed.deserialize(value),
                None => Err(de::Error::custom("a Spanned value read twice")),
            },
            _ => seed.deserialize(MapDeserializer::new(
                [("line", self.line), ("column", self.column)].into_iter(),
            )),
        }
    }
}

/// The items of a list.
struct Items<'de> {
    items: std::slice::Iter<'de, At<Value>>,
    text: &'de str,
}

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = TypedError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, TypedError> {
        self.items
            .next()
            .map(|node| {
                seed.deserialize(Node {
                    node,
                    text: self.text,
                })
            })
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries of a mapping, in file order.
struct Entries<'de> {
    entries: std::slice::Iter<'de, (At<String>, At<Value>)>,
    /// The value of the key just given.
    value: Option<&'de At<Value>>,
    text: &'de str,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = TypedError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TypedError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(Key {
            key,
            text: self.text,
        })
        .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, TypedError> {
        match self.value.take() {
            Some(node) => seed.deserialize(Node {
                node,
                text: self.text,
            }),
            None => Err(de::Error::custom(
                "a mapping's value asked for before its key",
            )),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A mapping of one key as an enum: the key names the variant, its value holds it
/// (`threshold: {critical: 3}`).
struct Variant<'de> {
    key: Key<'de>,
    value: Node<'de>,
}

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = TypedError;
    type Variant = Node<'de>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Node<'de>), TypedError> {
        Ok((seed.deserialize(self.key)?, self.value))
    }
}

impl<'de> VariantAccess<'de> for Node<'de> {
    type Error = TypedError;

    fn unit_variant(self) -> Result<(), TypedError> {
        match self.node.value {
            Value::Null => Ok(()),
            _ => Err(de::Error::invalid_type(self.unexpected(), &"nothing")),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, TypedError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, TypedError> {
        self.deserialize_any(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TypedError> {
        self.deserialize_any(visitor)
    }
}
