use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mediconnect_shared::Role;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::*;
use crate::process::Served;
use crate::ws::{connect, try_connect};
use mediconnect_test_macros::both_backends;

#[both_backends]
async fn login_is_limited_per_account_across_addresses(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.auth_rate_limit_per_minute = 3;
        c.trust_proxy = true;
    })
    .await;
    let user_email = "target@example.com";
    for i in 0..3 {
        let res = app
            .client
            .post(app.url("/api/auth/login"))
            .header("X-Forwarded-For", format!("10.1.0.{i}"))
            .json(&json!({"email": user_email, "password": "guess"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .header("X-Forwarded-For", "10.1.0.99")
        .json(&json!({"email": "TARGET@example.com", "password": "guess"}))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    problem(res, 429).await;
    // Another account from a fresh address is fine.
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .header("X-Forwarded-For", "10.1.0.100")
        .json(&json!({"email": "other@example.com", "password": "guess"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[both_backends]
async fn the_api_has_a_general_per_address_limit(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.api_rate_limit_per_minute = 5).await;
    for _ in 0..5 {
        assert_eq!(app.get("/api/doctors", None).await.status(), 200);
    }
    let res = app.get("/api/doctors/online", None).await;
    assert!(res.headers().contains_key("retry-after"));
    problem(res, 429).await;
    // Health probes are not limited.
    for _ in 0..10 {
        assert_eq!(app.get("/api/health", None).await.status(), 200);
    }
}

#[both_backends]
async fn ipv6_clients_are_limited_by_their_64(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.api_rate_limit_per_minute = 3;
        c.trust_proxy = true;
    })
    .await;
    let get = |from: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/api/doctors"))
                .header("X-Forwarded-For", from)
                .send()
                .await
                .unwrap()
        }
    };
    // Three addresses of one /64 share its allowance; a fourth is refused.
    for from in ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff::3"] {
        assert_eq!(get(from).await.status(), 200, "{from}");
    }
    problem(get("2001:db8:0:1:9:9:9:9").await, 429).await;
    // The neighbouring /64 is another client.
    assert_eq!(get("2001:db8:0:2::1").await.status(), 200);
    // An IPv4 client is still counted by its own address.
    assert_eq!(get("192.0.2.10").await.status(), 200);
}

#[both_backends]
async fn the_audit_trail_records_the_client_by_the_rate_limits_rule(backend: Backend) {
    async fn audited_ip(
        app: &TestApp,
        admin: &TestUser,
        headers: &[(&str, &str)],
    ) -> Option<String> {
        use diesel::prelude::*;
        use mediconnect_api::db::schema::audit_log;
        let mut req = app
            .client
            .get(app.url("/api/admin/users"))
            .bearer_auth(&admin.token);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        assert_eq!(req.send().await.unwrap().status(), 200);
        app.with_conn(|c| {
            audit_log::table
                .order(audit_log::at.desc())
                .select(audit_log::ip)
                .first::<Option<String>>(c)
                .unwrap()
        })
        .await
    }
    // Behind a trusted proxy: the address it forwarded, in either header.
    let proxied = spawn_app_with(backend, |c| c.trust_proxy = true).await;
    let admin = proxied.user(Role::Admin).await;
    assert_eq!(
        audited_ip(&proxied, &admin, &[("X-Forwarded-For", "203.0.113.7")])
            .await
            .as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(
        audited_ip(
            &proxied,
            &admin,
            &[("Forwarded", "for=198.51.100.9;proto=https")]
        )
        .await
        .as_deref(),
        Some("198.51.100.9")
    );
    assert_eq!(
        audited_ip(
            &proxied,
            &admin,
            &[("Forwarded", "for=\"[2001:db8::7]:4711\"")]
        )
        .await
        .as_deref(),
        Some("2001:db8::7")
    );
    // No header: the peer.
    assert_eq!(
        audited_ip(&proxied, &admin, &[]).await.as_deref(),
        Some("127.0.0.1")
    );
    // Without TRUST_PROXY the headers are the client's word, and not believed.
    let direct = spawn_app(backend).await;
    let admin = direct.user(Role::Admin).await;
    assert_eq!(
        audited_ip(&direct, &admin, &[("X-Forwarded-For", "203.0.113.7")])
            .await
            .as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(
        audited_ip(&direct, &admin, &[("Forwarded", "for=198.51.100.9")])
            .await
            .as_deref(),
        Some("127.0.0.1")
    );
}

#[both_backends]
async fn a_clients_close_is_echoed_and_the_connection_ends_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    for code in [1000u16, 1001, 4000] {
        let mut raw = crate::ws::RawWs::connect(&app).await;
        raw.next_message().await; // the snapshot
        let (answer, answered, ended) = raw.close_with(code).await;
        // RFC 6455 5.5.1: the endpoint answers a Close with the code it received.
        assert_eq!(answer, Some(code));
        // The server then ends the TCP connection itself, without lingering (it
        // took about 0.85 s before). Generous bounds: this checks the behaviour,
        // not the speed.
        assert!(
            answered < Duration::from_millis(500),
            "Close answered after {answered:?}"
        );
        assert!(
            ended < Duration::from_millis(500),
            "connection ended after {ended:?}"
        );
    }
}

#[both_backends]
async fn sockets_are_limited_per_address(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.ws_max_connections_per_ip = 2).await;
    let a = connect(&app).await;
    let _b = connect(&app).await;
    match try_connect(&app, None).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
        other => panic!("expected 429, got {:?}", other.map(|_| ())),
    }
    // A closed socket frees its slot.
    drop(a);
    let app_ref = &app;
    eventually(5, Duration::from_millis(100), || async move {
        try_connect(app_ref, None)
            .await
            .map(drop)
            .map_err(|e| format!("the slot was never freed: {e}"))
    })
    .await;
}

#[both_backends]
async fn a_flood_of_client_messages_is_throttled(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut socket = connect(&app).await;
    for _ in 0..25 {
        socket.send_json(&json!({"type": "dance"})).await;
    }
    let mut throttled = false;
    while let Some(msg) = socket.next_json_within(Duration::from_secs(2)).await {
        if msg["message"]
            .as_str()
            .is_some_and(|m| m.contains("Too many"))
        {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "no throttling reply");
    // Keeping it up gets the socket closed (policy violation).
    for _ in 0..80 {
        socket.send_json(&json!({"type": "dance"})).await;
    }
    let mut closed = false;
    while let Ok(Some(msg)) =
        tokio::time::timeout(Duration::from_secs(3), socket.stream.next()).await
    {
        match msg {
            Ok(Message::Close(Some(frame))) => {
                assert_eq!(frame.code, CloseCode::Policy);
                closed = true;
                break;
            }
            Ok(_) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    assert!(closed, "the flooding socket stayed open");
}

#[both_backends]
async fn the_web_app_is_served_under_a_strict_policy(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>MediConnect</title><script type=\"module\">\
         import init from '/app-0123456789abcdef.js'; init();</script>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app-0123456789abcdef.js"),
        "export default function init() {}",
    )
    .unwrap();
    let static_dir = dir.path().to_owned();
    let app = spawn_app_with(backend, move |c| {
        c.static_dir = static_dir;
        c.public_url = Some("https://clinic.example".into());
    })
    .await;
    let res = app.get("/profile", None).await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("connect-src 'self' ws://127.0.0.1:"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    // The hash is the loader's.
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(b"import init from '/app-0123456789abcdef.js'; init();");
    assert!(csp.contains(&base64::engine::general_purpose::STANDARD.encode(digest)));
    // Content-hashed files are cached for good.
    let asset = app.get("/app-0123456789abcdef.js", None).await;
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    // API answers: no CSP needed, but nosniff, no referrer, and personal data not cached.
    let patient = app.user(Role::Patient).await;
    let res = app.get("/api/users/profile", Some(&patient.token)).await;
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let res = app.get("/api/appointments", Some(&patient.token)).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[both_backends]
async fn cors_never_sends_a_wildcard(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .client
        .get(app.url("/api/doctors"))
        .header("Origin", "https://anywhere.example")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert!(
        res.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}

/// SIGTERM: a request in flight completes, sockets get 1001, the process exits 0 fast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_gracefully() {
    let db = TestDb::new(Backend::Sqlite);
    let mut served = Served::start(&db, &[]).await;
    let port = served.port;
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/ws"))
        .await
        .unwrap();
    let _snapshot = socket.next().await;

    // A request in flight: headers sent, half of the body still to come.
    let body = r#"{"email":"nobody@example.com","password":"whatever123"}"#;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body.as_bytes()[..10]).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let stopped_at = Instant::now();
    Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "the request in flight was not answered: {response:?}"
    );

    let mut close_code = None;
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
        if let Ok(Message::Close(Some(frame))) = msg {
            close_code = Some(frame.code);
            break;
        }
    }
    assert_eq!(close_code, Some(CloseCode::Away));

    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopped_at.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status}");
    // New connections are refused.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
