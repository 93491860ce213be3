//! Load and fault: the real server is killed with SIGKILL during concurrent creates, then restarted
//! on the same database; every ICP it acknowledged (201) must be there, on SQLite and Postgres.

use crate::common;
use crate::real_server::{call, icp_body, sqlite_database, user_token, Server};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Clients creating at once.
const WORKERS: usize = 8;
/// Acknowledged creates to wait for before the kill, so it lands in the middle of the load.
const ACKNOWLEDGED_BEFORE_KILL: usize = 200;
/// How long the load may take to reach that; generous for a busy 2-core machine.
const LOAD_LIMIT: Duration = Duration::from_secs(180);

#[derive(Default)]
struct Outcome {
    /// (id, name) of every create answered 201.
    acknowledged: Vec<(String, String)>,
    /// Creates sent whose answer never came (the kill cut them).
    unanswered: usize,
    /// Any other answer: none is expected.
    unexpected: Vec<String>,
}

async fn create_until_the_server_dies(
    address: SocketAddr,
    token: Arc<String>,
    worker: usize,
    outcome: Arc<Mutex<Outcome>>,
    stop: Arc<AtomicBool>,
) {
    for attempt in 0.. {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let name = format!("Fault {worker}-{attempt}");
        let answer = call(
            address,
            "POST",
            "/api/v1/entities/icps",
            Some(&token),
            Some(&icp_body(&name)),
        )
        .await;
        let mut outcome = outcome.lock().unwrap_or_else(|e| e.into_inner());
        match answer {
            Ok(answer) if answer.status == 201 => {
                let id = answer.json()["id"].as_str().expect("id").to_owned();
                outcome.acknowledged.push((id, name));
            }
            Ok(answer) => {
                outcome.unexpected.push(format!(
                    "{} {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                ));
                return;
            }
            Err(_) => {
                // Refused (the server is gone) or cut off mid-answer: this worker is done.
                outcome.unanswered += 1;
                return;
            }
        }
    }
}

/// Every ICP the caller can list, following the cursor.
async fn all_names(address: SocketAddr, token: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut path = "/api/v1/entities/icps?limit=100".to_owned();
    loop {
        let page = call(address, "GET", &path, Some(token), None)
            .await
            .expect("list");
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        for icp in page.json().as_array().expect("a list") {
            names.push(icp["name"].as_str().expect("name").to_owned());
        }
        match page.header("x-next-cursor") {
            Some(cursor) => {
                let cursor: String =
                    url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
                path = format!("/api/v1/entities/icps?limit=100&cursor={cursor}");
            }
            None => return names,
        }
    }
}

async fn every_acknowledged_create_survives_sigkill(database: &str, database_url: &str) {
    let token = Arc::new(user_token(database_url));
    let mut server = Server::start(database_url);
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            tokio::spawn(create_until_the_server_dies(
                server.address,
                token.clone(),
                worker,
                outcome.clone(),
                stop.clone(),
            ))
        })
        .collect();

    let loaded = tokio::time::timeout(LOAD_LIMIT, async {
        loop {
            let (acknowledged, unexpected) = {
                let outcome = outcome.lock().unwrap_or_else(|e| e.into_inner());
                (outcome.acknowledged.len(), outcome.unexpected.len())
            };
            if acknowledged >= ACKNOWLEDGED_BEFORE_KILL || unexpected > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        loaded.is_ok(),
        "the load did not get going; log:\n{}",
        server.log()
    );
    server.kill();
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("worker");
    }

    let outcome = std::mem::take(&mut *outcome.lock().unwrap_or_else(|e| e.into_inner()));
    assert!(
        outcome.unexpected.is_empty(),
        "answers other than 201 under load: {:?}",
        outcome.unexpected
    );

    let server = Server::start(database_url);
    let mut missing = Vec::new();
    for (id, name) in &outcome.acknowledged {
        let answer = call(
            server.address,
            "GET",
            &format!("/api/v1/entities/icps/{id}"),
            Some(&token),
            None,
        )
        .await
        .expect("get");
        if answer.status != 200 || answer.json()["name"] != name.as_str() {
            missing.push(format!("{id} ({name}): {}", answer.status));
        }
    }
    let stored = all_names(server.address, &token).await;
    eprintln!(
        "measured on {database}: {} acknowledged, {} unanswered at the kill, {} of the \
         acknowledged found after restart, {} stored in all",
        outcome.acknowledged.len(),
        outcome.unanswered,
        outcome.acknowledged.len() - missing.len(),
        stored.len()
    );
    assert!(
        missing.is_empty(),
        "acknowledged ICPs lost by the kill: {missing:?}"
    );
    // Nothing beyond what was sent: at most one unanswered create per worker may have landed.
    assert!(
        stored.len() <= outcome.acknowledged.len() + outcome.unanswered,
        "{} stored, but only {} acknowledged and {} unanswered",
        stored.len(),
        outcome.acknowledged.len(),
        outcome.unanswered
    );
}

#[tokio::test]
async fn every_acknowledged_create_survives_sigkill_on_sqlite() {
    let (_dir, url) = sqlite_database();
    every_acknowledged_create_survives_sigkill("SQLite", &url).await;
}

#[tokio::test]
async fn every_acknowledged_create_survives_sigkill_on_postgres() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    let schema = common::new_postgres_schema(&url).await;
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    every_acknowledged_create_survives_sigkill("Postgres", &url).await;
}
