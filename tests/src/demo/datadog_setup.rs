//! The demo's first step, connecting Datadog: `modelwatch datadog plan` against the fake of
//! Datadog's configuration API, the apply, and a second plan that finds nothing to do.

use std::fmt::Write as _;

use modelwatch::config::Config;
use modelwatch::datadog::metrics::DatadogKeys;
use modelwatch::http::{BaseUrl, Timeouts};
use modelwatch::provision::{self, DatadogApi, Inputs};
use modelwatch::secret::Secret;

use crate::fakes::DatadogConfigFake;

const API_KEY: &str = "demo-dd-api-key";
const APP_KEY: &str = "demo-dd-app-key";

/// The three steps' output, indented; an error if a step failed or a request broke
/// Datadog's documented models.
pub async fn plan_apply_replan(config: &Config, token: &str) -> Result<String, String> {
    let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0)
        .await
        .map_err(|e| format!("starting the Datadog configuration fake: {e}"))?;
    let keys = DatadogKeys {
        api_key: Secret::new(API_KEY),
        app_key: Secret::new(APP_KEY),
    };
    let base = BaseUrl::new(&fake.url()).map_err(|e| e.to_string())?;
    let api = DatadogApi::new(base, keys, Timeouts::default()).map_err(|e| e.to_string())?;
    let token = Secret::new(token);
    let webhook_url = config
        .datadog
        .webhook_url
        .clone()
        .ok_or("the demo configuration has no datadog.webhook_url")?;
    let desired = || {
        provision::desired(Inputs {
            config,
            webhook_url: &webhook_url,
            token: &token,
        })
        .map_err(|e| e.to_string())
    };
    let mut out = String::new();
    let (plan, ids) = provision::survey(&api, desired()?, false)
        .await
        .map_err(|e| e.to_string())?;
    // The created objects' first lines and the totals; `modelwatch datadog plan` also
    // lists each one's fields.
    for line in provision::render(&plan)
        .lines()
        .filter(|l| !l.starts_with(' '))
    {
        let _ = writeln!(out, "  {line}");
    }
    let applied = provision::apply(&api, &plan, ids, false, |_| {})
        .await
        .map_err(|e| e.to_string())?;
    let _ = writeln!(
        out,
        "  apply: {} created in Datadog ({} monitors, {} dashboards)",
        applied.created,
        fake.monitors().len(),
        fake.dashboards().len()
    );
    let (again, _) = provision::survey(&api, desired()?, false)
        .await
        .map_err(|e| e.to_string())?;
    let _ = write!(out, "  plan again: {}", provision::render(&again));
    let violations = fake.take_contract_violations();
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        return Err(format!("CONTRACT: {}", list.join("; ")));
    }
    out.push('\n');
    Ok(out)
}
