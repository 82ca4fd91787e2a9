//! Every route the template gives the intake refuses a caller without credentials: the
//! walk reads the routes from `infra/template.yaml` (what API Gateway will send), so a new
//! route cannot be deployed without this test sending it an unauthenticated request.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use modelwatch_tests::fresh_store;
use tower::ServiceExt;

const TOKEN: &str = "route-auth-test-token";
/// Routes anyone may call.
const PUBLIC: [&str; 1] = ["GET /healthz"];

/// `(method, path)` of every HttpApi event in the template.
fn template_routes() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| l.contains("ApiId: !Ref HttpApi"))
        .map(|l| {
            let field = |name: &str| {
                let start = l.find(name).unwrap_or_else(|| panic!("no {name} in {l}")) + name.len();
                l[start..]
                    .split([',', '}'])
                    .next()
                    .unwrap()
                    .trim()
                    .trim_matches('"')
                    .to_owned()
            };
            (field("Method:"), field("Path:"))
        })
        .collect()
}

#[tokio::test]
async fn every_route_but_health_refuses_missing_and_forged_credentials() {
    let routes = template_routes();
    assert!(
        routes.len() >= 9,
        "the template's routes were read: {routes:?}"
    );
    let store = fresh_store("route-auth").await;
    let app = modelwatch_tests::intake_router(
        store,
        &[
            ("webhook_token", TOKEN),
            ("slack_signing_secret", "route-auth-signing-secret"),
            ("pagerduty_webhook_secret", "route-auth-pagerduty-secret"),
        ],
    );
    let now = modelwatch::domain::Timestamp::now().secs().to_string();
    let forged: [&[(&str, &str)]; 4] = [
        &[],
        &[("x-modelwatch-token", "not-the-token")],
        &[("authorization", "Basic bW9kZWx3YXRjaDpub3QtdGhlLXRva2Vu")],
        &[
            ("x-slack-request-timestamp", now.as_str()),
            ("x-slack-signature", "v0=00"),
            ("x-pagerduty-signature", "v1=00"),
        ],
    ];
    for (method, path) in routes {
        let route = format!("{method} {path}");
        let concrete = path.replace("{id}", "sil-1-0000");
        for headers in forged {
            let mut req = Request::builder()
                .method(method.as_str())
                .uri(&concrete)
                .header("content-type", "application/json");
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let res = app
                .clone()
                .oneshot(req.body(Body::from("{}")).unwrap())
                .await
                .unwrap();
            if PUBLIC.contains(&route.as_str()) {
                assert_eq!(res.status(), StatusCode::OK, "{route}");
            } else {
                assert_eq!(
                    res.status(),
                    StatusCode::UNAUTHORIZED,
                    "{route} with {headers:?} must refuse"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_walk_can_tell_an_open_route_from_a_closed_one() {
    // With the token, a token route gets past authentication (so the walk above would
    // notice a route that forgot to ask for it only if it answered 401 here too).
    let store = fresh_store("route-auth-open").await;
    let app = modelwatch_tests::intake_router(store, &[("webhook_token", TOKEN)]);
    let res = app
        .oneshot(
            Request::get("/silences")
                .header("x-modelwatch-token", TOKEN)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
