//! What a Datadog notification says is wrong: the status sentence (`$ALERT_STATUS`, or
//! the line Datadog writes into the default template's body, in bold markdown), the
//! threshold it names (or the one at the end of `$ALERT_QUERY`), and a value when the
//! template carries one.

/// `llm.latency over model:chat was > 2.0 on average during the last 5m.`
#[derive(Debug, Clone, PartialEq)]
pub struct StatusLine {
    /// The sentence as plain text.
    pub sentence: String,
    /// The metric it is about (the text before ` over `).
    pub metric: Option<String>,
    /// The threshold after `was >`, `was <=` …
    pub threshold: Option<f64>,
}

/// Reads a status sentence (plain, or with Datadog's `**bold**` markdown).
pub fn parse(text: &str) -> Option<StatusLine> {
    let sentence = text.replace("**", "").replace("`", "");
    let sentence = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    if sentence.is_empty() {
        return None;
    }
    let metric = sentence
        .split_once(" over ")
        .map(|(m, _)| m.trim().to_owned())
        .filter(|m| !m.is_empty() && !m.contains(' '));
    let threshold = sentence
        .split_once(" was ")
        .and_then(|(_, rest)| comparison(rest));
    Some(StatusLine {
        sentence,
        metric,
        threshold,
    })
}

/// The status line Datadog puts in the default template's body: the line that reads
/// `… was **> 100.0** …`.
pub fn in_body(body: &str) -> Option<StatusLine> {
    body.lines()
        .map(str::trim)
        .find(|l| l.contains(" was ") && l.contains("**"))
        .and_then(parse)
}

/// The threshold at the end of a monitor query: `avg(last_5m):avg:m{*} by {model} > 2`.
pub fn threshold_in_query(query: &str) -> Option<f64> {
    let at = query.rfind(['>', '<', '='])?;
    query[at + 1..]
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// `> 2.0 on average …`, `>= 5`, `< 0.8 …`: the number after the comparison sign.
fn comparison(text: &str) -> Option<f64> {
    let rest = text.trim_start();
    let rest = rest.strip_prefix(['>', '<', '='])?;
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+'))
        .collect();
    number.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recommended_templates_status_names_metric_and_threshold() {
        let s = parse("llm.generation.latency.p95 over model:chat-large,model_version:v7,env:prod was > 2.0 on average during the last 5m.").unwrap();
        assert_eq!(s.metric.as_deref(), Some("llm.generation.latency.p95"));
        assert_eq!(s.threshold, Some(2.0));
    }

    #[test]
    fn the_default_templates_body_carries_the_same_line_in_bold() {
        let body = "%%%\nWe get high bytes\nNotify: @webhook-x\n\n**datadog.event.tracking.intakev2.audit.bytes** over ***** was **> 100.0** on average during the **last 5m**.\n\nThe monitor was last triggered at Wed Oct 01 2025 18:37:04 UTC.\n%%%";
        let s = in_body(body).unwrap();
        assert_eq!(
            s.sentence,
            "datadog.event.tracking.intakev2.audit.bytes over * was > 100.0 on average during the last 5m."
        );
        assert_eq!(
            s.metric.as_deref(),
            Some("datadog.event.tracking.intakev2.audit.bytes")
        );
        assert_eq!(s.threshold, Some(100.0));
        assert_eq!(
            in_body("%%%\nTest notification triggered by ana.\n%%%"),
            None
        );
    }

    #[test]
    fn a_querys_threshold_is_its_last_comparison() {
        assert_eq!(
            threshold_in_query("avg(last_5m):avg:m{env:prod} by {model} > 2"),
            Some(2.0)
        );
        assert_eq!(
            threshold_in_query("avg(last_1h):avg:q{*} <= 0.75"),
            Some(0.75)
        );
        assert_eq!(threshold_in_query("anomalies(avg:m{*}, 'basic', 2)"), None);
        assert_eq!(threshold_in_query("avg:m{*} > NaN"), None);
        assert_eq!(
            parse("m over * was >= 5 during").unwrap().threshold,
            Some(5.0)
        );
        assert_eq!(
            parse("m over * was < 0.8 on average").unwrap().threshold,
            Some(0.8)
        );
    }
}
