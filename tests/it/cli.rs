//! The `icp-builder` command line: accounts and tokens made in the shell work against the API.

use crate::common::{example, Database, TestApp};
use crate::real_server::run_cli;
use crate::token_scopes::days_between;
use axum::http::{Method, StatusCode};
use std::process::{Command, Output, Stdio};

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .expect("utf-8")
        .trim()
        .to_owned()
}

#[tokio::test]
async fn users_and_tokens_made_in_the_shell_can_call_the_api() {
    let database = Database::sqlite();
    let url = database.sqlite_url().expect("sqlite url");

    let user_id = stdout(&run_cli(
        &url,
        &[
            "users",
            "create",
            "--email",
            "Ana@Example.com",
            "--name",
            "Ana",
        ],
        "s3cret-passw0rd\n",
    ));
    assert!(user_id.starts_with("user_"), "{user_id}");

    let token = stdout(&run_cli(
        &url,
        &[
            "tokens",
            "create",
            "--email",
            "ana@example.com",
            "--label",
            "CRM sync",
        ],
        "",
    ));
    assert!(token.starts_with("icp_"), "{token}");

    let app = TestApp::start(database).await;
    let created = app
        .send(
            Method::POST,
            "/api/v1/entities/icps",
            Some(&token),
            Some(&example("basic-icp")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["userIds"], serde_json::json!([user_id]));

    // The token is not stored: nothing in the database file contains it.
    let file = std::fs::read(url.trim_start_matches("sqlite://")).expect("database file");
    assert!(!file.windows(token.len()).any(|w| w == token.as_bytes()));
}

#[tokio::test]
async fn bad_account_input_is_refused_with_a_message() {
    let database = Database::sqlite();
    let url = database.sqlite_url().expect("sqlite url");
    let short = run_cli(
        &url,
        &[
            "users",
            "create",
            "--email",
            "bo@example.com",
            "--name",
            "Bo",
        ],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));

    stdout(&run_cli(
        &url,
        &[
            "users",
            "create",
            "--email",
            "bo@example.com",
            "--name",
            "Bo",
        ],
        "long enough\n",
    ));
    let again = run_cli(
        &url,
        &[
            "users",
            "create",
            "--email",
            "BO@example.com",
            "--name",
            "Bo",
        ],
        "long enough\n",
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let unknown = run_cli(
        &url,
        &[
            "tokens",
            "create",
            "--email",
            "nobody@example.com",
            "--label",
            "x",
        ],
        "",
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no user has the email"));
}

#[tokio::test]
async fn pages_are_rendered_on_the_server() {
    let app = TestApp::start(Database::sqlite()).await;
    let home = app.send(Method::GET, "/", None, None).await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.headers["location"], "/icps");

    let page = app.send(Method::GET, "/sign-in", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.body.as_str().expect("html");
    assert!(html.contains("/pkg/icp-builder.js"), "{html}");
    assert!(html.contains("Sign in"), "{html}");

    let missing = app.send(Method::GET, "/no/such/page", None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[test]
fn a_bad_public_url_stops_the_start_naming_it_and_an_empty_one_means_unset() {
    let database = Database::sqlite();
    let url = database.sqlite_url().expect("sqlite url");
    let run = |public_url: &str| {
        Command::new(env!("CARGO_BIN_EXE_icp-builder"))
            .args([
                "users",
                "create",
                "--email",
                "pat@example.com",
                "--name",
                "Pat",
            ])
            .env("DATABASE_URL", &url)
            .env("PUBLIC_URL", public_url)
            .stdin(Stdio::null())
            .output()
            .expect("run icp-builder")
    };
    let bad = run("ftp://icp.example.com");
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(
        said.contains("--public-url") && said.contains("https://"),
        "{said}"
    );

    // Empty is "not set": the command runs (and fails only on its own input: no password given).
    let empty = run("");
    let said = String::from_utf8_lossy(&empty.stderr);
    assert!(!said.contains("public-url"), "{said}");
}

/// `(flag, environment variable, default)` of every option `icp-builder --help` lists.
fn options_in_help(help: &str) -> Vec<(String, String, String)> {
    let mut options = Vec::new();
    let mut entries = help.split("\n      --").skip(1);
    for entry in entries.by_ref() {
        let flag = format!("--{}", entry.split_whitespace().next().unwrap_or_default());
        let env = entry
            .split("[env: ")
            .nth(1)
            .and_then(|rest| rest.split('=').next())
            .unwrap_or("—")
            .to_owned();
        let default = entry
            .split("[default: ")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .map_or("—".to_owned(), |value| format!("`{value}`"));
        options.push((flag, format!("`{env}`"), default));
    }
    options
}

/// The same, from the README's settings table.
fn options_in_readme(readme: &str) -> Vec<(String, String, String)> {
    let table = readme
        .split("<!-- settings:")
        .nth(1)
        .and_then(|rest| rest.split("<!-- /settings -->").next())
        .expect("the README has a settings table");
    table
        .lines()
        .filter(|line| line.starts_with("| `--"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (
                cells[1].trim_matches('`').to_owned(),
                cells[2].to_owned(),
                cells[3].to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_readme_settings_table_matches_help() {
    let help = Command::new(env!("CARGO_BIN_EXE_icp-builder"))
        .arg("--help")
        .env_clear()
        .output()
        .expect("run --help");
    let help = String::from_utf8(help.stdout).expect("utf-8");
    let mut listed = options_in_help(&help);
    listed.retain(|(flag, _, _)| flag != "--help" && flag != "--version");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let documented = options_in_readme(&readme);
    assert!(listed.len() >= 6, "{help}");
    assert_eq!(
        documented, listed,
        "README settings table vs --help:\n{help}"
    );
}

#[tokio::test]
async fn tokens_made_in_the_shell_take_a_scope_and_an_expiry() {
    let database = Database::sqlite();
    let url = database.sqlite_url().expect("sqlite url");
    stdout(&run_cli(
        &url,
        &[
            "users",
            "create",
            "--email",
            "cy@example.com",
            "--name",
            "Cy",
        ],
        "s3cret-passw0rd\n",
    ));
    let create = |extra: &[&str]| {
        let mut args = vec![
            "tokens",
            "create",
            "--email",
            "cy@example.com",
            "--label",
            "Dashboard",
        ];
        args.extend_from_slice(extra);
        run_cli(&url, &args, "")
    };
    let read = stdout(&create(&["--scope", "read", "--expires-in-days", "7"]));
    let write = stdout(&create(&["--scope", "write"]));
    for (bad, said) in [
        (&["--scope", "admin"][..], "admin"),
        (&["--expires-in-days", "0"][..], "0"),
        (&["--expires-in-days", "3651"][..], "3651"),
    ] {
        let refused = create(bad);
        assert!(!refused.status.success(), "{bad:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(said), "{stderr}");
    }

    let app = TestApp::start(database).await;
    let body = example("basic-icp");
    let icps = "/api/v1/entities/icps";
    let refused = app.send(Method::POST, icps, Some(&read), Some(&body)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "FORBIDDEN");
    let created = app
        .send(Method::POST, icps, Some(&write), Some(&body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let listed = app.send(Method::GET, icps, Some(&read), None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));

    let user = app
        .store
        .user_by_email("cy@example.com")
        .await
        .unwrap()
        .unwrap();
    let tokens = app.store.tokens(&user.user.id).await.unwrap();
    let [newer, older] = &tokens[..] else {
        panic!("two tokens: {tokens:?}");
    };
    assert_eq!(newer.expires_at, None, "write, never expires by default");
    let days = days_between(older.created_at, older.expires_at.expect("expires"));
    assert_eq!((older.scope.as_str(), days), ("read", 7));
}
