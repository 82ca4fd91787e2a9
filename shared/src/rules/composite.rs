//! Composite monitors: `&&`, `||` and `!` over other monitors, with Datadog's severity
//! order (alert > warn > no data > ok), evaluated over the groups they all share.

use std::collections::BTreeMap;
use std::fmt;

use super::{Evaluation, Group, State};
use crate::domain::Timestamp;

/// A composite expression over monitor ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Monitor(String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// Why a composite expression does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{message} at character {position} of {text:?}: expected monitor ids joined by &&, || and !, with parentheses"
)]
pub struct ExprError {
    pub text: String,
    pub position: usize,
    pub message: String,
}

impl Expr {
    /// Parses `a && !(b || c)`: `!` binds tightest, then `&&`, then `||`.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let mut parser = Parser { text, pos: 0 };
        let expr = parser.or()?;
        parser.skip_space();
        if parser.pos < text.len() {
            return Err(parser.error("unexpected text"));
        }
        Ok(expr)
    }

    /// The monitor ids it refers to, in order of appearance.
    pub fn monitors(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Monitor(id) => out.push(id),
            Expr::Not(e) => e.collect(out),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.collect(out);
                b.collect(out);
            }
        }
    }

    /// The composite state from its monitors' states: `&&` takes the least severe,
    /// `||` the most severe, `!` swaps alert and ok and leaves warn and no data alone.
    pub fn state(&self, states: &impl Fn(&str) -> State) -> State {
        match self {
            Expr::Monitor(id) => states(id),
            Expr::Not(e) => match e.state(states) {
                State::Alert => State::Ok,
                State::Ok => State::Alert,
                other => other,
            },
            Expr::And(a, b) => a.state(states).min(b.state(states)),
            Expr::Or(a, b) => a.state(states).max(b.state(states)),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Monitor(id) => f.write_str(id),
            Expr::Not(e) => write!(f, "!{e}"),
            Expr::And(a, b) => write!(f, "({a} && {b})"),
            Expr::Or(a, b) => write!(f, "({a} || {b})"),
        }
    }
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> ExprError {
        ExprError {
            text: self.text.to_owned(),
            position: self.pos + 1,
            message: message.to_owned(),
        }
    }

    fn skip_space(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        let found = self.text[self.pos..].starts_with(token);
        if found {
            self.pos += token.len();
        }
        found
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.and()?;
        while self.eat("||") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        while self.eat("&&") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            let inner = self.or()?;
            if !self.eat(")") {
                return Err(self.error("missing )"));
            }
            return Ok(inner);
        }
        self.skip_space();
        let rest = &self.text[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error("missing monitor id"));
        }
        self.pos += len;
        Ok(Expr::Monitor(rest[..len].to_owned()))
    }
}

/// The assignments of states to members whose ok is not known beyond which the
/// composite's ok is not worked out.
const MOST_ASSIGNMENTS: usize = 256;

/// When a (sub)expression began to fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Onset {
    NotFiring,
    Since(Timestamp),
    Unknown,
}

/// When `expr` began to fire: `&&` from its later side's start, `||` from its earliest
/// firing side's; unknown under `!` (it fires on a monitor being ok) or where a firing
/// member does not say.
fn onset<'a>(expr: &Expr, of: &impl Fn(&str) -> Option<&'a Evaluation>) -> Onset {
    let firing = expr
        .state(&|n| of(n).map_or(State::Ok, |e| e.state))
        .is_firing();
    if !firing {
        return Onset::NotFiring;
    }
    match expr {
        Expr::Monitor(id) => of(id)
            .and_then(|e| e.first_breach_at)
            .map_or(Onset::Unknown, Onset::Since),
        Expr::Not(_) => Onset::Unknown,
        Expr::And(a, b) => match (onset(a, of), onset(b, of)) {
            (Onset::Since(x), Onset::Since(y)) => Onset::Since(x.max(y)),
            _ => Onset::Unknown,
        },
        Expr::Or(a, b) => match (onset(a, of), onset(b, of)) {
            (Onset::NotFiring, o) | (o, Onset::NotFiring) => o,
            (Onset::Since(x), Onset::Since(y)) => Onset::Since(x.min(y)),
            _ => Onset::Unknown,
        },
    }
}

/// Whether `expr` is ok whatever the state of its members whose ok is not known (their
/// check held, so their replay may no longer reach a breach they held through), in every
/// combination: ok or alert each (`!` swaps only those two, so a member named once needs
/// no other), and every state when a member is named more than once.
fn known_ok<'a>(expr: &Expr, of: &impl Fn(&str) -> Option<&'a Evaluation>) -> bool {
    let named = expr.monitors();
    let mut unknown: Vec<&str> = named
        .iter()
        .copied()
        .filter(|n| of(n).is_some_and(|e| !e.state.is_firing() && !e.clear))
        .collect();
    unknown.sort_unstable();
    let held = unknown.len();
    unknown.dedup();
    let states: &[State] = if held > unknown.len() {
        &[State::Ok, State::NoData, State::Warn, State::Alert]
    } else {
        &[State::Ok, State::Alert]
    };
    let Some(assignments) = u32::try_from(unknown.len())
        .ok()
        .and_then(|k| states.len().checked_pow(k))
        .filter(|n| *n <= MOST_ASSIGNMENTS)
    else {
        return false;
    };
    (0..assignments).all(|assignment| {
        let state = expr.state(&|n| match unknown.iter().position(|u| *u == n) {
            Some(i) => states[assignment / states.len().pow(i as u32) % states.len()],
            None => of(n).map_or(State::Ok, |e| e.state),
        });
        !state.is_firing()
    })
}

/// Evaluates composite `id` over the groups every monitor it names has an evaluation
/// for; `children` holds each monitor's evaluations by group at the same instant.
pub fn evaluate_composite(
    id: &str,
    expr: &Expr,
    children: &BTreeMap<String, BTreeMap<Group, Evaluation>>,
    now: Timestamp,
) -> Vec<Evaluation> {
    let names = expr.monitors();
    let Some(first) = names.first().and_then(|n| children.get(*n)) else {
        return Vec::new();
    };
    let shared = first.keys().filter(|g| {
        names
            .iter()
            .all(|n| children.get(*n).is_some_and(|m| m.contains_key(*g)))
    });
    shared
        .map(|group| {
            let of = |name: &str| children.get(name).and_then(|m| m.get(group));
            let state = expr.state(&|n| of(n).map_or(State::Ok, |e| e.state));
            let clear = !state.is_firing() && known_ok(expr, &of);
            let previous = expr.state(&|n| of(n).map_or(State::Ok, |e| e.previous));
            let members: Vec<&Evaluation> = names.iter().filter_map(|n| of(n)).collect();
            let reason = members
                .iter()
                .map(|e| format!("{} is {}: {}", e.monitor, e.state, e.reason))
                .collect::<Vec<_>>()
                .join("; ");
            Evaluation {
                monitor: id.to_owned(),
                group: group.clone(),
                at: now,
                state,
                previous,
                value: None,
                threshold: None,
                score: members.iter().map(|e| e.score).fold(0.0, f64::max),
                reason: format!("{expr} is {state}: {reason}"),
                first_breach_at: match onset(expr, &of) {
                    Onset::Since(t) => Some(t),
                    Onset::NotFiring | Onset::Unknown => None,
                },
                clear,
            }
        })
        .collect()
}
