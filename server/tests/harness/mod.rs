//! What the reliability test (`tests/reliability.rs`) and the soak (`examples/soak.rs`) share: the
//! real server binary run as a separate process on a port of its own, a small HTTP/1.1 client
//! speaking to it over TCP like a browser would, databases of their own, and a throwaway PostgreSQL
//! cluster that can be stopped and started.
#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const PASSWORD: &str = "seatkeeper-demo";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

// ---------------------------------------------------------------------------------------------
// HTTP

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// `name=value` of the session cookie the answer sets.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next())
            .find(|c| c.starts_with("sk_session=") && c.len() > "sk_session=".len())
            .map(str::to_string)
    }
}

/// One request on a connection of its own (`Connection: close`), with the headers a same-origin
/// browser request carries. An error is "no HTTP answer at all": refused, reset, cut short, or
/// nothing within `timeout`.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<(&str, &[u8])>,
    timeout: Duration,
) -> Result<Reply, String> {
    match tokio::time::timeout(timeout, exchange(addr, method, path, cookie, body)).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {:.1} s", timeout.as_secs_f64())),
    }
}

async fn exchange(addr: SocketAddr, method: &str, path: &str, cookie: Option<&str>, body: Option<(&str, &[u8])>) -> Result<Reply, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nSec-Fetch-Site: same-origin\r\nAccept: */*\r\nConnection: close\r\n"
    );
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    let payload: &[u8] = match body {
        Some((content_type, bytes)) => {
            head.push_str(&format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n", bytes.len()));
            bytes
        }
        None if method != "GET" => {
            head.push_str("Content-Length: 0\r\n");
            &[]
        }
        None => &[],
    };
    head.push_str("\r\n");
    let mut message = head.into_bytes();
    message.extend_from_slice(payload);
    stream.write_all(&message).await.map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.map_err(|e| format!("read: {e}"))?;
    parse(&raw)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse(raw: &[u8]) -> Result<Reply, String> {
    let end = find(raw, b"\r\n\r\n").ok_or_else(|| format!("the connection closed after {} bytes, before a whole answer", raw.len()))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("not HTTP: {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let mut body = raw[end + 4..].to_vec();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body)?;
    } else if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if body.len() < length {
            return Err(format!("the answer was cut short: {} of {length} bytes", body.len()));
        }
        body.truncate(length);
    }
    Ok(Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line = find(data, b"\r\n").ok_or("a chunked answer was cut short")?;
        let size_text = String::from_utf8_lossy(&data[..line]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or_default().trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data = &data[line + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("a chunked answer was cut short".into());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Calls a server function the way the browser does (a JSON POST to /api/...).
pub async fn call(addr: SocketAddr, endpoint: &str, cookie: &str, args: &serde_json::Value, timeout: Duration) -> Result<Reply, String> {
    let body = args.to_string();
    request(addr, "POST", &format!("/api/{endpoint}"), Some(cookie), Some(("application/json", body.as_bytes())), timeout).await
}

/// Signs in with the demo password; returns the `name=value` of the session cookie.
pub async fn sign_in(addr: SocketAddr, email: &str) -> Result<String, String> {
    let form = format!("email={}&password={PASSWORD}", email.replace('@', "%40"));
    let reply = request(addr, "POST", "/auth/login", None, Some(("application/x-www-form-urlencoded", form.as_bytes())), Duration::from_secs(30)).await?;
    reply.session_cookie().ok_or_else(|| format!("sign-in of {email} failed: {} {:?}", reply.status, reply.header("location")))
}

// ---------------------------------------------------------------------------------------------
// The server process

pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl ServerProcess {
    /// Starts `binary serve` against `database_url` on a free port, from the workspace root (where
    /// it finds target/site), appending its output to `log`.
    pub fn spawn(binary: &Path, database_url: &str, log: &Path) -> Self {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let out = OpenOptions::new().create(true).append(true).open(log).expect("the server's log file");
        let err = out.try_clone().expect("the server's log file");
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .current_dir(workspace_root())
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("RUST_LOG", "warn,server=info")
            .env_remove("SMTP_URL")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        // What scripts/env.sh exports, for a run without it.
        for (key, value) in [("LEPTOS_OUTPUT_NAME", "seatkeeper"), ("LEPTOS_SITE_ROOT", "target/site"), ("LEPTOS_SITE_PKG_DIR", "pkg")] {
            if std::env::var_os(key).is_none() {
                command.env(key, value);
            }
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        Self { child, addr, log: log.to_path_buf() }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the server answers HTTP at all.
    pub async fn wait_ready(&mut self, within: Duration) -> Result<Duration, String> {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the server exited ({status}) before serving; its log:\n{}", self.log_tail(30)));
            }
            if request(self.addr, "GET", "/login", None, None, Duration::from_secs(2)).await.is_ok() {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(format!("the server did not answer within {within:?}; its log:\n{}", self.log_tail(30)))
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: the process ends at once, mid-whatever it was doing.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then SIGKILL if it has not stopped within `grace`.
    pub fn terminate(&mut self, grace: Duration) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let started = Instant::now();
        while started.elapsed() < grace {
            if !self.is_running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---------------------------------------------------------------------------------------------
// Databases

/// `url` with its database name replaced.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let cut = base.rfind('/').filter(|&i| i > base.find("://").map_or(0, |s| s + 2)).unwrap_or(base.len());
    format!("{}/{database}{query}", &base[..cut])
}

/// Creates the database `name` afresh on the cluster of `url`; returns its URL.
pub async fn fresh_database(url: &str, name: &str) -> String {
    use sqlx::{Connection, Executor};
    let mut admin = sqlx::PgConnection::connect(&with_database(url, "postgres")).await.expect("the cluster in DATABASE_URL");
    admin.execute(format!("drop database if exists {name} with (force)").as_str()).await.expect("dropping the old database");
    admin.execute(format!("create database {name}").as_str()).await.expect("creating the database (the role needs CREATEDB)");
    admin.close().await.ok();
    with_database(url, name)
}

pub async fn drop_database(url: &str, name: &str) {
    use sqlx::{Connection, Executor};
    if let Ok(mut admin) = sqlx::PgConnection::connect(&with_database(url, "postgres")).await {
        let _ = admin.execute(format!("drop database if exists {name} with (force)").as_str()).await;
        admin.close().await.ok();
    }
}

// ---------------------------------------------------------------------------------------------
// A throwaway PostgreSQL cluster

/// A cluster of its own in a temporary folder, listening on 127.0.0.1 only, that a test may stop and
/// start. As root, PostgreSQL runs as the `postgres` user (initdb refuses root), like scripts/pg.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
    as_root: bool,
}

fn postgres_bin() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("PostgreSQL's server binaries are needed (/usr/lib/postgresql: {e}); `scripts/pg start` installs them"))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|f| f.1).ok_or_else(|| "no /usr/lib/postgresql/*/bin/initdb; `scripts/pg start` installs PostgreSQL".into())
}

impl Cluster {
    pub fn create(label: &str) -> Result<Self, String> {
        let bin = postgres_bin()?;
        let as_root = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false);
        let dir = std::env::temp_dir().join(format!("seatkeeper-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("run")).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let cluster = Self { bin, dir, port: free_port(), as_root };
        if as_root {
            cluster.run("chown", &["-R", "postgres:", &cluster.dir.display().to_string()], false)?;
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &["-D", &data, "-U", "seatkeeper", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"],
            true,
        )?;
        Ok(cluster)
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str], postgres_tool: bool) -> Result<(), String> {
        let program_path = if postgres_tool { self.bin.join(program).display().to_string() } else { program.to_string() };
        let mut command = if self.as_root && postgres_tool {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", &program_path]);
            c
        } else {
            Command::new(&program_path)
        };
        let output = command.args(args).stdin(Stdio::null()).output().map_err(|e| format!("{program}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} {} failed: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// Starts it and waits until it accepts connections.
    pub fn start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=100",
            self.port,
            self.dir.join("run").display()
        );
        let log = self.dir.join("postgres.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-l", &log, "-w", "-t", "30", "-o", &options, "start"], true)
    }

    /// Stops it the way an administrator restarting it would: `pg_ctl stop -m fast` (open
    /// connections are ended, running transactions rolled back).
    pub fn stop(&self) -> Result<(), String> {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "-t", "30", "stop"], true)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://seatkeeper@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "-t", "30", "stop"], true);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A log file in the target folder, emptied.
pub fn log_file(name: &str) -> PathBuf {
    let dir = workspace_root().join("target").join("reliability");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    let _ = File::create(&path);
    path
}
