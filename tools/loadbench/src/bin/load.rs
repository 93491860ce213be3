//! A closed-loop HTTP load generator: `concurrency` connections each send the same request again as
//! soon as the last one is answered, for `seconds`; prints requests per second and latency
//! percentiles of the successful (2xx) answers.
//!
//! `load LABEL URL CONCURRENCY SECONDS [METHOD [BODY_FILE]] [-H 'Name: value']...`

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::{Duration, Instant};

struct Args {
    label: String,
    url: String,
    concurrency: usize,
    seconds: f64,
    method: String,
    body: Bytes,
    headers: Vec<(String, String)>,
}

fn args() -> Result<Args, String> {
    let mut plain = Vec::new();
    let mut headers = Vec::new();
    let mut raw = std::env::args().skip(1);
    while let Some(arg) = raw.next() {
        if arg == "-H" {
            let header = raw.next().ok_or("-H needs 'Name: value'")?;
            let (name, value) = header.split_once(':').ok_or("a header is 'Name: value'")?;
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        } else {
            plain.push(arg);
        }
    }
    let usage = "usage: load LABEL URL CONCURRENCY SECONDS [METHOD [BODY_FILE]] [-H 'Name: value']...";
    if plain.len() < 4 {
        return Err(usage.into());
    }
    let body = match plain.get(5) {
        Some(path) => std::fs::read(path).map_err(|e| format!("{path}: {e}"))?.into(),
        None => Bytes::new(),
    };
    Ok(Args {
        label: plain[0].clone(),
        url: plain[1].clone(),
        concurrency: plain[2].parse().map_err(|_| usage)?,
        seconds: plain[3].parse().map_err(|_| usage)?,
        method: plain.get(4).cloned().unwrap_or_else(|| "GET".into()),
        body,
        headers,
    })
}

#[tokio::main]
async fn main() {
    let args = match args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.concurrency)
        .build_http();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.seconds);
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let client = client.clone();
        let (url, method, body, headers) = (
            args.url.clone(),
            args.method.clone(),
            args.body.clone(),
            args.headers.clone(),
        );
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0u64);
            while Instant::now() < deadline {
                let mut request = Request::builder().method(method.as_str()).uri(&url);
                for (name, value) in &headers {
                    request = request.header(name, value);
                }
                let Ok(request) = request.body(Full::new(body.clone())) else {
                    errors += 1;
                    break;
                };
                let sent = Instant::now();
                match client.request(request).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        let read = response.into_body().collect().await.is_ok();
                        if ok && read {
                            latencies.push(sent.elapsed());
                        } else {
                            errors += 1;
                        }
                    }
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for worker in workers {
        if let Ok((some, failed)) = worker.await {
            latencies.extend(some);
            errors += failed;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    // One line per run, read by scripts/bench.sh: label, req/s, p50 ms, p99 ms, ok, errors.
    println!(
        "{} {:.0} {:.2} {:.2} {} {}",
        args.label,
        latencies.len() as f64 / elapsed,
        at(0.50),
        at(0.99),
        latencies.len(),
        errors
    );
}
