//! The demo's synthetic probe: the real prober against a fake summarizer endpoint that
//! starts answering wrongly on cue and recovers, run every `EVERY_MINUTES` simulated
//! minutes (not every minute: each run is real HTTP and DynamoDB calls, and the demo
//! should stay quick).

use std::sync::Arc;

use modelwatch::config::Config;
use modelwatch::http::BaseUrl;
use modelwatch::runtime::FromSecrets;
use modelwatch::secret::Secret;
use modelwatch::secrets::Secrets;

use crate::fakes::{ModelFake, ModelFakeConfig};
use crate::pipeline::{DATADOG_API_KEY, Stack};

pub const EVERY_MINUTES: u32 = 20;
const TOKEN: &str = "demo-model-endpoint-token";

pub struct DemoProber {
    pub model: ModelFake,
    pub prober: prober::Prober,
}

/// The probes section the demo adds to its configuration, for the fake at `url`.
fn probes(url: &str) -> String {
    format!(
        r#"
probes:
  budget: 20s
  timeout: 5s
  endpoints:
    - {{ name: summarizer-api, kind: openai, url: "{url}", secret: summarizer_token }}
  cases:
    - id: summarizer-answers
      model: summarizer
      version: v7
      environment: prod
      endpoint: summarizer-api
      prompt: "Summarize in one sentence: the capital of France is Paris, on the Seine."
      expect:
        latency: 2s
        contains: [Paris]
        not_contains: [London]
"#
    )
}

/// Starts the fake endpoint and builds the prober over the stack's store and Datadog fake.
pub async fn start(stack: &Stack, config_text: &str, file: &str) -> Result<DemoProber, String> {
    let model = ModelFake::start(ModelFakeConfig::new(TOKEN), 0)
        .await
        .map_err(|e| format!("model fake: {e}"))?;
    let text = format!("{}\n{}", config_text.trim_end(), probes(&model.url()));
    let config = Config::parse(file, &text).map_err(|e| format!("invalid configuration:\n{e}"))?;
    let mut secrets = Secrets::default();
    secrets.insert("datadog_api_key", Secret::new(DATADOG_API_KEY));
    secrets.insert("summarizer_token", Secret::new(TOKEN));
    let prober = prober::Setup {
        store: stack.store.clone(),
        config: Arc::new(config),
        settings: prober::Settings {
            datadog: BaseUrl::new(&stack.datadog.url()).map_err(|e| e.to_string())?,
        },
    }
    .build(&secrets)
    .map_err(|e| e.to_string())?;
    Ok(DemoProber { model, prober })
}
