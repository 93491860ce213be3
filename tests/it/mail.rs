//! Mail end to end (issue 29's "Done when"): the app sends through a real SMTP server process
//! (tests/smtp_sink/sink.py, PyPI `aiosmtpd`) and the tests read what it received — a password
//! reset, an invitation, an email change's confirmation — and follow the links. Also what happens
//! without mail: `users set-password` on the command line, an email change made at once.
//!
//! The sink runs on `target/webhook-venv/bin/python`, which `scripts/test.sh` creates
//! (`ensure_webhook_receiver` in scripts/setup.sh).

use crate::common::{self, location, on_both_databases, session_cookie, text, Database, TestApp};
use crate::real_server::run_cli;
use crate::webhook_delivery::database_url;
use axum::http::{Method, StatusCode};
use icp_builder::domain::Timestamp;
use icp_builder::store::{EmailPurpose, NewEmailToken};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const VENV_PYTHON: &str = "target/webhook-venv/bin/python";
const SINK: &str = "tests/smtp_sink/sink.py";
/// How long a message may take to reach the sink.
const ARRIVAL: Duration = Duration::from_secs(20);
const PASSWORD: &str = "correct horse battery";

/// The SMTP sink process, on its own port; killed when dropped.
struct Sink {
    child: Child,
    address: SocketAddr,
    received: Arc<Mutex<Vec<Value>>>,
    log: Arc<Mutex<String>>,
}

impl Sink {
    fn start() -> Sink {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let python = root.join(VENV_PYTHON);
        assert!(
            python.exists(),
            "{} is missing: the mail tests send through aiosmtpd installed there. Create it with \
             `bash -c 'source scripts/setup.sh && ensure_webhook_receiver'` (scripts/test.sh does \
             this before cargo test)",
            python.display()
        );
        let mut child = Command::new(&python)
            .arg(root.join(SINK))
            .args(["--port", "0"])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", python.display()));
        let log = Arc::new(Mutex::new(String::new()));
        {
            let mut stderr = child.stderr.take().expect("stderr");
            let log = log.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(read @ 1..) = stderr.read(&mut chunk) {
                    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                    log.push_str(&String::from_utf8_lossy(&chunk[..read]));
                }
            });
        }
        let received = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let (listening, address) = mpsc::channel();
        {
            let received = received.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(address) = line.strip_prefix("listening on ") {
                        let _ = listening.send(address.parse::<SocketAddr>());
                    } else if let Ok(message) = serde_json::from_str::<Value>(&line) {
                        received
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(message);
                    }
                }
            });
        }
        let address = match address.recv_timeout(Duration::from_secs(20)) {
            Ok(Ok(address)) => address,
            outcome => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "the SMTP sink did not start ({outcome:?}); if `aiosmtpd` is missing, run \
                     `bash -c 'source scripts/setup.sh && ensure_webhook_receiver'`. Its log:\n{}",
                    log.lock().unwrap_or_else(|e| e.into_inner())
                );
            }
        };
        Sink {
            child,
            address,
            received,
            log,
        }
    }

    fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// Every message received so far, in order.
    fn received(&self) -> Vec<Value> {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The messages received for `to`.
    fn to(&self, to: &str) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|message| {
                message["to"]
                    .as_array()
                    .is_some_and(|all| all.iter().any(|a| a == to))
            })
            .collect()
    }

    /// The `nth` (from 1) message for `to`, once it has arrived.
    async fn message(&self, to: &str, nth: usize) -> Value {
        let start = Instant::now();
        loop {
            if let Some(message) = self.to(to).get(nth - 1) {
                return message.clone();
            }
            assert!(
                start.elapsed() < ARRIVAL,
                "no message {nth} for {to} within {ARRIVAL:?}; received {:?}; the sink's log:\n{}",
                self.received(),
                self.log.lock().unwrap_or_else(|e| e.into_inner())
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The one link in `message`'s body that starts with `prefix` (e.g. `http://localhost/reset-password/`),
/// as a path.
fn link(message: &Value, prefix: &str) -> String {
    let body = message["body"].as_str().expect("a body");
    let url = body
        .split_whitespace()
        .find(|word| word.starts_with(prefix))
        .unwrap_or_else(|| panic!("no link {prefix}… in {body}"));
    url.strip_prefix(common::SITE)
        .expect("the link is on the site the request named")
        .to_owned()
}

/// Signs `email` in through the form; its session cookie.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> Option<String> {
    let reply = app
        .submit(
            "/sign-in",
            None,
            &[("email", email), ("password", password)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    (!location(&reply).starts_with("/sign-in")).then(|| session_cookie(&reply).expect("cookie"))
}

/// Whether `cookie` still opens the settings page (else it is sent to sign in).
async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    let reply = app.visit("/settings", Some(cookie)).await;
    match reply.status {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER if location(&reply).starts_with("/sign-in") => false,
        other => panic!("/settings answered {other}"),
    }
}

async fn a_reset_link_arrives_and_works_once(database: Database) {
    let sink = Sink::start();
    let app = TestApp::start_with_mail(database, &sink.url()).await;
    let (email, elsewhere) = app.signed_up("Ana").await;
    let other = sign_in(&app, &email, PASSWORD).await.expect("signed in");

    // The sign-in page offers it; the page asks for the address.
    let page = app.visit("/sign-in", None).await;
    assert!(text(&page).contains("href=\"/forgot-password\""));
    let page = app.visit("/forgot-password", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(text(&page).contains("action=\"/forgot-password\""));

    // An address without an account gets the same answer, and no mail.
    let nobody = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
    let answer_for = |reply: &common::Reply, address: &str| {
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        location(reply).replace(&address.replace('@', "%40"), "ADDRESS")
    };
    let unknown = app
        .submit("/forgot-password", None, &[("email", &nobody)])
        .await;
    let known = app
        .submit("/forgot-password", None, &[("email", &email)])
        .await;
    assert_eq!(answer_for(&unknown, &nobody), answer_for(&known, &email));
    assert_eq!(
        answer_for(&known, &email),
        "/forgot-password?sent=1&email=ADDRESS"
    );

    let message = sink.message(&email, 1).await;
    assert_eq!(message["subject"], "Reset your ICP Builder password");
    assert_eq!(message["content_type"], "text/plain");
    assert!(message["header_from"]
        .as_str()
        .is_some_and(|from| from.contains("no-reply@localhost")));
    let reset = link(&message, "http://localhost/reset-password/");
    let token = reset.rsplit('/').next().expect("token");
    assert_eq!(token.len(), 64, "32 random bytes in hex");
    // Stored as its SHA-256 (looked up by the hash; the token itself finds nothing).
    let live = |hash: Vec<u8>| {
        let store = app.store.clone();
        async move {
            store
                .live_email_token(EmailPurpose::Reset, &hash, Timestamp::now())
                .await
                .expect("read")
        }
    };
    let hash = icp_builder::mail::tokens::token_hash(token);
    assert!(live(hash.clone()).await.is_some());
    assert!(live(token.as_bytes().to_vec()).await.is_none());

    let page = app.visit(&reset, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(text(&page).contains("Choose a new password"));
    // The sign-up rules: too short is refused, and the link stays usable.
    let short = app.submit(&reset, None, &[("password", "short")]).await;
    assert_eq!(location(&short), format!("{reset}?error=password"));
    let done = app
        .submit(&reset, None, &[("password", "a brand new password")])
        .await;
    assert_eq!(location(&done), "/settings?notice=password-reset");
    let here = session_cookie(&done).expect("signed in here");
    assert!(signed_in(&app, &here).await);
    assert!(live(hash).await.is_none(), "used up");
    // Every other session ended.
    assert!(!signed_in(&app, &elsewhere).await);
    assert!(!signed_in(&app, &other).await);
    assert!(sign_in(&app, &email, PASSWORD).await.is_none());
    assert!(sign_in(&app, &email, "a brand new password")
        .await
        .is_some());

    // Once only.
    let again = app
        .submit(&reset, None, &[("password", "yet another password")])
        .await;
    assert_eq!(location(&again), "/forgot-password?link=closed");
    let closed = app.visit("/forgot-password?link=closed", None).await;
    assert!(text(&closed).contains("expired or was already used"));
    assert!(sign_in(&app, &email, "a brand new password")
        .await
        .is_some());

    // The unknown address got nothing (its answer came first; give a stray mail time to land).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sink.to(&nobody).is_empty(), "{:?}", sink.received());
    assert_eq!(sink.received().len(), 1, "{:?}", sink.received());
}

async fn expired_and_unknown_links_are_refused_and_swept(database: Database) {
    let sink = Sink::start();
    let app = TestApp::start_with_mail(database, &sink.url()).await;
    let caller = app.caller("Ben").await;
    let token = "ab".repeat(32);
    let long_ago = Timestamp::parse("2024-01-01T00:00:00Z").expect("time");
    app.store
        .insert_email_token(&NewEmailToken {
            id: uuid::Uuid::now_v7(),
            purpose: EmailPurpose::Reset,
            user: &caller.id,
            token_hash: &icp_builder::mail::tokens::token_hash(&token),
            new_email: None,
            created_at: long_ago,
            expires_at: Timestamp(long_ago.0 + chrono::Duration::hours(1)),
        })
        .await
        .expect("insert");
    let expired = app
        .submit(
            &format!("/reset-password/{token}"),
            None,
            &[("password", "a brand new password")],
        )
        .await;
    assert_eq!(location(&expired), "/forgot-password?link=closed");
    for unknown in ["cd".repeat(32), "not-a-token".to_owned()] {
        let reply = app
            .submit(
                &format!("/reset-password/{unknown}"),
                None,
                &[("password", "a brand new password")],
            )
            .await;
        assert_eq!(location(&reply), "/forgot-password?link=closed");
    }
    // The hourly sweep's statement deletes it.
    assert_eq!(
        app.store
            .purge_email_tokens(Timestamp::now())
            .await
            .expect("purge"),
        1
    );
    assert_eq!(
        app.store
            .purge_email_tokens(Timestamp::now())
            .await
            .expect("purge"),
        0
    );
}

async fn reset_requests_are_limited_per_address(database: Database) {
    let sink = Sink::start();
    let app = TestApp::start_with_mail(database, &sink.url()).await;
    let (email, _) = app.signed_up("Cleo").await;
    for _ in 0..3 {
        let reply = app
            .submit("/forgot-password", None, &[("email", &email)])
            .await;
        assert!(location(&reply).contains("sent=1"), "{}", location(&reply));
    }
    let refused = app
        .submit("/forgot-password", None, &[("email", &email)])
        .await;
    assert!(
        location(&refused).contains("retry="),
        "{}",
        location(&refused)
    );
    sink.message(&email, 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.to(&email).len(), 3);
}

async fn an_invitation_is_mailed_and_its_link_accepts(database: Database) {
    let sink = Sink::start();
    let app = TestApp::start_with_mail(database, &sink.url()).await;
    let (_, owner) = app.signed_up("Dana").await;
    let invitee = format!("eve-{}@example.com", uuid::Uuid::new_v4().simple());
    let invited = app
        .submit(
            "/settings/team/invitations",
            Some(&owner),
            &[("email", &invitee)],
        )
        .await;
    assert_eq!(location(&invited), "/settings/team?notice=invited-mailed");
    let message = sink.message(&invitee, 1).await;
    assert!(message["subject"]
        .as_str()
        .is_some_and(|subject| subject.starts_with("Dana invites you to")));
    let invitation = link(&message, "http://localhost/invite/inv_");
    let token = invitation.trim_start_matches("/invite/");
    let page = app.visit(&invitation, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(text(&page).contains("Dana"));

    let next = invitation.clone();
    let joined = app
        .submit(
            "/sign-up",
            None,
            &[
                ("name", "Eve"),
                ("email", &invitee),
                ("password", PASSWORD),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(location(&joined), "/icps?view=shared&notice=joined");
    let eve = session_cookie(&joined).expect("signed up");
    // Once only.
    let again = app
        .submit(&format!("/invite/{token}/accept"), Some(&eve), &[])
        .await;
    assert!(location(&again).contains("error="), "{}", location(&again));
}

async fn a_new_email_is_confirmed_by_its_link(database: Database) {
    let sink = Sink::start();
    let app = TestApp::start_with_mail(database, &sink.url()).await;
    let (email, cookie) = app.signed_up("Finn").await;
    let new = format!("finn-new-{}@example.com", uuid::Uuid::new_v4().simple());

    let wrong = app
        .submit(
            "/settings/email",
            Some(&cookie),
            &[("new-email", &new), ("email-password", "not my password")],
        )
        .await;
    assert!(location(&wrong).starts_with("/settings?email-error=password"));
    let asked = app
        .submit(
            "/settings/email",
            Some(&cookie),
            &[("new-email", &new), ("email-password", PASSWORD)],
        )
        .await;
    assert!(
        location(&asked).starts_with("/settings?notice=email-sent"),
        "{}",
        location(&asked)
    );
    // Not changed until the link is opened.
    assert!(app
        .store
        .user_by_email(&email)
        .await
        .expect("read")
        .is_some());
    let message = sink.message(&new, 1).await;
    let confirm = link(&message, "http://localhost/confirm-email/");
    let page = app.visit(&confirm, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(app
        .store
        .user_by_email(&email)
        .await
        .expect("read")
        .is_some());
    let done = app.submit(&confirm, Some(&cookie), &[]).await;
    assert_eq!(location(&done), "/settings?notice=email-changed");
    assert!(app
        .store
        .user_by_email(&email)
        .await
        .expect("read")
        .is_none());
    assert!(app.store.user_by_email(&new).await.expect("read").is_some());
    assert!(sign_in(&app, &new, PASSWORD).await.is_some());
    let again = app.submit(&confirm, Some(&cookie), &[]).await;
    assert_eq!(location(&again), format!("{confirm}?error=closed"));

    // An address taken between the mail and the click: a clear message, nothing changed.
    let later = format!("finn-later-{}@example.com", uuid::Uuid::new_v4().simple());
    app.submit(
        "/settings/email",
        Some(&cookie),
        &[("new-email", &later), ("email-password", PASSWORD)],
    )
    .await;
    let confirm = link(
        &sink.message(&later, 1).await,
        "http://localhost/confirm-email/",
    );
    icp_builder::auth::create_user(app.store.as_ref(), &later, "Someone", PASSWORD)
        .await
        .expect("the address is taken meanwhile");
    let taken = app.submit(&confirm, Some(&cookie), &[]).await;
    assert!(location(&taken).starts_with(&format!("{confirm}?error=taken")));
    let page = app.visit(location(&taken), None).await;
    assert!(text(&page).contains("was not changed"));
    assert!(app.store.user_by_email(&new).await.expect("read").is_some());
}

async fn without_mail_the_email_changes_at_once_and_the_pages_say_so(database: Database) {
    let app = TestApp::start(database).await;
    let (email, cookie) = app.signed_up("Gus").await;
    let sign_in_page = app.visit("/sign-in", None).await;
    assert!(!text(&sign_in_page).contains("/forgot-password"));
    let forgot = app.visit("/forgot-password", None).await;
    assert!(text(&forgot).contains("icp-builder users set-password --email"));
    let ignored = app
        .submit("/forgot-password", None, &[("email", &email)])
        .await;
    assert_eq!(location(&ignored), "/forgot-password");

    let new = format!("gus-new-{}@example.com", uuid::Uuid::new_v4().simple());
    let changed = app
        .submit(
            "/settings/email",
            Some(&cookie),
            &[("new-email", &new), ("email-password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&changed), "/settings?notice=email-changed");
    assert!(app.store.user_by_email(&new).await.expect("read").is_some());
    let (other, _) = app.signed_up("Hal").await;
    let taken = app
        .submit(
            "/settings/email",
            Some(&cookie),
            &[("new-email", &other), ("email-password", PASSWORD)],
        )
        .await;
    assert!(location(&taken).starts_with("/settings?email-error=taken"));
    let settings = app.visit(location(&taken), Some(&cookie)).await;
    assert!(text(&settings).contains("Another account uses this address."));
}

async fn signing_out_everywhere_ends_every_session_but_not_tokens(database: Database) {
    let app = TestApp::start(database).await;
    let (email, here) = app.signed_up("Ida").await;
    let elsewhere = sign_in(&app, &email, PASSWORD).await.expect("signed in");
    let (_, token) = icp_builder::auth::create_token(
        app.store.as_ref(),
        &email,
        "CRM",
        icp_builder::auth::TokenTerms::default(),
    )
    .await
    .expect("token");
    let settings = app.visit("/settings", Some(&here)).await;
    assert!(text(&settings).contains("Your API tokens keep working"));
    let out = app
        .submit("/settings/sign-out-everywhere", Some(&here), &[])
        .await;
    assert_eq!(location(&out), "/sign-in?notice=signed-out-everywhere");
    assert!(!signed_in(&app, &here).await);
    assert!(!signed_in(&app, &elsewhere).await);
    let api = app
        .send(Method::GET, "/api/v1/entities/icps", Some(&token), None)
        .await;
    assert_eq!(api.status, StatusCode::OK);
}

async fn set_password_from_the_shell_ends_every_session(database: Database) {
    let url = database_url(&database);
    let app = TestApp::start(database).await;
    let (email, cookie) = app.signed_up("Jo").await;
    let output = run_cli(
        &url,
        &["users", "set-password", "--email", &email.to_uppercase()],
        "a shell-set password\n",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!signed_in(&app, &cookie).await);
    assert!(sign_in(&app, &email, PASSWORD).await.is_none());
    assert!(sign_in(&app, &email, "a shell-set password")
        .await
        .is_some());

    let short = run_cli(
        &url,
        &["users", "set-password", "--email", &email],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));
    let unknown = run_cli(
        &url,
        &["users", "set-password", "--email", "nobody@example.com"],
        "long enough password\n",
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no user has the email"));
}

on_both_databases!(
    a_reset_link_arrives_and_works_once,
    expired_and_unknown_links_are_refused_and_swept,
    reset_requests_are_limited_per_address,
    an_invitation_is_mailed_and_its_link_accepts,
    a_new_email_is_confirmed_by_its_link,
    without_mail_the_email_changes_at_once_and_the_pages_say_so,
    signing_out_everywhere_ends_every_session_but_not_tokens,
    set_password_from_the_shell_ends_every_session,
);
