//! Planning deliveries and recording them.

use super::*;
use crate::domain::{
    Action, Alert, AlertContext, AlertKey, Breach, BreachState, EscalationPolicy, Level, ModelRef,
    OwedAction, PageReason, Signal, SignalId, SignalKind, SlackThread, Source, Status, Timestamp,
};
use crate::lifecycle::apply;
use crate::page::PageContext;

fn opened(level: Level) -> Alert {
    let s = Signal {
        id: SignalId::new("dd-1").unwrap(),
        key: AlertKey::new("datadog:cycle:1").unwrap(),
        at: Timestamp::from_secs(1_000),
        source: Source::Datadog,
        kind: SignalKind::Breach {
            breach: Breach {
                state: BreachState::Alert,
                level,
                first_breach_at: None,
                context: AlertContext {
                    title: "Quality score dropped".into(),
                    model: Some(ModelRef::new("chat-large", Some("v7")).unwrap()),
                    ..AlertContext::default()
                },
                policy: EscalationPolicy::default(),
            },
            repeat: false,
        },
    };
    apply(&Alert::blank(s.key.clone()), &s, s.at).alert
}

/// L1 → the team channel; L2 adds on-call's channel and page; L3 the senior service.
fn route(level: Level) -> Destinations {
    let mut slack = vec!["#ml-chat".to_string()];
    if level >= Level::L2 {
        slack.push("#ml-oncall".into());
    }
    Destinations {
        slack_channels: slack,
        pagerduty: match level {
            Level::L1 => None,
            Level::L2 => Some("oncall".into()),
            Level::L3 => Some("senior".into()),
        },
    }
}

/// `opened(level)` with its cycle's thread in #ml-chat already started.
fn told(level: Level) -> Alert {
    let mut alert = opened(level);
    alert.deliveries.cycle = 1;
    alert.deliveries.slack = vec![SlackThread {
        channel: "#ml-chat".into(),
        channel_id: "C-ml-chat".into(),
        ts: "1.0001".into(),
    }];
    alert
}

fn ids(steps: &[Step]) -> Vec<String> {
    steps.iter().map(|s| s.id.clone()).collect()
}

fn owed(alert: &Alert, action: Action) -> OwedAction {
    OwedAction {
        seq: 99,
        cycle: alert.cycle,
        created_at: Timestamp::from_secs(1_000),
        action,
        done: Vec::new(),
    }
}

#[test]
fn a_new_l2_page_posts_to_its_channels_and_pages_on_call() {
    let alert = opened(Level::L2);
    let steps = plan(&alert, &alert.owed[0], route, &PageContext::default()).unwrap();
    assert_eq!(
        ids(&steps),
        vec![
            "pagerduty-trigger:oncall:L2",
            "slack-post:#ml-chat",
            "slack-post:#ml-oncall"
        ]
    );
}

#[test]
fn escalation_tells_existing_threads_and_pages_the_next_service() {
    let mut alert = opened(Level::L2);
    alert.deliveries.cycle = 1;
    alert.deliveries.slack = vec![
        SlackThread {
            channel: "#ml-chat".into(),
            channel_id: "C01".into(),
            ts: "1.0001".into(),
        },
        SlackThread {
            channel: "#ml-oncall".into(),
            channel_id: "C02".into(),
            ts: "1.0002".into(),
        },
    ];
    alert.deliveries.paged = vec!["oncall".into()];
    let o = owed(
        &alert,
        Action::Page {
            level: Level::L3,
            reason: PageReason::Unanswered,
        },
    );
    let steps = plan(&alert, &o, route, &PageContext::default()).unwrap();
    assert_eq!(
        ids(&steps),
        vec![
            "pagerduty-trigger:senior:L3",
            "slack-reply:#ml-chat",
            "slack-update:#ml-chat",
            "slack-reply:#ml-oncall",
            "slack-update:#ml-oncall"
        ]
    );
}

#[test]
fn resolve_closes_every_paged_service_and_never_one_that_was_not_paged() {
    let mut alert = told(Level::L2);
    alert.deliveries.paged = vec!["oncall".into(), "senior".into()];
    let o = owed(
        &alert,
        Action::Resolve {
            by: None,
            open_secs: 60,
        },
    );
    let steps = plan(&alert, &o, route, &PageContext::default()).unwrap();
    assert_eq!(
        ids(&steps),
        vec![
            "pagerduty-resolve:oncall",
            "pagerduty-resolve:senior",
            "slack-reply:#ml-chat",
            "slack-update:#ml-chat"
        ]
    );

    alert.deliveries.paged.clear();
    let steps = plan(&alert, &o, route, &PageContext::default()).unwrap();
    assert!(steps.iter().all(|s| !s.id.starts_with("pagerduty")));
}

/// The threads hear of a page whose trigger will not go that nobody is paged by it, and
/// of one whose trigger went before the alert ended that it was.
#[test]
fn a_page_whose_alert_ended_first_tells_the_threads_no_page_goes() {
    let mut alert = told(Level::L2);
    let page = owed(
        &alert,
        Action::Page {
            level: Level::L3,
            reason: PageReason::Unanswered,
        },
    );
    alert.status = Status::Resolved;
    let reply = |alert: &Alert, page: &OwedAction| -> String {
        let steps = plan(alert, page, route, &PageContext::default()).unwrap();
        let reply = steps.iter().find_map(|s| match &s.kind {
            StepKind::SlackReply { message } => Some(message.text.clone()),
            _ => None,
        });
        reply.unwrap_or_default()
    };
    assert_eq!(
        reply(&alert, &page),
        "⬆️ L3 was due (nobody acknowledged it in time), but the alert had ended: no page goes to the senior escalation service now."
    );
    // The over step recorded, then the reply failed: its retry says the same.
    let mut over = page.clone();
    over.done.push("pagerduty-over:senior:L3".into());
    assert_eq!(reply(&alert, &over), reply(&alert, &page));
    // Its trigger went and was recorded before the alert ended; the reply failed.
    let mut sent = page.clone();
    sent.done.push("pagerduty-trigger:senior:L3".into());
    assert_eq!(
        reply(&alert, &sent),
        "⬆️ L3: nobody acknowledged it in time; paging the senior escalation service."
    );
    let steps = plan(&alert, &sent, route, &PageContext::default()).unwrap();
    assert!(
        steps.iter().all(|s| !s.id.starts_with("pagerduty")),
        "nothing more for PagerDuty: {:?}",
        ids(&steps)
    );
}

/// The page went out to PagerDuty but was not recorded (the escalator stopped, or the
/// table did not answer), and on-call resolved the incident there before the retry: a
/// trigger now would open a second incident on the same dedup key and page again.
#[test]
fn a_page_whose_cycle_ended_before_it_went_out_sends_no_trigger_but_its_resolve_goes() {
    for (status, cycle) in [(Status::Resolved, 1), (Status::Open, 2)] {
        let mut alert = opened(Level::L2);
        let page = alert.owed[0].clone();
        alert.status = status;
        alert.cycle = cycle;
        let steps = plan(&alert, &page, route, &PageContext::default()).unwrap();
        assert_eq!(steps[0].id, "pagerduty-over:oncall:L2");
        assert!(
            matches!(&steps[0].kind, StepKind::PagerDutyOver { key_name } if key_name == "oncall"),
            "{status:?} cycle {cycle}: {:?}",
            steps[0].kind
        );
        // Recorded as paged, the resolve of that cycle goes to the service.
        assert!(mark_done(
            &mut alert,
            page.seq,
            &steps[0].id,
            None,
            Some("oncall".into()),
            true
        ));
        let resolve = OwedAction {
            cycle: 1,
            ..owed(
                &alert,
                Action::Resolve {
                    by: None,
                    open_secs: 60,
                },
            )
        };
        let steps = plan(&alert, &resolve, route, &PageContext::default()).unwrap();
        assert_eq!(ids(&steps)[0], "pagerduty-resolve:oncall");
    }
    // While the cycle is open or acknowledged, the trigger is sent.
    let mut alert = opened(Level::L2);
    alert.status = Status::Acknowledged;
    let steps = plan(&alert, &alert.owed[0], route, &PageContext::default()).unwrap();
    assert!(matches!(
        &steps[0].kind,
        StepKind::PagerDuty { trigger: true, .. }
    ));
}

/// The monitor recovered and fired again before cycle 1's resolve was delivered: cycle
/// 1's message is updated to show that cycle over, not drawn from cycle 2 (open, its
/// reason, buttons acting on cycle 2), which would leave two messages saying "open".
#[test]
fn an_earlier_cycles_message_is_updated_as_that_cycle_ended() {
    let mut alert = told(Level::L2);
    let resolve = owed(
        &alert,
        Action::Resolve {
            by: None,
            open_secs: 600,
        },
    );
    alert.cycle = 2;
    alert.context.reason = Some("cycle two's reason".into());
    let update_of = |alert: &Alert| {
        let steps = plan(alert, &resolve, route, &PageContext::default()).unwrap();
        steps
            .iter()
            .find_map(|s| match &s.kind {
                StepKind::SlackUpdate { message, .. } => serde_json::to_string(message).ok(),
                _ => None,
            })
            .expect("the thread's message is updated")
    };
    let update = update_of(&alert);
    assert!(update.contains("recovered after"), "{update}");
    assert!(!update.contains("\"actions\""), "no buttons: {update}");
    assert!(!update.contains("cycle two's reason"), "{update}");

    // While its cycle is the alert's, a resolve's update shows the alert as it stands,
    // with the one button a cycle over still has.
    alert.cycle = 1;
    alert.status = Status::Resolved;
    let update = update_of(&alert);
    assert!(update.contains("cycle two's reason"), "{update}");
    assert!(
        update.contains(crate::page::ACTION_FALSE_POSITIVE),
        "{update}"
    );
}

/// A false positive marked after the alert recovered: the threads hear it, and the
/// message shows the mark and drops the button it was marked with.
#[test]
fn a_false_positive_marked_after_recovery_updates_the_message_and_drops_its_button() {
    let mut alert = told(Level::L2);
    alert.deliveries.paged = vec!["oncall".into()];
    // `kind` from `source` at `secs`, applied to `alert` then.
    let applied = |alert: &Alert, id: &str, secs: i64, source: Source, kind: SignalKind| {
        let s = Signal {
            id: SignalId::new(id).unwrap(),
            key: alert.key.clone(),
            at: Timestamp::from_secs(secs),
            source,
            kind,
        };
        apply(alert, &s, s.at)
    };
    let recovered = SignalKind::Recovered {
        context: AlertContext::default(),
    };
    let mut alert = applied(&alert, "dd-2", 1_600, Source::Datadog, recovered).alert;
    alert.owed.clear();
    assert_eq!(alert.status, Status::Resolved);
    let marked = SignalKind::FalsePositive {
        by: "dana".into(),
        cycle: Some(1),
    };
    let t = applied(&alert, "slack:1.2:U1:fp", 2_000, Source::Slack, marked);
    assert_eq!(t.alert.owed.len(), 1, "{:?}", t.alert.owed);
    let o = &t.alert.owed[0];
    assert!(matches!(o.action, Action::Note { .. }), "{o:?}");
    let steps = plan(&t.alert, o, route, &PageContext::default()).unwrap();
    assert_eq!(
        ids(&steps),
        vec!["slack-reply:#ml-chat", "slack-update:#ml-chat"],
        "no PagerDuty step for a cycle already resolved there"
    );
    let StepKind::SlackUpdate { message, .. } = &steps[1].kind else {
        panic!("the message updated");
    };
    let update = serde_json::to_string(message).unwrap();
    assert!(update.contains("false positive (dana)"), "{update}");
    assert!(!update.contains("\"actions\""), "no buttons left: {update}");

    // Delivered once a later cycle has begun: the thread hears it; the message keeps what
    // its resolve drew (a note has no times to draw the cycle over with).
    let mut later = t.alert.clone();
    later.cycle = 2;
    later.false_positive = None;
    let steps = plan(&later, o, route, &PageContext::default()).unwrap();
    assert_eq!(ids(&steps), vec!["slack-reply:#ml-chat"]);

    // A note while the cycle is not marked (a silence) changes nothing the message shows.
    let mut silenced = alert.clone();
    silenced.owed.clear();
    let note = owed(
        &silenced,
        Action::Note {
            text: "Silenced for 1 h by dana.".into(),
        },
    );
    let steps = plan(&silenced, &note, route, &PageContext::default()).unwrap();
    assert_eq!(ids(&steps), vec!["slack-reply:#ml-chat"]);
}

/// The reply `action` owes an alert at L2 already told and paged: it tells the thread and
/// updates the message, and sends PagerDuty nothing.
fn thread_reply_only(action: Action) -> String {
    let mut alert = told(Level::L2);
    alert.deliveries.paged = vec!["oncall".into()];
    let o = owed(&alert, action);
    let steps = plan(&alert, &o, route, &PageContext::default()).unwrap();
    assert_eq!(
        ids(&steps),
        vec!["slack-reply:#ml-chat", "slack-update:#ml-chat"]
    );
    let StepKind::SlackReply { message } = &steps[0].kind else {
        panic!("a reply first");
    };
    serde_json::to_string(message).unwrap()
}

#[test]
fn a_reopen_tells_the_threads_the_alert_is_open_again_and_sends_pagerduty_nothing() {
    let text = thread_reply_only(Action::Reopen {
        by: "Dana Engineer".into(),
    });
    assert!(text.contains("Reopened by Dana Engineer"), "{text}");
    assert!(text.contains("open again at L2"), "{text}");
}

#[test]
fn an_acknowledgement_that_ran_out_tells_the_threads_and_sends_pagerduty_nothing() {
    let text = thread_reply_only(Action::Unacknowledge {
        by: "the acknowledgement timed out in PagerDuty".into(),
    });
    assert!(
        text.contains("No longer acknowledged (the acknowledgement timed out in PagerDuty)"),
        "{text}"
    );
    assert!(text.contains("escalates again from L2"), "{text}");
}

/// A merge into another incident acknowledges the alert without telling PagerDuty: the
/// cycle's dedup key is in that incident now, and an acknowledgement would answer for its
/// people. An acknowledgement of this incident goes to every service paged.
#[test]
fn an_acknowledgement_in_the_incident_this_merged_into_tells_the_threads_not_pagerduty() {
    let text = thread_reply_only(Action::Acknowledge {
        by: "Dana Engineer (merged into [#1207] chat-large latency in PagerDuty)".into(),
        answered_elsewhere: true,
    });
    assert!(
        text.contains("Acknowledged by Dana Engineer (merged into"),
        "{text}"
    );
    let mut alert = told(Level::L2);
    alert.deliveries.paged = vec!["oncall".into()];
    let ack = Action::Acknowledge {
        by: "Dana Engineer".into(),
        answered_elsewhere: false,
    };
    let steps = plan(&alert, &owed(&alert, ack), route, &PageContext::default()).unwrap();
    assert_eq!(
        ids(&steps),
        [
            "pagerduty-acknowledge:oncall",
            "slack-reply:#ml-chat",
            "slack-update:#ml-chat"
        ]
    );
}

#[test]
fn an_action_a_newer_version_stored_is_read_and_plans_nothing() {
    let stored = r#"{"type": "page_twice", "level": "L2", "reason": "opened"}"#;
    let action: Action = serde_json::from_str(stored).unwrap();
    assert_eq!(action, Action::Unknown);
    let mut alert = opened(Level::L2);
    alert.deliveries.cycle = 1;
    alert.deliveries.paged = vec!["oncall".into()];
    let steps = plan(
        &alert,
        &owed(&alert, action),
        route,
        &PageContext::default(),
    )
    .unwrap();
    assert!(steps.is_empty(), "{:?}", ids(&steps));
}

#[test]
fn an_earlier_cycles_threads_are_not_reused() {
    let mut alert = opened(Level::L1);
    alert.deliveries.cycle = 0;
    alert.deliveries.slack = vec![SlackThread {
        channel: "#ml-chat".into(),
        channel_id: "C-ml-chat".into(),
        ts: "1.0001".into(),
    }];
    let steps = plan(&alert, &alert.owed[0], route, &PageContext::default()).unwrap();
    assert_eq!(ids(&steps), vec!["slack-post:#ml-chat"]);
}

#[test]
fn steps_already_delivered_are_not_planned_again() {
    let alert = opened(Level::L2);
    let mut o = alert.owed[0].clone();
    o.done = vec![
        "slack-post:#ml-chat".into(),
        "pagerduty-trigger:oncall:L2".into(),
    ];
    let steps = plan(&alert, &o, route, &PageContext::default()).unwrap();
    assert_eq!(ids(&steps), vec!["slack-post:#ml-oncall"]);
}

#[test]
fn a_page_retried_after_its_posts_went_out_adds_nothing_to_their_threads() {
    // First attempt: both posts went out, then PagerDuty answered 503.
    let mut alert = opened(Level::L2);
    let seq = alert.owed[0].seq;
    for (ch, id) in [("#ml-chat", "C01"), ("#ml-oncall", "C02")] {
        let thread = SlackThread {
            channel: ch.into(),
            channel_id: id.into(),
            ts: format!("1.{id}"),
        };
        assert!(mark_done(
            &mut alert,
            seq,
            &format!("slack-post:{ch}"),
            Some(thread),
            None,
            false
        ));
    }
    // The retry: only the page, no thread reply or message update.
    let steps = plan(&alert, &alert.owed[0], route, &PageContext::default()).unwrap();
    assert_eq!(ids(&steps), vec!["pagerduty-trigger:oncall:L2"]);
}

#[test]
fn recording_keeps_the_thread_and_the_paged_service_and_finishing_empties_the_outbox() {
    let mut alert = opened(Level::L2);
    let seq = alert.owed[0].seq;
    let thread = SlackThread {
        channel: "#ml-chat".into(),
        channel_id: "C-ml-chat".into(),
        ts: "1.0001".into(),
    };
    assert!(mark_done(
        &mut alert,
        seq,
        "slack-post:#ml-chat",
        Some(thread.clone()),
        None,
        false
    ));
    assert!(
        !mark_done(
            &mut alert,
            seq,
            "slack-post:#ml-chat",
            Some(thread),
            None,
            false
        ),
        "recorded once"
    );
    assert!(mark_done(
        &mut alert,
        seq,
        "pagerduty-trigger:oncall:L2",
        None,
        Some("oncall".into()),
        true
    ));
    assert_eq!(alert.deliveries.cycle, 1);
    assert_eq!(alert.deliveries.slack.len(), 1);
    assert_eq!(alert.deliveries.paged, vec!["oncall".to_string()]);
    assert!(alert.owed.is_empty());
    assert!(
        !mark_done(&mut alert, seq, "x", None, None, true),
        "nothing left to record"
    );
}

/// A later cycle's page sent while the earlier cycle still owes Slack is recorded on its
/// action alone: the deliveries stay the earlier cycle's (its resolve needs its threads),
/// the later cycle's actions know the service was paged, and once the earlier cycle is
/// done the deliveries become the later cycle's, that service with them.
#[test]
fn a_later_cycles_page_is_recorded_without_taking_the_earlier_cycles_threads() {
    let mut alert = told(Level::L2);
    alert.deliveries.paged = vec!["senior".into()];
    let owed = |seq: u64, cycle: u32, action: Action| OwedAction {
        seq,
        cycle,
        created_at: Timestamp::from_secs(2_000),
        action,
        done: Vec::new(),
    };
    alert.owed = vec![
        owed(
            1,
            1,
            Action::Resolve {
                by: None,
                open_secs: 60,
            },
        ),
        owed(2, 2, alert.owed[0].action.clone()),
        owed(
            3,
            2,
            Action::Resolve {
                by: None,
                open_secs: 60,
            },
        ),
    ];
    alert.cycle = 2;
    assert!(mark_done(
        &mut alert,
        2,
        "pagerduty-trigger:oncall:L2",
        None,
        Some("oncall".into()),
        false
    ));
    assert_eq!(alert.deliveries.cycle, 1, "cycle 1 still owes its replies");
    assert_eq!(alert.deliveries.slack.len(), 1);
    assert_eq!(
        alert.deliveries.paged,
        ["senior"],
        "cycle 1's services unchanged"
    );
    assert_eq!(plan::paged_in(&alert, 2), ["oncall"]);
    assert_eq!(plan::paged_in(&alert, 1), ["senior"]);
    // A page PagerDuty refused (recorded done, not paged) is no service paged.
    assert!(mark_done(
        &mut alert,
        3,
        "pagerduty-trigger:senior:L3",
        None,
        None,
        false
    ));
    assert_eq!(plan::paged_in(&alert, 2), ["oncall"]);
    let resolve_2 = alert.owed[2].clone();
    let steps = plan(&alert, &resolve_2, route, &PageContext::default()).unwrap();
    assert!(
        steps.iter().any(|s| s.id == "pagerduty-resolve:oncall"),
        "{steps:?}"
    );

    assert!(finish(&mut alert, 1));
    assert_eq!(
        alert.deliveries.cycle, 1,
        "moves on with cycle 2's next record"
    );
    assert!(mark_done(
        &mut alert,
        2,
        "slack-post:#ml-chat",
        None,
        None,
        true
    ));
    assert_eq!(alert.deliveries.cycle, 2);
    assert!(alert.deliveries.slack.is_empty());
    assert_eq!(alert.deliveries.paged, ["oncall"]);
}

/// A page marked about to go behind a claimed action loses the mark with the next claim:
/// the delivery that marked it has ended, and a silence must not take the page as under
/// way for another delivery's claim.
#[test]
fn the_next_claim_clears_the_marks_of_the_delivery_before() {
    let mut alert = opened(Level::L2);
    let seq = alert.owed[0].seq;
    let mut behind = alert.owed[0].clone();
    behind.seq = seq + 1;
    alert.owed.push(behind);
    let t = Timestamp::from_secs;
    assert!(claim(&mut alert, seq, t(100), t(220), 1));
    assert!(mark_sending(&mut alert, seq + 1));
    assert!(!mark_sending(&mut alert, seq + 1), "marked once");
    assert!(alert.owed[1].marked_sending());
    assert!(release(&mut alert, seq, 1, t(110)));
    assert!(alert.owed[1].marked_sending(), "kept until the next claim");
    assert!(claim(&mut alert, seq, t(170), t(290), 1));
    assert!(!alert.owed[1].marked_sending());
    assert!(!mark_sending(&mut alert, seq + 2), "not owed");
}

#[test]
fn a_held_claim_keeps_others_out_until_it_expires() {
    let mut alert = opened(Level::L2);
    let seq = alert.owed[0].seq;
    let t = Timestamp::from_secs;
    assert!(!held(&alert, t(100)), "nobody has claimed it");
    assert!(claim(&mut alert, seq, t(100), t(190), 1));
    assert!(
        held(&alert, t(150)) && !held(&alert, t(190)),
        "held until 190"
    );
    assert!(!claim(&mut alert, seq, t(150), t(240), 1), "still held");
    assert!(
        claim(&mut alert, seq, t(200), t(290), 1),
        "expired claims can be taken"
    );
    assert!(
        !claim(&mut alert, seq + 1, t(200), t(290), 1),
        "only the first owed action"
    );
    assert!(!attempted_before(&alert, seq + 1));
    assert!(release(&mut alert, seq, 1, t(210)));
    assert!(!held(&alert, t(210)), "released");
    assert!(
        claim(&mut alert.clone(), seq, t(210), t(300), 1),
        "a released claim holds nobody out"
    );
    assert!(
        attempted_before(&alert, seq),
        "a released claim marks an attempt that did not finish"
    );
    assert!(finish(&mut alert, seq));
    assert!(alert.deliveries.claim.is_none());
    assert!(alert.owed.is_empty());
}

/// A delivery whose claim ran out gives up only its own claim: the one another delivery
/// took since stays in force.
#[test]
fn a_release_leaves_another_deliverys_claim_alone() {
    let mut alert = opened(Level::L2);
    let seq = alert.owed[0].seq;
    let t = Timestamp::from_secs;
    assert!(claim(&mut alert, seq, t(100), t(190), 1));
    assert!(claim(&mut alert, seq, t(200), t(290), 2), "taken over");
    assert!(
        !release(&mut alert, seq, 1, t(210)),
        "not the first's any more"
    );
    assert!(held(&alert, t(250)), "the second's claim holds");
    assert!(release(&mut alert, seq, 2, t(260)));
    assert!(!held(&alert, t(260)));
}

/// An alert key too long for PagerDuty's dedup key: the trigger carries the hashed key
/// for the store to be told first; a short key, and the resolve, carry none.
#[test]
fn a_trigger_of_a_long_alert_key_carries_its_hashed_key() {
    let hashed_of = |alert: &Alert, owed: &OwedAction| {
        let steps = plan(alert, owed, route, &PageContext::default()).unwrap();
        match &steps[0].kind {
            StepKind::PagerDuty { event, hashed, .. } => {
                (event.dedup_key().as_str().to_owned(), hashed.clone())
            }
            other => panic!("expected the page first: {other:?}"),
        }
    };
    let short = opened(Level::L2);
    assert_eq!(hashed_of(&short, &short.owed[0]).1, None);

    let mut long = opened(Level::L2);
    long.key = AlertKey::new(format!("datadog:monitor:7|{}", "pod:x,".repeat(50))).unwrap();
    let (dedup, hashed) = hashed_of(&long, &long.owed[0]);
    let hashed = hashed.expect("the long key is hashed");
    assert_eq!(hashed, crate::page::HashedAlertKey::of(&long.key));
    assert_eq!(dedup, format!("modelwatch:sha256:{}#1", hashed.digest));

    let resolve = owed(
        &long,
        Action::Resolve {
            by: None,
            open_secs: 60,
        },
    );
    let mut paged = long.clone();
    paged.deliveries.cycle = 1;
    paged.deliveries.paged = vec!["oncall".into()];
    let (dedup_resolve, hashed) = hashed_of(&paged, &resolve);
    assert_eq!((dedup_resolve, hashed), (dedup, None));
}

/// Before an action behind sends its Slack steps, the action ahead (its Slack steps gone,
/// a PagerDuty step waiting) is marked done with Slack and plans its PagerDuty steps
/// only: the threads the one behind starts are not its to tell. The one behind is marked
/// begun, so a later delivery looks for its posts before posting (`attempted_before`).
#[test]
fn an_action_finished_with_slack_plans_only_its_pagerduty_steps() {
    let mut alert = told(Level::L2);
    let ahead = alert.owed[0].seq;
    let mut behind = owed(&alert, Action::Renotify { level: Level::L2 });
    behind.seq = ahead + 1;
    alert.owed.push(behind);
    let before = plan(&alert, &alert.owed[0], route, &PageContext::default()).unwrap();
    assert!(
        before.iter().any(|s| s.kind.vendor() == Vendor::Slack),
        "{:?}",
        ids(&before)
    );
    assert!(!attempted_before(&alert, ahead + 1));
    assert!(mark_slack_behind(&mut alert, &[ahead], ahead + 1));
    assert!(
        !mark_slack_behind(&mut alert, &[ahead], ahead + 1),
        "marked once"
    );
    let after = plan(&alert, &alert.owed[0], route, &PageContext::default()).unwrap();
    assert_eq!(ids(&after), ["pagerduty-trigger:oncall:L2"]);
    assert!(attempted_before(&alert, ahead + 1));
    // Marks are not steps: a silence still drops a reminder with nothing recorded, unless
    // it is about to go (marked sending) under a claim in force.
    assert!(!alert.owed[1].recorded_any());
    assert!(alert.owed[1].marked_sending());
    assert!(
        !mark_slack_behind(&mut alert, &[ahead], ahead + 7),
        "not owed"
    );
}

/// `alert` silenced (for an hour) at `silence_at`, which holds back its pages not begun
/// (asserted), then recovered at `recovered_at`.
fn silenced_then_recovered(alert: &Alert, silence_at: i64, recovered_at: i64) -> Alert {
    let t = Timestamp::from_secs;
    let signal = |id: &str, at: i64, kind: SignalKind| Signal {
        id: SignalId::new(id).unwrap(),
        key: alert.key.clone(),
        at: t(at),
        source: Source::Operator,
        kind,
    };
    let silence = signal(
        "silence",
        silence_at,
        SignalKind::Silenced {
            by: "ana".into(),
            until: t(silence_at + 3_600),
        },
    );
    let silenced = apply(alert, &silence, t(silence_at)).alert;
    assert!(
        silenced
            .owed
            .iter()
            .all(|o| !matches!(o.action, Action::Page { .. })),
        "the page is held back: {:?}",
        silenced.owed
    );
    let recovered = signal(
        "recovered",
        recovered_at,
        SignalKind::Recovered {
            context: AlertContext::default(),
        },
    );
    apply(&silenced, &recovered, t(recovered_at)).alert
}

/// A trigger that failed in a way that may have reached PagerDuty (its attempts answered
/// 5xx or timed out): a silence made after its delivery gave up holds the page back (it
/// never began), and the cycle's resolve still goes to the service, in case the failed
/// trigger opened an incident there.
#[test]
fn a_trigger_that_may_have_reached_pagerduty_is_resolved_there_after_a_silence_held_it() {
    let t = Timestamp::from_secs;
    let mut alert = opened(Level::L2);
    let seq = alert.owed[0].seq;
    assert!(claim(&mut alert, seq, t(1_000), t(1_120), 1));
    assert!(mark_maybe_paged(&mut alert, seq, "oncall"));
    assert!(
        !mark_maybe_paged(&mut alert, seq, "oncall"),
        "recorded once"
    );
    assert!(!mark_maybe_paged(&mut alert, seq + 1, "oncall"), "not owed");
    assert!(release(&mut alert, seq, 1, t(1_001)));
    let steps = plan(&alert, &alert.owed[0], route, &PageContext::default()).unwrap();
    assert_eq!(
        ids(&steps)[0],
        "pagerduty-trigger:oncall:L2",
        "the trigger itself is still owed"
    );

    let resolved = silenced_then_recovered(&alert, 1_010, 1_200);
    let resolve = resolved.owed.last().expect("a resolve is owed");
    assert!(matches!(resolve.action, Action::Resolve { .. }));
    let steps = plan(&resolved, resolve, route, &PageContext::default()).unwrap();
    assert_eq!(ids(&steps), ["pagerduty-resolve:oncall"]);
}

/// A later cycle's page whose trigger failed behind an earlier cycle's action (PagerDuty
/// while Slack is down) in a way that may have reached PagerDuty: nothing of the page is
/// recorded, so a silence still holds it back, and its cycle's resolve goes to the service.
#[test]
fn a_later_cycles_trigger_that_may_have_gone_is_resolved_though_a_silence_held_its_page() {
    let t = Timestamp::from_secs;
    let mut alert = told(Level::L2);
    let page = alert.owed[0].action.clone();
    let owed = |seq: u64, cycle: u32, action: Action| OwedAction {
        seq,
        cycle,
        created_at: Timestamp::from_secs(2_000),
        action,
        done: Vec::new(),
    };
    alert.owed = vec![
        owed(
            1,
            1,
            Action::Resolve {
                by: None,
                open_secs: 60,
            },
        ),
        owed(2, 2, page),
    ];
    alert.cycle = 2;
    // The delivery of cycle 1's resolve sends cycle 2's trigger behind it, which fails.
    assert!(claim(&mut alert, 1, t(2_000), t(2_120), 1));
    assert!(mark_sending(&mut alert, 2));
    assert!(mark_maybe_paged(&mut alert, 2, "oncall"));
    assert!(!mark_maybe_paged(&mut alert, 2, "oncall"), "recorded once");
    assert!(release(&mut alert, 1, 1, t(2_001)));
    assert!(!alert.owed[1].recorded_any(), "the page has not begun");
    assert_eq!(plan::paged_in(&alert, 2), ["oncall"]);
    assert!(plan::paged_in(&alert, 1).is_empty(), "not cycle 1's");

    let mut resolved = silenced_then_recovered(&alert, 2_010, 2_200);
    assert!(finish(&mut resolved, 1), "cycle 1's resolve delivered");
    let resolve = resolved
        .owed
        .iter()
        .find(|o| o.cycle == 2 && matches!(o.action, Action::Resolve { .. }))
        .expect("cycle 2's resolve is owed")
        .clone();
    let steps = plan(&resolved, &resolve, route, &PageContext::default()).unwrap();
    assert!(
        ids(&steps).contains(&"pagerduty-resolve:oncall".to_owned()),
        "{steps:?}"
    );
    assert!(finish(&mut resolved, resolve.seq));
    assert_eq!(resolved.deliveries.cycle, 2);
    assert_eq!(
        resolved.deliveries.paged,
        ["oncall"],
        "became cycle 2's own"
    );
    assert!(resolved.deliveries.paged_ahead.is_empty());
}
