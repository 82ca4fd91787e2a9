//! Whether an alert is muted: the one place that decides it, from the silences in force
//! and what the alert is about (model, version, environment, monitor, the model's team as
//! the configuration names it, level). The decision is pure; `apply` records silences and
//! brings open alerts in line at once (the escalator does it again before every delivery
//! and every minute); `request` reads a silence as people write one; `signal` words a
//! decision as a signal for the lifecycle.

mod apply;
mod request;
pub mod signal;

pub use apply::{Expired, Made, expire, make};
pub use request::{RequestError, SilenceRequest, model_version, parse_words};

use crate::config::Config;
use crate::domain::{Alert, MatchField, Silence, Timestamp};

/// The silence that mutes `alert` at `at`, if any: in force, and every matcher matches.
/// Of several, the one that ends last (the alert stays muted until then). A fleet's alert
/// (`absence::fleet`) is muted while each model it names is: by model, version, team or
/// environment, as that model's own alert would be; it stays muted until the first of
/// those silences ends.
pub fn muting<'a>(
    silences: &'a [Silence],
    alert: &Alert,
    config: &Config,
    at: Timestamp,
) -> Option<&'a Silence> {
    let own = |alert: &Alert| {
        silences
            .iter()
            .filter(|s| s.is_active(at) && matches(s, alert, config))
            .max_by_key(|s| (s.ends_at, s.id.clone()))
    };
    let models = crate::absence::fleet::models_of(alert);
    if models.is_empty() {
        return own(alert);
    }
    let mut each = Vec::with_capacity(models.len());
    for name in models {
        let mut as_model = alert.clone();
        as_model.context.model = crate::domain::ModelRef::new(name, None).ok();
        each.push(own(&as_model));
    }
    let covered = each
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .and_then(|all| all.into_iter().min_by_key(|s| (s.ends_at, s.id.clone())));
    [own(alert), covered]
        .into_iter()
        .flatten()
        .max_by_key(|s| (s.ends_at, s.id.clone()))
}

/// Whether every matcher of `silence` matches `alert` (whatever the time), and it is the
/// silence's one alert if it names one.
pub fn matches(silence: &Silence, alert: &Alert, config: &Config) -> bool {
    if silence.alert.as_ref().is_some_and(|key| *key != alert.key) {
        return false;
    }
    silence.matchers.iter().all(|m| {
        let c = &alert.context;
        let value = m.value.as_str();
        match m.field {
            MatchField::Model => c.model.as_ref().is_some_and(|x| x.name() == value),
            MatchField::Version => c.model.as_ref().and_then(|x| x.version()) == Some(value),
            MatchField::Environment => c.environment.as_deref() == Some(value),
            MatchField::Monitor => {
                c.monitor.id == value || c.monitor.name.as_deref() == Some(value)
            }
            MatchField::Team => c
                .model
                .as_ref()
                .and_then(|x| config.model(x.name()))
                .is_some_and(|model| model.team == value),
            MatchField::Level => alert.level.as_str().eq_ignore_ascii_case(value),
        }
    })
}

/// The matchers of a silence made from the alert's own Slack button, which
/// `Silence::only_for` narrows to the alert: its monitor, which stays the same for the
/// alert's key (a model version or environment tag may change under it while the silence
/// runs), or, for an alert without a monitor id, its model, version and environment.
/// They are all a version before `only_for` reads.
pub fn matchers_for(alert: &Alert) -> Vec<crate::domain::Matcher> {
    use crate::domain::Matcher;
    let c = &alert.context;
    let usable = |v: &&str| !v.is_empty() && !v.contains(char::is_whitespace);
    if usable(&c.monitor.id.as_str()) {
        return vec![Matcher {
            field: MatchField::Monitor,
            value: c.monitor.id.clone(),
        }];
    }
    let mut out = Vec::new();
    let mut push = |field: MatchField, value: Option<&str>| {
        if let Some(value) = value.filter(usable) {
            out.push(Matcher {
                field,
                value: value.to_owned(),
            });
        }
    };
    push(MatchField::Model, c.model.as_ref().map(|m| m.name()));
    push(
        MatchField::Version,
        c.model.as_ref().and_then(|m| m.version()),
    );
    push(MatchField::Environment, c.environment.as_deref());
    out
}

/// Who muted an alert, as its history and messages say it: `silence sil-… by ana`.
pub fn muted_by(silence: &Silence) -> String {
    let mut by = format!("silence {} by {}", silence.id, silence.created_by);
    if !silence.comment.is_empty() {
        by.push_str(&format!(" ({})", silence.comment));
    }
    by
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AlertContext, AlertKey, Level, Matcher, ModelRef, MonitorRef};

    fn config() -> Config {
        Config::parse(
            "t.yaml",
            "metrics: [{name: m}]\nmodels:\n  - {name: chat-large, team: chat, slack_channel: \"#c\"}\nmonitors:\n  - {id: latency, metric: m, rule: {threshold: {critical: 1}}}\n",
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn alert() -> Alert {
        let mut a = Alert::blank(AlertKey::new("eval:latency|model:chat-large").unwrap());
        a.level = Level::L2;
        a.context = AlertContext {
            model: Some(ModelRef::new("chat-large", Some("v8")).unwrap()),
            environment: Some("prod".into()),
            monitor: MonitorRef {
                id: "latency".into(),
                name: Some("Generation latency".into()),
            },
            ..AlertContext::default()
        };
        a
    }

    fn silence(matchers: &[&str], from: i64, to: i64) -> Silence {
        let m: Vec<Matcher> = matchers.iter().map(|m| m.parse().unwrap()).collect();
        Silence::new(
            m,
            Timestamp::from_secs(from),
            Timestamp::from_secs(to),
            "ana",
            "v8 rollout",
            Timestamp::from_secs(0),
        )
        .unwrap()
    }

    #[test]
    fn a_fleets_alert_is_muted_while_each_of_its_models_is() {
        let c = Config::parse(
            "t.yaml",
            "metrics: [{name: m}]\nmodels:\n  - {name: chat-large, team: chat, slack_channel: \"#c\"}\n  - {name: embed-small, team: search, slack_channel: \"#s\"}\nmonitors:\n  - {id: latency, metric: m, rule: {threshold: {critical: 1}}}\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut fleet = Alert::blank(AlertKey::new("eval:latency|every model").unwrap());
        fleet.context = AlertContext {
            environment: Some("prod".into()),
            monitor: MonitorRef {
                id: "latency".into(),
                name: None,
            },
            tags: vec![
                "team:ml".into(),
                "model:chat-large".into(),
                "model:embed-small".into(),
            ],
            ..AlertContext::default()
        };
        let at = Timestamp::from_secs(5);
        let chat = silence(&["model=chat-large"], 0, 100);
        let embed = silence(&["team=search"], 0, 50);
        assert_eq!(
            muting(std::slice::from_ref(&chat), &fleet, &c, at),
            None,
            "embed-small pages"
        );
        assert_eq!(
            muting(&[chat.clone(), embed.clone()], &fleet, &c, at),
            Some(&embed),
            "muted until the first of them ends"
        );
        let prod = silence(&["env=prod"], 0, 30);
        assert_eq!(
            muting(std::slice::from_ref(&prod), &fleet, &c, at),
            Some(&prod)
        );
        // Its own silence and its models' together: the longer holds it.
        assert_eq!(
            muting(&[prod.clone(), chat.clone(), embed.clone()], &fleet, &c, at),
            Some(&embed)
        );
        // The same tags on another alert are only tags.
        let mut other = fleet.clone();
        other.key = AlertKey::new("datadog:monitor:1|*").unwrap();
        assert_eq!(muting(&[chat, embed], &other, &c, at), None);
    }

    #[test]
    fn every_matcher_must_match_and_each_field_reads_the_alert() {
        let c = config();
        let a = alert();
        for yes in [
            &["model=chat-large"][..],
            &["model=chat-large", "version=v8", "env=prod"],
            &["monitor=latency"],
            &["monitor=latency", "model=chat-large"],
            &["team=chat", "level=L2"],
        ] {
            assert!(matches(&silence(yes, 0, 10), &a, &c), "{yes:?}");
        }
        for no in [
            &["model=chat-small"][..],
            &["model=chat-large", "env=staging"],
            &["version=v7"],
            &["team=search"],
            &["level=L1"],
        ] {
            assert!(!matches(&silence(no, 0, 10), &a, &c), "{no:?}");
        }
    }

    #[test]
    fn an_alerts_own_silence_mutes_it_alone_whatever_its_tags_become() {
        let c = config();
        let a = alert();
        let own = Silence::new(
            matchers_for(&a),
            Timestamp::from_secs(0),
            Timestamp::from_secs(3600),
            "dana",
            "",
            Timestamp::from_secs(0),
        )
        .unwrap()
        .only_for(&a.key);
        assert!(matches(&own, &a, &c));
        // The next notification tags another version and environment: still this alert.
        let mut retagged = a.clone();
        retagged.context.model = Some(ModelRef::new("chat-large", Some("v9")).unwrap());
        retagged.context.environment = Some("canary".into());
        assert!(matches(&own, &retagged, &c));
        // The same monitor on another group is another alert.
        let mut other = a.clone();
        other.key = AlertKey::new("eval:latency|model:chat-small").unwrap();
        assert!(!matches(&own, &other, &c));
    }

    #[test]
    fn an_alert_its_silence_released_is_muted_by_it_again_once_it_matches_again() {
        let at = Timestamp::from_secs;
        let mut a = alert();
        a.level = Level::L1;
        let quiet = silence(&["level=L1"], 0, 3600);
        let first = signal::muted(&a, &quiet, at(60)).unwrap();
        a = crate::lifecycle::apply(&a, &first, at(60)).alert;
        assert!(a.is_silenced(at(61)));
        // It rose past the silence's level: released.
        let released = signal::unmuted(&a.key, at(120)).unwrap();
        a = crate::lifecycle::apply(&a, &released, at(120)).alert;
        assert!(!a.is_silenced(at(121)));
        // At L1 again (a later cycle) while the silence holds: muted again, by a signal
        // the alert has not seen (the same id was dropped as a duplicate, and paged).
        let again = signal::muted(&a, &quiet, at(600)).unwrap();
        assert_ne!(again.id, first.id);
        a = crate::lifecycle::apply(&a, &again, at(600)).alert;
        assert!(a.is_silenced(at(601)));
        // The same decision made twice (the stream and the clock, seconds apart, from the
        // alert as it was) is one signal.
        assert_eq!(
            signal::muted(&alert(), &quiet, at(75)).unwrap().id,
            first.id
        );
    }

    #[test]
    fn only_silences_in_force_mute_and_the_latest_ending_wins() {
        let c = config();
        let a = alert();
        let planned = silence(&["model=chat-large"], 100, 200);
        let longer = silence(&["env=prod"], 50, 300);
        let other = silence(&["model=embed"], 0, 1000);
        let all = [planned.clone(), longer.clone(), other];
        assert_eq!(muting(&all, &a, &c, Timestamp::from_secs(10)), None);
        assert_eq!(
            muting(&all, &a, &c, Timestamp::from_secs(60)),
            Some(&longer)
        );
        assert_eq!(
            muting(&all, &a, &c, Timestamp::from_secs(150)),
            Some(&longer)
        );
        assert_eq!(muting(&all, &a, &c, Timestamp::from_secs(300)), None);
        assert_eq!(
            muted_by(&planned),
            format!("silence {} by ana (v8 rollout)", planned.id)
        );
    }
}
