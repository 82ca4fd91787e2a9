//! The absence rule: which groups are expected, when one is absent, and what its alert is
//! owed under each no-data policy.

use std::collections::BTreeMap;

use super::*;
use crate::config::Config;
use crate::domain::{
    Alert, AlertKey, Group, MonitorState, Seen, SeenGroups, SignalKind, Status, Timestamp,
};
use crate::rules::{Monitor, NoDataPolicy, State};
use crate::signals;

const CONFIG: &str = r##"
time_zone: UTC
metrics:
  - name: llm.requests.error_rate
  - name: llm.quality.score
models:
  - name: chat-large
    versions: [v3, v4]
    stable_version: v3
    team: chat
    slack_channel: "#chat"
  - name: embed-small
    team: search
    slack_channel: "#search"
monitors:
  - id: errors
    template: error_rate
    metric: llm.requests.error_rate
  - id: rollout
    metric: llm.quality.score
    models: [chat-large]
    rule:
      version_compare:
        change: { direction: below, warning: -0.05, critical: -0.1 }
"##;

fn config() -> Config {
    Config::parse("absence.yaml", CONFIG).unwrap_or_else(|e| panic!("{e}"))
}

fn t(minute: i64) -> Timestamp {
    Timestamp::from_secs(1_800_000_000 - 1_800_000_000 % 86_400 + minute * 60)
}

fn v3() -> Group {
    Group::new("chat-large", Some("v3"), Some("prod"))
}

fn seen(entries: &[(Group, Timestamp, bool)]) -> SeenGroups {
    let mut s = SeenGroups::new("errors");
    for (g, at, reported) in entries {
        s.groups.insert(
            g.clone(),
            Seen {
                last_seen: *at,
                reported: *reported,
                absent_since: None,
            },
        );
    }
    s
}

fn newest(entries: &[(Group, Timestamp)]) -> BTreeMap<Group, Timestamp> {
    entries.iter().cloned().collect()
}

/// Every configured group of `errors` reporting in prod at `at`.
fn all_reporting(at: Timestamp) -> Vec<(Group, Timestamp)> {
    vec![
        (v3(), at),
        (Group::new("chat-large", Some("v4"), Some("prod")), at),
        (Group::new("embed-small", Some("e1"), Some("prod")), at),
    ]
}

fn alert(state: MonitorState, status: Status) -> Alert {
    let mut a = Alert::blank(AlertKey::new("eval:errors|x").unwrap());
    a.cycle = 1;
    a.state = state;
    a.status = status;
    a
}

#[test]
fn the_horizons_are_the_window_and_reporting_delay_then_the_whole_replay() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    assert_eq!(
        m.no_data,
        NoDataPolicy::Alert,
        "availability templates page on no data"
    );
    assert_eq!(m.no_data_after_secs(), 5 * 60 + 120);
    assert_eq!(m.absent_after_secs(), 60 * 60 + 5 * 60 + 120);
}

#[test]
fn a_group_that_stops_reporting_is_checked_once_when_it_becomes_absent() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let start = plan(
        &config,
        m,
        &SeenGroups::new("errors"),
        &newest(&all_reporting(t(0))),
        t(0),
    );
    assert!(start.checks.is_empty(), "{:?}", start.checks);
    assert_eq!(start.seen.groups.len(), 3, "every reporting group is kept");

    // v3 stops at minute 0; the others go on. Within the horizon the evaluation's own
    // no-data policy is in charge: no check.
    let mut others = all_reporting(t(66));
    others.remove(0);
    let before = plan(&config, m, &start.seen, &newest(&others), t(66));
    assert!(before.checks.is_empty(), "{:?}", before.checks);

    let mut others = all_reporting(t(67));
    others.remove(0);
    let absent = plan(&config, m, &before.seen, &newest(&others), t(67));
    assert_eq!(
        absent.checks,
        vec![Check::Absent {
            group: v3(),
            since: t(0),
            reported: true
        }]
    );
    assert!(should_write(m, &before.seen, &absent.seen, t(67)));

    let mut others = all_reporting(t(68));
    others.remove(0);
    let later = plan(&config, m, &absent.seen, &newest(&others), t(68));
    assert!(
        later.checks.is_empty(),
        "one look per absence: {:?}",
        later.checks
    );

    // Back: one look at its alert, and the mark is gone.
    let back = plan(
        &config,
        m,
        &later.seen,
        &newest(&all_reporting(t(90))),
        t(90),
    );
    assert_eq!(
        back.checks,
        vec![Check::Back {
            group: v3(),
            via: None
        }]
    );
    assert_eq!(back.seen.groups[&v3()].absent_since, None);
}

#[test]
fn a_listed_version_that_never_reported_is_expected_from_the_first_run() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let only_v3 = newest(&[(v3(), t(0))]);
    let first = plan(&config, m, &SeenGroups::new("errors"), &only_v3, t(0));
    let v4 = Group::new("chat-large", Some("v4"), None);
    let embed = Group::new("embed-small", None, None);
    assert!(!first.seen.groups[&v4].reported);
    assert_eq!(first.seen.groups[&v4].last_seen, t(0));
    assert!(
        first.seen.groups.contains_key(&embed),
        "a model listing no versions: any"
    );
    assert!(
        !first
            .seen
            .groups
            .contains_key(&Group::new("chat-large", Some("v3"), None))
    );

    let reporting = newest(&[(v3(), t(67))]);
    let absent = plan(&config, m, &first.seen, &reporting, t(67));
    assert!(absent.checks.contains(&Check::Absent {
        group: v4.clone(),
        since: t(0),
        reported: false
    }));

    // A series of v4 in any environment stands for it: one look at the alert, forgotten.
    let v4_prod = Group::new("chat-large", Some("v4"), Some("prod"));
    let reporting = newest(&[(v3(), t(80)), (v4_prod.clone(), t(80))]);
    let back = plan(&config, m, &absent.seen, &reporting, t(80));
    assert!(back.checks.contains(&Check::Back {
        group: v4.clone(),
        via: Some(v4_prod)
    }));
    assert!(!back.seen.groups.contains_key(&v4));
}

#[test]
fn a_version_its_model_does_not_list_is_expected_while_it_reports() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let v9 = Group::new("chat-large", Some("v9"), Some("prod"));
    let reporting = newest(&[(v3(), t(10)), (v9.clone(), t(10))]);
    let p = plan(&config, m, &SeenGroups::new("errors"), &reporting, t(10));
    assert!(p.checks.is_empty(), "{:?}", p.checks);
    assert!(p.seen.groups.contains_key(&v9));

    // Absent: not waited for, its alert looked at once.
    let horizon = i64::try_from(m.absent_after_secs() / 60).unwrap();
    let later = newest(&[(v3(), t(10 + horizon))]);
    let before = plan(&config, m, &p.seen, &later, t(9 + horizon));
    assert!(
        before.checks.iter().all(|c| c.group() != &v9),
        "{:?}",
        before.checks
    );
    let p = plan(&config, m, &p.seen, &later, t(10 + horizon));
    let about_v9: Vec<&Check> = p.checks.iter().filter(|c| c.group() == &v9).collect();
    assert_eq!(
        about_v9,
        [&Check::Unexpected {
            group: v9.clone(),
            why: Unexpected::Retired
        }]
    );
    assert!(!p.seen.groups.contains_key(&v9));
}

/// The only version serving is one its model does not list (a rollout ahead of the
/// configuration): when it stops, the model has stopped. It is not retired while no other
/// version serves in its environment: expected and absent, its no-data alert open, for the
/// retention period, and past it while the model serves nowhere.
#[test]
fn an_unlisted_version_serving_alone_is_not_retired_when_it_stops() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let v5 = Group::new("chat-large", Some("v5"), Some("prod"));
    let p = plan(
        &config,
        m,
        &SeenGroups::new("errors"),
        &newest(&[(v5.clone(), t(10))]),
        t(10),
    );
    let horizon = i64::try_from(m.absent_after_secs() / 60).unwrap();
    let mut known = p.seen;
    for minute in [10 + horizon, 10 + 3 * horizon, 9 + 7 * 24 * 60] {
        let p = plan(&config, m, &known, &newest(&[]), t(minute));
        assert!(
            !p.checks
                .iter()
                .any(|c| matches!(c, Check::Unexpected { group, .. } if *group == v5)),
            "minute {minute}: {:?}",
            p.checks
        );
        assert!(p.seen.groups.contains_key(&v5), "minute {minute}");
        known = p.seen;
    }
    // Another version serving in its place: then it is retired.
    let v6 = Group::new("chat-large", Some("v6"), Some("prod"));
    let at = t(9 + 7 * 24 * 60);
    let p = plan(&config, m, &known, &newest(&[(v6, at)]), at);
    assert!(p.checks.contains(&Check::Unexpected {
        group: v5.clone(),
        why: Unexpected::Retired
    }));
    // Nothing in its place for the retention period, the model dark: still expected.
    let p = plan(&config, m, &known, &newest(&[]), t(10 + 7 * 24 * 60));
    assert!(p.seen.groups.contains_key(&v5), "{:?}", p.checks);
    // The model serving in another environment: gone, as any group nobody lists.
    let staging = Group::new("chat-large", Some("v5"), Some("staging"));
    let at = t(10 + 7 * 24 * 60);
    let p = plan(&config, m, &known, &newest(&[(staging, at)]), at);
    assert!(p.checks.contains(&Check::Unexpected {
        group: v5,
        why: Unexpected::Gone { last_seen: t(10) }
    }));
}

/// A configured model that lists no versions, dark for longer than the retention period:
/// still expected (its no-data alert stays open, not resolved as "no longer expected" and
/// paged again for its configured group). One of its groups silent that long while the
/// model serves elsewhere (a retired or preview environment, an old version) is forgotten.
#[test]
fn a_dark_configured_model_is_expected_past_the_retention() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let e1 = embed();
    let known = seen(&[(v3(), t(0), true), (e1.clone(), t(0), true)]);
    let day = 24 * 60;
    let p = plan(
        &config,
        m,
        &known,
        &newest(&[(v3(), t(8 * day))]),
        t(8 * day),
    );
    assert!(
        p.checks
            .iter()
            .all(|c| !matches!(c, Check::Unexpected { .. })),
        "{:?}",
        p.checks
    );
    assert!(p.seen.groups.contains_key(&e1));
    let preview = Group::new("embed-small", Some("e1"), Some("preview-42"));
    let p = plan(
        &config,
        m,
        &known,
        &newest(&[(preview, t(8 * day))]),
        t(8 * day),
    );
    assert!(p.checks.contains(&Check::Unexpected {
        group: e1,
        why: Unexpected::Gone { last_seen: t(0) }
    }));
}

/// A version comparison's canary, rolled back: the stable version it was compared with
/// serves (the monitor does not cover it, but the query returns it), so the canary is
/// retired once silent and its comparison alert resolves.
#[test]
fn a_rolled_back_canary_is_retired_while_the_stable_version_serves() {
    let config = config();
    let m = config.monitor("rollout").unwrap();
    let v9 = Group::new("chat-large", Some("v9"), Some("prod"));
    let p = plan(
        &config,
        m,
        &SeenGroups::new("rollout"),
        &newest(&[(v3(), t(10)), (v9.clone(), t(10))]),
        t(10),
    );
    assert!(p.seen.groups.contains_key(&v9));
    assert!(
        !p.seen.groups.contains_key(&v3()),
        "the stable version is not covered"
    );
    let horizon = i64::try_from(m.absent_after_secs() / 60).unwrap();
    let at = t(10 + horizon);
    let p = plan(&config, m, &p.seen, &newest(&[(v3(), at)]), at);
    assert!(
        p.checks.contains(&Check::Unexpected {
            group: v9,
            why: Unexpected::Retired
        }),
        "{:?}",
        p.checks
    );
}

#[test]
fn retired_versions_go_at_once_and_unlisted_groups_after_the_retention() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let v2 = Group::new("chat-large", Some("v2"), Some("prod"));
    let batch = Group::new("batch-model", Some("b1"), Some("prod"));
    let known = seen(&[
        (v3(), t(0), true),
        (v2.clone(), t(0), true),
        (batch.clone(), t(0), true),
    ]);

    let day = 24 * 60;
    let p = plan(
        &config,
        m,
        &known,
        &newest(&[(v3(), t(6 * day))]),
        t(6 * day),
    );
    assert!(p.checks.contains(&Check::Unexpected {
        group: v2.clone(),
        why: Unexpected::Retired
    }));
    assert!(!p.seen.groups.contains_key(&v2));
    // An unlisted model's group is still expected after six days: absent, not forgotten.
    assert!(p.checks.contains(&Check::Absent {
        group: batch.clone(),
        since: t(0),
        reported: true
    }));

    let p = plan(
        &config,
        m,
        &p.seen,
        &newest(&[(v3(), t(7 * day))]),
        t(7 * day),
    );
    assert!(p.checks.contains(&Check::Unexpected {
        group: batch.clone(),
        why: Unexpected::Gone { last_seen: t(0) }
    }));
    assert!(!p.seen.groups.contains_key(&batch));
}

#[test]
fn a_comparison_does_not_expect_its_stable_version() {
    let config = config();
    let m = config.monitor("rollout").unwrap();
    let stable = Group::new("chat-large", Some("v3"), Some("prod"));
    assert!(!covers(&config, m, &stable));
    assert_eq!(
        configured_groups(&config, m),
        vec![Group::new("chat-large", Some("v4"), None)]
    );
    let p = plan(
        &config,
        m,
        &SeenGroups::new("rollout"),
        &newest(&[(stable.clone(), t(0))]),
        t(0),
    );
    assert!(!p.seen.groups.contains_key(&stable));
}

#[test]
fn the_item_is_written_on_change_on_silence_and_every_refresh_not_every_run() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let a = plan(
        &config,
        m,
        &SeenGroups::new("errors"),
        &newest(&all_reporting(t(0))),
        t(0),
    );
    assert!(should_write(m, &SeenGroups::new("errors"), &a.seen, t(0)));
    let b = plan(&config, m, &a.seen, &newest(&all_reporting(t(1))), t(1));
    assert!(
        !should_write(m, &a.seen, &b.seen, t(1)),
        "a minute later: nothing to say"
    );
    let c = plan(&config, m, &a.seen, &newest(&all_reporting(t(15))), t(15));
    assert!(should_write(m, &a.seen, &c.seen, t(15)), "the refresh");
    // v3's newest point is 8 minutes old: stored exactly, its absence is measured from it.
    let mut late = all_reporting(t(9));
    late[0].1 = t(1);
    let d = plan(&config, m, &a.seen, &newest(&late), t(9));
    assert!(should_write(m, &a.seen, &d.seen, t(9)));
    assert_eq!(d.seen.groups[&v3()].last_seen, t(1));
}

#[test]
fn an_absent_groups_alert_follows_the_monitors_no_data_policy() {
    let config = config();
    let mut m: Monitor = config.monitor("errors").unwrap().clone();
    let check = Check::Absent {
        group: v3(),
        since: t(0),
        reported: true,
    };
    let firing = alert(MonitorState::Alert, Status::Open);
    let no_data = alert(MonitorState::NoData, Status::Acknowledged);
    let closed = alert(MonitorState::Ok, Status::Resolved);
    let is_no_data = |v: &Verdict| matches!(v, Verdict::NoData { since, .. } if *since == t(0));
    for policy in [NoDataPolicy::Alert, NoDataPolicy::Warn] {
        m.no_data = policy;
        assert!(is_no_data(&decide(&m, "err", &check, None, None)), "opens");
        assert!(is_no_data(&decide(&m, "err", &check, Some(&closed), None)));
        assert!(
            is_no_data(&decide(&m, "err", &check, Some(&firing), None)),
            "turns"
        );
        assert_eq!(
            decide(&m, "err", &check, Some(&no_data), None),
            Verdict::Nothing
        );
    }
    m.no_data = NoDataPolicy::Ignore;
    assert_eq!(
        decide(&m, "err", &check, None, None),
        Verdict::Nothing,
        "stays quiet"
    );
    let turned = decide(&m, "err", &check, Some(&firing), None);
    assert!(
        is_no_data(&turned),
        "never held open with nothing to recover it"
    );
    m.no_data = NoDataPolicy::Resolve;
    assert!(matches!(
        decide(&m, "err", &check, Some(&firing), None),
        Verdict::Recovered { .. }
    ));
    assert_eq!(decide(&m, "err", &check, None, None), Verdict::Nothing);
}

#[test]
fn an_alert_a_person_closed_during_the_absence_is_not_reopened_for_it() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let check = Check::Absent {
        group: v3(),
        since: t(0),
        reported: true,
    };
    let mut closed = alert(MonitorState::NoData, Status::Resolved);
    closed.resolved_at = Some(t(30));
    assert_eq!(
        decide(m, "err", &check, Some(&closed), None),
        Verdict::Nothing
    );
    closed.resolved_at = Some(t(-30));
    assert!(matches!(
        decide(m, "err", &check, Some(&closed), None),
        Verdict::NoData { .. }
    ));
}

#[test]
fn a_returning_groups_no_data_alert_resolves_once_its_evaluation_is_clean() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let back = Check::Back {
        group: v3(),
        via: None,
    };
    let no_data = alert(MonitorState::NoData, Status::Open);
    assert_eq!(
        decide(m, "err", &back, Some(&no_data), Some(State::NoData)),
        Verdict::LookAgain
    );
    assert!(matches!(
        decide(m, "err", &back, Some(&no_data), Some(State::Ok)),
        Verdict::Recovered { .. }
    ));
    let firing = alert(MonitorState::Alert, Status::Open);
    assert_eq!(
        decide(m, "err", &back, Some(&firing), Some(State::Alert)),
        Verdict::Nothing,
        "bad data back: the evaluation owns the alert again"
    );
    let configured = Check::Back {
        group: Group::new("chat-large", Some("v4"), None),
        via: Some(Group::new("chat-large", Some("v4"), Some("prod"))),
    };
    assert!(matches!(
        decide(m, "err", &configured, Some(&no_data), None),
        Verdict::Recovered { .. }
    ));
}

#[test]
fn a_group_no_longer_expected_resolves_its_open_alert_with_a_note() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let check = Check::Unexpected {
        group: v3(),
        why: Unexpected::Gone { last_seen: t(0) },
    };
    let open = alert(MonitorState::NoData, Status::Open);
    let Verdict::Retired { note } = decide(m, "err", &check, Some(&open), None) else {
        panic!("an open alert is resolved");
    };
    assert!(
        note.contains("no longer expected") && note.contains("7 days"),
        "{note}"
    );
    let closed = alert(MonitorState::Ok, Status::Resolved);
    assert_eq!(
        decide(m, "err", &check, Some(&closed), None),
        Verdict::Nothing
    );

    let signal = signals::absence::to_signal(&config, m, &v3(), &Verdict::Retired { note }, t(9))
        .unwrap()
        .unwrap();
    assert!(
        matches!(signal.kind, SignalKind::Resolved { ref by, .. } if by.starts_with("modelwatch:"))
    );
    assert_eq!(
        signal.key.as_str(),
        "eval:errors|model:chat-large,model_version:v3,env:prod"
    );
}

#[test]
fn a_no_data_signal_has_one_id_per_absence_and_pages_at_the_policys_level() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let verdict = Verdict::NoData {
        since: t(0),
        reason: "no data".into(),
    };
    let a = signals::absence::to_signal(&config, m, &v3(), &verdict, t(67))
        .unwrap()
        .unwrap();
    let b = signals::absence::to_signal(&config, m, &v3(), &verdict, t(70))
        .unwrap()
        .unwrap();
    assert_eq!(a.id, b.id, "the same absence found by two runs");
    let SignalKind::Breach { breach, .. } = &a.kind else {
        panic!("a breach: {:?}", a.kind);
    };
    assert_eq!(
        breach.level, m.levels.alert,
        "no_data: alert pages at the alert level"
    );
    assert_eq!(
        breach.first_breach_at,
        Some(t(7)),
        "the first instant without data"
    );
    let mut ignoring = m.clone();
    ignoring.no_data = NoDataPolicy::Ignore;
    let c = signals::absence::to_signal(&config, &ignoring, &v3(), &verdict, t(67))
        .unwrap()
        .unwrap();
    let SignalKind::Breach { breach, .. } = &c.kind else {
        panic!("a breach: {:?}", c.kind);
    };
    assert_eq!(breach.level, m.levels.warn);
}

fn embed() -> Group {
    Group::new("embed-small", Some("e1"), Some("prod"))
}

/// What the evaluator does: the plan's view of what the monitor has seen, then the fleet.
fn fleet_at(
    config: &Config,
    m: &Monitor,
    previous: &SeenGroups,
    newest: &BTreeMap<Group, Timestamp>,
    at: Timestamp,
) -> Option<FleetSilence> {
    fleet::silence(m, &plan(config, m, previous, newest, at).seen, at)
}

#[test]
fn a_fleet_is_silent_when_no_model_reports_and_two_went_quiet_together() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let none = seen(&[]);
    let quiet = newest(&all_reporting(t(0)));
    // Within the window and Datadog's delay (7 min) every group still reports; a point
    // exactly that old is outside.
    assert_eq!(fleet_at(&config, m, &none, &quiet, t(6)), None);
    let silence = fleet_at(&config, m, &none, &quiet, t(7)).expect("silent");
    assert_eq!(silence.since, t(0));
    assert_eq!(silence.models, ["chat-large", "embed-small"]);
    assert_eq!(silence.environment.as_deref(), Some("prod"));
    // It pages when the first model's own no-data alert would: its 3-of-5 trigger.
    assert_eq!(fleet::pages_at(m, &silence), t(9));

    // One group reporting is enough for each model to be judged on its own.
    let mut one_reports = all_reporting(t(0));
    one_reports.push((embed(), t(5)));
    assert_eq!(
        fleet_at(&config, m, &none, &newest(&one_reports), t(8)),
        None
    );
    // One model's versions going quiet is that model's silence.
    let one_model = newest(&all_reporting(t(0))[..2]);
    assert_eq!(fleet_at(&config, m, &none, &one_model, t(30)), None);
    // Nothing seen, nothing to say.
    assert_eq!(fleet_at(&config, m, &none, &newest(&[]), t(30)), None);
}

#[test]
fn a_model_whose_own_alert_was_due_first_is_not_part_of_the_fleets_silence() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    // embed-small stopped 30 min before chat-large, and its own no-data alert paged while
    // chat-large reported: chat-large's silence is its own.
    let before = seen(&[(embed(), t(-30), true), (v3(), t(0), true)]);
    let chat = newest(&[(v3(), t(0))]);
    assert_eq!(fleet_at(&config, m, &before, &chat, t(30)), None);
    // Its alert is due 9 min after its last point (7, and the trigger's two more), and the
    // monitor is held 7 min after chat-large's: one that stopped 2 min before chat-large
    // went quiet with it (both alerts still to come), 3 min before it had paged alone.
    let together = seen(&[(embed(), t(-2), true), (v3(), t(0), true)]);
    let silence = fleet_at(&config, m, &together, &chat, t(30)).expect("silent");
    assert_eq!(silence.models, ["chat-large", "embed-small"]);
    assert_eq!(
        fleet::pages_at(m, &silence),
        t(7),
        "when embed-small's own would have"
    );
    let apart = seen(&[(embed(), t(-3), true), (v3(), t(0), true)]);
    assert_eq!(fleet_at(&config, m, &apart, &chat, t(30)), None);
    // A configured group that never reported is not a model that went quiet.
    let never = seen(&[(embed(), t(0), false), (v3(), t(0), true)]);
    assert_eq!(fleet_at(&config, m, &never, &chat, t(30)), None);
}

#[test]
fn the_seen_groups_reach_a_silence_longer_than_one_runs_data() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let before = seen(&[(v3(), t(0), true), (embed(), t(-2), true)]);
    // Hours later Datadog returns nothing at all; the seen groups still say who stopped.
    let silence = fleet_at(&config, m, &before, &newest(&[]), t(300)).expect("silent");
    assert_eq!(silence.since, t(0));
    // A model reporting again in this run's data ends it, whatever the table says.
    let back = newest(&[(embed(), t(299))]);
    assert_eq!(fleet_at(&config, m, &before, &back, t(300)), None);
    // Groups no longer expected (a week past their last point, not listed) are no fleet.
    let gone = seen(&[
        (Group::new("old-a", Some("1"), Some("prod")), t(0), true),
        (Group::new("old-b", Some("1"), Some("prod")), t(0), true),
    ]);
    assert!(fleet_at(&config, m, &gone, &newest(&[]), t(300)).is_some());
    let week = 7 * 24 * 60;
    assert_eq!(fleet_at(&config, m, &gone, &newest(&[]), t(week + 1)), None);
}

#[test]
fn only_monitors_that_page_on_no_data_and_are_no_version_comparison_hold_a_fleet() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    assert!(fleet::applies(m));
    let quiet = newest(&all_reporting(t(0)));
    for policy in [NoDataPolicy::Resolve, NoDataPolicy::Ignore] {
        let mut other = m.clone();
        other.no_data = policy;
        assert!(!fleet::applies(&other));
        assert_eq!(fleet_at(&config, &other, &seen(&[]), &quiet, t(30)), None);
    }
    let mut warn = m.clone();
    warn.no_data = NoDataPolicy::Warn;
    assert!(fleet_at(&config, &warn, &seen(&[]), &quiet, t(30)).is_some());
    let rollout = config.monitor("rollout").unwrap();
    assert!(!fleet::applies(rollout), "canaries end by design");
}

#[test]
fn the_instants_a_fleet_was_silent_are_read_from_the_data_alone() {
    use crate::rules::Point;
    let config = config();
    let m = config.monitor("errors").unwrap();
    let points = |minutes: std::ops::Range<i64>| -> Vec<Point> {
        minutes
            .map(|x| Point {
                at: t(x),
                value: 0.004,
            })
            .collect()
    };
    // Both quiet from minute 0 to 30, then embed-small back; chat-large still quiet.
    let groups: BTreeMap<Group, Vec<Point>> = [
        (v3(), points(-60..1)),
        (embed(), [points(-60..1), points(30..40)].concat()),
    ]
    .into_iter()
    .collect();
    let instants = [t(5), t(7), t(20), t(33), t(45)];
    let silent = fleet::silent_instants(&config, m, &groups, instants.into_iter());
    assert_eq!(silent, [t(7), t(20)].into_iter().collect());
}

#[test]
fn a_held_plan_keeps_what_was_seen_and_retires_but_takes_no_group_for_absent() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let gone = Group::new("old-a", Some("1"), Some("prod"));
    let mut previous = seen(&[
        (v3(), t(0), true),
        (embed(), t(0), true),
        (gone.clone(), t(-20_000), true),
    ]);
    let at = t(100);
    let planned = plan(&config, m, &previous, &newest(&[(v3(), t(2))]), at);
    assert!(
        planned
            .checks
            .iter()
            .any(|c| matches!(c, Check::Absent { .. }))
    );
    let held = planned.held(&previous);
    assert!(
        held.checks
            .iter()
            .all(|c| matches!(c, Check::Unexpected { group, .. } if *group == gone)),
        "{:?}",
        held.checks
    );
    assert_eq!(
        held.seen.groups[&v3()].last_seen,
        t(2),
        "the newest point kept"
    );
    assert_eq!(
        held.seen.groups[&embed()].absent_since,
        None,
        "not taken for absent"
    );
    // A version chat-large does not list, silent past the absence span while a listed one
    // serves, is retired for its silence: not while the monitor is held.
    let canary = Group::new("chat-large", Some("v9"), Some("prod"));
    let with_canary = seen(&[(v3(), t(0), true), (canary.clone(), t(0), true)]);
    let planned = plan(&config, m, &with_canary, &newest(&[(v3(), at)]), at);
    assert!(planned.checks.iter().any(
        |c| matches!(c, Check::Unexpected { group, why: Unexpected::Retired } if *group == canary)
    ));
    let held = planned.held(&with_canary);
    assert!(
        held.checks.iter().all(|c| !matches!(
            c,
            Check::Unexpected {
                why: Unexpected::Retired,
                ..
            }
        )),
        "{:?}",
        held.checks
    );
    assert_eq!(
        held.seen.groups.get(&canary),
        with_canary.groups.get(&canary)
    );
    // A mark the previous run made stays.
    previous.groups.get_mut(&embed()).unwrap().absent_since = Some(t(0));
    let held = plan(&config, m, &previous, &newest(&[]), at).held(&previous);
    assert_eq!(held.seen.groups[&embed()].absent_since, Some(t(0)));
}

#[test]
fn a_silent_fleet_pages_once_under_its_no_data_policy_and_recovers() {
    let config = config();
    let m = config.monitor("errors").unwrap();
    let silence =
        fleet_at(&config, m, &seen(&[]), &newest(&all_reporting(t(0))), t(8)).expect("silent");
    let signal = |at| signals::absence::fleet_silent(&config, m, &silence, at).unwrap();
    assert_eq!(signal(t(8)), None, "before the trigger window is full");
    let paged = signal(t(9)).expect("pages");
    assert_eq!(paged.key.as_str(), "eval:errors|every model");
    assert_eq!(paged.kind.name(), "no-data");
    assert_eq!(paged.at, t(9));
    let SignalKind::Breach { breach, .. } = &paged.kind else {
        panic!("{paged:?}")
    };
    assert_eq!(breach.level, m.levels.alert, "no_data: alert");
    assert_eq!(breach.first_breach_at, Some(t(7)));
    assert!(breach.context.model.is_none());
    assert_eq!(breach.context.environment.as_deref(), Some("prod"));
    assert!(
        breach
            .context
            .tags
            .contains(&"model:embed-small".to_owned())
    );
    // A `model:` tag of the monitor's own would read as one more model it stands for.
    let mut tagged = m.clone();
    tagged.tags.push("model:summarizer".into());
    let paged_tagged = signals::absence::fleet_silent(&config, &tagged, &silence, t(9))
        .unwrap()
        .expect("pages");
    let SignalKind::Breach {
        breach: tagged_breach,
        ..
    } = &paged_tagged.kind
    else {
        panic!("{paged_tagged:?}")
    };
    assert!(
        !tagged_breach
            .context
            .tags
            .contains(&"model:summarizer".to_owned())
    );
    let reason = breach.context.reason.as_deref().unwrap_or_default();
    assert!(reason.contains("chat-large and embed-small"), "{reason}");
    // Every run of one silence sends the same signal, at the same time: a duplicate.
    assert_eq!(signal(t(30)), Some(paged.clone()));

    let back = signals::absence::fleet_back(m, t(40)).unwrap();
    assert_eq!(back.key, paged.key);
    assert_eq!(back.kind.name(), "recovered");
}
