//! A function's cold start with a bad configuration refuses to start with the
//! configuration's own message, ahead of whatever the table check and the secret read
//! (made while it is parsed) have to say. A test binary of its own: it sets the
//! environment the function reads, before any thread starts.

use modelwatch::runtime::{InitError, cold_start};

#[test]
fn a_bad_configuration_is_reported_first() {
    let dir = std::env::temp_dir().join(format!("modelwatch-cold-start-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let config = dir.join("modelwatch.yaml");
    // `models` is a list of mappings; a mapping is the mistake.
    std::fs::write(&config, "models:\n  chat:\n    slack_channel: '#ml'\n").expect("written");
    // SAFETY: set before the runtime (and any other thread of this test binary) exists.
    unsafe {
        std::env::set_var("MODELWATCH_TABLE", "modelwatch-cold-start-test");
        std::env::set_var("MODELWATCH_CONFIG_FILE", &config);
        // Nothing listens there: the table check fails at once, behind the configuration.
        std::env::set_var("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    }
    // The functions' own runtime (their main.rs).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let outcome = runtime.block_on(cold_start());
    let _ = std::fs::remove_dir_all(&dir);
    match outcome {
        Err(InitError::Config(errors)) => {
            let message = errors.to_string();
            assert!(
                message.contains("modelwatch.yaml:2:3")
                    && message.contains("expected a list of mappings"),
                "{message}"
            );
        }
        other => panic!("expected the configuration's error, got {other:?}"),
    }
}
