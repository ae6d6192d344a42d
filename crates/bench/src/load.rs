//! Load shapes: a list of requests spread over keep-alive connections, and a closed
//! loop of one request for a fixed time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::Result;
use crate::http::Conn;

pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds")
}

/// Latency percentiles, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(h: &Histogram<u64>) -> Latency {
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }
    }
}

pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub token: Option<Arc<str>>,
    pub body: Option<String>,
}

impl Req {
    pub fn post(path: &str, token: Option<&Arc<str>>, body: &serde_json::Value) -> Req {
        Req::with_body("POST", path, token, body)
    }

    /// A POST without a body, for an endpoint that reads none: a body it leaves unread
    /// can make the server close the connection after answering (when the body arrives
    /// after the handler has run), and these connections are kept alive.
    pub fn post_empty(path: &str, token: Option<&Arc<str>>) -> Req {
        Req {
            method: "POST",
            path: path.to_owned(),
            token: token.cloned(),
            body: None,
        }
    }

    pub fn put(path: &str, token: Option<&Arc<str>>, body: &serde_json::Value) -> Req {
        Req::with_body("PUT", path, token, body)
    }

    fn with_body(
        method: &'static str,
        path: &str,
        token: Option<&Arc<str>>,
        body: &serde_json::Value,
    ) -> Req {
        Req {
            method,
            path: path.to_owned(),
            token: token.cloned(),
            body: Some(body.to_string()),
        }
    }
}

pub struct Done {
    pub index: usize,
    pub status: u16,
    pub body: Vec<u8>,
    pub micros: u64,
}

/// Sends every request once, `conns` at a time, in order of the list (so neighbours
/// in the list are in flight together). Returns the answers by index, and the time
/// the whole list took.
pub async fn run_all(
    addr: SocketAddr,
    conns: usize,
    reqs: Vec<Req>,
) -> Result<(Vec<Done>, Duration)> {
    let reqs = Arc::new(reqs);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns.min(reqs.len()).max(1) {
        let reqs = reqs.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(r) = reqs.get(i) else {
                    return Ok::<_, String>(out);
                };
                let t = Instant::now();
                let res = conn
                    .send(r.method, &r.path, r.token.as_deref(), r.body.as_deref())
                    .await?;
                out.push(Done {
                    index: i,
                    status: res.status,
                    body: res.body,
                    micros: micros(t.elapsed()),
                });
            }
        }));
    }
    let mut all = Vec::with_capacity(reqs.len());
    for t in tasks {
        all.extend(t.await.map_err(|e| e.to_string())??);
    }
    let took = started.elapsed();
    all.sort_by_key(|d| d.index);
    Ok((all, took))
}

/// Every answer must have status `want`; `what` names the step in the error.
pub fn all_status(done: &[Done], want: u16, what: &str) -> Result {
    match done.iter().find(|d| d.status != want) {
        None => Ok(()),
        Some(d) => Err(format!(
            "{what}: expected {want}, got {} {}",
            d.status,
            String::from_utf8_lossy(&d.body)
        )),
    }
}

/// `conns` connections send `GET path` back to back for `warmup + time`; requests that
/// finish after the warm-up are counted. Returns requests per second and latencies.
pub async fn closed_loop(
    addr: SocketAddr,
    conns: usize,
    path: &str,
    warmup: Duration,
    time: Duration,
) -> Result<(f64, Histogram<u64>)> {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + time;
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let path = path.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut h = histogram();
            loop {
                let t = Instant::now();
                if t >= end {
                    return Ok::<_, String>(h);
                }
                let res = conn.get(&path, None).await?;
                if res.status != 200 {
                    return Err(format!("GET {path} answered {}", res.status));
                }
                if t >= measure_from {
                    h.record(micros(t.elapsed())).map_err(|e| e.to_string())?;
                }
            }
        }));
    }
    let mut h = histogram();
    for t in tasks {
        h.add(t.await.map_err(|e| e.to_string())??)
            .map_err(|e| e.to_string())?;
    }
    Ok((h.len() as f64 / time.as_secs_f64(), h))
}
