//! Text for Slack: mrkdwn escaped, and cut to a limit without breaking what Slack parses.
//!
//! Slack reads `&`, `<` and `>` as markup in mrkdwn (and in a message's notification
//! `text`): an entity (`&amp;`), a link (`<url|text>`) or a mention (`<@U…>`). One cut in
//! two shows as raw text, and the link no longer works; so text is escaped first, and cut
//! only between such pieces.

/// Escapes the three characters Slack's mrkdwn reserves.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Plain text (a header, alt text) of at most `max` characters, ending in `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Escaped mrkdwn of at most `max` characters, ending in `…` when cut, never inside an
/// entity, a link or a mention: a piece the cut would break is left out whole.
pub fn cut_mrkdwn(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    // Escaped text has `<` only where a link or mention opens, and `&` only where an
    // entity does.
    if let Some(open) = s.rfind('<')
        && !s[open..].contains('>')
    {
        s.truncate(open);
    }
    if let Some(amp) = s.rfind('&')
        && !s[amp..].contains(';')
    {
        s.truncate(amp);
    }
    s.push('…');
    s
}

/// `items` (each escaped mrkdwn: links, mentions) joined by `separator` into at most
/// `max` characters: whole items while they fit, then how many more there are.
pub fn join_within(items: &[String], separator: &str, max: usize) -> String {
    let len = |s: &str| s.chars().count();
    let more = |joined: &str, n: usize| {
        let sep = if joined.is_empty() { "" } else { separator };
        format!("{sep}and {n} more")
    };
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let sep = if i == 0 { "" } else { separator };
        // Room for it, and for naming the items after it should the next not fit.
        let rest = items.len() - i - 1;
        let tail = if rest > 0 {
            len(separator) + len(&more("", rest))
        } else {
            0
        };
        if len(&out) + len(sep) + len(item) + tail > max {
            let more = more(&out, items.len() - i);
            if len(&out) + len(&more) <= max {
                out.push_str(&more);
            }
            return out;
        }
        out.push_str(sep);
        out.push_str(item);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_leaves_no_entity_link_or_mention_broken() {
        let text = format!("{}R&amp;D", "x".repeat(10));
        assert_eq!(cut_mrkdwn(&text, 14), format!("{}R…", "x".repeat(10)));
        assert_eq!(cut_mrkdwn(&text, 17), text);
        let link = "see <https://example.com/a?b=1&amp;c=2|the runbook> now";
        assert_eq!(cut_mrkdwn(link, 30), "see …");
        assert_eq!(
            cut_mrkdwn(link, 52),
            "see <https://example.com/a?b=1&amp;c=2|the runbook>…"
        );
        let mentions = "For <@U0123ABCD> <@U0456EFGH>";
        assert_eq!(cut_mrkdwn(mentions, 22), "For <@U0123ABCD> …");
        // Plain text is cut where it must be: it has no markup to break.
        assert_eq!(cut("a < b and more", 6), "a < b…");
    }

    #[test]
    fn whole_items_are_joined_while_they_fit_then_the_rest_counted() {
        let items: Vec<String> = (1..=5).map(|i| format!("<@U000{i}>")).collect();
        assert_eq!(
            join_within(&items, " ", 100),
            "<@U0001> <@U0002> <@U0003> <@U0004> <@U0005>"
        );
        let joined = join_within(&items, " ", 30);
        assert_eq!(joined, "<@U0001> <@U0002> and 3 more");
        assert!(joined.chars().count() <= 30);
        assert_eq!(join_within(&items, " · ", 5), "");
        assert_eq!(join_within(&items, " · ", 12), "and 5 more");
    }
}
