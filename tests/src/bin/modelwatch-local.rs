//! `make local`: the intake on loopback against the DynamoDB emulator, until Ctrl-C.
//!
//! Run through `tests/emulator/with-dynamodb`, which starts the emulator and sets the AWS
//! variables. Writes what a second shell needs to `.modelwatch/local.env`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use intake::{Intake, WebhookAuth};
use modelwatch::secret::Secret;
use modelwatch::store::{Store, create_table};

#[tokio::main]
async fn main() -> ExitCode {
    modelwatch::telemetry::init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("modelwatch-local: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").map_err(|_| {
        "AWS_ENDPOINT_URL_DYNAMODB is not set: start through `make local`".to_string()
    })?;
    let port: u16 = match std::env::var("MODELWATCH_PORT") {
        Ok(p) => p
            .parse()
            .map_err(|_| format!("MODELWATCH_PORT {p:?}: expected a port number"))?,
        Err(_) => 8787,
    };
    let table = std::env::var("MODELWATCH_TABLE").unwrap_or_else(|_| "modelwatch-local".into());
    let token = match std::env::var("MODELWATCH_WEBHOOK_TOKEN") {
        Ok(t) if !t.trim().is_empty() => t.trim().to_owned(),
        _ => modelwatch_tests::random_token(),
    };

    let aws = aws_config::load_from_env().await;
    let client = modelwatch::store::Client::new(&aws);
    create_table(&client, &table)
        .await
        .map_err(|e| e.to_string())?;
    let store = Store::new(client, table.clone());

    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr}: {e} (set MODELWATCH_PORT to another port)")
    })?;
    let intake_url = format!("http://{addr}");

    let auth = WebhookAuth::new("X-Modelwatch-Token", Secret::new(token.clone()), "datadog")
        .map_err(|e| e.to_string())?;
    let config =
        modelwatch::runtime::load_config().map_err(|e| format!("invalid configuration:\n{e}"))?;
    let router = intake::router(Arc::new(Intake {
        store,
        auth,
        config: Arc::new(config),
        inbound: intake::Inbound::default(),
        clock: modelwatch::clock::Clock::system(),
    }));

    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let env_file = root.join(".modelwatch/local.env");
    write_env(
        &env_file,
        &[
            ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
            (
                "AWS_REGION",
                &std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
            ),
            (
                "AWS_ACCESS_KEY_ID",
                &std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_default(),
            ),
            (
                "AWS_SECRET_ACCESS_KEY",
                &std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_default(),
            ),
            ("MODELWATCH_TABLE", &table),
            ("MODELWATCH_WEBHOOK_TOKEN", &token),
            ("MODELWATCH_INTAKE_URL", &intake_url),
            (
                "PATH",
                &format!("{}:$PATH", root.join("target/debug").display()),
            ),
        ],
    )
    .map_err(|e| format!("cannot write {}: {e}", env_file.display()))?;

    println!("modelwatch local stack is up (Ctrl-C to stop)");
    println!("  intake     {intake_url}  (POST /webhooks/datadog, GET /healthz)");
    println!("  dynamodb   {endpoint}  table {table}");
    println!("  token      header X-Modelwatch-Token: {token}");
    println!("  env        . {}", env_file.display());
    println!();
    println!(
        "  try: . .modelwatch/local.env && curl -s -X POST \"$MODELWATCH_INTAKE_URL/webhooks/datadog\" \\"
    );
    println!(
        "         -H \"X-Modelwatch-Token: $MODELWATCH_WEBHOOK_TOKEN\" -H 'Content-Type: application/json' \\"
    );
    println!(
        "         --data @tests/fixtures/datadog/10_recommended_triggered.json && modelwatch alerts list"
    );

    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

fn write_env(path: &Path, pairs: &[(&str, &str)]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = String::from("# Written by `make local`: source it in a second shell.\n");
    for (k, v) in pairs {
        // PATH keeps its `$PATH` reference; every other value is quoted literally.
        if *k == "PATH" {
            text.push_str(&format!("export {k}=\"{v}\"\n"));
        } else {
            text.push_str(&format!("export {k}='{v}'\n"));
        }
    }
    std::fs::write(path, text)
}
