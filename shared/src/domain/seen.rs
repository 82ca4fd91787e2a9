//! The groups one monitor has seen report, as the evaluator keeps them between runs: when
//! each last reported, and which absence of it was already reconciled with its alert
//! (`absence` decides; the store keeps one item per monitor).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Group, Timestamp};

/// What one monitor knows of its groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenGroups {
    pub monitor: String,
    /// Kept as a list: a group is not a JSON object key.
    #[serde(with = "as_list")]
    pub groups: BTreeMap<Group, Seen>,
}

/// One group's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// Its newest point; for a configured group none of whose series has reported yet,
    /// when the evaluator first expected it.
    pub last_seen: Timestamp,
    /// False for such a configured group.
    pub reported: bool,
    /// The start of the absence that was reconciled with the group's alert (its
    /// `last_seen` then), so each absence is looked at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent_since: Option<Timestamp>,
}

impl SeenGroups {
    pub fn new(monitor: impl Into<String>) -> Self {
        Self {
            monitor: monitor.into(),
            groups: BTreeMap::new(),
        }
    }
}

mod as_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Group, Seen};

    #[derive(Serialize, Deserialize)]
    struct Entry {
        group: Group,
        #[serde(flatten)]
        seen: Seen,
    }

    pub fn serialize<S: Serializer>(
        groups: &BTreeMap<Group, Seen>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let list: Vec<Entry> = groups
            .iter()
            .map(|(group, seen)| Entry {
                group: group.clone(),
                seen: *seen,
            })
            .collect();
        list.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<Group, Seen>, D::Error> {
        let list = Vec::<Entry>::deserialize(d)?;
        Ok(list.into_iter().map(|e| (e.group, e.seen)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_with_groups_as_a_list() {
        let mut seen = SeenGroups::new("error-rate");
        seen.groups.insert(
            Group::new("chat-large", Some("v3"), Some("prod")),
            Seen {
                last_seen: Timestamp::from_secs(1_800_000_000),
                reported: true,
                absent_since: None,
            },
        );
        seen.groups.insert(
            Group::new("chat-large", Some("v4"), None),
            Seen {
                last_seen: Timestamp::from_secs(1_800_000_060),
                reported: false,
                absent_since: Some(Timestamp::from_secs(1_800_000_060)),
            },
        );
        let text = serde_json::to_string(&seen).unwrap();
        assert!(
            text.contains(r#""groups":[{"group":{"model":"chat-large""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<SeenGroups>(&text).unwrap(), seen);
    }
}
