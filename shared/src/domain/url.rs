//! Which URLs from outside may travel on a page, and how values enter a URL. A webhook's
//! `link` ends up behind a button on a page and inside Slack's `<url|text>` syntax: only
//! plain http(s) URLs pass, and links that claim to be Datadog's must be on a Datadog
//! site.

/// Datadog's sites (US1, US3, US5, EU, AP1, AP2, UK1, US1-FED, US2-FED) and their subdomains
/// (`app.`, `us3.`, `p.` for snapshots, an organisation's own subdomain).
const DATADOG_DOMAINS: [&str; 3] = ["datadoghq.com", "datadoghq.eu", "ddog-gov.com"];

/// The longest URL kept (Slack cuts link targets at 3,000 characters).
const MAX_URL_CHARS: usize = 2000;

/// `text` if it is an absolute http(s) URL with a plain host name: no user info (so
/// `https://app.datadoghq.com@evil.example` is refused), no spaces or control
/// characters, at most 2,000 characters.
pub fn web_url(text: &str) -> Option<&str> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))?;
    if text.len() > MAX_URL_CHARS || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host_of(authority)?;
    (!host.is_empty()).then_some(text)
}

/// The host of `authority` (`host` or `host:port`), lower-case letters, digits, dots
/// and dashes only.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    (host_ok && port_ok).then_some(host)
}

/// Whether `text` is an https URL on one of Datadog's sites.
pub fn is_datadog_url(text: &str) -> bool {
    let Some(url) = web_url(text) else {
        return false;
    };
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host_of(authority).unwrap_or_default().to_ascii_lowercase();
    DATADOG_DOMAINS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// `value` fit for one path segment or query value: everything but RFC 3986's unreserved
/// characters percent-encoded, so `../admin` or `a?b#c` cannot change where a link goes.
pub fn encode_component(value: &str) -> String {
    // A segment of only dots would still climb the path.
    let dots_too = value.bytes().all(|b| b == b'.');
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') || (b == b'.' && !dots_too)
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_pass() {
        for ok in [
            "https://app.datadoghq.com/monitors/1?from_ts=1",
            "http://runbooks.example.com:8080/a",
            "https://example.com",
        ] {
            assert_eq!(web_url(ok), Some(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,x",
            "https://app.datadoghq.com@evil.example/x",
            "https://evil.example/a b",
            "https://evil.example/\n<!channel>",
            "https://",
            "https://host:port/x",
            "//evil.example",
            "ftp://x.example",
        ] {
            assert_eq!(web_url(bad), None, "{bad}");
        }
        assert_eq!(
            web_url(&format!("https://a.example/{}", "x".repeat(2000))),
            None
        );
    }

    #[test]
    fn datadog_links_must_be_on_a_datadog_site() {
        for ok in [
            "https://app.datadoghq.com/event/event?id=1",
            "https://us5.datadoghq.com/monitors/2",
            "https://app.datadoghq.eu/monitors/2",
            "https://app.ddog-gov.com/monitors/2",
            "https://p.datadoghq.com/snapshot/view/x.png",
            "https://acme.datadoghq.com/monitors/3",
        ] {
            assert!(is_datadog_url(ok), "{ok}");
        }
        for bad in [
            "https://datadoghq.com.evil.example/x",
            "https://evil-datadoghq.com/x",
            "http://app.datadoghq.com/monitors/2",
            "https://app.datadoghq.com@evil.example/",
            "javascript:alert(1)//datadoghq.com",
        ] {
            assert!(!is_datadog_url(bad), "{bad}");
        }
    }

    #[test]
    fn components_cannot_change_where_a_link_goes() {
        assert_eq!(encode_component("chat-large_v2.1~x"), "chat-large_v2.1~x");
        assert_eq!(encode_component("../admin"), "..%2Fadmin");
        assert_eq!(encode_component("a?b#c|d>e"), "a%3Fb%23c%7Cd%3Ee");
        assert_eq!(encode_component(".."), "%2E%2E");
    }
}
