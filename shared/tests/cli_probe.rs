//! `modelwatch probe`: the cases of a configuration run once against an endpoint, a table
//! printed, exit code 6 when a case fails; an unknown `--case` is "not found".

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

const TOKEN: &str = "cli-probe-token-0123456789";

/// A chat-completions endpoint on loopback that answers every request with `content`
/// (401 without the bearer token); its base URL.
fn endpoint(content: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then the body by Content-Length.
            loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let authorized = String::from_utf8_lossy(&request).contains(&format!("Bearer {TOKEN}"));
            let (status, body) = if authorized {
                let body = serde_json::json!({
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 8, "completion_tokens": 6, "total_tokens": 14}
                });
                ("200 OK", body.to_string())
            } else {
                (
                    "401 Unauthorized",
                    r#"{"error":{"message":"no key"}}"#.to_owned(),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn config(url: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cli-probe-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("modelwatch.yaml");
    std::fs::write(
        &path,
        format!(
            r##"
models:
  - {{ name: chat-large, team: chat, slack_channel: "#chat" }}
probes:
  endpoints:
    - {{ name: chat, kind: openai, url: "{url}", secret: chat_token }}
  cases:
    - {{ id: capital, model: chat-large, endpoint: chat, prompt: Capital of France?, expect: {{ contains: [Paris] }} }}
    - {{ id: polite, model: chat-large, endpoint: chat, prompt: Say thanks., expect: {{ contains: [thank] }} }}
"##
        ),
    )
    .unwrap();
    path
}

fn modelwatch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(args)
        .env("MODELWATCH_CHAT_TOKEN", TOKEN)
        .env_remove("MODELWATCH_SECRET_ID")
        .output()
        .unwrap()
}

#[test]
fn probe_prints_a_table_and_exits_6_when_a_case_fails() {
    let path = config(&endpoint("The capital of France is Paris."));
    let file = path.to_str().unwrap();
    let out = modelwatch(&["probe", "--config", file]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("CASE     MODEL       ENDPOINT  RESULT"),
        "{stdout}"
    );
    assert!(
        stdout.contains("capital  chat-large  chat      pass"),
        "{stdout}"
    );
    assert!(
        stdout.contains("polite   chat-large  chat      FAIL"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    contains: does not contain \"thank\""),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 of 2 passed\n"), "{stdout}");
    assert_eq!(
        stderr.trim(),
        "error: 1 of 2 probe case(s) did not pass: polite"
    );
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));

    let out = modelwatch(&[
        "probe", "--config", file, "--case", "capital", "--format", "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outcomes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcomes.as_array().unwrap().len(), 1);
    assert_eq!(outcomes[0]["case"], "capital");
    assert_eq!(outcomes[0]["usage"]["completion"], 6);
}

#[test]
fn an_unknown_case_is_not_found_and_a_missing_token_is_invalid_input() {
    let path = config(&endpoint("ok"));
    let file = path.to_str().unwrap();
    let out = modelwatch(&["probe", "--config", file, "--case", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no probe case \"nope\": expected one of capital, polite"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["probe", "--config", file])
        .env_remove("MODELWATCH_CHAT_TOKEN")
        .env_remove("MODELWATCH_SECRET_ID")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing secret `chat_token`"));
}
