//! What Datadog's default template hides in prose: the transition in the title prefix,
//! the monitor id, group and snapshot in the body's links.

use super::Transition;
use crate::domain::Priority;

/// What the title's bracketed prefixes say: `[P2] [Triggered on {model:chat}] Latency high`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TitlePrefix {
    pub transition: Option<Transition>,
    /// `model:chat,env:prod` from `[Triggered on {model:chat,env:prod}]`.
    pub group: Option<String>,
    pub priority: Option<Priority>,
    /// The title without its prefixes.
    pub rest: String,
}

pub fn parse_title(title: &str) -> TitlePrefix {
    let mut out = TitlePrefix::default();
    let mut rest = title.trim();
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = bracket_end(inner) else {
            break;
        };
        let tag = inner[..close].trim();
        if let Some(p) = priority(tag) {
            out.priority.get_or_insert(p);
        } else if let Some((transition, group)) = transition_tag(tag) {
            if out.transition.is_some() {
                break;
            }
            out.transition = Some(transition);
            out.group = group;
        } else {
            break;
        }
        rest = inner[close + 1..].trim_start();
    }
    out.rest = rest.to_owned();
    out
}

/// The index of the `]` closing a prefix, skipping any inside `{…}`.
fn bracket_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ']' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// A `[P2]` prefix: the letter is required here (a bare `[2]` is not a priority).
fn priority(tag: &str) -> Option<Priority> {
    let digit = tag.strip_prefix(['P', 'p'])?;
    digit.parse().ok().and_then(Priority::new)
}

fn transition_tag(tag: &str) -> Option<(Transition, Option<String>)> {
    let (name, group) = match tag.split_once(" on ") {
        Some((name, group)) => {
            let group = group
                .trim()
                .trim_start_matches('{')
                .trim_end_matches('}')
                .trim();
            (name.trim(), (!group.is_empty()).then(|| group.to_owned()))
        }
        None => (tag, None),
    };
    Transition::from_name(name).map(|t| (t, group))
}

/// A link to a monitor in a notification: its id and its query string.
struct MonitorLink<'a> {
    id: &'a str,
    query: &'a str,
}

impl MonitorLink<'_> {
    /// Datadog's own links carry `link_source=monitor_notif`.
    fn is_datadogs(&self) -> bool {
        self.param("link_source") == Some("monitor_notif")
    }

    fn param(&self, key: &str) -> Option<&str> {
        self.query
            .split('&')
            .find_map(|pair| pair.split_once('=').filter(|(k, _)| *k == key))
            .map(|(_, v)| v)
    }
}

/// The longest monitor link read: longer is no link of Datadog's.
const MAX_URL: usize = 4096;

/// The monitor links in `text` (`/monitors/123?…`, or the older `/monitors#123?…`), in the
/// order to trust them: Datadog's own (`link_source=monitor_notif`) first, and among each
/// kind the last first. The message a person wrote comes before Datadog's graph and footer
/// links, and may link other monitors or dashboards: its links are the last resort.
fn monitor_links(text: &str) -> Vec<MonitorLink<'_>> {
    let mut links = Vec::new();
    for (pos, marker) in text
        .match_indices("/monitors/")
        .chain(text.match_indices("/monitors#"))
    {
        let rest = &text[pos + marker.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            continue;
        }
        // Looked for within a URL's length only: a body of `/monitors/1` repeated with no
        // end in sight would otherwise be scanned to its end once per match.
        let near = &rest.as_bytes()[..rest.len().min(MAX_URL)];
        let url_end = match near
            .iter()
            .position(|b| matches!(b, b')' | b' ' | b']' | b'"' | b'\r' | b'\n' | b'>' | b'<'))
        {
            Some(end) => end,
            None if rest.len() <= MAX_URL => rest.len(),
            None => continue,
        };
        let after_id = &rest[digits..url_end];
        // `/monitors/123/` and `/monitors/123/?…` are the monitor too.
        let after_id = after_id.strip_prefix('/').unwrap_or(after_id);
        let query = match after_id.strip_prefix('?') {
            Some(query) => query,
            None => match after_id.chars().next() {
                None => "",
                // A page of the monitor (`/monitors/123/edit`), or no monitor's id
                // (`/monitors/123abc`).
                Some(c) if c.is_alphanumeric() || c == '_' || c == '-' => continue,
                // A sentence's punctuation after the link: `…/monitors/123.`
                Some(_) => "",
            },
        };
        links.push((
            pos,
            MonitorLink {
                id: &rest[..digits],
                query,
            },
        ));
    }
    links.sort_by_key(|(pos, link)| {
        (
            std::cmp::Reverse(link.is_datadogs()),
            std::cmp::Reverse(*pos),
        )
    });
    links.into_iter().map(|(_, link)| link).collect()
}

/// The monitor id from the notification's monitor links (`monitor_links`' order).
pub fn monitor_id_in(text: &str) -> Option<String> {
    monitor_links(text).first().map(|link| link.id.to_owned())
}

/// The `group=` parameter of the notification's monitor links, decoded (`host%3Aweb-1` →
/// `host:web-1`): from the links to the monitor `monitor_id_in` takes, and only Datadog's
/// own when it took one of those (a person's link to another group is not this alert's).
pub fn group_in_link(text: &str) -> Option<String> {
    let links = monitor_links(text);
    let chosen = links.first()?;
    links
        .iter()
        .filter(|link| link.id == chosen.id && link.is_datadogs() == chosen.is_datadogs())
        .filter_map(|link| link.param("group"))
        .map(percent_decode)
        .find(|group| !group.is_empty())
}

/// The graph snapshot image in a default-template body: `[![Metric Graph](URL)](…)`.
pub fn snapshot_in(text: &str) -> Option<String> {
    let start = text.find("](https://p.datadoghq")? + 2;
    let end = text[start..].find(')')? + start;
    Some(text[start..end].to_owned())
}

pub(super) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_title_prefix_maps_to_its_transition() {
        let cases = [
            ("[Triggered] Latency", Transition::Triggered, None),
            (
                "[Triggered on {model:chat,env:prod}] Latency",
                Transition::Triggered,
                Some("model:chat,env:prod"),
            ),
            ("[Re-Triggered] Latency", Transition::ReTriggered, None),
            ("[Warn] Latency", Transition::Warn, None),
            (
                "[Re-Warn on {model:chat}] Latency",
                Transition::ReWarn,
                Some("model:chat"),
            ),
            ("[No Data] Latency", Transition::NoData, None),
            ("[Re-No Data] Latency", Transition::ReNoData, None),
            ("[Recovered] Latency", Transition::Recovered, None),
            (
                "[Recovered on {model:chat}] Latency",
                Transition::Recovered,
                Some("model:chat"),
            ),
            ("[Renotify] Latency", Transition::Renotify, None),
        ];
        for (title, transition, group) in cases {
            let p = parse_title(title);
            assert_eq!(p.transition, Some(transition), "{title}");
            assert_eq!(p.group.as_deref(), group, "{title}");
            assert_eq!(p.rest, "Latency", "{title}");
        }
    }

    #[test]
    fn priority_prefix_is_read_and_test_marker_kept_in_the_title() {
        let p = parse_title("[P1] [Triggered] [TEST] Host Cluster Alert");
        assert_eq!(p.priority, Priority::new(1));
        assert_eq!(p.transition, Some(Transition::Triggered));
        assert_eq!(p.rest, "[TEST] Host Cluster Alert");
    }

    #[test]
    fn a_title_without_a_known_prefix_has_no_transition() {
        assert_eq!(parse_title("Latency high").transition, None);
        assert_eq!(parse_title("[Something] Latency").transition, None);
        assert_eq!(parse_title("[Triggered unterminated").transition, None);
    }

    #[test]
    fn monitor_links_of_both_forms_give_the_id() {
        assert_eq!(
            monitor_id_in("[[Monitor Status](https://app.datadoghq.com/monitors#18692904?)]"),
            Some("18692904".into())
        );
        assert_eq!(
            monitor_id_in("(https://app.datadoghq.com/monitors/221164084?from_ts=1)"),
            Some("221164084".into())
        );
        assert_eq!(monitor_id_in("no links here"), None);
    }

    #[test]
    fn datadogs_own_links_are_trusted_before_the_messages() {
        let body = "See https://app.datadoghq.com/monitors/555 or /monitors/556?group=a%3Ab \
                    [x](https://app.datadoghq.com/logs?tpl_var_group=c%3Ad)\n\
                    [[Monitor Status](https://app.datadoghq.com/monitors/7?group=model%3Am&link_source=monitor_notif)] \
                    [[Edit Monitor](https://app.datadoghq.com/monitors/8/edit?link_source=monitor_notif)]";
        assert_eq!(monitor_id_in(body), Some("7".into()));
        assert_eq!(group_in_link(body), Some("model:m".into()));
        // Without Datadog's links, the last monitor link stands; a page of a monitor
        // (`/edit`) and a parameter that only ends in `group` do not.
        let plain = "/monitors/555 then /monitors/556?tpl_var_group=x&group=a%3Ab /monitors/9/edit";
        assert_eq!(monitor_id_in(plain), Some("556".into()));
        assert_eq!(group_in_link(plain), Some("a:b".into()));
        assert_eq!(group_in_link("/monitors/5?tpl_var_group=x"), None);
        // A person's link to another group of the monitor Datadog's links name, when
        // theirs name none (a simple monitor): no group.
        let simple = "see /monitors/7?group=host%3Aother\n\
                      [[Monitor Status](https://app.datadoghq.com/monitors/7?link_source=monitor_notif)]";
        assert_eq!(monitor_id_in(simple), Some("7".into()));
        assert_eq!(group_in_link(simple), None);
        // A sentence's punctuation, a carriage return or a slash after the id.
        for end in [".", ",", ";", "\r\n", "/", "/ and more"] {
            let text = format!("see https://app.datadoghq.com/monitors/555{end}");
            assert_eq!(monitor_id_in(&text), Some("555".into()), "{text:?}");
        }
        assert_eq!(monitor_id_in("/monitors/555abc /monitors/55/edit"), None);
        assert_eq!(
            group_in_link("/monitors/8/?group=host%3Aa"),
            Some("host:a".into())
        );
    }

    #[test]
    fn group_and_snapshot_come_out_of_links() {
        let body = "[![Metric Graph](https://p.datadoghq.com/snapshot/x.png)](https://app.datadoghq.com/monitors/1?group=model%3Achat%2Cenv%3Aprod&from_ts=1)";
        assert_eq!(group_in_link(body), Some("model:chat,env:prod".into()));
        assert_eq!(
            snapshot_in(body),
            Some("https://p.datadoghq.com/snapshot/x.png".into())
        );
    }
}
