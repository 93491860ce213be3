//! The real `icp-builder` binary as a child process, and plain HTTP/1.1 over TCP to talk to it.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BINARY: &str = env!("CARGO_BIN_EXE_icp-builder");

/// Start-up includes migrations; generous because the test machine may be busy compiling.
const START_UP_LIMIT: Duration = Duration::from_secs(120);

/// A server process on its own port; killed when dropped.
pub struct Server {
    child: Child,
    pub address: SocketAddr,
    log: Arc<Mutex<String>>,
    _site_root: TempDir,
}

impl Server {
    /// Starts `icp-builder serve` on `database_url` and waits until it listens.
    pub fn start(database_url: &str) -> Server {
        Server::start_with(database_url, &[])
    }

    /// As `start`, with more environment variables (`LOG_FORMAT`, `METRICS_ADDR`, …).
    pub fn start_with(database_url: &str, env: &[(&str, &str)]) -> Server {
        let site_root = tempfile::tempdir().expect("site root");
        let mut child = Command::new(BINARY)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            // Port 0: the kernel picks a free port, and the server logs the one it got.
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("LEPTOS_SITE_ROOT", site_root.path())
            .env("LEPTOS_OUTPUT_NAME", "icp-builder")
            .env("RUST_LOG", "info,sqlx=warn")
            .env("NO_COLOR", "1")
            .env_remove("PUBLIC_URL")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start icp-builder");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (listening, address) = mpsc::channel();
        {
            let log = log.clone();
            // Keeps draining the log for the process's whole life: a full pipe would block it.
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(address) = listening_address(&line) {
                        let _ = listening.send(address);
                    }
                    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let address = match address.recv_timeout(START_UP_LIMIT) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the server did not start within {START_UP_LIMIT:?}; its log:\n{}",
                    log.lock().unwrap_or_else(|e| e.into_inner())
                );
            }
        };
        Server {
            child,
            address,
            log,
            _site_root: site_root,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as a process manager stopping the service would.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// SIGKILL: the process gets no chance to finish anything.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }

    /// The exit status, once the process has exited within `limit`.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the server") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The address in the server's "listening on http://…" line.
fn listening_address(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("listening on http://")?;
    let address: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '\u{1b}' | '"' | '/'))
        .collect();
    address.parse().ok()
}

/// Runs the binary's admin command line on `database_url` with `stdin` as its input.
pub fn run_cli(database_url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BINARY)
        .args(args)
        .env("DATABASE_URL", database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run icp-builder");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("icp-builder exits")
}

/// As `run_cli`, which must succeed; returns its standard output.
pub fn cli(database_url: &str, args: &[&str], stdin: &str) -> String {
    let output = run_cli(database_url, args, stdin);
    assert!(
        output.status.success(),
        "icp-builder {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Creates a user and an API token of theirs with the CLI; returns the token.
pub fn user_token(database_url: &str) -> String {
    let email = format!("load-{}@example.com", uuid::Uuid::new_v4().simple());
    cli(
        database_url,
        &["users", "create", "--email", &email, "--name", "Load"],
        "correct horse battery\n",
    );
    cli(
        database_url,
        &["tokens", "create", "--email", &email, "--label", "load"],
        "",
    )
}

/// A fresh SQLite database in its own directory (kept while the `TempDir` lives).
pub fn sqlite_database() -> (TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("icp.db").display());
    (dir, url)
}

/// One HTTP/1.1 answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// The bytes of a request; `body` is sent as JSON. Without `keep_alive` it asks to close after.
pub fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
    keep_alive: bool,
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    if !keep_alive {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default().as_bytes());
    bytes
}

/// A client connection that reads answers one at a time.
pub struct Connection {
    pub stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub async fn open(address: SocketAddr) -> std::io::Result<Connection> {
        Ok(Connection {
            stream: TcpStream::connect(address).await?,
            buffer: Vec::new(),
        })
    }

    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Reads one answer head (a `100 Continue` included).
    pub async fn read_head(&mut self) -> std::io::Result<(u16, Vec<(String, String)>)> {
        let end = loop {
            if let Some(at) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
        self.buffer.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| invalid(format!("bad status line in {head:?}")))?;
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        Ok((status, headers))
    }

    /// Reads one final answer, skipping interim (1xx) ones.
    pub async fn read_answer(&mut self) -> std::io::Result<Answer> {
        let (status, headers) = loop {
            let (status, headers) = self.read_head().await?;
            if status >= 200 {
                break (status, headers);
            }
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _): &&(String, String)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let body = if let Some(length) = header("content-length") {
            let length: usize = length
                .parse()
                .map_err(|_| invalid(format!("bad content-length {length}")))?;
            self.take(length).await?
        } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            let mut body = Vec::new();
            loop {
                let line = self.take_line().await?;
                let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| invalid(format!("bad chunk size {line:?}")))?;
                if size == 0 {
                    self.take_line().await?;
                    break body;
                }
                body.extend(self.take(size).await?);
                self.take_line().await?;
            }
        } else {
            while self.fill().await.is_ok() {}
            std::mem::take(&mut self.buffer)
        };
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// Reads until the server closes the connection (a reset counts); returns what it sent first.
    pub async fn closed_by_server(&mut self) -> Vec<u8> {
        let mut rest = std::mem::take(&mut self.buffer);
        let _ = self.stream.read_to_end(&mut rest).await;
        rest
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 8192];
        let read = self.stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }

    async fn take(&mut self, length: usize) -> std::io::Result<Vec<u8>> {
        while self.buffer.len() < length {
            self.fill().await?;
        }
        Ok(self.buffer.drain(..length).collect())
    }

    async fn take_line(&mut self) -> std::io::Result<String> {
        let end = loop {
            if let Some(at) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                break at;
            }
            self.fill().await?;
        };
        let line = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
        self.buffer.drain(..end + 2);
        Ok(line)
    }
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

/// One request on its own connection.
pub async fn call(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<Answer> {
    let mut connection = Connection::open(address).await?;
    connection
        .send(&request(method, path, token, body, false))
        .await?;
    connection.read_answer().await
}

/// A small valid create body.
pub fn icp_body(name: &str) -> String {
    serde_json::json!({
        "name": name,
        "leadProviderCriteria": [],
        "customFilterCriteria": [],
        "userIds": []
    })
    .to_string()
}
