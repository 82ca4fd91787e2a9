//! Unit and property tests of the lifecycle.

use proptest::prelude::*;

use super::*;
use crate::domain::{AlertKey, BreachState, EscalationPolicy, FlapPolicy, Level, SignalId, Source};

fn key() -> AlertKey {
    AlertKey::new("monitor:42|model:chat").unwrap()
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs(secs)
}

fn policy() -> EscalationPolicy {
    EscalationPolicy {
        l1_timeout_secs: Some(600),
        l2_timeout_secs: Some(900),
        max_level: Level::L3,
        renotify_secs: None,
        flapping: FlapPolicy {
            changes: 6,
            window_secs: 1800,
        },
    }
}

fn signal(id: &str, at: i64, kind: SignalKind) -> Signal {
    Signal {
        id: SignalId::new(id).unwrap(),
        key: key(),
        at: t(at),
        source: Source::Datadog,
        kind,
    }
}

fn breach(id: &str, at: i64, state: BreachState, level: Level) -> Signal {
    signal(
        id,
        at,
        SignalKind::Breach {
            breach: Breach {
                state,
                level,
                first_breach_at: None,
                context: AlertContext {
                    title: "p95 latency high".into(),
                    ..AlertContext::default()
                },
                policy: policy(),
            },
            repeat: false,
        },
    )
}

fn trigger(id: &str, at: i64) -> Signal {
    breach(id, at, BreachState::Alert, Level::L2)
}

fn recovered(id: &str, at: i64) -> Signal {
    signal(
        id,
        at,
        SignalKind::Recovered {
            context: AlertContext::default(),
        },
    )
}

fn tick(at: i64) -> Signal {
    Signal {
        source: Source::Clock,
        ..signal(&format!("tick:{at}"), at, SignalKind::Tick { policy: None })
    }
}

fn ack(id: &str, at: i64) -> Signal {
    signal(
        id,
        at,
        SignalKind::Acknowledged {
            by: "ana".into(),
            cycle: None,
            answered_elsewhere: false,
        },
    )
}

/// Applies signals in order, each processed at its own time, and collects the actions.
fn run(signals: &[Signal]) -> (Alert, Vec<Action>) {
    let mut alert = Alert::blank(key());
    let mut actions = Vec::new();
    for s in signals {
        let tr = apply(&alert, s, s.at);
        actions.extend(tr.actions);
        alert = tr.alert;
    }
    (alert, actions)
}

#[test]
fn trigger_opens_a_cycle_and_pages_at_its_level() {
    let (alert, actions) = run(&[trigger("a", 100)]);
    assert_eq!(alert.status, Status::Open);
    assert_eq!(alert.cycle, 1);
    assert_eq!(alert.level, Level::L2);
    assert_eq!(alert.opened_at, Some(t(100)));
    assert_eq!(
        actions,
        vec![Action::Page {
            level: Level::L2,
            reason: PageReason::Opened
        }]
    );
    assert_eq!(alert.owed.len(), 1);
    assert_eq!(alert.owed[0].seq, 1);
}

#[test]
fn same_delivery_twice_changes_nothing() {
    let (alert, _) = run(&[trigger("a", 100)]);
    let again = apply(&alert, &trigger("a", 100), t(130));
    assert_eq!(again.outcome, Outcome::Duplicate);
    assert!(!again.changed(&alert));
    assert!(again.actions.is_empty());
}

#[test]
fn recovered_before_triggered_is_ignored() {
    // The recovery (t=200) overtook its trigger (t=100): the trigger must not reopen.
    let (alert, actions) = run(&[recovered("r", 200), trigger("a", 100)]);
    assert_eq!(alert.status, Status::Resolved);
    assert_eq!(alert.cycle, 0);
    assert!(actions.is_empty());
}

#[test]
fn stale_recovery_never_closes_a_newer_cycle() {
    let first = run(&[trigger("a", 100), recovered("r1", 200), trigger("b", 300)]).0;
    let late = apply(&first, &recovered("r0", 150), t(320));
    assert_eq!(late.outcome, Outcome::Stale);
    assert_eq!(late.alert.status, Status::Open);
    assert_eq!(late.alert.cycle, 2);
}

#[test]
fn retrigger_after_resolve_opens_a_new_cycle() {
    let (alert, actions) = run(&[trigger("a", 100), recovered("r", 200), trigger("b", 300)]);
    assert_eq!(alert.cycle, 2);
    assert_eq!(alert.opened_at, Some(t(300)));
    let resolves = actions
        .iter()
        .filter(|a| matches!(a, Action::Resolve { .. }))
        .count();
    assert_eq!(resolves, 1);
    assert_eq!(
        actions.last(),
        Some(&Action::Page {
            level: Level::L2,
            reason: PageReason::Opened
        })
    );
}

#[test]
fn recovery_owes_one_resolve_with_the_open_duration() {
    let (alert, actions) = run(&[trigger("a", 100), recovered("r", 100 + 23 * 60)]);
    assert_eq!(alert.status, Status::Resolved);
    assert_eq!(
        actions.last(),
        Some(&Action::Resolve {
            by: None,
            open_secs: 23 * 60
        })
    );
}

#[test]
fn warn_then_alert_escalates_and_alert_then_warn_keeps_the_level() {
    let (alert, actions) = run(&[
        breach("w", 100, BreachState::Warn, Level::L1),
        breach("a", 200, BreachState::Alert, Level::L2),
        breach("w2", 300, BreachState::Warn, Level::L1),
    ]);
    assert_eq!(alert.level, Level::L2);
    assert_eq!(
        actions,
        vec![
            Action::Page {
                level: Level::L1,
                reason: PageReason::Opened
            },
            Action::Page {
                level: Level::L2,
                reason: PageReason::Worsened
            },
        ]
    );
}

#[test]
fn unanswered_alert_moves_up_a_level_after_its_timeout() {
    let (alert, actions) = run(&[trigger("a", 0), tick(600), tick(899), tick(900)]);
    assert_eq!(alert.level, Level::L3);
    assert_eq!(
        actions[1..],
        [Action::Page {
            level: Level::L3,
            reason: PageReason::Unanswered
        }]
    );
}

#[test]
fn acknowledgement_stops_escalation() {
    let (alert, actions) = run(&[trigger("a", 0), ack("k", 60), tick(2000)]);
    assert_eq!(alert.status, Status::Acknowledged);
    assert_eq!(alert.level, Level::L2);
    assert_eq!(
        actions[1],
        Action::Acknowledge {
            by: "ana".into(),
            answered_elsewhere: false
        }
    );
    assert_eq!(actions.len(), 2);
}

fn unack(id: &str, at: i64) -> Signal {
    signal(
        id,
        at,
        SignalKind::Unacknowledged {
            by: "PagerDuty".into(),
            cycle: None,
        },
    )
}

#[test]
fn an_acknowledgement_that_ran_out_lets_escalation_go_on_from_then() {
    // L2 at 0, acknowledged at 60; the acknowledgement runs out at 1860, and with nobody
    // acknowledging again L2's 900 s count from there.
    let (before, _) = run(&[trigger("a", 0), ack("k", 60), unack("u", 1860), tick(2700)]);
    assert_eq!(
        before.level,
        Level::L2,
        "the level's timeout counts from 1860"
    );
    let (alert, actions) = run(&[
        trigger("a", 0),
        ack("k", 60),
        unack("u", 1860),
        tick(2700),
        tick(2760),
    ]);
    assert_eq!(alert.status, Status::Open);
    assert_eq!(alert.level, Level::L3);
    assert!(alert.acknowledged.is_none());
    assert_eq!(
        actions[1..],
        [
            Action::Acknowledge {
                by: "ana".into(),
                answered_elsewhere: false
            },
            Action::Unacknowledge {
                by: "PagerDuty".into()
            },
            Action::Page {
                level: Level::L3,
                reason: PageReason::Unanswered
            }
        ]
    );
    // Delivered twice, it changes nothing the second time.
    let again = apply(&alert, &unack("u", 1860), t(2800));
    assert_eq!(again.outcome, Outcome::Duplicate);
}

#[test]
fn an_acknowledgement_running_out_is_ignored_unless_it_ends_the_acknowledgement_in_force() {
    let (open, _) = run(&[trigger("a", 0)]);
    let tr = apply(&open, &unack("u", 30), t(30));
    assert_eq!(tr.outcome, Outcome::Ignored("not acknowledged"));
    // Acknowledged again after the timeout fired (the two events crossed).
    let (acked, _) = run(&[trigger("a", 0), ack("k", 100)]);
    let tr = apply(&acked, &unack("u", 50), t(110));
    assert_eq!(tr.outcome, Outcome::Ignored("acknowledged again since"));
    assert_eq!(tr.alert.status, Status::Acknowledged);
    // Marked a false positive: nobody is woken for it.
    let fp = signal(
        "f",
        100,
        SignalKind::FalsePositive {
            by: "ana".into(),
            cycle: None,
        },
    );
    let (marked, _) = run(&[trigger("a", 0), fp]);
    let tr = apply(&marked, &unack("u", 200), t(200));
    assert_eq!(tr.outcome, Outcome::Ignored("marked a false positive"));
    // Another cycle's incident.
    let (newer, _) = run(&[
        trigger("a", 0),
        recovered("r", 10),
        trigger("b", 20),
        ack("k", 30),
    ]);
    let old = signal(
        "u1",
        40,
        SignalKind::Unacknowledged {
            by: "PagerDuty".into(),
            cycle: Some(1),
        },
    );
    let tr = apply(&newer, &old, t(40));
    assert_eq!(tr.outcome, Outcome::Ignored("unacknowledges another cycle"));
}

#[test]
fn acknowledgement_of_an_earlier_cycle_is_ignored() {
    let (alert, _) = run(&[trigger("a", 0), recovered("r", 10), trigger("b", 20)]);
    let old = signal(
        "k",
        30,
        SignalKind::Acknowledged {
            by: "ana".into(),
            cycle: Some(1),
            answered_elsewhere: false,
        },
    );
    let tr = apply(&alert, &old, t(30));
    assert_eq!(tr.outcome, Outcome::Ignored("acknowledges another cycle"));
    assert_eq!(tr.alert.status, Status::Open);
}

#[test]
fn max_level_caps_escalation() {
    let mut capped = trigger("a", 0);
    if let SignalKind::Breach { breach, .. } = &mut capped.kind {
        breach.policy.max_level = Level::L2;
    }
    let (alert, actions) = run(&[capped, tick(5000)]);
    assert_eq!(alert.level, Level::L2);
    assert_eq!(actions.len(), 1);
}

#[test]
fn renotify_reminds_while_unacknowledged() {
    let mut s = breach("a", 0, BreachState::Alert, Level::L1);
    if let SignalKind::Breach { breach, .. } = &mut s.kind {
        breach.policy.l1_timeout_secs = None;
        breach.policy.renotify_secs = Some(3600);
    }
    let (_, actions) = run(&[s, tick(1800), tick(3600), tick(3700)]);
    assert_eq!(actions[1..], [Action::Renotify { level: Level::L1 }]);
}

#[test]
fn datadog_renotification_reminds_once_and_opens_when_the_trigger_was_lost() {
    let mut re = trigger("re", 500);
    if let SignalKind::Breach { repeat, .. } = &mut re.kind {
        *repeat = true;
    }
    let (alert, actions) = run(&[re.clone()]);
    assert_eq!(alert.status, Status::Open);
    assert!(matches!(actions[0], Action::Page { .. }));

    let (_, actions) = run(&[trigger("a", 100), re]);
    assert_eq!(actions[1], Action::Renotify { level: Level::L2 });
}

#[test]
fn silence_holds_pages_and_pages_once_when_it_ends_still_firing() {
    let silence = signal(
        "s",
        0,
        SignalKind::Silenced {
            by: "ana".into(),
            until: t(3600),
        },
    );
    let (alert, actions) = run(&[
        silence,
        trigger("a", 100),
        tick(1000),
        tick(3600),
        tick(3660),
    ]);
    assert_eq!(alert.status, Status::Open);
    assert_eq!(
        actions,
        vec![Action::Page {
            level: Level::L2,
            reason: PageReason::SilenceEnded
        }]
    );
}

/// A page delivered, then silenced before it was answered: the escalation its timeout
/// comes due for under the silence is held like a page. When the silence ends the level
/// reached is paged again with a full timeout, not escalated at once.
#[test]
fn an_escalation_due_under_a_silence_pages_the_level_again_when_it_ends() {
    let (mut alert, mut actions) = run(&[trigger("a", 100)]);
    // The page was delivered: nothing owed for the silence to hold.
    alert.owed.clear();
    for s in [
        silenced("s", 300, 3900),
        tick(1000),
        tick(2000),
        tick(3000),
        tick(3960),
    ] {
        let tr = apply(&alert, &s, s.at);
        actions.extend(tr.actions);
        alert = tr.alert;
    }
    assert_eq!(alert.level, Level::L2);
    let pages: Vec<&Action> = actions
        .iter()
        .filter(|a| matches!(a, Action::Page { .. }))
        .collect();
    assert_eq!(
        pages,
        [
            &Action::Page {
                level: Level::L2,
                reason: PageReason::Opened
            },
            &Action::Page {
                level: Level::L2,
                reason: PageReason::SilenceEnded
            }
        ],
        "{actions:?}"
    );
    // A full timeout later, still unanswered: L3.
    let later = apply(&alert, &tick(3960 + 900 + 60), t(3960 + 900 + 60));
    assert_eq!(
        later.actions,
        [Action::Page {
            level: Level::L3,
            reason: PageReason::Unanswered
        }]
    );
}

fn silenced(id: &str, at: i64, until: i64) -> Signal {
    signal(
        id,
        at,
        SignalKind::Silenced {
            by: "sil-1-0001 (model=chat-large)".into(),
            until: t(until),
        },
    )
}

#[test]
fn a_silence_lets_a_page_under_way_finish_and_holds_one_whose_claim_ran_out() {
    let (mut alert, _) = run(&[trigger("a", 100)]);
    let seq = alert.owed[0].seq;
    // A delivery claimed the page at 105 until 225; its first step may be out, unrecorded.
    assert!(crate::escalation::claim(&mut alert, seq, t(105), t(225), 1));
    // A page behind it, marked about to go: that delivery may be sending it (its PagerDuty
    // step, while Slack holds up the first).
    let mut behind = alert.owed[0].clone();
    behind.seq = alert.next_seq;
    alert.next_seq += 1;
    behind.done = vec![OwedAction::SENDING.to_owned()];
    alert.owed.push(behind.clone());
    let during = apply(&alert, &silenced("s", 110, 7200), t(110));
    let pages = |a: &Alert| -> Vec<u64> {
        a.owed
            .iter()
            .filter(|o| matches!(o.action, Action::Page { .. }))
            .map(|o| o.seq)
            .collect()
    };
    assert_eq!(
        pages(&during.alert),
        [seq, behind.seq],
        "the pages under way finish: {:?}",
        during.alert.owed
    );
    assert_eq!(during.alert.held, 0);
    // The claim ran out (the delivery died): nothing is under way, the mark no longer
    // counts, and both pages are held.
    let after = apply(&alert, &silenced("s", 300, 7200), t(300));
    assert!(pages(&after.alert).is_empty(), "{:?}", after.alert.owed);
    assert_eq!(after.alert.held, 2);
}

/// The pages `a` owes because nobody answered: sequence number and level.
fn unanswered(a: &Alert) -> Vec<(u64, Level)> {
    a.owed
        .iter()
        .filter_map(|o| match o.action {
            Action::Page {
                level,
                reason: PageReason::Unanswered,
            } => Some((o.seq, level)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_acknowledgement_drops_the_escalation_owed_for_want_of_one_unless_under_way() {
    // Opened at L2 at 100; nobody answered in 900 s: the L3 page is owed, and PagerDuty's
    // outage keeps it in the outbox when the on-call engineer acknowledges.
    let (alert, _) = run(&[trigger("a", 100), tick(1100)]);
    let owed = unanswered(&alert);
    assert_eq!(owed.len(), 1, "{:?}", alert.owed);
    assert_eq!(alert.level, Level::L3);
    let acked = apply(&alert, &ack("k", 1130), t(1130));
    // Back at the level paged: when the acknowledgement runs out, L3 is paged after its
    // timeout.
    assert_eq!(acked.alert.level, Level::L2);
    assert!(
        unanswered(&acked.alert).is_empty(),
        "{:?}",
        acked.alert.owed
    );
    // The opening page stays owed: only what was owed for want of an answer goes.
    assert!(acked.alert.owed.iter().any(|o| matches!(
        o.action,
        Action::Page {
            reason: PageReason::Opened,
            ..
        }
    )));
    // A delivery of it under way (sent behind the claimed opening page, its trigger maybe
    // out) finishes.
    let mut claimed = alert.clone();
    let head = claimed.owed[0].seq;
    assert!(crate::escalation::claim(
        &mut claimed,
        head,
        t(1120),
        t(1240),
        1
    ));
    assert!(crate::escalation::mark_sending(&mut claimed, owed[0].0));
    let acked = apply(&claimed, &ack("k", 1130), t(1130));
    assert_eq!(unanswered(&acked.alert), owed);
    assert_eq!(acked.alert.level, Level::L3);
}

#[test]
fn an_acknowledgement_keeps_an_escalation_to_a_level_the_breaches_since_asked_for() {
    // A warning escalates unanswered to L2 (its page held up), then the monitor goes
    // critical, which asks for L2: no page of its own, the alert being at L2 already.
    let (alert, _) = run(&[
        breach("a", 100, BreachState::Warn, Level::L1),
        tick(800),
        breach("b", 850, BreachState::Alert, Level::L2),
    ]);
    assert_eq!(alert.level, Level::L2);
    let acked = apply(&alert, &ack("k", 900), t(900));
    let levels: Vec<Level> = unanswered(&acked.alert).iter().map(|p| p.1).collect();
    assert_eq!(
        levels,
        [Level::L2],
        "on-call is paged for the critical breach: {:?}",
        acked.alert.owed
    );
    assert_eq!(acked.alert.level, Level::L2);
}

#[test]
fn an_alert_stored_before_breach_levels_were_kept_drops_nothing_on_an_acknowledgement() {
    let (mut alert, _) = run(&[trigger("a", 100), tick(1100)]);
    alert.breach_level = None;
    let acked = apply(&alert, &ack("k", 1130), t(1130));
    assert!(!unanswered(&alert).is_empty());
    assert_eq!(
        unanswered(&acked.alert),
        unanswered(&alert),
        "kept, as before this version"
    );
    assert_eq!(acked.alert.level, alert.level);
}

#[test]
fn a_silence_holds_the_page_not_yet_sent_and_expiring_it_early_pages_once() {
    // The trigger's page is owed (the escalator has not delivered it) when the silence
    // arrives: it is held, not lost.
    let (alert, _) = run(&[trigger("a", 100), silenced("s", 110, 7200)]);
    assert!(
        !alert
            .owed
            .iter()
            .any(|o| matches!(o.action, Action::Page { .. })),
        "{:?}",
        alert.owed
    );
    assert_eq!(alert.held, 1);
    assert!(alert.is_silenced(t(200)));

    // Expired at 600 (`until` at or before the signal's time): paged now, once.
    let ended = apply(&alert, &silenced("x", 600, 600), t(600));
    assert_eq!(
        ended.actions,
        vec![Action::Page {
            level: Level::L2,
            reason: PageReason::SilenceEnded
        }]
    );
    assert_eq!(ended.alert.held, 0);
    assert!(!ended.alert.is_silenced(t(601)));
    let again = apply(&ended.alert, &silenced("y", 700, 700), t(700));
    assert!(again.actions.is_empty(), "{:?}", again.actions);
}

#[test]
fn what_a_silence_held_is_not_paged_when_the_alert_recovered_meanwhile() {
    let (alert, actions) = run(&[
        silenced("s", 0, 3600),
        trigger("a", 100),
        recovered("r", 1000),
        tick(3600),
        tick(3660),
    ]);
    assert_eq!(alert.status, Status::Resolved);
    assert!(
        !actions.iter().any(|a| matches!(a, Action::Page { .. })),
        "{actions:?}"
    );
}

#[test]
fn flapping_gives_one_summary_and_holds_notifications() {
    let mut signals = Vec::new();
    for i in 0..10 {
        signals.push(trigger(&format!("t{i}"), i * 120));
        signals.push(recovered(&format!("r{i}"), i * 120 + 60));
    }
    let (alert, actions) = run(&signals);
    let summaries = actions
        .iter()
        .filter(|a| matches!(a, Action::FlappingStarted { .. }))
        .count();
    assert_eq!(summaries, 1);
    let pages = actions
        .iter()
        .filter(|a| matches!(a, Action::Page { .. }))
        .count();
    assert_eq!(pages, 3, "pages before flapping was detected: {actions:?}");
    assert!(alert.is_flapping());
    assert!(
        alert.status.is_open(),
        "a recovery while flapping does not resolve"
    );

    // A quiet window later it resolves, once.
    let tr = apply(&alert, &tick(1200 + 1800), t(1200 + 1800));
    assert!(!tr.alert.is_flapping());
    assert_eq!(tr.alert.status, Status::Resolved);
    assert!(matches!(tr.actions[..], [Action::Resolve { .. }]));
}

/// A Datadog notification is dated at its transition, after its evaluation window
/// breached: the onset is unknown, and time to detect is not measured from it. An
/// evaluator's breach names its first breaching point.
#[test]
fn the_first_breach_is_known_only_when_the_source_says_it() {
    let (alert, _) = run(&[trigger("a", 600)]);
    assert_eq!(alert.first_breach_at, None);
    assert_eq!(alert.opened_at, Some(t(600)));
    let mut known = trigger("b", 600);
    if let SignalKind::Breach { breach, .. } = &mut known.kind {
        breach.first_breach_at = Some(t(420));
    }
    let (alert, _) = run(&[known]);
    assert_eq!(alert.first_breach_at, Some(t(420)));
}

/// A monitor moving between warn and alert fires all along: that is not flapping, and its
/// worsening pages each time it worsens past the level paged.
#[test]
fn moving_between_warn_and_alert_is_not_flapping_and_the_worsened_page_goes() {
    let warn = |id: &str, at: i64| breach(id, at, BreachState::Warn, Level::L1);
    let mut signals = Vec::new();
    for i in 0..5 {
        signals.push(warn(&format!("w{i}"), i * 120));
        signals.push(trigger(&format!("t{i}"), i * 120 + 60));
    }
    let (alert, actions) = run(&signals);
    assert!(!alert.is_flapping(), "{:?}", alert.flapping);
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::FlappingStarted { .. })),
        "{actions:?}"
    );
    let pages: Vec<Level> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Page { level, .. } => Some(*level),
            _ => None,
        })
        .collect();
    assert_eq!(pages, [Level::L1, Level::L2], "{actions:?}");

    // Warn, recovered, warn, recovered, warn, then the trigger: five changes in and out of
    // firing, and the sixth is the worsening itself, which still pages at L2.
    let signals = [
        warn("a", 0),
        recovered("b", 60),
        warn("c", 120),
        recovered("d", 180),
        warn("e", 240),
        trigger("f", 300),
    ];
    let (_, actions) = run(&signals);
    assert!(
        actions.iter().any(|a| matches!(
            a,
            Action::Page {
                level: Level::L2,
                ..
            }
        )),
        "{actions:?}"
    );
}

/// Ten incidents two hours apart, delivered within seconds (a backlog after an outage): the
/// monitor did not flap, so each pages once and resolves.
#[test]
fn a_backlog_of_transitions_hours_apart_is_not_flapping() {
    let delivered_at = t(10 * 7200);
    let mut alert = Alert::blank(key());
    let mut pages = 0;
    let mut resolves = 0;
    for i in 0..10 {
        for s in [
            trigger(&format!("t{i}"), i * 7200),
            recovered(&format!("r{i}"), i * 7200 + 600),
        ] {
            let tr = apply(&alert, &s, delivered_at.plus_secs(i as u64));
            pages += tr
                .actions
                .iter()
                .filter(|a| matches!(a, Action::Page { .. }))
                .count();
            resolves += tr
                .actions
                .iter()
                .filter(|a| matches!(a, Action::Resolve { .. }))
                .count();
            assert!(
                !tr.actions
                    .iter()
                    .any(|a| matches!(a, Action::FlappingStarted { .. })),
                "incident {i}: {:?}",
                tr.actions
            );
            alert = tr.alert;
        }
    }
    assert_eq!((pages, resolves), (10, 10));
    assert_eq!(alert.status, Status::Resolved);
}

#[test]
fn false_positive_marks_and_acknowledges() {
    let fp = signal(
        "fp",
        50,
        SignalKind::FalsePositive {
            by: "ana".into(),
            cycle: Some(1),
        },
    );
    let (alert, actions) = run(&[trigger("a", 0), fp]);
    assert!(alert.false_positive.is_some());
    assert_eq!(alert.status, Status::Acknowledged);
    assert!(matches!(actions[1], Action::Note { .. }));
    assert_eq!(
        actions[2],
        Action::Acknowledge {
            by: "ana".into(),
            answered_elsewhere: false
        }
    );
}

/// A cycle over can still be marked a false positive (its message keeps the button), with
/// nothing to acknowledge; one a later cycle replaced cannot, as the alert holds the
/// later cycle's facts.
#[test]
fn a_recovered_cycle_can_be_marked_a_false_positive_and_an_earlier_one_cannot() {
    let fp = |id: &str, at: i64, cycle: u32| {
        signal(
            id,
            at,
            SignalKind::FalsePositive {
                by: "ana".into(),
                cycle: Some(cycle),
            },
        )
    };
    let (alert, actions) = run(&[trigger("a", 0), recovered("r", 60), fp("fp", 600, 1)]);
    assert_eq!(alert.status, Status::Resolved);
    assert_eq!(
        alert.false_positive.as_ref().map(|m| m.by.as_str()),
        Some("ana")
    );
    assert!(alert.acknowledged.is_none());
    assert!(
        matches!(actions.last(), Some(Action::Note { text }) if text.contains("false positive")),
        "{actions:?}"
    );
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::Acknowledge { .. }))
    );

    let signals = [
        trigger("a", 0),
        recovered("r", 60),
        trigger("b", 120),
        fp("fp", 600, 1),
    ];
    let (alert, _) = run(&signals);
    let last = apply(
        &run(&signals[..3]).0,
        &signals[3],
        Timestamp::from_secs(600),
    );
    assert_eq!(last.outcome, Outcome::Ignored("marks another cycle"));
    assert!(alert.false_positive.is_none());
}

/// Trigger and recovery `pairs` times from `start`, a minute apart, then a last trigger.
fn flaps(start: i64, pairs: i64) -> Vec<Signal> {
    let mut signals = Vec::new();
    for i in 0..pairs {
        signals.push(trigger(&format!("t{i}"), start + i * 120));
        signals.push(recovered(&format!("r{i}"), start + i * 120 + 60));
    }
    signals.push(trigger("last", start + pairs * 120));
    signals
}

/// Flapping that begins under a silence posts nothing: its summary is held as a page is,
/// and the silence's end pages once for everything held.
#[test]
fn a_silence_holds_the_flapping_summary_and_pages_once_when_it_ends() {
    let mut signals = vec![silenced("s", 0, 7200)];
    signals.extend(flaps(100, 3));
    let (alert, actions) = run(&signals);
    assert!(alert.is_flapping());
    assert!(
        actions
            .iter()
            .all(|a| matches!(a, Action::Note { .. } | Action::Resolve { .. })),
        "nothing posted or paged under the silence: {actions:?}"
    );
    // The flapping ends under the silence, and the silence then: one page.
    let (_, after) = run(&[signals.clone(), vec![tick(3000), tick(7300)]].concat());
    let pages: Vec<&Action> = after
        .iter()
        .filter(|a| matches!(a, Action::Page { .. } | Action::FlappingStarted { .. }))
        .collect();
    assert_eq!(
        pages,
        [&Action::Page {
            level: Level::L2,
            reason: PageReason::SilenceEnded
        }]
    );
}

/// An alert answered while it flapped (acknowledged, or marked a false positive) is not
/// paged when the flapping ends with its monitor still firing: nobody is woken for it.
#[test]
fn flapping_that_ends_pages_nobody_for_an_answered_alert() {
    let fp = signal(
        "fp",
        500,
        SignalKind::FalsePositive {
            by: "ana".into(),
            cycle: None,
        },
    );
    for answer in [ack("k", 500), fp] {
        let mut signals = flaps(0, 3);
        signals.push(answer);
        let (alert, before) = run(&signals);
        assert!(alert.is_flapping() && alert.status == Status::Acknowledged);
        let ended = apply(&alert, &tick(360 + 1800), t(360 + 1800));
        assert_eq!(ended.outcome, Outcome::Applied);
        assert!(!ended.alert.is_flapping());
        assert_eq!(ended.alert.status, Status::Acknowledged);
        assert!(
            ended.actions.is_empty(),
            "{:?} after {before:?}",
            ended.actions
        );
    }
    // Unanswered, it is paged.
    let (alert, _) = run(&flaps(0, 3));
    let ended = apply(&alert, &tick(360 + 1800), t(360 + 1800));
    assert_eq!(
        ended.actions,
        [Action::Page {
            level: Level::L2,
            reason: PageReason::FlappingEnded
        }]
    );
}

/// Flapping and a silence that end at the same tick page once, not once each.
#[test]
fn flapping_and_a_silence_ending_together_page_once() {
    let signals = [
        trigger("t0", 0),
        recovered("r0", 60),
        trigger("t1", 120),
        recovered("r1", 180),
        silenced("s", 200, 1000),
        trigger("t2", 240),
        recovered("r2", 300),
        trigger("t3", 360),
        tick(2160),
    ];
    let (alert, actions) = run(&signals);
    assert!(!alert.is_flapping());
    let pages: Vec<&Action> = actions
        .iter()
        .filter(|a| matches!(a, Action::Page { .. }))
        .collect();
    // The first cycle's and the second's opening pages, then one at the end.
    assert_eq!(pages.len(), 3, "{actions:?}");
    assert_eq!(
        pages[2],
        &Action::Page {
            level: Level::L2,
            reason: PageReason::FlappingEnded
        }
    );
}

/// An acknowledgement dated before a delivery gave its claim up (a 429) drops the
/// escalation it claimed: whether a delivery is under way is a matter of when the
/// acknowledgement is applied, the claims' clock, not of when it was made.
#[test]
fn an_acknowledgement_drops_an_escalation_whose_claim_was_given_up_before_it_applied() {
    let (mut alert, _) = run(&[trigger("a", 100), tick(1100)]);
    let l3 = unanswered(&alert);
    assert_eq!(l3.len(), 1);
    // The opening page went; the L3 page was claimed at 1101 and given up at 1102.
    alert.owed.retain(|o| o.seq == l3[0].0);
    assert!(crate::escalation::claim(
        &mut alert,
        l3[0].0,
        t(1101),
        t(1221),
        1
    ));
    assert!(crate::escalation::release(&mut alert, l3[0].0, 1, t(1102)));
    let acked = apply(&alert, &ack("k", 1101), t(1105));
    assert_eq!(acked.alert.status, Status::Acknowledged);
    assert!(
        unanswered(&acked.alert).is_empty(),
        "{:?}",
        acked.alert.owed
    );
}

/// A worsening that a silence held back pages when the silence ends, even though someone
/// acknowledged the alert before it: a new severity is news to them, as it is without a
/// silence. Ended by its time or early. Nothing else held pages an acknowledged alert.
#[test]
fn a_worsening_held_by_a_silence_pages_an_acknowledged_alert_when_it_ends() {
    let held = [
        trigger("a", 0),
        ack("k", 60),
        silenced("s", 100, 3700),
        breach("b", 200, BreachState::Alert, Level::L3),
    ];
    let worsened = Action::Page {
        level: Level::L3,
        reason: PageReason::Worsened,
    };
    let (alert, actions) = run(&held);
    assert_eq!(alert.level, Level::L3);
    assert!(!actions.contains(&worsened), "held: {actions:?}");
    let ended = apply(&alert, &tick(3760), t(3760));
    assert_eq!(ended.actions, std::slice::from_ref(&worsened));
    assert_eq!(ended.alert.held_worsening, None);
    let early = apply(&alert, &silenced("s2", 1000, 1000), t(1000));
    assert_eq!(early.actions, [worsened]);
    // A repeat held, no worsening: the acknowledged alert is not paged.
    let mut repeat = trigger("r", 200);
    if let SignalKind::Breach { repeat: r, .. } = &mut repeat.kind {
        *r = true;
    }
    let (alert, _) = run(&[
        trigger("a", 0),
        ack("k", 60),
        silenced("s", 100, 3700),
        repeat,
    ]);
    assert!(apply(&alert, &tick(3760), t(3760)).actions.is_empty());
}

fn handed_on(id: &str, at: i64) -> Signal {
    signal(
        id,
        at,
        SignalKind::Unacknowledged {
            by: "reassigned in PagerDuty by Ben".into(),
            cycle: None,
        },
    )
}

/// An acknowledgement that PagerDuty redelivered after the hand-on that followed it (its
/// first delivery went unanswered) is over: the incident stays with its new assignees,
/// and the alert escalates. Acknowledged again after the hand-on, it is acknowledged.
#[test]
fn an_acknowledgement_arriving_after_the_hand_on_that_followed_it_is_over() {
    let (alert, actions) = run(&[trigger("a", 0), handed_on("h", 120), ack("k", 100)]);
    assert_eq!(alert.status, Status::Open);
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::Acknowledge { .. })),
        "{actions:?}"
    );
    let escalated = apply(&alert, &tick(900), t(900));
    assert_eq!(escalated.alert.level, Level::L3);
    // In order, and a new acknowledgement after the hand-on.
    let (alert, _) = run(&[trigger("a", 0), ack("k", 100), handed_on("h", 120)]);
    assert_eq!(alert.status, Status::Open);
    let again = apply(&alert, &ack("k2", 150), t(150));
    assert_eq!(again.alert.status, Status::Acknowledged);
}

/// A worsening while the alert flaps, acknowledged by then, pages when the flapping ends:
/// a new severity is news to whoever is on it, as without flapping.
#[test]
fn a_worsening_while_flapping_pages_an_acknowledged_alert_when_the_flapping_ends() {
    let warn = |id: &str, at: i64| breach(id, at, BreachState::Warn, Level::L1);
    let (alert, actions) = run(&[
        warn("w0", 0),
        recovered("r0", 60),
        warn("w1", 120),
        recovered("r1", 180),
        warn("w2", 240),
        ack("k", 250),
        recovered("r2", 300),
        breach("c", 360, BreachState::Alert, Level::L3),
    ]);
    assert!(alert.is_flapping() && alert.status == Status::Acknowledged);
    assert_eq!(alert.level, Level::L3);
    assert!(
        !actions.iter().any(|a| matches!(
            a,
            Action::Page {
                reason: PageReason::Worsened,
                ..
            }
        )),
        "held while flapping: {actions:?}"
    );
    let ended = apply(&alert, &tick(360 + 1800), t(360 + 1800));
    assert_eq!(
        ended.actions,
        [Action::Page {
            level: Level::L3,
            reason: PageReason::Worsened
        }]
    );
}

/// A silence ended early while the alert still flaps pages nothing yet: the flapping's
/// end pages once for both.
#[test]
fn a_silence_ended_while_flapping_leaves_one_page_to_the_flapping_end() {
    let mut signals = vec![silenced("s", 0, 7200)];
    signals.extend(flaps(100, 3));
    let (alert, _) = run(&signals);
    assert!(alert.is_flapping());
    let ended = apply(&alert, &silenced("s2", 1000, 1000), t(1000));
    assert!(ended.actions.is_empty(), "{:?}", ended.actions);
    let (_, actions) = run(&[
        signals,
        vec![silenced("s2", 1000, 1000), tick(2260), tick(2400)],
    ]
    .concat());
    let pages: Vec<&Action> = actions
        .iter()
        .filter(|a| matches!(a, Action::Page { .. }))
        .collect();
    assert_eq!(
        pages,
        [&Action::Page {
            level: Level::L2,
            reason: PageReason::FlappingEnded
        }]
    );
}

/// Flapping that ends at a tick made before a silence's end and applied after it pages
/// once, not once more at the next tick.
#[test]
fn flapping_ending_across_a_silences_end_pages_once() {
    let mut signals = vec![silenced("s", 0, 2270)];
    signals.extend(flaps(100, 3));
    let (alert, _) = run(&signals);
    let ended = apply(&alert, &tick(2260), t(2280));
    let next = apply(&ended.alert, &tick(2400), t(2400));
    let pages: Vec<&Action> = ended
        .actions
        .iter()
        .chain(&next.actions)
        .filter(|a| matches!(a, Action::Page { .. }))
        .collect();
    assert_eq!(pages.len(), 1, "{pages:?}");
}

/// A silence judges a delivery under way by when it is applied: a claim given up before
/// then no longer lets its page through.
#[test]
fn a_silence_holds_a_page_whose_claim_was_given_up_before_it_applied() {
    let (mut alert, _) = run(&[trigger("a", 100)]);
    let seq = alert.owed[0].seq;
    assert!(crate::escalation::claim(
        &mut alert,
        seq,
        t(1101),
        t(1221),
        1
    ));
    assert!(crate::escalation::release(&mut alert, seq, 1, t(1102)));
    let silenced = apply(&alert, &silenced("s", 1101, 9000), t(1105));
    assert!(
        silenced.alert.owed.iter().all(|o| o.seq != seq),
        "{:?}",
        silenced.alert.owed
    );
    assert_eq!(silenced.alert.held, 1);
}

#[test]
fn person_resolving_closes_even_a_flapping_alert() {
    let resolved = signal(
        "pd",
        50,
        SignalKind::Resolved {
            by: "pagerduty".into(),
            cycle: None,
        },
    );
    let (alert, actions) = run(&[trigger("a", 0), resolved]);
    assert_eq!(alert.status, Status::Resolved);
    assert_eq!(alert.resolved_by.as_deref(), Some("pagerduty"));
    assert!(matches!(actions[1], Action::Resolve { .. }));
}

fn resolved_by(id: &str, at: i64, by: &str, cycle: Option<u32>) -> Signal {
    signal(
        id,
        at,
        SignalKind::Resolved {
            by: by.into(),
            cycle,
        },
    )
}

fn reopened(id: &str, at: i64, cycle: Option<u32>) -> Signal {
    signal(
        id,
        at,
        SignalKind::Reopened {
            by: "dana".into(),
            cycle,
        },
    )
}

#[test]
fn an_incident_reopened_while_its_monitor_fires_opens_the_alert_again_for_its_recovery() {
    // Dana resolves in PagerDuty at 300 while the monitor fires, and reopens at 400.
    let (alert, actions) = run(&[
        trigger("a", 0),
        ack("k", 60),
        resolved_by("pd", 300, "dana", Some(1)),
        reopened("re", 400, Some(1)),
    ]);
    assert_eq!(
        (alert.status, alert.cycle, alert.level),
        (Status::Open, 1, Level::L2)
    );
    assert!(alert.resolved_at.is_none() && alert.resolved_by.is_none());
    assert!(alert.acknowledged.is_none());
    assert_eq!(alert.level_since, Some(t(400)));
    assert_eq!(actions.last(), Some(&Action::Reopen { by: "dana".into() }));
    // Dana's resolve, not yet sent, is dropped: sent now it would close the reopened
    // incident.
    assert!(
        !alert
            .owed
            .iter()
            .any(|o| matches!(o.action, Action::Resolve { .. })),
        "{:?}",
        alert.owed
    );
    // The monitor's recovery resolves it (and so every service paged), as for any cycle.
    let tr = apply(&alert, &recovered("r", 500), t(500));
    assert_eq!(tr.alert.status, Status::Resolved);
    assert!(matches!(tr.actions[..], [Action::Resolve { by: None, .. }]));
    // Unanswered, it escalates from the reopen.
    let tr = apply(&alert, &tick(400 + 900), t(400 + 900));
    assert_eq!(tr.alert.level, Level::L3);
    // Delivered again, nothing.
    assert_eq!(
        apply(&alert, &reopened("re", 400, Some(1)), t(450)).outcome,
        Outcome::Duplicate
    );
}

#[test]
fn a_false_positive_reopened_is_open_again_acknowledged_by_its_mark() {
    let fp = signal(
        "fp",
        60,
        SignalKind::FalsePositive {
            by: "ana".into(),
            cycle: None,
        },
    );
    let (alert, _) = run(&[
        trigger("a", 0),
        fp,
        resolved_by("pd", 300, "dana", Some(1)),
        reopened("re", 400, Some(1)),
    ]);
    assert_eq!(alert.status, Status::Acknowledged);
    assert_eq!(
        alert.acknowledged.as_ref().map(|m| m.by.as_str()),
        Some("ana")
    );
    // Nobody is woken for it.
    let tr = apply(&alert, &tick(400 + 3600), t(400 + 3600));
    assert_eq!(tr.alert.level, Level::L2);
    assert!(tr.actions.is_empty(), "{:?}", tr.actions);
}

#[test]
fn a_reopen_changes_nothing_the_monitor_closed_or_another_cycle_holds() {
    let ignored = |signals: &[Signal], why: &str| {
        let (before, _) = run(&signals[..signals.len() - 1]);
        let last = &signals[signals.len() - 1];
        let tr = apply(&before, last, last.at);
        assert_eq!(
            tr.outcome,
            Outcome::Ignored(match why {
                "recovered" => "its monitor recovered: the incident is the reopener's",
                "since" => "its monitor has recovered since",
                "open" => "already open",
                "cycle" => "reopens another cycle",
                _ => "resolved again since",
            })
        );
        assert!(tr.actions.is_empty());
    };
    // Closed by its monitor's recovery.
    ignored(
        &[
            trigger("a", 0),
            recovered("r", 100),
            reopened("re", 200, Some(1)),
        ],
        "recovered",
    );
    // Resolved by a person, then the monitor recovered.
    ignored(
        &[
            trigger("a", 0),
            resolved_by("pd", 100, "dana", Some(1)),
            recovered("r", 150),
            reopened("re", 200, Some(1)),
        ],
        "since",
    );
    ignored(&[trigger("a", 0), reopened("re", 200, Some(1))], "open");
    ignored(
        &[
            trigger("a", 0),
            resolved_by("pd", 100, "dana", Some(1)),
            reopened("re", 200, Some(2)),
        ],
        "cycle",
    );
    // A reopen from before the resolve it would undo.
    ignored(
        &[
            trigger("a", 0),
            resolved_by("pd", 300, "dana", Some(1)),
            reopened("re", 200, Some(1)),
        ],
        "again",
    );
}

/// PagerDuty delivers a reopen before the resolve it undid (a retried delivery, or two
/// intake instances at once): the resolve, and an acknowledgement, made before the reopen
/// are over when they arrive. The alert stays open and escalating; nothing goes to
/// PagerDuty, where a resolve would close the reopened incident.
#[test]
fn a_resolve_or_acknowledgement_delivered_after_the_reopen_that_followed_it_is_over() {
    let in_pagerduty = |s: Signal| Signal {
        source: Source::PagerDuty,
        ..s
    };
    let (reopened_first, _) = run(&[trigger("a", 0), reopened("re", 400, Some(1))]);
    assert_eq!(reopened_first.status, Status::Open);
    for late in [
        in_pagerduty(resolved_by("pd", 300, "dana", Some(1))),
        in_pagerduty(ack("ack", 250)),
    ] {
        let tr = apply(&reopened_first, &late, t(500));
        assert!(
            matches!(tr.outcome, Outcome::Ignored(_)),
            "{:?}: {:?}",
            late.kind,
            tr.outcome
        );
        assert!(tr.actions.is_empty(), "{:?}", tr.actions);
        assert_eq!(tr.alert.status, Status::Open);
    }
    // A resolve made after the reopen still resolves.
    let tr = apply(
        &reopened_first,
        &in_pagerduty(resolved_by("pd2", 450, "dana", Some(1))),
        t(500),
    );
    assert_eq!(tr.alert.status, Status::Resolved);
    // A hand-on (PagerDuty escalating the other level's incident) is no reopen: a resolve
    // made before it still resolves.
    let (handed, _) = run(&[trigger("a", 0), in_pagerduty(handed_on("esc", 400))]);
    let tr = apply(
        &handed,
        &in_pagerduty(resolved_by("pd", 390, "dana", Some(1))),
        t(500),
    );
    assert_eq!(tr.alert.status, Status::Resolved, "{:?}", tr.outcome);
    // Reopened from resolved, a stale acknowledgement does not answer the reopened alert.
    let (reopened, _) = run(&[
        trigger("a", 0),
        resolved_by("pd", 300, "dana", Some(1)),
        reopened("re", 400, Some(1)),
    ]);
    assert_eq!(reopened.status, Status::Open);
    let tr = apply(&reopened, &ack("ack", 250), t(500));
    assert_eq!(tr.alert.status, Status::Open, "{:?}", tr.outcome);
}

#[test]
fn a_resolve_of_an_earlier_cycles_incident_leaves_the_cycle_open_now() {
    let (alert, _) = run(&[trigger("a", 0), recovered("r", 10), trigger("b", 20)]);
    assert_eq!((alert.status, alert.cycle), (Status::Open, 2));
    let old = signal(
        "pd",
        30,
        SignalKind::Resolved {
            by: "dana".into(),
            cycle: Some(1),
        },
    );
    let tr = apply(&alert, &old, t(30));
    assert_eq!(tr.outcome, Outcome::Ignored("resolves another cycle"));
    assert_eq!(tr.alert.status, Status::Open);
}

#[test]
fn a_resolve_of_a_cycle_already_closed_leaves_a_later_breach_to_open_the_next() {
    // Recovered at 100; PagerDuty's echo of that resolve is stamped 160 (the escalator was
    // slow); the monitor breached again at 130. The echo must not make that breach stale.
    let echo = signal(
        "pd-echo",
        160,
        SignalKind::Resolved {
            by: "PagerDuty".into(),
            cycle: None,
        },
    );
    let (alert, _) = run(&[trigger("a", 0), recovered("r", 100), echo.clone()]);
    assert_eq!(alert.status, Status::Resolved);
    // Delivered again, it is a duplicate.
    let tr = apply(&alert, &echo, t(165));
    assert_eq!(tr.outcome, Outcome::Duplicate);
    let again = apply(&alert, &trigger("b", 130), t(170));
    assert_eq!(again.outcome, Outcome::Applied);
    assert_eq!((again.alert.status, again.alert.cycle), (Status::Open, 2));
    // A trigger from before the recovery is still stale.
    let old = apply(&alert, &trigger("c", 90), t(170));
    assert_eq!(old.outcome, Outcome::Stale);
}

// ---- properties ----

#[derive(Debug, Clone)]
enum Gen {
    /// A breach at a level, repeated or not, under a time policy's cap (as the
    /// configuration gives it: never below the breach's own level).
    Breach(BreachState, Level, bool, Level),
    Recovered,
    Resolved(Option<u32>),
    Ack(Option<u32>),
    Unack(Option<u32>),
    FalsePositive,
    Reopened(Option<u32>),
    Silence(i64),
    /// A clock tick, with the policy in force now capped at a level, or keeping the alert's.
    Tick(Option<Level>),
}

fn gen_signal() -> impl Strategy<Value = (Gen, i64)> {
    let state = prop_oneof![
        Just(BreachState::Alert),
        Just(BreachState::Warn),
        Just(BreachState::NoData)
    ];
    let level = || prop_oneof![Just(Level::L1), Just(Level::L2), Just(Level::L3)];
    let kind = prop_oneof![
        6 => (state, level(), any::<bool>(), level())
            .prop_map(|(s, l, r, cap)| Gen::Breach(s, l, r, cap)),
        4 => Just(Gen::Recovered),
        1 => proptest::option::of(1u32..4).prop_map(Gen::Resolved),
        2 => proptest::option::of(1u32..4).prop_map(Gen::Ack),
        1 => proptest::option::of(1u32..4).prop_map(Gen::Unack),
        1 => Just(Gen::FalsePositive),
        1 => proptest::option::of(1u32..4).prop_map(Gen::Reopened),
        1 => (60i64..7200).prop_map(Gen::Silence),
        4 => proptest::option::of(level()).prop_map(Gen::Tick),
    ];
    // Source times spread so that out-of-order delivery is common.
    (kind, 0i64..20_000)
}

fn build(n: usize, (g, at): &(Gen, i64)) -> Signal {
    let id = format!("s{n}");
    match g {
        Gen::Breach(state, level, repeat, cap) => {
            let mut s = breach(&id, *at, *state, *level);
            if let SignalKind::Breach { repeat: r, breach } = &mut s.kind {
                *r = *repeat;
                breach.policy.max_level = (*cap).max(*level);
            }
            s
        }
        Gen::Recovered => recovered(&id, *at),
        Gen::Resolved(cycle) => signal(
            &id,
            *at,
            SignalKind::Resolved {
                by: "pd".into(),
                cycle: *cycle,
            },
        ),
        Gen::Ack(cycle) => signal(
            &id,
            *at,
            SignalKind::Acknowledged {
                by: "ana".into(),
                cycle: *cycle,
                answered_elsewhere: false,
            },
        ),
        Gen::Unack(cycle) => signal(
            &id,
            *at,
            SignalKind::Unacknowledged {
                by: "pd".into(),
                cycle: *cycle,
            },
        ),
        Gen::FalsePositive => signal(
            &id,
            *at,
            SignalKind::FalsePositive {
                by: "ana".into(),
                cycle: None,
            },
        ),
        Gen::Reopened(cycle) => signal(
            &id,
            *at,
            SignalKind::Reopened {
                by: "dana".into(),
                cycle: *cycle,
            },
        ),
        Gen::Silence(len) => signal(
            &id,
            *at,
            SignalKind::Silenced {
                by: "ana".into(),
                until: t(at + len),
            },
        ),
        Gen::Tick(None) => tick(*at),
        Gen::Tick(Some(cap)) => Signal {
            source: Source::Clock,
            ..signal(
                &format!("tick:{at}"),
                *at,
                SignalKind::Tick {
                    policy: Some(EscalationPolicy {
                        max_level: *cap,
                        ..policy()
                    }),
                },
            )
        },
    }
}

/// Delivers in order; processing time only moves forward and is never before a signal's
/// own time (ticks come from the clock, so they are never from the future).
fn deliver(order: &[Signal]) -> (Alert, Vec<Action>) {
    let mut alert = Alert::blank(key());
    let mut actions = Vec::new();
    let mut now = t(0);
    for s in order {
        now = now.max(s.at);
        let tr = apply(&alert, s, now);
        actions.extend(tr.actions);
        alert = tr.alert;
    }
    (alert, actions)
}

fn signals_with_duplicates() -> impl Strategy<Value = (Vec<Signal>, Vec<Signal>)> {
    proptest::collection::vec(gen_signal(), 1..40).prop_flat_map(|gens| {
        let signals: Vec<Signal> = gens.iter().enumerate().map(|(i, g)| build(i, g)).collect();
        let n = signals.len();
        // For each signal, a place after its first delivery where its copy goes.
        let offsets = proptest::collection::vec(0usize..=n, n);
        (Just(signals), offsets).prop_map(move |(signals, offsets)| {
            let mut with_dups: Vec<(usize, u8, Signal)> = Vec::new();
            for (i, s) in signals.iter().enumerate() {
                with_dups.push((i * 2, 0, s.clone()));
                let slot = (i + offsets[i].min(n - i)) * 2 + 1;
                with_dups.push((slot, 1, s.clone()));
            }
            with_dups.sort_by_key(|(slot, copy, _)| (*slot, *copy));
            let dup_order = with_dups.into_iter().map(|(_, _, s)| s).collect();
            (signals, dup_order)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn delivering_everything_twice_equals_delivering_once((once, twice) in signals_with_duplicates()) {
        let (a1, acts1) = deliver(&once);
        let (a2, acts2) = deliver(&twice);
        prop_assert_eq!(acts1, acts2);
        prop_assert_eq!(a1.owed, a2.owed);
        prop_assert_eq!(a1.status, a2.status);
        prop_assert_eq!(a1.level, a2.level);
        prop_assert_eq!(a1.cycle, a2.cycle);
    }

    /// Nothing is delivered here, so a reopen drops the resolve it undoes: a closed cycle
    /// owes one resolve, an open one none, however often it was reopened.
    #[test]
    fn every_resolved_cycle_owes_exactly_one_resolve(gens in proptest::collection::vec(gen_signal(), 1..60)) {
        let signals: Vec<Signal> = gens.iter().enumerate().map(|(i, g)| build(i, g)).collect();
        let (alert, _) = deliver(&signals);
        for cycle in 1..=alert.cycle {
            let resolves = alert.owed.iter()
                .filter(|o| o.cycle == cycle && matches!(o.action, Action::Resolve { .. }))
                .count();
            let closed = cycle < alert.cycle || alert.status == Status::Resolved;
            prop_assert_eq!(resolves, usize::from(closed), "cycle {} of {:?}", cycle, alert.owed);
        }
    }

    /// Levels only go up within a cycle, but for an answer (an acknowledgement, a false
    /// positive) dropping an escalation that had not gone out: the level comes back below
    /// that page's.
    #[test]
    fn levels_only_go_up_within_a_cycle(gens in proptest::collection::vec(gen_signal(), 1..60)) {
        let signals: Vec<Signal> = gens.iter().enumerate().map(|(i, g)| build(i, g)).collect();
        let mut alert = Alert::blank(key());
        let mut now = t(0);
        for s in &signals {
            now = now.max(s.at);
            let next = apply(&alert, s, now).alert;
            if next.cycle == alert.cycle && next.level < alert.level {
                let answer = matches!(
                    s.kind,
                    SignalKind::Acknowledged { .. } | SignalKind::FalsePositive { .. }
                );
                let dropped_above = alert
                    .owed
                    .iter()
                    .filter(|o| !next.owed.iter().any(|n| n.seq == o.seq))
                    .any(|o| matches!(
                        o.action,
                        Action::Page { level, reason: PageReason::Unanswered } if level > next.level
                    ));
                prop_assert!(
                    answer && dropped_above,
                    "{:?} -> {:?} on {:?}", alert.level, next.level, s.kind.name()
                );
            }
            prop_assert!(next.level <= next.policy.max_level);
            alert = next;
        }
    }
}

#[test]
fn a_tick_brings_the_policy_in_force_now_and_escalates_by_it() {
    // Opened at L1 at night, capped at L1 by a night rule: the clock keeps it in Slack.
    let night = EscalationPolicy {
        max_level: Level::L1,
        ..policy()
    };
    let opened = breach("a", 100, BreachState::Alert, Level::L1);
    let at_night = |at: i64| Signal {
        source: Source::Clock,
        ..signal(
            &format!("tick:{at}"),
            at,
            SignalKind::Tick {
                policy: Some(night.clone()),
            },
        )
    };
    let (alert, actions) = run(&[opened.clone(), at_night(800), at_night(1500)]);
    assert_eq!(alert.level, Level::L1, "capped while the night rule holds");
    assert!(!actions.iter().any(|a| matches!(
        a,
        Action::Page {
            level: Level::L2,
            ..
        }
    )));

    // Morning: the day's policy (max L3) arrives with the tick, and the alert, unanswered
    // for longer than L1's timeout, escalates at once.
    let (alert, actions) = run(&[opened, at_night(800), at_night(1500), {
        Signal {
            source: Source::Clock,
            ..signal(
                "tick:day",
                2000,
                SignalKind::Tick {
                    policy: Some(policy()),
                },
            )
        }
    }]);
    assert_eq!(alert.level, Level::L2);
    assert_eq!(alert.policy.max_level, Level::L3);
    assert!(
        actions.iter().any(|a| matches!(
            a,
            Action::Page {
                level: Level::L2,
                reason: PageReason::Unanswered
            }
        )),
        "{actions:?}"
    );
}

#[test]
fn a_critical_breach_of_an_alert_capped_as_a_warning_pages_at_its_own_level() {
    // Opened at L1 at night, capped at L1 by a night rule for L1 issues.
    let night = EscalationPolicy {
        max_level: Level::L1,
        ..policy()
    };
    let mut opened = breach("a", 100, BreachState::Warn, Level::L1);
    if let SignalKind::Breach { breach, .. } = &mut opened.kind {
        breach.policy = night;
    }
    // Ten minutes later the monitor goes critical: its breach carries the policy of an
    // L3 issue at that hour, which no night rule caps.
    let critical = breach("b", 700, BreachState::Alert, Level::L3);
    let (alert, actions) = run(&[opened, critical]);
    assert_eq!(alert.level, Level::L3);
    assert_eq!(alert.breach_level, Some(Level::L3));
    assert_eq!(alert.policy.max_level, Level::L3);
    assert!(
        actions.iter().any(|a| matches!(
            a,
            Action::Page {
                level: Level::L3,
                reason: PageReason::Worsened
            }
        )),
        "{actions:?}"
    );
}

#[test]
fn a_tick_without_a_policy_keeps_the_alerts() {
    let capped = EscalationPolicy {
        max_level: Level::L1,
        ..policy()
    };
    let opened = signal(
        "a",
        100,
        SignalKind::Breach {
            breach: Breach {
                state: BreachState::Alert,
                level: Level::L1,
                first_breach_at: None,
                context: AlertContext::default(),
                policy: capped.clone(),
            },
            repeat: false,
        },
    );
    let (alert, _) = run(&[opened, tick(5000)]);
    assert_eq!(alert.policy, capped);
    assert_eq!(alert.level, Level::L1);
}
