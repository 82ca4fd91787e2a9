//! How long `lifecycle::apply` takes for the signals that arrive most: a trigger opening
//! an alert, a duplicate, a tick on an open alert, a recovery.

use criterion::{Criterion, criterion_group, criterion_main};
use modelwatch::domain::{
    AlertContext, AlertKey, Breach, BreachState, EscalationPolicy, Level, ModelRef, Signal,
    SignalId, SignalKind, Source, Timestamp,
};
use modelwatch::lifecycle::apply;
use std::hint::black_box;

fn signal(id: &str, at: i64, kind: SignalKind) -> Signal {
    Signal {
        id: SignalId::new(id).unwrap(),
        key: AlertKey::new("monitor:42|model:chat-large,model_version:v7").unwrap(),
        at: Timestamp::from_secs(at),
        source: Source::Datadog,
        kind,
    }
}

fn trigger(id: &str, at: i64) -> Signal {
    let context = AlertContext {
        title: "[Triggered on {model:chat-large}] p95 generation latency above 2 s".into(),
        model: Some(ModelRef::new("chat-large", Some("v7")).unwrap()),
        metric: Some("llm.generation.latency.p95".into()),
        value: Some(2.8),
        threshold: Some(2.0),
        reason: Some("p95 latency 2.8 s is above 2 s".into()),
        tags: vec![
            "model:chat-large".into(),
            "env:prod".into(),
            "team:ml".into(),
        ],
        ..AlertContext::default()
    };
    signal(
        id,
        at,
        SignalKind::Breach {
            breach: Breach {
                state: BreachState::Alert,
                level: Level::L2,
                first_breach_at: Some(Timestamp::from_secs(at - 120)),
                context,
                policy: EscalationPolicy::default(),
            },
            repeat: false,
        },
    )
}

fn bench(c: &mut Criterion) {
    let blank = modelwatch::domain::Alert::blank(
        AlertKey::new("monitor:42|model:chat-large,model_version:v7").unwrap(),
    );
    let open = trigger("dd-1", 1000);
    let opened = apply(&blank, &open, Timestamp::from_secs(1001)).alert;
    let tick = signal("tick", 1300, SignalKind::Tick { policy: None });
    let recovery = signal(
        "dd-2",
        1400,
        SignalKind::Recovered {
            context: AlertContext::default(),
        },
    );

    c.bench_function("apply: trigger opens an alert", |b| {
        b.iter(|| {
            apply(
                black_box(&blank),
                black_box(&open),
                Timestamp::from_secs(1001),
            )
        })
    });
    c.bench_function("apply: duplicate delivery", |b| {
        b.iter(|| {
            apply(
                black_box(&opened),
                black_box(&open),
                Timestamp::from_secs(1002),
            )
        })
    });
    c.bench_function("apply: tick with nothing due", |b| {
        b.iter(|| {
            apply(
                black_box(&opened),
                black_box(&tick),
                Timestamp::from_secs(1300),
            )
        })
    });
    c.bench_function("apply: recovery resolves", |b| {
        b.iter(|| {
            apply(
                black_box(&opened),
                black_box(&recovery),
                Timestamp::from_secs(1400),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
