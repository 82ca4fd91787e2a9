//! Who a report mentions, and where: subscribers of every model at the top; a subscriber of
//! one model next to that model — at the heading of the section about it, else at the first
//! line about it — and only when the report covers that model.

use std::collections::BTreeMap;

use super::document::Report;
use super::slack::SlackUser;

/// A report's subscribers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentions {
    /// Subscribed for every model: named in the report's first message.
    pub everyone: Vec<SlackUser>,
    /// Subscribed for one model, by model name.
    pub by_model: BTreeMap<String, Vec<SlackUser>>,
}

/// Where in a report a model's subscribers are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Spot {
    /// At the heading of section `.0`.
    Section(usize),
    /// At the end of line `.1` of section `.0`.
    Line(usize, usize),
}

impl Mentions {
    /// Everyone in `users`, for every model.
    pub fn everyone(users: Vec<SlackUser>) -> Self {
        Self {
            everyone: users,
            by_model: BTreeMap::new(),
        }
    }

    /// Adds `user`, subscribed for `model` (`None`: every model). Someone subscribed for
    /// every model is named once, at the top.
    pub fn add(&mut self, user: SlackUser, model: Option<&str>) {
        match model {
            None => {
                if !self.everyone.contains(&user) {
                    self.everyone.push(user);
                }
            }
            Some(m) => {
                let users = self.by_model.entry(m.to_owned()).or_default();
                if !users.contains(&user) {
                    users.push(user);
                }
            }
        }
    }

    /// Where each model's subscribers go in `report`; a model the report does not cover
    /// has no spot, so its subscribers are not named. Those named at the top are left out.
    pub fn spots(&self, report: &Report) -> BTreeMap<Spot, Vec<SlackUser>> {
        let mut out: BTreeMap<Spot, Vec<SlackUser>> = BTreeMap::new();
        for (model, users) in &self.by_model {
            let users: Vec<SlackUser> = users
                .iter()
                .filter(|u| !self.everyone.contains(u))
                .cloned()
                .collect();
            if users.is_empty() {
                continue;
            }
            if let Some(spot) = spot_of(report, model) {
                out.entry(spot).or_default().extend(users);
            }
        }
        out
    }
}

/// The section about `model`, else the first line about it.
fn spot_of(report: &Report, model: &str) -> Option<Spot> {
    let own = report
        .sections
        .iter()
        .position(|s| s.model.as_deref() == Some(model))
        .map(Spot::Section);
    own.or_else(|| {
        report.sections.iter().enumerate().find_map(|(si, s)| {
            s.lines
                .iter()
                .position(|l| l.model.as_deref() == Some(model))
                .map(|li| Spot::Line(si, li))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::report::{Line, Period, ReportKind, Section, Tone};

    fn user(id: &str) -> SlackUser {
        SlackUser::new(id).unwrap()
    }

    fn report() -> Report {
        let mut glance = Section::new("At a glance");
        glance.lines = vec![
            Line::new(Tone::Neutral, "2 models"),
            Line::about(Tone::Good, "chat-large", "healthy"),
            Line::about(Tone::Good, "embed-small", "healthy"),
        ];
        let mut chat = Section::new("chat-large — healthy");
        chat.model = Some("chat-large".into());
        Report {
            kind: ReportKind::Daily,
            title: "Daily".into(),
            period: Period::day_ending(Timestamp::from_secs(86_400)),
            summary: String::new(),
            sections: vec![glance, chat],
        }
    }

    #[test]
    fn a_model_subscriber_goes_to_its_models_section_else_its_first_line_else_nowhere() {
        let mut m = Mentions::default();
        m.add(user("U0CHAT"), Some("chat-large"));
        m.add(user("U0EMBED"), Some("embed-small"));
        m.add(user("U0EMBED"), Some("embed-small"));
        m.add(user("U0SUM"), Some("summarizer"));
        let spots = m.spots(&report());
        assert_eq!(
            spots,
            BTreeMap::from([
                (Spot::Section(1), vec![user("U0CHAT")]),
                (Spot::Line(0, 2), vec![user("U0EMBED")]),
            ])
        );
    }

    #[test]
    fn a_subscriber_of_every_model_is_named_once_at_the_top() {
        let mut m = Mentions::default();
        m.add(user("U0ANA"), Some("chat-large"));
        m.add(user("U0ANA"), None);
        m.add(user("U0ANA"), None);
        assert_eq!(m.everyone, vec![user("U0ANA")]);
        assert!(m.spots(&report()).is_empty());
    }
}
