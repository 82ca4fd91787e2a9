//! The file as a tree of positioned YAML values, read before the typed parse so that the
//! shape check (`super::shape`) can report every type error, unknown, missing and
//! repeated key at once instead of the parser's first.
//!
//! The typed parse reads this tree too (`super::typed`), so reading it is the parse's YAML
//! work, most of its time: the build reads the bundled file's tree once and compiles it
//! in ([`encode`], [`decode`]). `shared/build.rs` includes this file as a module of its
//! own, so it may use only serde and serde_saphyr.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A value and where it is written: 1-based line and column (where an alias uses it, for
/// a value given by an alias).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct At<T> {
    pub value: T,
    pub line: u32,
    pub column: u32,
    /// For a scalar that YAML reads as other than text (`1.10`, `true`, `~`), where its
    /// text is (byte offset and length): a text field takes it as written, `1.10`, not as
    /// the number `1.1`.
    pub plain: Option<(u32, u32)>,
}

impl<T> At<T> {
    fn from_spanned(s: Spanned<T>, plain: bool) -> Self {
        let span = s.defined.span();
        let plain = match (plain, span.byte_offset(), span.byte_len()) {
            (true, Some(offset), Some(len)) => {
                u32::try_from(offset).ok().zip(u32::try_from(len).ok())
            }
            _ => None,
        };
        At {
            value: s.value,
            line: u32::try_from(s.referenced.line()).unwrap_or(u32::MAX),
            column: u32::try_from(s.referenced.column()).unwrap_or(u32::MAX),
            plain,
        }
    }

    /// The text of a plain scalar as written in `text`.
    pub(super) fn plain_text<'t>(&self, text: &'t str) -> Option<&'t str> {
        let (offset, len) = self.plain?;
        text.get(offset as usize..(offset as usize).checked_add(len as usize)?)
    }
}

impl At<Value> {
    fn from_node(s: Spanned<Value>) -> Self {
        let plain = matches!(
            s.value,
            Value::Null | Value::Bool(_) | Value::Integer(_) | Value::Float(_)
        );
        At::from_spanned(s, plain)
    }
}

/// One YAML value, with the position of every child.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Null,
    Bool(bool),
    Integer(i128),
    Float(f64),
    Text(String),
    List(Vec<At<Value>>),
    /// In file order, repeated keys kept (the shape check reports them).
    Map(Vec<(At<String>, At<Value>)>),
}

impl Value {
    /// What was found, for a message: the value itself when it is short.
    pub(super) fn found(&self) -> String {
        match self {
            Value::Null => "nothing".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Integer(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Text(t) => format!("{t:?}"),
            Value::List(_) => "a list".to_owned(),
            Value::Map(_) => "a mapping".to_owned(),
        }
    }
}

/// How deep the file may nest (mappings and lists): each level is a recursion of the
/// parser, and a fuzzed file of 64 levels (the parser's own default) overflowed a test
/// thread's stack in a debug build. Real files nest less than 10 levels, a probe's JSON
/// Schema or body at most `shape::MAX_JSON_DEPTH` more.
pub(super) const MAX_DEPTH: usize = 40;

/// Reads `text` into a tree; repeated keys are passed through, not refused.
pub(super) fn read(text: &str) -> Result<At<Value>, serde_saphyr::Error> {
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
        },
    };
    serde_saphyr::from_str_with_options::<Spanned<Value>>(text, options).map(At::from_node)
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Integer(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i128::try_from(v).map_or(Value::Float(v as f64), Value::Integer))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Text(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Value>>()? {
            items.push(At::from_node(item));
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value::<Spanned<Value>>()?;
            let plain = !key.value.1;
            let key = At::from_spanned(key, plain);
            let key = At {
                value: key.value.0,
                line: key.line,
                column: key.column,
                plain: key.plain,
            };
            entries.push((key, At::from_node(value)));
        }
        Ok(Value::Map(entries))
    }
}

/// A mapping key as text, whatever scalar it was written as (`1:` or `true:`), and
/// whether it was text.
struct KeyText(String, bool);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Text(t) => KeyText(t, true),
            Value::List(_) | Value::Map(_) => KeyText("(a collection)".to_owned(), true),
            Value::Null => KeyText("null".to_owned(), false),
            other => KeyText(other.found(), false),
        })
    }
}

/// What begins an encoded tree: the format, then the length and FNV-1a hash of the text it
/// was read from, so that a tree is used only for its own text.
const MAGIC: &[u8; 4] = b"MWT1";

/// The FNV-1a hash of `text`: cheap (tens of microseconds for a configuration file) and
/// enough to tell one version of a file from another; nothing here is adversarial.
fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `tree`, read from `text`, as bytes for [`decode`] (`shared/build.rs` writes the bundled
/// file's; the library itself encodes only in tests).
#[cfg_attr(not(test), allow(dead_code))]
pub(super) fn encode(text: &str, tree: &At<Value>) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    put_number(&mut out, text.len() as u64);
    out.extend_from_slice(&fingerprint(text).to_le_bytes());
    put_node(&mut out, tree);
    out
}

/// The tree [`encode`] made of `text`; None when `bytes` are not a tree of this very
/// text (another version of the file, another format, cut short), so that the caller
/// reads the text instead.
pub(super) fn decode(text: &str, bytes: &[u8]) -> Option<At<Value>> {
    let mut input = Input { bytes };
    if input.take(MAGIC.len())? != MAGIC
        || input.number()? != text.len() as u64
        || u64::from_le_bytes(input.take(8)?.try_into().ok()?) != fingerprint(text)
    {
        return None;
    }
    let tree = input.node(0)?;
    input.bytes.is_empty().then_some(tree)
}

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INTEGER: u8 = 3;
const FLOAT: u8 = 4;
const TEXT: u8 = 5;
const LIST: u8 = 6;
const MAP: u8 = 7;

/// LEB128: seven bits a byte, the high bit set on all but the last.
fn put_number(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    put_number(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

fn put_position<T>(out: &mut Vec<u8>, at: &At<T>) {
    put_number(out, u64::from(at.line));
    put_number(out, u64::from(at.column));
    match at.plain {
        None => put_number(out, 0),
        Some((offset, len)) => {
            put_number(out, u64::from(offset) + 1);
            put_number(out, u64::from(len));
        }
    }
}

fn put_node(out: &mut Vec<u8>, node: &At<Value>) {
    put_position(out, node);
    match &node.value {
        Value::Null => out.push(NULL),
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Integer(i) => {
            out.push(INTEGER);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::Text(t) => {
            out.push(TEXT);
            put_text(out, t);
        }
        Value::List(items) => {
            out.push(LIST);
            put_number(out, items.len() as u64);
            for item in items {
                put_node(out, item);
            }
        }
        Value::Map(entries) => {
            out.push(MAP);
            put_number(out, entries.len() as u64);
            for (key, value) in entries {
                put_position(out, key);
                put_text(out, &key.value);
                put_node(out, value);
            }
        }
    }
}

/// The bytes not read yet; every read checks that they are there.
struct Input<'b> {
    bytes: &'b [u8],
}

impl<'b> Input<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (taken, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(taken)
    }

    fn number(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.take(1)?.first()?;
            n |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn small(&mut self) -> Option<u32> {
        u32::try_from(self.number()?).ok()
    }

    /// A place as `put_position` wrote it.
    fn position(&mut self) -> Option<At<()>> {
        let (line, column) = (self.small()?, self.small()?);
        let plain = match self.number()? {
            0 => None,
            offset => Some((u32::try_from(offset - 1).ok()?, self.small()?)),
        };
        Some(At {
            value: (),
            line,
            column,
            plain,
        })
    }

    fn text(&mut self) -> Option<String> {
        let len = usize::try_from(self.number()?).ok()?;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }

    fn count(&mut self) -> Option<usize> {
        // Each element takes at least three bytes: no count can exceed what is left.
        let n = usize::try_from(self.number()?).ok()?;
        (n <= self.bytes.len() / 3).then_some(n)
    }

    fn node(&mut self, depth: usize) -> Option<At<Value>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let at = self.position()?;
        let value = match *self.take(1)?.first()? {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            INTEGER => Value::Integer(i128::from_le_bytes(self.take(16)?.try_into().ok()?)),
            FLOAT => Value::Float(f64::from_bits(u64::from_le_bytes(
                self.take(8)?.try_into().ok()?,
            ))),
            TEXT => Value::Text(self.text()?),
            LIST => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.node(depth + 1)?);
                }
                Value::List(items)
            }
            MAP => {
                let n = self.count()?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let at = self.position()?;
                    let key = At {
                        value: self.text()?,
                        line: at.line,
                        column: at.column,
                        plain: at.plain,
                    };
                    entries.push((key, self.node(depth + 1)?));
                }
                Value::Map(entries)
            }
            _ => return None,
        };
        Some(At {
            value,
            line: at.line,
            column: at.column,
            plain: at.plain,
        })
    }
}
