//! PagerDuty: each routing key the configuration names is in the secret and well-formed;
//! with `--send-test-event`, accepted by PagerDuty (a trigger, resolved at once).

use super::{Check, Inputs};
use crate::domain::{Level, Timestamp};
use crate::http::Timeouts;
use crate::pagerduty::{DedupKey, Event, PagerDutyClient, RoutingKey, Severity, TriggerBuilder};
use crate::secrets::names;

const SERVICE: &str = "PagerDuty";

pub(super) async fn checks(inputs: &Inputs<'_>) -> Vec<Check> {
    let keys = &inputs.config.routing.pagerduty_keys;
    let mut out = Vec::new();
    if keys.is_empty() {
        out.push(Check::skipped(
            SERVICE,
            "routing keys",
            "the configuration pages no PagerDuty service (routing.pagerduty_keys)",
        ));
    }
    for (name, entry) in keys {
        let check = format!("routing key {name}");
        let Some(secret) = inputs.secrets.get(entry).cloned() else {
            out.push(Check::fail(
                SERVICE,
                check,
                format!("`{entry}` is empty in the secret: alerts at this level page nobody"),
                "put the service's Events API v2 integration key there",
            ));
            continue;
        };
        let key = match RoutingKey::new(secret) {
            Ok(key) => key,
            Err(e) => {
                out.push(Check::fail(
                    SERVICE,
                    check,
                    format!("`{entry}`: {e}"),
                    "copy the Integration Key of the service's Events API v2 integration (32 characters)",
                ));
                continue;
            }
        };
        out.push(if inputs.send_test_events {
            test_event(inputs, &key, check).await
        } else {
            Check::pass(SERVICE, check, "well-formed (--send-test-event to try it)")
        });
    }
    out.extend(levels_sharing_a_routing_key(inputs));
    if inputs
        .secrets
        .get(names::PAGERDUTY_WEBHOOK_SECRET)
        .is_none()
    {
        out.push(Check::warn(
            SERVICE,
            "webhook secret",
            "pagerduty_webhook_secret is empty: acknowledging or resolving in PagerDuty does not reach modelwatch",
            "add a v3 webhook subscription to the PagerDutyWebhookUrl output and put its signing secret in the secret",
        ));
    }
    out
}

/// Two levels of one alert whose keys name different secret entries holding the same
/// routing key (the configuration check refuses one entry at two levels): PagerDuty folds
/// the higher level's trigger into the incident the lower one opened, so it pages no one.
fn levels_sharing_a_routing_key(inputs: &Inputs<'_>) -> Vec<Check> {
    let config = inputs.config;
    let value = |name: &str| {
        let entry = config.routing.pagerduty_keys.get(name)?;
        Some((entry, inputs.secrets.get(entry)?.expose().trim().to_owned()))
    };
    let models = std::iter::once(None).chain(config.models.keys().map(|m| Some(m.as_str())));
    let mut out: Vec<Check> = Vec::new();
    for model in models {
        // Levels above the routing's cap never page.
        let paged: Vec<(Level, &str)> = Level::ALL
            .into_iter()
            .filter(|l| *l <= config.routing.max_level)
            .filter_map(|l| config.route(l, model).pagerduty.map(|k| (l, k)))
            .collect();
        for (i, &(higher, key)) in paged.iter().enumerate() {
            let Some((entry, held)) = value(key) else {
                continue;
            };
            let lower = paged[..i].iter().find_map(|&(l, k)| {
                value(k)
                    .filter(|(e, v)| e != &entry && v == &held)
                    .map(|(e, _)| (l, e))
            });
            let Some((lower, lower_entry)) = lower else {
                continue;
            };
            let check = format!("{higher} routing key");
            if out.iter().any(|c| c.check == check) {
                continue;
            }
            let whom = model.map_or_else(
                || "models no route names".to_owned(),
                |m| format!("model {m}"),
            );
            out.push(Check::fail(
                SERVICE,
                check,
                format!(
                    "`{entry}` ({higher}) and `{lower_entry}` ({lower}) hold the same routing key (for {whom}): PagerDuty folds {higher}'s trigger into the incident {lower} opened, so the escalation pages no one"
                ),
                format!("put the integration key of the service {higher} should page in `{entry}`"),
            ));
        }
    }
    out
}

/// A trigger and its resolve under one dedup key: PagerDuty opens and closes an incident.
async fn test_event(inputs: &Inputs<'_>, key: &RoutingKey, check: String) -> Check {
    let client = match PagerDutyClient::new(inputs.targets.pagerduty.clone(), Timeouts::default()) {
        Ok(client) => client,
        Err(e) => return Check::fail(SERVICE, check, e.to_string(), "report this as a bug"),
    };
    let events = DedupKey::new(format!("modelwatch-doctor-{}", Timestamp::now().millis()))
        .and_then(|dedup| {
            let trigger = TriggerBuilder::new(
                "modelwatch doctor: test event, resolved at once",
                "modelwatch-doctor",
                Severity::Info,
            )
            .build(dedup.clone())?;
            Ok((trigger, Event::resolve(dedup)))
        });
    let (trigger, resolve) = match events {
        Ok(events) => events,
        Err(e) => return Check::fail(SERVICE, check, e.to_string(), "report this as a bug"),
    };
    let sent = match client.send(key, &trigger).await {
        Ok(_) => client.send(key, &resolve).await,
        Err(e) => Err(e),
    };
    match sent {
        Ok(_) => Check::pass(
            SERVICE,
            check,
            "accepted a test event (triggered and resolved)",
        ),
        Err(e) => Check::fail(
            SERVICE,
            check,
            e.to_string(),
            "check the integration key and that the service is enabled",
        ),
    }
}
