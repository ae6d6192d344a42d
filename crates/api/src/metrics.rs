//! Prometheus metrics: one registry per server (so that servers in one process, as
//! in the tests, count apart). Parts of the server own their counters (the live hub,
//! the mail worker) and this module registers them; gauges that describe state (the
//! outbox, the pool) are read when scraped.

use std::time::Duration;

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::db::Db;
use crate::db::models::notifications as outbox;

const PREFIX: &str = "mediconnect";

pub fn counter(name: &str, help: &str) -> IntCounter {
    IntCounter::with_opts(Opts::new(name, help).namespace(PREFIX)).expect("a valid metric")
}

pub fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help).namespace(PREFIX), labels).expect("a valid metric")
}

pub fn gauge(name: &str, help: &str) -> IntGauge {
    IntGauge::with_opts(Opts::new(name, help).namespace(PREFIX)).expect("a valid metric")
}

fn gauge_vec(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help).namespace(PREFIX), labels).expect("a valid metric")
}

fn seconds(name: &str, help: &str, buckets: Vec<f64>) -> HistogramOpts {
    HistogramOpts::new(name, help)
        .namespace(PREFIX)
        .buckets(buckets)
}

pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    /// Time to check a password against its bcrypt hash.
    pub bcrypt_verify: Histogram,
    outbox_rows: IntGaugeVec,
    db_pool: IntGaugeVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The server's own metrics; parts of the server add theirs to [`Metrics::registry`].
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let http_requests = counter_vec(
            "http_requests_total",
            "HTTP requests by route pattern, method and status.",
            &["route", "method", "status"],
        );
        let http_duration = HistogramVec::new(
            seconds(
                "http_request_duration_seconds",
                "HTTP request latency by route pattern and method.",
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["route", "method"],
        )
        .expect("a valid metric");
        let bcrypt_verify = Histogram::with_opts(seconds(
            "bcrypt_verify_seconds",
            "Time to verify a password against its bcrypt hash.",
            vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5],
        ))
        .expect("a valid metric");
        let outbox_rows = gauge_vec(
            "outbox_rows",
            "Email outbox rows by status (queued, sent, failed), read when scraped.",
            &["status"],
        );
        let db_pool = gauge_vec(
            "db_pool_connections",
            "Database pool connections in use and idle, read when scraped.",
            &["state"],
        );
        let start = Gauge::with_opts(
            Opts::new(
                "process_start_time_seconds",
                "When the server started, in Unix seconds.",
            )
            .namespace(PREFIX),
        )
        .expect("a valid metric");
        start.set(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64(),
        );
        let own: [Box<dyn prometheus::core::Collector>; 6] = [
            Box::new(http_requests.clone()),
            Box::new(http_duration.clone()),
            Box::new(bcrypt_verify.clone()),
            Box::new(outbox_rows.clone()),
            Box::new(db_pool.clone()),
            Box::new(start),
        ];
        for c in own {
            registry.register(c).expect("metric names are unique");
        }
        Metrics {
            registry,
            http_requests,
            http_duration,
            bcrypt_verify,
            outbox_rows,
            db_pool,
        }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Counts one answered request. `route` is the matched pattern, never the path.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, took: Duration) {
        self.http_requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[route, method])
            .observe(took.as_secs_f64());
    }

    /// Refreshes the gauges read from the database and the pool, then renders all.
    pub async fn render(&self, db: &Db) -> String {
        let (in_use, idle) = db.pool_state();
        self.db_pool.with_label_values(&["in_use"]).set(in_use);
        self.db_pool.with_label_values(&["idle"]).set(idle);
        let counts = tokio::time::timeout(
            Duration::from_secs(2),
            db.run(|conn| Ok(outbox::count_by_status(conn)?)),
        )
        .await;
        match counts {
            Ok(Ok(counts)) => {
                for status in ["queued", "sent", "failed"] {
                    self.outbox_rows.with_label_values(&[status]).set(0);
                }
                for (status, n) in &counts {
                    self.outbox_rows
                        .with_label_values(&[status.as_str()])
                        .set(*n);
                }
            }
            // The last known figures stay; readiness reports the database.
            _ => tracing::warn!("metrics: the outbox could not be counted"),
        }
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding cannot fail");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_pattern() {
        let m = Metrics::new();
        m.observe_request("/api/doctors/{id}", "GET", 200, Duration::from_millis(3));
        m.observe_request("/api/doctors/{id}", "GET", 200, Duration::from_millis(4));
        let text = String::from_utf8({
            let mut out = Vec::new();
            TextEncoder::new()
                .encode(&m.registry.gather(), &mut out)
                .unwrap();
            out
        })
        .unwrap();
        assert!(
            text.contains(concat!(
                r#"mediconnect_http_requests_total{method="GET","#,
                r#"route="/api/doctors/{id}",status="200"} 2"#
            )),
            "{text}"
        );
        assert!(text.contains("mediconnect_process_start_time_seconds"));
    }
}
