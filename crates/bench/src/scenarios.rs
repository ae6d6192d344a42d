//! The figures of one backend, measured against one server in one run.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::net::TcpSocket;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::http::{self, Conn};
use crate::load::{self, Latency, Req, all_status, histogram, micros, run_all};
use crate::report::{Figure, Target};
use crate::server::{Server, Spec};
use crate::{Result, Sizes, progress};
use mediconnect_smtp_sink::SmtpServer;

const PASSWORD: &str = "benchmark password";
const SPECIALIZATIONS: [&str; 10] = [
    "Cardiology",
    "Dermatology",
    "Neurology",
    "Pediatrics",
    "Oncology",
    "Psychiatry",
    "Orthopedics",
    "Radiology",
    "Urology",
    "Ophthalmology",
];
/// Doctors online while the read paths are measured.
const ONLINE_DOCTORS: usize = 20;
/// Set-up requests in flight at once.
const SETUP_CONNS: usize = 16;
/// The small audience the status change is compared with.
const FEW_PATIENTS: usize = 10;

/// The admin who approves the benchmark's doctors.
const ADMIN_EMAIL: &str = "admin@bench.example.com";

fn doctor_email(i: usize) -> String {
    format!("doctor{i}@bench.example.com")
}

fn patient_email(i: usize) -> String {
    format!("patient{i}@bench.example.com")
}

/// Registers accounts `range` of `role` and confirms their addresses, as their owners
/// would: with the link in the email each gets (read from `sink`).
async fn register(
    addr: SocketAddr,
    sink: &SmtpServer,
    role: &str,
    range: std::ops::Range<usize>,
) -> Result {
    let emails: Vec<String> = range
        .clone()
        .map(|i| match role {
            "DOCTOR" => doctor_email(i),
            _ => patient_email(i),
        })
        .collect();
    let before = sink.tally().messages;
    let reqs = range
        .map(|i| {
            let (email, specialization) = if role == "DOCTOR" {
                (
                    doctor_email(i),
                    Some(SPECIALIZATIONS[i % SPECIALIZATIONS.len()]),
                )
            } else {
                (patient_email(i), None)
            };
            Req::post(
                "/api/auth/register",
                None,
                &json!({"name": format!("Bench {role} {i}"), "email": email,
                        "password": PASSWORD, "role": role, "specialization": specialization}),
            )
        })
        .collect();
    let (done, _) = run_all(addr, SETUP_CONNS, reqs).await?;
    all_status(&done, 201, "register")?;
    let tokens = confirmation_tokens(sink, before, &emails).await?;
    let reqs = tokens
        .iter()
        .map(|token| Req::post("/api/auth/verify-email", None, &json!({"token": token})))
        .collect();
    let (done, _) = run_all(addr, SETUP_CONNS, reqs).await?;
    all_status(&done, 204, "verify-email")
}

/// The token of the confirmation link sent to each of `emails` (among the messages
/// after the first `before`), once every one of them has arrived (up to two minutes).
async fn confirmation_tokens(
    sink: &SmtpServer,
    before: usize,
    emails: &[String],
) -> Result<Vec<String>> {
    const MARKER: &str = "/verify-email#token=";
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if Instant::now() > deadline {
            return Err("the confirmation emails did not all arrive in 2 min".to_owned());
        }
        // Read (and parse) the messages only once there can be enough of them.
        if sink.tally().messages < before + emails.len() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let mut found = std::collections::HashMap::new();
        for mail in sink.received().into_iter().skip(before) {
            let [to] = mail.to.as_slice() else { continue };
            let text = mail.text();
            if let Some(at) = text.find(MARKER) {
                let token: String = text[at + MARKER.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                found.insert(to.clone(), token);
            }
        }
        let tokens: Option<Vec<String>> = emails.iter().map(|e| found.get(e).cloned()).collect();
        match tokens {
            Some(tokens) => return Ok(tokens),
            None => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn login(addr: SocketAddr, emails: Vec<String>) -> Result<Vec<Arc<str>>> {
    let reqs = emails
        .iter()
        .map(|e| {
            Req::post(
                "/api/auth/login",
                None,
                &json!({"email": e, "password": PASSWORD}),
            )
        })
        .collect();
    let (done, _) = run_all(addr, SETUP_CONNS, reqs).await?;
    all_status(&done, 200, "login")?;
    done.iter()
        .map(|d| {
            let v: Value = serde_json::from_slice(&d.body).map_err(|e| e.to_string())?;
            v["token"]
                .as_str()
                .map(Arc::from)
                .ok_or_else(|| "login answered without a token".to_owned())
        })
        .collect()
}

/// Approves every doctor waiting for it, as the admin would from the queue.
async fn approve_doctors(addr: SocketAddr) -> Result {
    let admin = login(addr, vec![ADMIN_EMAIL.to_owned()]).await?.remove(0);
    loop {
        let queue = http::call(
            addr,
            "GET",
            "/api/admin/doctors?approval=PENDING&limit=100",
            Some(&admin),
            None,
        )
        .await?
        .expect(200, "the approval queue")?
        .json()?;
        let ids: Vec<String> = queue["doctors"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|d| d["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if ids.is_empty() {
            return Ok(());
        }
        let reqs = ids
            .iter()
            .map(|id| Req::post_empty(&format!("/api/admin/doctors/{id}/approve"), Some(&admin)))
            .collect();
        let (done, _) = run_all(addr, SETUP_CONNS, reqs).await?;
        all_status(&done, 200, "approve")?;
    }
}

/// The signed-in doctor's id (`GET /api/users/profile`).
async fn doctor_id(addr: SocketAddr, token: &str) -> Result<String> {
    let profile = http::call(addr, "GET", "/api/users/profile", Some(token), None)
        .await?
        .expect(200, "profile")?
        .json()?;
    profile["doctor"]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no doctor id in the profile: {profile}"))
}

async fn set_status(conn: &mut Conn, token: &str, online: bool) -> Result<Duration> {
    let body = json!({"isOnline": online}).to_string();
    let t = Instant::now();
    conn.send("PUT", "/api/doctors/status", Some(token), Some(&body))
        .await?
        .expect(200, "PUT /api/doctors/status")?;
    Ok(t.elapsed())
}

/// What the figures need beyond the server: the SMTP sink and the people.
struct World {
    addr: SocketAddr,
    sink: SmtpServer,
    /// Doctors 0..ONLINE_DOCTORS are online; then the fan-out, status and drain doctors.
    doctor_tokens: Vec<Arc<str>>,
    patients: usize,
}

impl World {
    fn fanout_doctor(&self) -> &Arc<str> {
        &self.doctor_tokens[ONLINE_DOCTORS]
    }
    fn status_doctor(&self) -> &Arc<str> {
        &self.doctor_tokens[ONLINE_DOCTORS + 1]
    }
    fn drain_doctor(&self) -> &Arc<str> {
        &self.doctor_tokens[ONLINE_DOCTORS + 2]
    }
}

pub async fn measure(spec: &Spec, sizes: &Sizes, backend: &str) -> Result<Vec<Figure>> {
    let sink = SmtpServer::start()
        .await
        .map_err(|e| format!("a loopback SMTP server: {e}"))?;
    let spec = Spec {
        smtp_port: sink.port,
        ..spec.clone()
    };
    let (server, _) = Server::start(&spec).await?;
    let addr = server.addr;
    Server::create_admin(&spec, ADMIN_EMAIL, PASSWORD)?;
    progress(&format!("{backend}: registering {} doctors", sizes.doctors));
    register(addr, &sink, "DOCTOR", 0..sizes.doctors).await?;
    approve_doctors(addr).await?;
    let doctor_tokens = login(addr, (0..ONLINE_DOCTORS + 3).map(doctor_email).collect()).await?;
    let mut conn = Conn::open(addr).await?;
    for token in &doctor_tokens[..ONLINE_DOCTORS] {
        set_status(&mut conn, token, true).await?;
    }
    register(addr, &sink, "PATIENT", 0..FEW_PATIENTS).await?;
    let mut world = World {
        addr,
        sink,
        doctor_tokens,
        patients: FEW_PATIENTS,
    };

    let mut figures = Figures::default();
    figures.push(online_vs_health(&world, sizes, backend).await?);
    figures.push(search(&world, sizes, backend).await?);
    let pinned = spec.cpu.is_some();
    let (fanned, frames) = fanout(&world, &server, sizes, backend, pinned).await?;
    for f in fanned {
        figures.push(f);
    }
    for f in references(&spec, sizes, &frames, pinned).await? {
        figures.push(f);
    }
    progress(&format!(
        "{backend}: registering patients up to {}",
        sizes.patients
    ));
    register(addr, &world.sink, "PATIENT", FEW_PATIENTS..sizes.patients).await?;
    world.patients = sizes.patients;
    figures.push(drain(&world, backend).await?);
    figures.push(status_ratio(&world, sizes, backend).await?);
    figures.push(booking(&world, sizes, backend).await?);
    figures.push(signal_relay(&world, sizes, backend).await?);

    server.stop().await?;
    figures.push(cold_start(&spec, sizes, backend).await?);
    Ok(figures.0)
}

/// Figures as they are measured, each shown at once.
#[derive(Default)]
struct Figures(Vec<Figure>);

impl Figures {
    fn push(&mut self, f: Figure) {
        progress(&format!("    {}: {}", f.key, f.detail));
        self.0.push(f);
    }
}

async fn online_vs_health(w: &World, sizes: &Sizes, backend: &str) -> Result<Figure> {
    progress(&format!(
        "{backend}: GET /api/health and /api/doctors/online, {} connections",
        sizes.conns
    ));
    let (mut health, mut online) = (Vec::new(), Vec::new());
    // Alternated, so drift (thermal, caches) touches both alike.
    for _ in 0..2 {
        for (path, out) in [
            ("/api/health", &mut health),
            ("/api/doctors/online", &mut online),
        ] {
            let (rps, _) =
                load::closed_loop(w.addr, sizes.conns, path, sizes.warmup, sizes.load_time).await?;
            out.push(rps);
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (h, o) = (mean(&health), mean(&online));
    Ok(Figure::ratio(
        "online_vs_health",
        &format!(
            "`GET /api/doctors/online` req/s ÷ `GET /api/health` req/s, {} keep-alive connections",
            sizes.conns
        ),
        o / h,
        Target::AtLeast(0.8),
        format!("{o:.0} req/s ÷ {h:.0} req/s, {ONLINE_DOCTORS} doctors online"),
    ))
}

async fn search(w: &World, sizes: &Sizes, backend: &str) -> Result<Figure> {
    progress(&format!(
        "{backend}: GET /api/doctors?specialization=...&page=1 over {} doctors",
        sizes.doctors
    ));
    let mut h = histogram();
    let mut rps = 0.0;
    for spec in SPECIALIZATIONS.iter().take(2) {
        let path = format!("/api/doctors?specialization={spec}&page=1");
        let (r, part) = load::closed_loop(
            w.addr,
            sizes.search_conns,
            &path,
            sizes.warmup,
            sizes.load_time,
        )
        .await?;
        rps += r / 2.0;
        h.add(part).map_err(|e| e.to_string())?;
    }
    let l = Latency::of(&h);
    Ok(Figure::value(
        "search_p99_ms",
        &format!(
            "`GET /api/doctors?specialization=...&page=1` p99, {} doctors, {} connections",
            sizes.doctors, sizes.search_conns
        ),
        l.p99_ms,
        "ms",
        Target::AtMost(10.0),
        format!(
            "p50 {:.2} ms, max {:.2} ms, {rps:.0} req/s",
            l.p50_ms, l.max_ms
        ),
    ))
}

/// Each socket's read buffer. tungstenite zero-fills the free part of it before every
/// read attempt, so with its default of 128 KiB the generator spent two thirds of its
/// CPU in `memset`, and the fan-out measured the generator rather than the server.
const READ_BUFFER: usize = 8 * 1024;

/// Keeps the load generator's thread busy while it lives: a task that only yields, so
/// the runtime polls for events without ever sleeping in `epoll_wait`.
///
/// On loopback the server's core runs the receiving side's TCP input too, and when the
/// generator's thread sleeps, every delivery also wakes it from the server's core (an
/// inter-processor interrupt, which costs a VM exit here). `perf` put that wake-up at
/// 16 % of the server's time during fan-out. Clients on other machines cost the server
/// nothing of the kind, so the generator spins while it waits for a change's
/// deliveries.
struct Spin(tokio::task::JoinHandle<()>);

impl Spin {
    fn start() -> Self {
        Spin(tokio::spawn(async {
            loop {
                tokio::task::yield_now().await;
            }
        }))
    }
}

impl Drop for Spin {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// When a `doctor_status` frame arrived at a socket, and for the socket that keeps
/// them, its text.
type Delivery = (Instant, Option<String>);

/// Opens one socket from `127.0.0.(2 + i % 8)`, reads its snapshot, and forwards the
/// arrival time of each `doctor_status` frame about `needle` (with its text if
/// `keep_text`). Returns the reader and the snapshot.
async fn open_socket(
    addr: SocketAddr,
    i: usize,
    needle: Arc<str>,
    tx: mpsc::UnboundedSender<Delivery>,
    keep_text: bool,
) -> Result<(tokio::task::JoinHandle<()>, String)> {
    let source = Ipv4Addr::new(127, 0, 0, 2 + (i % 8) as u8);
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::from((source, 0)))
        .map_err(|e| format!("bind {source}: {e}"))?;
    let stream = socket
        .connect(addr)
        .await
        .map_err(|e| format!("socket {i}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let url = format!("ws://{addr}/api/ws");
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
        .await
        .map_err(|e| format!("socket {i}: handshake: {e}"))?;
    let snapshot = match ws.next().await {
        Some(Ok(Message::Text(t))) if t.contains("\"snapshot\"") => t.as_str().to_owned(),
        other => return Err(format!("socket {i}: no snapshot first: {other:?}")),
    };
    let reader = tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(t) = msg
                && t.contains("\"doctor_status\"")
                && t.contains(&*needle)
            {
                let _ = tx.send((Instant::now(), keep_text.then(|| t.as_str().to_owned())));
            }
        }
    });
    Ok((reader, snapshot))
}

/// Opens `n` sockets to `server`, 128 handshakes at a time, and returns their readers
/// and the server's resident memory before and after, in KiB.
async fn open_many(
    server: &Server,
    n: usize,
    needle: &Arc<str>,
    tx: &mpsc::UnboundedSender<Delivery>,
) -> Result<(Vec<tokio::task::JoinHandle<()>>, u64, u64)> {
    let before = server.rss_kib()?;
    let opened: Vec<Result<(tokio::task::JoinHandle<()>, String)>> =
        futures_util::stream::iter(0..n)
            .map(|i| open_socket(server.addr, i, needle.clone(), tx.clone(), false))
            .buffer_unordered(128)
            .collect()
            .await;
    let readers = opened
        .into_iter()
        .map(|o| o.map(|(reader, _)| reader))
        .collect::<Result<Vec<_>>>()?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok((readers, before, server.rss_kib()?))
}

/// What sets off one round of fan-out.
enum Trigger<'a> {
    /// The doctor's `PUT /api/doctors/status`, online and offline by turns.
    Status { conn: Conn, token: &'a str },
    /// A reference server's `POST /fanout`.
    Reference(Conn),
}

impl Trigger<'_> {
    async fn fire(&mut self, round: usize) -> Result {
        match self {
            Trigger::Status { conn, token } => {
                set_status(conn, token, round.is_multiple_of(2)).await?;
            }
            Trigger::Reference(conn) => {
                conn.send("POST", "/fanout", None, None)
                    .await?
                    .expect(200, "POST /fanout")?;
            }
        }
        Ok(())
    }
}

/// The deliveries of some rounds of fan-out, each timed from just before its trigger.
struct Rounds {
    latency: Histogram<u64>,
    missed: usize,
    /// CPU per round, of the server and of this generator, in ms.
    server_cpu: f64,
    client_cpu: f64,
    /// Whether the generator spun while it waited.
    spun: bool,
    /// The text of the first frame that a socket kept.
    text: Option<String>,
}

/// Fires `trigger` `rounds` times, 300 ms apart, and times each round's deliveries to
/// `expected` sockets. With the server `pinned` to a core of its own, the generator
/// [`Spin`]s while it waits for them; without, spinning would take the server's CPU.
async fn fan_out_rounds(
    server: &Server,
    mut trigger: Trigger<'_>,
    deliveries: &mut mpsc::UnboundedReceiver<Delivery>,
    rounds: usize,
    expected: usize,
    pinned: bool,
) -> Result<Rounds> {
    let mut latency = histogram();
    let (mut missed, mut text) = (0, None);
    let cpu_before = (server.cpu_ms()?, crate::server::cpu_ms("/proc/self/stat")?);
    for round in 0..rounds {
        let spin = pinned.then(Spin::start);
        let t0 = Instant::now();
        trigger.fire(round).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut got = 0;
        while got < expected {
            match tokio::time::timeout_at(deadline, deliveries.recv()).await {
                Ok(Some((at, kept))) => {
                    latency.record(micros(at - t0)).map_err(|e| e.to_string())?;
                    text = text.or(kept);
                    got += 1;
                }
                _ => break,
            }
        }
        missed += expected - got;
        drop(spin);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let n = rounds as f64;
    Ok(Rounds {
        latency,
        missed,
        server_cpu: (server.cpu_ms()? - cpu_before.0) / n,
        client_cpu: (crate::server::cpu_ms("/proc/self/stat")? - cpu_before.1) / n,
        spun: pinned,
        text,
    })
}

impl Rounds {
    /// The p99 figure; its detail gives the first delivery, p50, max and CPU.
    fn p99_figure(&self, key: &str, label: &str, target: Target, rounds: usize) -> Figure {
        let l = Latency::of(&self.latency);
        Figure::value(
            key,
            label,
            l.p99_ms,
            "ms",
            target,
            format!(
                "first delivery {:.1} ms, p50 {:.1} ms, max {:.1} ms over {rounds} changes \
                 ({} deliveries); CPU per change (including 300 ms idle): server {:.0} ms, \
                 load generator {:.0} ms{}",
                self.latency.min() as f64 / 1000.0,
                l.p50_ms,
                l.max_ms,
                l.count,
                self.server_cpu,
                self.client_cpu,
                if self.spun {
                    " (it spins until the last delivery)"
                } else {
                    ""
                },
            ),
        )
    }
}

/// What the socket figures of the real server leave for the reference servers: the
/// first message every socket got, and the status event, byte for byte.
struct Frames {
    snapshot: String,
    event: String,
}

/// The fan-out and socket memory figures of the real server, and the frames it sent.
async fn fanout(
    w: &World,
    server: &Server,
    sizes: &Sizes,
    backend: &str,
    pinned: bool,
) -> Result<(Vec<Figure>, Frames)> {
    let token = w.fanout_doctor().clone();
    let id: Arc<str> = doctor_id(w.addr, &token).await?.into();
    // Warm the socket path, so the first sockets' one-off costs are not counted. This
    // socket keeps the event's text, for the reference servers.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (warm, snapshot) = open_socket(w.addr, 0, id.clone(), tx.clone(), true).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    progress(&format!("{backend}: opening {} sockets", sizes.sockets));
    let (readers, before, after) = open_many(server, sizes.sockets, &id, &tx).await?;
    let per_socket_kib = after.saturating_sub(before) as f64 / sizes.sockets as f64;

    progress(&format!(
        "{backend}: {} status changes, each to {} sockets",
        sizes.fanout_rounds, sizes.sockets
    ));
    let expected = sizes.sockets + 1;
    let trigger = Trigger::Status {
        conn: Conn::open(w.addr).await?,
        token: &token,
    };
    let rounds = fan_out_rounds(
        server,
        trigger,
        &mut rx,
        sizes.fanout_rounds,
        expected,
        pinned,
    )
    .await?;
    warm.abort();
    for r in readers {
        r.abort();
    }
    // Leave the doctor offline, and let the server notice the closed sockets.
    if !sizes.fanout_rounds.is_multiple_of(2) {
        set_status(&mut Conn::open(w.addr).await?, &token, false).await?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let event = rounds
        .text
        .clone()
        .ok_or("no status event reached the socket that keeps them")?;
    let figures = vec![
        rounds.p99_figure(
            "fanout_p99_ms",
            &format!(
                "Socket fan-out: {} sockets, one status change, delivery p99",
                sizes.sockets
            ),
            Target::AtMost(100.0),
            sizes.fanout_rounds,
        ),
        Figure::value(
            "fanout_missed",
            &format!("Socket fan-out: deliveries missed of {expected} per change"),
            rounds.missed as f64,
            "",
            Target::AtMost(0.0),
            "a delivery not seen within 10 s is missed".into(),
        ),
        Figure::value(
            "socket_memory_kib",
            "Memory per idle socket (server RSS growth ÷ sockets)",
            per_socket_kib,
            "KiB",
            Target::AtMost(16.0),
            format!(
                "RSS {before} KiB → {after} KiB with {} sockets",
                sizes.sockets
            ),
        ),
    ];
    Ok((figures, Frames { snapshot, event }))
}

/// The reference servers' figures ([`crate::reference`]), measured as the real
/// server's are and with its `frames`: memory per idle socket and fan-out for bare
/// actix-ws, and fan-out with no framework at all.
async fn references(
    spec: &Spec,
    sizes: &Sizes,
    frames: &Frames,
    pinned: bool,
) -> Result<Vec<Figure>> {
    use crate::reference::{RAW_SUBCOMMAND, WS_SUBCOMMAND};
    // Each reference: its subcommand, what it is, and its fan-out figure.
    let kinds = [
        (
            WS_SUBCOMMAND,
            "a bare actix-ws server",
            "fanout_floor_actix_p99_ms",
            "Socket fan-out of a bare actix-ws server sending the same event (reference)",
        ),
        (
            RAW_SUBCOMMAND,
            "a server with no framework",
            "fanout_floor_raw_p99_ms",
            "Socket fan-out with no framework: one send per socket from one loop (reference)",
        ),
    ];
    let mut figures = Vec::new();
    for (subcommand, what, key, label) in kinds {
        progress(&format!("reference: {what}, {} sockets", sizes.sockets));
        let server =
            Server::start_reference(spec, subcommand, &frames.snapshot, &frames.event).await?;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let needle: Arc<str> = Arc::from("");
        let (warm, _) = open_socket(server.addr, 0, needle.clone(), tx.clone(), false).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (readers, before, after) = open_many(&server, sizes.sockets, &needle, &tx).await?;
        let trigger = Trigger::Reference(Conn::open(server.addr).await?);
        let rounds = fan_out_rounds(
            &server,
            trigger,
            &mut rx,
            sizes.fanout_rounds,
            sizes.sockets + 1,
            pinned,
        )
        .await?;
        for r in readers.into_iter().chain([warm]) {
            r.abort();
        }
        server.stop().await?;
        if rounds.missed > 0 {
            return Err(format!(
                "{label}: {} deliveries missed; it is no floor",
                rounds.missed
            ));
        }
        if subcommand == WS_SUBCOMMAND {
            figures.push(Figure::value(
                "socket_memory_floor_kib",
                "Memory per idle socket of a bare actix-ws server sending the same first message \
                 (reference)",
                after.saturating_sub(before) as f64 / sizes.sockets as f64,
                "KiB",
                Target::None,
                format!(
                    "RSS {before} KiB → {after} KiB with {} sockets; first message {} bytes",
                    sizes.sockets,
                    frames.snapshot.len()
                ),
            ));
        }
        figures.push(rounds.p99_figure(key, label, Target::None, sizes.fanout_rounds));
    }
    Ok(figures)
}

/// `PUT /api/doctors/status` p99 with every patient opted in to "doctor online" emails,
/// as a ratio of the same with only [`FEW_PATIENTS`] opted in. Both are measured with
/// the same patients registered, in the order few, many, many, few, so that drift in
/// the run counts against neither; the other patients switch their alerts off and on
/// between the phases.
async fn status_ratio(w: &World, sizes: &Sizes, backend: &str) -> Result<Figure> {
    let others = login(
        w.addr,
        (FEW_PATIENTS..w.patients).map(patient_email).collect(),
    )
    .await?;
    // The doctor's first change queues an alert for everybody; let it go out, so that
    // every phase measures the steady state: the audience in its cooldown, read on
    // every change to online and emailed nobody again.
    let (_, _, first) = alert_everybody(w, w.status_doctor(), w.patients).await?;
    let (mut few, mut many) = (histogram(), histogram());
    let per_phase = (sizes.status_changes / 2).max(1);
    for (phase, audience) in [
        ("few", "off"),
        ("many", "all"),
        ("many", "all"),
        ("few", "off"),
    ] {
        // Every phase follows the same writes (the second "many" rewrites "all"), and a
        // pause for the database to settle after them.
        set_alerts(w.addr, &others, audience).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let opted_in = if audience == "off" {
            FEW_PATIENTS
        } else {
            w.patients
        };
        progress(&format!(
            "{backend}: {per_phase} status changes with {opted_in} opted-in patients ({phase})"
        ));
        let h = if phase == "few" { &mut few } else { &mut many };
        status_changes(w, sizes, per_phase, h).await?;
    }
    let (few, many) = (Latency::of(&few), Latency::of(&many));
    Ok(Figure::ratio(
        "status_p99_ratio",
        &format!(
            "`PUT /api/doctors/status` p99, {} opted-in patients (in their cooldown) \
             ÷ {FEW_PATIENTS}",
            w.patients
        ),
        many.p99_ms / few.p99_ms.max(0.001),
        Target::AtMost(1.2),
        format!(
            "p99 {:.2} ms (p50 {:.2}) with {} opted in, {:.2} ms (p50 {:.2}) with {FEW_PATIENTS} \
             ({} changes each, one every {} ms, in phases few, many, many, few; {} patients \
             registered throughout); the change that queued all {} emails took {:.2} ms",
            many.p99_ms,
            many.p50_ms,
            w.patients,
            few.p99_ms,
            few.p50_ms,
            many.count,
            sizes.status_pace.as_millis(),
            w.patients,
            w.patients,
            first.as_secs_f64() * 1000.0
        ),
    ))
}

/// Sets the "doctor online" emails of the patients signed in as `tokens`.
async fn set_alerts(addr: SocketAddr, tokens: &[Arc<str>], choice: &str) -> Result {
    let body = json!({"notifications": {"doctorOnline": choice}});
    let reqs = tokens
        .iter()
        .map(|t| Req::put("/api/users/profile", Some(t), &body))
        .collect();
    let (done, _) = run_all(addr, SETUP_CONNS, reqs).await?;
    all_status(&done, 200, "PUT /api/users/profile")
}

/// `changes` status changes of the status doctor, one every `status_pace`, timed into
/// `h`; the doctor is offline before and after.
async fn status_changes(
    w: &World,
    sizes: &Sizes,
    changes: usize,
    h: &mut hdrhistogram::Histogram<u64>,
) -> Result {
    let token = w.status_doctor();
    let mut conn = Conn::open(w.addr).await?;
    for i in 0..changes {
        let took = set_status(&mut conn, token, i % 2 == 0).await?;
        h.record(micros(took)).map_err(|e| e.to_string())?;
        tokio::time::sleep(sizes.status_pace).await;
    }
    if changes % 2 == 1 {
        set_status(&mut conn, token, false).await?;
    }
    Ok(())
}

/// Puts `doctor` online and waits until `expected` more emails reached the sink.
/// Returns (delivered, seconds from the change to the last delivery, how long the
/// status change itself took).
async fn alert_everybody(
    w: &World,
    doctor: &Arc<str>,
    expected: usize,
) -> Result<(usize, f64, Duration)> {
    let before = w.sink.tally().messages;
    let mut conn = Conn::open(w.addr).await?;
    let t0 = Instant::now();
    let put = set_status(&mut conn, doctor, true).await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let tally = w.sink.tally();
        let delivered = tally.messages - before;
        if delivered >= expected {
            let took = tally.last.map_or(Duration::ZERO, |l| l - t0);
            // A fresh connection: the server has closed the idle one by now.
            set_status(&mut Conn::open(w.addr).await?, doctor, false).await?;
            return Ok((delivered, took.as_secs_f64(), put));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "only {delivered} of {expected} alerts reached the SMTP sink in 600 s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn drain(w: &World, backend: &str) -> Result<Figure> {
    progress(&format!(
        "{backend}: a doctor comes online; {} alerts through the outbox",
        w.patients
    ));
    let before = w.sink.tally().messages;
    let (delivered, secs, _) = alert_everybody(w, w.drain_doctor(), w.patients).await?;
    // Each alert to a patient of its own (every patient got a confirmation email
    // before, so the sink's count of recipients says nothing new).
    let recipients: std::collections::HashSet<Vec<String>> = w
        .sink
        .received()
        .into_iter()
        .skip(before)
        .map(|m| m.to)
        .collect();
    let rate = delivered as f64 / secs.max(0.001);
    Ok(Figure::value(
        "outbox_emails_per_s",
        &format!(
            "Outbox drain: {} alerts handed to a loopback SMTP server",
            w.patients
        ),
        rate,
        "emails/s",
        Target::AtLeast(500.0),
        format!(
            "{delivered} emails in {secs:.2} s from the status change, to {} recipients",
            recipients.len()
        ),
    ))
}

async fn booking(w: &World, sizes: &Sizes, backend: &str) -> Result<Figure> {
    let patients = login(
        w.addr,
        (0..sizes.booking_conns).map(patient_email).collect(),
    )
    .await?;
    progress(&format!(
        "{backend}: {} bookings, two patients racing for each of {} slots",
        sizes.slots * 2,
        sizes.slots
    ));
    // Every slot starts at its own time (so no patient is ever in two places) with
    // one of the doctors; two patients race for each.
    let first = (Utc::now() + chrono::Duration::days(1))
        .duration_trunc(chrono::Duration::hours(1))
        .map_err(|e| e.to_string())?;
    let ids = doctor_ids(w, sizes.doctors).await?;
    let slot = |k: usize| {
        (
            ids[k % ids.len()].clone(),
            (first + chrono::Duration::minutes(30 * k as i64)).to_rfc3339(),
        )
    };
    let mut reqs = Vec::new();
    for k in 0..sizes.slots {
        let (doctor, at) = slot(k);
        for p in [2 * k, 2 * k + 1] {
            reqs.push(Req::post(
                "/api/appointments",
                Some(&patients[p % patients.len()]),
                &json!({"doctorId": doctor, "scheduledFor": at}),
            ));
        }
    }
    let (done, took) = run_all(w.addr, sizes.booking_conns, reqs).await?;
    let created = done.iter().filter(|d| d.status == 201).count();
    let conflicts = done.iter().filter(|d| d.status == 409).count();
    if let Some(d) = done.iter().find(|d| d.status != 201 && d.status != 409) {
        return Err(format!(
            "booking: expected 201 or 409, got {} {}",
            d.status,
            String::from_utf8_lossy(&d.body)
        ));
    }
    // Read back every patient's appointments: each slot must be held exactly once.
    let mut held = std::collections::HashMap::new();
    for token in &patients {
        let mut page = 1;
        loop {
            let list = http::call(
                w.addr,
                "GET",
                &format!("/api/appointments?limit=100&page={page}"),
                Some(token),
                None,
            )
            .await?
            .expect(200, "list appointments")?
            .json()?;
            for a in list["appointments"].as_array().into_iter().flatten() {
                let at = chrono::DateTime::parse_from_rfc3339(
                    a["scheduledFor"].as_str().unwrap_or_default(),
                )
                .map_err(|e| e.to_string())?
                .with_timezone(&Utc)
                .to_rfc3339();
                let key = (
                    a["doctor"]["id"].as_str().unwrap_or_default().to_owned(),
                    at,
                );
                *held.entry(key).or_insert(0) += 1;
            }
            if page >= list["pagination"]["totalPages"].as_u64().unwrap_or(1) {
                break;
            }
            page += 1;
        }
    }
    let double = held.values().filter(|n| **n > 1).count();
    let unheld = (0..sizes.slots)
        .filter(|k| !held.contains_key(&slot(*k)))
        .count();
    if double > 0 || created != sizes.slots || unheld > 0 {
        return Err(format!(
            "{backend}: booking broke an invariant: {created} created for {} slots, \
             {double} slots held twice, {unheld} slots not held",
            sizes.slots
        ));
    }
    let rps = done.len() as f64 / took.as_secs_f64();
    let mut h = histogram();
    for d in &done {
        h.record(d.micros).map_err(|e| e.to_string())?;
    }
    let l = Latency::of(&h);
    Ok(Figure::value(
        "booking_req_per_s",
        &format!(
            "Booking: concurrent requests for distinct slots, two patients per slot, \
             {} connections",
            sizes.booking_conns
        ),
        rps,
        "req/s",
        Target::None,
        format!(
            "{created} booked, {conflicts} refused (409), 0 double-bookings; p99 {:.1} ms",
            l.p99_ms
        ),
    ))
}

/// Signals each patient sends in the relay benchmark, and the pause between two.
const SIGNALS_EACH: usize = 20;
const SIGNAL_PACE: Duration = Duration::from_millis(100);

/// A socket from `127.0.0.(2 + i % 8)`, signed in with `token`, past its snapshot and
/// `auth_ok`.
async fn signed_socket(
    addr: SocketAddr,
    i: usize,
    token: &str,
) -> Result<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>> {
    use futures_util::SinkExt;
    let source = Ipv4Addr::new(127, 0, 0, 2 + (i % 8) as u8);
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::from((source, 0)))
        .map_err(|e| format!("bind {source}: {e}"))?;
    let stream = socket.connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/api/ws"), stream)
        .await
        .map_err(|e| format!("socket {i}: handshake: {e}"))?;
    let auth = json!({"type": "auth", "token": token}).to_string();
    ws.send(Message::Text(auth.into()))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.contains("\"auth_ok\"") => return Ok(ws),
            Some(Ok(Message::Text(t))) if t.contains("\"error\"") => {
                return Err(format!("socket {i}: auth refused: {t}"));
            }
            Some(Ok(_)) => continue,
            other => return Err(format!("socket {i}: closed before auth_ok: {other:?}")),
        }
    }
}

/// Call signals relayed between the two parties of many consults at once: each doctor
/// online and taking consults, a patient in each queue, taken; then every patient
/// sends offers to their doctor at a steady pace, and the time from send to arrival at
/// the doctor's socket is measured.
async fn signal_relay(w: &World, sizes: &Sizes, backend: &str) -> Result<Figure> {
    use futures_util::SinkExt;
    let n = sizes.consults;
    progress(&format!(
        "{backend}: {n} consults, each patient signalling its doctor"
    ));
    let doctors = login(w.addr, (0..n).map(doctor_email).collect()).await?;
    let patients = login(w.addr, (0..n).map(patient_email).collect()).await?;
    let ids = {
        let mut ids = Vec::new();
        for token in &doctors {
            ids.push(doctor_id(w.addr, token).await?);
        }
        ids
    };
    let accepting = json!({"isOnline": true, "acceptingConsults": true});
    let reqs = doctors
        .iter()
        .map(|t| Req::put("/api/doctors/status", Some(t), &accepting))
        .collect();
    let (done, _) = run_all(w.addr, SETUP_CONNS, reqs).await?;
    all_status(&done, 200, "accept consults")?;
    let reqs = patients
        .iter()
        .zip(&ids)
        .map(|(t, id)| Req::post("/api/consults", Some(t), &json!({"doctorId": id})))
        .collect();
    let (done, _) = run_all(w.addr, SETUP_CONNS, reqs).await?;
    all_status(&done, 201, "join a queue")?;
    let reqs = doctors
        .iter()
        .map(|t| Req::post_empty("/api/consults/next", Some(t)))
        .collect();
    let (done, _) = run_all(w.addr, SETUP_CONNS, reqs).await?;
    all_status(&done, 200, "take the next patient")?;
    let consults: Vec<String> = done
        .iter()
        .map(|d| {
            serde_json::from_slice::<Value>(&d.body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_owned))
                .ok_or_else(|| "no consult id".to_owned())
        })
        .collect::<Result<_>>()?;
    // Answers come in request order; each doctor's answer names their own patient's
    // consult, which the patient reads back.
    let mut by_patient = Vec::new();
    for token in &patients {
        let c = http::call(w.addr, "GET", "/api/consults/current", Some(token), None)
            .await?
            .expect(200, "the patient's consult")?
            .json()?;
        let id = c["id"].as_str().unwrap_or_default().to_owned();
        if !consults.contains(&id) {
            return Err(format!("a patient's consult {id} was not taken"));
        }
        by_patient.push(id);
    }
    progress(&format!("{backend}: opening {} signed-in sockets", 2 * n));
    let mut doctor_sockets = Vec::new();
    let mut patient_sockets = Vec::new();
    for i in 0..n {
        doctor_sockets.push(signed_socket(w.addr, 2 * i, &doctors[i]).await?);
        patient_sockets.push(signed_socket(w.addr, 2 * i + 1, &patients[i]).await?);
    }
    // Each doctor's socket records the delay of every signal it receives: the payload
    // carries its send time, on this process's clock.
    let start = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
    let mut readers = Vec::new();
    for mut ws in doctor_sockets {
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            let mut got = 0;
            while got < SIGNALS_EACH {
                let Some(Ok(Message::Text(t))) = ws.next().await else {
                    break;
                };
                if !t.contains("\"signal\"") {
                    continue;
                }
                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
                    continue;
                };
                let sent = v["data"]["sentMicros"].as_u64().unwrap_or_default();
                let now = start.elapsed().as_micros() as u64;
                let _ = tx.send(now.saturating_sub(sent));
                got += 1;
            }
        }));
    }
    drop(tx);
    // An offer's size: a few kilobytes of SDP.
    let sdp = "a=candidate:1 1 udp 2122260223 192.0.2.2 54321 typ host\r\n".repeat(40);
    let mut senders = Vec::new();
    for (mut ws, consult) in patient_sockets.into_iter().zip(by_patient) {
        let sdp = sdp.clone();
        senders.push(tokio::spawn(async move {
            // Spread the patients over the first pause.
            let offset = rand_offset(&consult) % SIGNAL_PACE.as_millis() as u64;
            tokio::time::sleep(Duration::from_millis(offset)).await;
            for seq in 0..SIGNALS_EACH {
                let sent = start.elapsed().as_micros() as u64;
                let m = json!({"type": "signal", "consultId": consult,
                               "data": {"type": "offer", "seq": seq, "sentMicros": sent,
                                        "sdp": sdp}});
                if ws.send(Message::Text(m.to_string().into())).await.is_err() {
                    break;
                }
                tokio::time::sleep(SIGNAL_PACE).await;
            }
            // Keep the socket until the doctors have read everything.
            tokio::time::sleep(Duration::from_secs(5)).await;
        }));
    }
    let mut h = histogram();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let want = n * SIGNALS_EACH;
    let mut got = 0;
    while got < want {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(micros)) => {
                h.record(micros.max(1)).map_err(|e| e.to_string())?;
                got += 1;
            }
            _ => break,
        }
    }
    for t in senders.into_iter().chain(readers) {
        t.abort();
    }
    if got < want {
        return Err(format!(
            "{backend}: {got} of {want} signals arrived within a minute"
        ));
    }
    let l = Latency::of(&h);
    let rate = n as f64 * 1000.0 / SIGNAL_PACE.as_millis() as f64;
    Ok(Figure::value(
        "signal_relay_p99_ms",
        &format!(
            "Call signal relay: p99 from a patient's send to their doctor's socket, {n} \
             consults at once"
        ),
        l.p99_ms,
        "ms",
        Target::None,
        format!(
            "{want} offers of {} bytes, {rate:.0} a second; p50 {:.1} ms, max {:.1} ms",
            sdp.len(),
            l.p50_ms,
            l.max_ms
        ),
    ))
}

/// A number from 0 up, fixed for `text`: spreads the senders without a random source.
fn rand_offset(text: &str) -> u64 {
    text.bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
}

/// Doctor ids, from the public list (a page of 100 at a time).
async fn doctor_ids(w: &World, n: usize) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut page = 1;
    while ids.len() < n {
        let list = http::call(
            w.addr,
            "GET",
            &format!("/api/doctors?limit=100&page={page}"),
            None,
            None,
        )
        .await?
        .expect(200, "list doctors")?
        .json()?;
        let doctors = list["doctors"].as_array().cloned().unwrap_or_default();
        if doctors.is_empty() {
            break;
        }
        ids.extend(
            doctors
                .iter()
                .filter_map(|d| d["id"].as_str().map(str::to_owned)),
        );
        page += 1;
    }
    Ok(ids)
}

async fn cold_start(spec: &Spec, sizes: &Sizes, backend: &str) -> Result<Figure> {
    progress(&format!(
        "{backend}: cold start on the existing database, {} times",
        sizes.cold_starts
    ));
    let mut times = Vec::new();
    for _ in 0..sizes.cold_starts {
        let (server, took) = Server::start(spec).await?;
        server.stop().await?;
        times.push(took.as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    Ok(Figure::value(
        "cold_start_ms",
        "Cold start: `mediconnect serve` to health 200, existing database (median)",
        median,
        "ms",
        Target::AtMost(1000.0),
        format!(
            "{} starts: {}",
            times.len(),
            times
                .iter()
                .map(|t| format!("{t:.0} ms"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}
