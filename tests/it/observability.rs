//! What the person who runs it sees, from the real binary: JSON log lines that parse one by one
//! and carry the request's id, route, status, latency and user, but never a password, token,
//! cookie or body; and Prometheus metrics, on their own address, counting known traffic by route
//! and status.

use crate::real_server;
use crate::real_server::{cli, icp_body, request, sqlite_database, Connection, Server};
use std::net::SocketAddr;

const PASSWORD: &str = "a-Very-secret-passw0rd";
const BODY_MARKER: &str = "BODY-MARKER-never-logged";
const INVITATION: &str = "inv_NeverLogThisToken123";

/// One request on a fresh connection; the raw answer's status, headers and body.
async fn send(address: SocketAddr, raw: Vec<u8>) -> real_server::Answer {
    let mut connection = Connection::open(address).await.expect("connect");
    connection.send(&raw).await.expect("send");
    connection.read_answer().await.expect("an answer")
}

fn form_post(path: &str, cookie: Option<&str>, form: &str) -> Vec<u8> {
    let cookie = cookie
        .map(|cookie| format!("Cookie: {cookie}\r\n"))
        .unwrap_or_default();
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n{cookie}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .into_bytes()
}

fn get_with_cookie(path: &str, cookie: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn json_logs_and_metrics_tell_what_happened_and_no_secret() {
    let (_dir, url) = sqlite_database();
    let server = Server::start_with(
        &url,
        &[("LOG_FORMAT", "json"), ("METRICS_ADDR", "127.0.0.1:0")],
    );

    // A sign-up through the form (a password), a wrong sign-in, a session cookie.
    let email = "ops@example.com";
    let signed_up = send(
        server.address,
        form_post(
            "/sign-up",
            None,
            &format!("name=Ops&email=ops%40example.com&password={PASSWORD}"),
        ),
    )
    .await;
    assert_eq!(signed_up.status, 303);
    let cookie = signed_up
        .header("set-cookie")
        .and_then(|value| value.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let cookie_value = cookie.split_once('=').unwrap().1.to_owned();
    let wrong = send(
        server.address,
        form_post(
            "/sign-in",
            None,
            "email=ops%40example.com&password=not-the-Password-1",
        ),
    )
    .await;
    assert_eq!(wrong.status, 303);
    let page = send(server.address, get_with_cookie("/icps", &cookie)).await;
    assert_eq!(page.status, 200);
    let invitation = send(
        server.address,
        get_with_cookie(&format!("/invite/{INVITATION}"), &cookie),
    )
    .await;
    assert_eq!(invitation.status, 200);

    // An API token, two creates with it (a body), one refused call.
    let token = cli(
        &url,
        &["tokens", "create", "--email", email, "--label", "ops"],
        "",
    );
    let body = icp_body(BODY_MARKER);
    for _ in 0..2 {
        let created = send(
            server.address,
            request(
                "POST",
                "/api/v1/entities/icps",
                Some(&token),
                Some(&body),
                false,
            ),
        )
        .await;
        assert_eq!(created.status, 201);
    }
    let refused = send(
        server.address,
        request("GET", "/api/v1/entities/icps", None, None, false),
    )
    .await;
    assert_eq!(refused.status, 401);
    // Made-up methods: each would be a new series kept forever if it became a label.
    for i in 0..40 {
        let odd = format!("X{i} /icps HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let answer = send(server.address, odd.into_bytes()).await;
        assert!(answer.status >= 400, "X{i}: {}", answer.status);
    }

    // The metrics, on their own address.
    let log = server.log();
    let metrics_address: SocketAddr = log
        .split("metrics on http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|address| address.parse().ok())
        .unwrap_or_else(|| panic!("no metrics address in the log:\n{log}"));
    let scraped = send(
        metrics_address,
        request("GET", "/metrics", None, None, false),
    )
    .await;
    assert_eq!(scraped.status, 200);
    let metrics = String::from_utf8_lossy(&scraped.body).to_string();
    let value = |name: &str, labels: &[(&str, &str)]| -> Option<f64> {
        metrics.lines().find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            let all = labels
                .iter()
                .all(|(key, value)| rest.contains(&format!("{key}=\"{value}\"")));
            (metric == name && all).then(|| value.parse().ok())?
        })
    };
    let created = [
        ("method", "POST"),
        ("route", "/api/v1/entities/icps"),
        ("status", "201"),
    ];
    assert_eq!(
        value("http_requests_total", &created),
        Some(2.0),
        "{metrics}"
    );
    let unauthorized = [
        ("method", "GET"),
        ("route", "/api/v1/entities/icps"),
        ("status", "401"),
    ];
    assert_eq!(value("http_requests_total", &unauthorized), Some(1.0));
    assert!(!metrics.contains("method=\"X"), "{metrics}");
    let odd_series = metrics
        .lines()
        .filter(|line| {
            line.starts_with("http_requests_total{") && line.contains("method=\"other\"")
        })
        .count();
    assert!((1..=2).contains(&odd_series), "{metrics}");
    assert_eq!(
        value("http_request_duration_seconds_count", &created),
        Some(2.0)
    );
    assert_eq!(
        value(
            "icp_sign_in_refusals_total",
            &[("reason", "wrong_credentials")]
        ),
        Some(1.0)
    );
    assert!(value("icp_write_batch_size_count", &[]).is_some_and(|n| n >= 1.0));
    assert!(value(
        "db_pool_connections",
        &[("pool", "sqlite_readers"), ("state", "idle")]
    )
    .is_some());
    assert_eq!(
        value(
            "icp_builder_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    // Never on the app's own address.
    let not_public = send(
        server.address,
        request("GET", "/metrics", None, None, false),
    )
    .await;
    assert_ne!(not_public.status, 200);

    // Every line is one JSON object; none holds a secret or a body.
    let log = server.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    for secret in [
        PASSWORD,
        token.as_str(),
        cookie_value.as_str(),
        BODY_MARKER,
        INVITATION,
    ] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }
    let answered: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["message"] == "answered")
        .collect();
    let create = answered
        .iter()
        .find(|line| line["route"] == "/api/v1/entities/icps" && line["status"] == 201)
        .unwrap_or_else(|| panic!("no line for a create:\n{log}"));
    for field in ["timestamp", "level", "latency_ms", "user_id"] {
        assert!(!create[field].is_null(), "{field} in {create}");
    }
    for field in ["request_id", "method"] {
        assert!(!create["span"][field].is_null(), "{field} in {create}");
    }
    assert!(create["user_id"].as_str().unwrap().starts_with("user_"));
    assert!(
        answered
            .iter()
            .any(|line| line["route"] == "/invite/{token}"),
        "a page is logged by its route, not its path:\n{log}"
    );
    assert!(
        answered
            .iter()
            .any(|line| line["route"] == "/icps" && line["user_id"].as_str().is_some()),
        "a page is logged with its signed-in user:\n{log}"
    );
}
