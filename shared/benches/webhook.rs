//! One Datadog webhook through everything but I/O: parse the body, build the signal,
//! apply it to the alert (a trigger on a blank alert, then its recovery on the open one).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use modelwatch::config::LevelMap;
use modelwatch::datadog::webhook::parse_json;
use modelwatch::domain::{Alert, EscalationPolicy, Timestamp};
use modelwatch::lifecycle::apply;
use modelwatch::signals::datadog::to_signal;

const TRIGGER: &[u8] = include_bytes!("../../tests/fixtures/datadog/10_recommended_triggered.json");
const RECOVERY: &[u8] =
    include_bytes!("../../tests/fixtures/datadog/11_recommended_recovered.json");
const DEFAULT_TEMPLATE: &[u8] =
    include_bytes!("../../tests/fixtures/datadog/05_query_alert_with_transition_priority.json");

fn bench(c: &mut Criterion) {
    let levels = LevelMap::default();
    let now = Timestamp::from_secs(1_795_730_500);
    let to_signal_of = |body: &[u8]| {
        let n = parse_json(body).expect("fixture parses");
        to_signal(
            &n,
            body,
            n.level(&levels),
            EscalationPolicy::default(),
            now,
            Default::default(),
        )
        .expect("fixture signal")
    };
    let trigger = to_signal_of(TRIGGER);
    let open = apply(&Alert::blank(trigger.key.clone()), &trigger, now).alert;

    c.bench_function(
        "webhook: parse + signal + apply (recommended trigger)",
        |b| {
            b.iter(|| {
                let n = parse_json(black_box(TRIGGER)).expect("parses");
                let s = to_signal(
                    &n,
                    TRIGGER,
                    n.level(&levels),
                    EscalationPolicy::default(),
                    now,
                    Default::default(),
                )
                .expect("signal");
                apply(&Alert::blank(s.key.clone()), &s, now)
            })
        },
    );
    c.bench_function(
        "webhook: parse + signal + apply (recovery of open alert)",
        |b| {
            b.iter(|| {
                let n = parse_json(black_box(RECOVERY)).expect("parses");
                let s = to_signal(
                    &n,
                    RECOVERY,
                    n.level(&levels),
                    EscalationPolicy::default(),
                    now,
                    Default::default(),
                )
                .expect("signal");
                apply(black_box(&open), &s, now)
            })
        },
    );
    c.bench_function(
        "webhook: parse + signal (default template, body links)",
        |b| b.iter(|| to_signal_of(black_box(DEFAULT_TEMPLATE))),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
