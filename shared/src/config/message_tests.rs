//! The messages a newcomer meets first: type and syntax errors in plain words, every one
//! at once, and the gaps validation used to let through (issue #16).

use super::*;

fn errors(text: &str) -> Vec<String> {
    match Config::parse("m.yaml", text) {
        Ok(_) => panic!("valid:\n{text}"),
        Err(e) => e.to_string().lines().map(str::to_owned).collect(),
    }
}

const MODELS: &str = "\
models:
  - name: chat-large
    versions: [v3]
    team: chat
    slack_channel: \"#chat\"
";

#[test]
fn debug_print() {
    for text in [
        "metrics:\n  - name: m\nmonitors:\n  - id: a\n    metric: m\n    rule:\n      baseline: { sigmas: three }\n",
        "metrics:\n  - name: m\nmonitors:\n  - id: a\n    metric: m\n    trigger: { breaches: three, of: 5 }\n    rule: { threshold: { critical: 1 } }\n",
        "models:\n  - name: chat-large\n    versions: v3\n    team: chat\n    slack_channel: #chat-large-alerts\n",
        "models:\n  - name: a\n    name: b\n    team: chat\n    slack_channel: \"#x\"\n",
        "models:\n  - name: a\n    versions: [v3, v4\n    team: chat\n    slack_channel: \"#x\"\n",
        "",
        "# nothing\n",
        "models: []\n",
    ] {
        println!(
            "---\n{:?}",
            Config::parse("m.yaml", text)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        );
    }
    let _ = MODELS;
    let _ = errors;
}
