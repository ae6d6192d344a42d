use std::time::Duration;

use diesel::prelude::*;
use futures_util::StreamExt;
use mediconnect_shared::{Doctor, Role};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;
use crate::ws::{self, connect, try_connect};
use mediconnect_test_macros::both_backends;

/// Short presence timings, so expiry can be watched in a test.
fn quick(c: &mut mediconnect_api::config::Config) {
    c.presence_grace = Duration::from_secs(1);
    c.ws_heartbeat = Duration::from_secs(1);
    c.ws_client_timeout = Duration::from_secs(3);
}

async fn doctor_state(app: &TestApp, name: &str) -> Doctor {
    let list: mediconnect_shared::DoctorList =
        app.get("/api/doctors", None).await.json().await.unwrap();
    list.doctors
        .into_iter()
        .find(|d| d.name == name)
        .expect("the doctor is listed")
}

/// The text of a message the server cut into fragments: a text frame without FIN,
/// then continuations of exactly `FRAGMENT` bytes, the last shorter or equal, with FIN.
fn fragmented_text(frames: Vec<(u8, Vec<u8>)>) -> Vec<u8> {
    let limit = mediconnect_api::socket::FRAGMENT;
    assert!(frames.len() > 2, "{} frames", frames.len());
    let last = frames.len() - 1;
    for (i, (head, payload)) in frames.iter().enumerate() {
        let want = match i {
            0 => 0x01,
            i if i == last => 0x80,
            _ => 0x00,
        };
        assert_eq!(*head, want, "frame {i}: text first, FIN only on the last");
        if i == last {
            assert!(!payload.is_empty() && payload.len() <= limit);
        } else {
            assert_eq!(payload.len(), limit, "frame {i}");
        }
    }
    frames.into_iter().flat_map(|(_, p)| p).collect()
}

#[both_backends]
async fn the_snapshot_comes_first_with_the_online_doctors(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.doctor("Dr. Online", "Cardiology").await;
    app.doctor("Dr. Offline", "Cardiology").await;
    app.set_online(&a, true).await;
    let mut socket = ws::try_connect(&app, None).await.unwrap();
    let first = socket.next_json().await.unwrap();
    assert_eq!(first["type"], "snapshot");
    let doctors = first["doctors"].as_array().unwrap();
    assert_eq!(doctors.len(), 1);
    assert_eq!(doctors[0]["name"], "Dr. Online");
    assert_eq!(doctors[0]["isOnline"], true);
}

#[both_backends]
async fn a_long_snapshot_comes_in_fragments_that_make_one_message(backend: Backend) {
    let app = spawn_app(backend).await;
    // Names with two-byte characters, so cuts may fall inside one.
    for i in 0..30 {
        let d = app
            .doctor(&format!("Dr. Zoë Ærøskøbing-Łęcka {i:02}"), "Cardiology")
            .await;
        app.set_online(&d, true).await;
    }
    let mut raw = ws::RawWs::connect(&app).await;
    let first = fragmented_text(raw.next_message().await);
    let snapshot: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["doctors"].as_array().unwrap().len(), 30);

    // A WebSocket client sees one message, its text intact.
    let mut socket = ws::try_connect(&app, None).await.unwrap();
    let whole = socket.next_json().await.unwrap();
    assert_eq!(whole, snapshot);
    assert_eq!(whole["doctors"][0]["name"], "Dr. Zoë Ærøskøbing-Łęcka 00");

    // A resync of the whole view (the PostgreSQL feed reconnecting) goes the same way.
    let online: mediconnect_shared::OnlineDoctors = app
        .get("/api/doctors/online", None)
        .await
        .json()
        .await
        .unwrap();
    app.hub.resync(online.doctors);
    let again = fragmented_text(raw.next_message().await);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&again).unwrap(),
        snapshot
    );
}

#[both_backends]
async fn one_event_per_change_and_none_for_a_no_op(backend: Backend) {
    let app = spawn_app(backend).await;
    let d = app.doctor("Dr. Events", "Cardiology").await;
    let mut a = connect(&app).await;
    let mut b = connect(&app).await;
    let rest = app.set_online(&d, true).await;
    for socket in [&mut a, &mut b] {
        let event = socket.next_json().await.unwrap();
        assert_eq!(event["type"], "doctor_status");
        // The same doctor JSON as REST.
        assert_eq!(event["doctor"], rest);
    }
    app.set_online(&d, true).await; // no-op
    a.expect_quiet(Duration::from_millis(400)).await;
    let off = app.set_online(&d, false).await;
    let event = a.next_json().await.unwrap();
    assert_eq!(event["doctor"], off);
    assert!(event["doctor"]["lastOnline"].is_string());
}

#[both_backends]
async fn concurrent_switches_emit_one_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let d = app.doctor("Dr. Race", "Cardiology").await;
    let mut watcher = connect(&app).await;
    let body = json!({"isOnline": true});
    let results = futures_util::future::join_all(
        (0..10).map(|_| app.put("/api/doctors/status", Some(&d.token), &body)),
    )
    .await;
    assert!(results.iter().all(|r| r.status() == 200));
    let event = watcher.next_json().await.unwrap();
    assert_eq!(event["doctor"]["isOnline"], true);
    watcher.expect_quiet(Duration::from_millis(500)).await;
}

#[both_backends]
async fn the_auth_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let patient = app.user(Role::Patient).await;
    let mut socket = connect(&app).await;
    let refused = socket.auth("not-a-token").await;
    assert_eq!(refused["type"], "error");
    assert!(refused["message"].as_str().unwrap().contains("invalid"));
    assert_eq!(
        socket.auth(&patient.token).await,
        json!({"type": "auth_ok"})
    );
    assert_eq!(socket.auth(&patient.token).await["type"], "error");
    socket.send_json(&json!({"type": "dance"})).await;
    assert_eq!(socket.next_json().await.unwrap()["type"], "error");
    // Still open, still receiving events.
    let d = app.doctor("Dr. After Auth", "X").await;
    app.set_online(&d, true).await;
    assert_eq!(
        socket.next_of("doctor_status").await.unwrap()["doctor"]["name"],
        "Dr. After Auth"
    );
}

#[both_backends]
async fn an_expired_token_is_refused_on_the_socket(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Patient).await;
    let now = TestApp::now();
    let expired = app.forge_token(user.id, Role::Patient, now - 1000, now - 100);
    let mut socket = connect(&app).await;
    assert_eq!(socket.auth(&expired).await["type"], "error");
}

#[both_backends]
async fn oversized_frames_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut socket = connect(&app).await;
    socket
        .send_json(&json!({"type": "auth", "token": "x".repeat(25_000)}))
        .await;
    // The server closes the connection rather than reading it.
    assert!(socket.next_json().await.is_none());
}

#[both_backends]
async fn the_origin_is_checked(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.cors_origins = vec!["https://partner.example".into()]
    })
    .await;
    let own = app.address.clone();
    assert!(try_connect(&app, Some(&own)).await.is_ok());
    assert!(
        try_connect(&app, Some("https://partner.example"))
            .await
            .is_ok()
    );
    assert!(
        try_connect(&app, Some("http://localhost:8080"))
            .await
            .is_ok(),
        "PUBLIC_URL's origin"
    );
    assert!(
        try_connect(&app, None).await.is_ok(),
        "non-browser clients send no Origin"
    );
    let refused = try_connect(&app, Some("https://evil.example")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 403),
        other => panic!("expected a 403, got {:?}", other.map(|_| ())),
    }
}

#[both_backends]
async fn the_heartbeat_pings_and_drops_silent_clients(backend: Backend) {
    let app = spawn_app_with(backend, quick).await;
    let mut socket = connect(&app).await;
    // A ping arrives within the heartbeat.
    let ping = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match socket.stream.next().await {
                Some(Ok(Message::Ping(_))) => return true,
                Some(Ok(_)) => continue,
                _ => return false,
            }
        }
    })
    .await;
    assert_eq!(ping, Ok(true));
    // A client that keeps reading answers pings (tungstenite pongs by itself) and stays.
    let mut alive = connect(&app).await;
    let keeps_reading = tokio::spawn(async move {
        // Reads for 8 s, past several client timeouts; returns the first event.
        alive
            .next_of_within("doctor_status", Duration::from_secs(8))
            .await
    });
    // A silent client, which reads nothing and so answers no ping, is dropped.
    let mut silent = connect(&app).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut closed = false;
    while let Ok(msg) = tokio::time::timeout(Duration::from_secs(2), silent.stream.next()).await {
        match msg {
            Some(Ok(Message::Close(_)) | Err(_)) | None => {
                closed = true;
                break;
            }
            Some(Ok(_)) => {}
        }
    }
    assert!(closed, "the silent client was not dropped");
    // The live one is still served.
    let d = app.doctor("Dr. Still Here", "X").await;
    app.set_online(&d, true).await;
    let event = keeps_reading
        .await
        .unwrap()
        .expect("the answering client stays connected");
    assert_eq!(event["doctor"]["name"], "Dr. Still Here");
}

#[both_backends]
async fn a_slow_reader_does_not_delay_a_fast_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut fast = connect(&app).await;
    let mut slow = connect(&app).await; // never read until the end
    let template = Doctor {
        id: uuid::Uuid::new_v4(),
        name: "Dr. Padding ".to_string() + &"x".repeat(4000),
        specialization: "Cardiology".into(),
        is_online: true,
        last_online: None,
        accepting_consults: false,
    };
    // Enough traffic (20 MB) to fill the slow client's socket buffers and its queue.
    let total = 5000;
    let reader = tokio::spawn(async move {
        let mut seen = 0;
        while seen < total {
            let msg = fast
                .next_json()
                .await
                .expect("the fast client keeps receiving");
            if msg["type"] == "doctor_status" {
                seen += 1;
            }
        }
        seen
    });
    for i in 0..total {
        let mut d = template.clone();
        // Ending online, so the slow client's resync snapshot is long enough to
        // go in fragments.
        d.is_online = i % 2 == 1;
        app.hub.doctor_changed(d);
        if i % 100 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let seen = tokio::time::timeout(Duration::from_secs(30), reader)
        .await
        .expect("the fast client is not held back")
        .unwrap();
    assert_eq!(seen, total);
    // The slow client fell behind: it is resynced with a snapshot (or dropped).
    let mut resynced = false;
    while let Some(msg) = slow.next_json_within(Duration::from_secs(2)).await {
        if msg["type"] == "snapshot" {
            resynced = true;
            break;
        }
    }
    assert!(resynced, "the slow client got no fresh snapshot");
}

#[both_backends]
async fn a_doctor_whose_sockets_are_gone_goes_offline_after_the_grace(backend: Backend) {
    let app = spawn_app_with(backend, quick).await;
    let d = app.doctor("Dr. Laptop", "Cardiology").await;
    let mut watcher = connect(&app).await;
    let mut own = connect(&app).await;
    assert_eq!(own.auth(&d.token).await["type"], "auth_ok");
    app.set_online(&d, true).await;
    assert_eq!(
        watcher.next_of("doctor_status").await.unwrap()["doctor"]["isOnline"],
        true
    );
    // The doctor closes the laptop.
    drop(own);
    let gone = watcher
        .next_of("doctor_status")
        .await
        .expect("an offline event after the grace");
    assert_eq!(gone["doctor"]["isOnline"], false);
    assert!(gone["doctor"]["lastOnline"].is_string());
    let state = doctor_state(&app, "Dr. Laptop").await;
    assert!(!state.is_online);
    assert!(state.last_online.is_some());
}

#[both_backends]
async fn a_reconnect_inside_the_grace_changes_nothing(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        quick(c);
        c.presence_grace = Duration::from_secs(2);
    })
    .await;
    let d = app.doctor("Dr. Flaky Wifi", "Cardiology").await;
    let mut own = connect(&app).await;
    own.auth(&d.token).await;
    app.set_online(&d, true).await;
    let mut watcher = connect(&app).await;
    drop(own);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut again = connect(&app).await;
    assert_eq!(again.auth(&d.token).await["type"], "auth_ok");
    watcher.expect_quiet(Duration::from_secs(4)).await;
    assert!(doctor_state(&app, "Dr. Flaky Wifi").await.is_online);
    drop(again);
}

#[both_backends]
async fn a_doctor_who_closes_the_tab_goes_offline_soon_and_a_dropped_network_keeps_the_grace(
    backend: Backend,
) {
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    // The long grace (60 s) is for networks that drop; a closed tab gets 10 s.
    let app = spawn_app_with(backend, |c| {
        c.ws_heartbeat = Duration::from_secs(1);
        c.ws_client_timeout = Duration::from_secs(3);
    })
    .await;
    let closing = app.doctor("Dr. Closes Tab", "Cardiology").await;
    let dropping = app.doctor("Dr. Drops Wifi", "Cardiology").await;
    let reloading = app.doctor("Dr. Reloads", "Cardiology").await;
    let mut watcher = connect(&app).await;
    let mut sockets = Vec::new();
    for d in [&closing, &dropping, &reloading] {
        let mut own = connect(&app).await;
        assert_eq!(own.auth(&d.token).await["type"], "auth_ok");
        app.set_online(d, true).await;
        sockets.push(own);
    }
    let started = std::time::Instant::now();
    let mut reloaded = sockets.pop().unwrap();
    let dropped = sockets.pop().unwrap();
    let mut closed = sockets.pop().unwrap();
    // A tab closed (the browser sends 1001), a network gone (no Close at all), and
    // a reload (a clean close, and a new socket a second later).
    closed
        .stream
        .close(Some(CloseFrame {
            code: CloseCode::Away,
            reason: "".into(),
        }))
        .await
        .unwrap();
    drop(dropped);
    reloaded
        .stream
        .close(Some(CloseFrame {
            code: CloseCode::Away,
            reason: "".into(),
        }))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut again = connect(&app).await;
    assert_eq!(again.auth(&reloading.token).await["type"], "auth_ok");
    // Not before the short grace, and soon after it.
    let mut offline = Vec::new();
    let until = Duration::from_secs(16);
    while let Some(event) = watcher
        .next_of_within("doctor_status", until.saturating_sub(started.elapsed()))
        .await
    {
        if event["doctor"]["isOnline"] == false {
            offline.push((
                event["doctor"]["name"].as_str().unwrap().to_owned(),
                started.elapsed(),
            ));
        }
    }
    assert_eq!(offline.len(), 1, "{offline:?}");
    assert_eq!(offline[0].0, "Dr. Closes Tab");
    assert!(
        offline[0].1 >= Duration::from_secs(9) && offline[0].1 <= Duration::from_secs(15),
        "{offline:?}"
    );
    assert!(
        doctor_state(&app, "Dr. Drops Wifi").await.is_online,
        "a dropped network keeps the grace"
    );
    assert!(
        doctor_state(&app, "Dr. Reloads").await.is_online,
        "a reload does not flap"
    );
    drop(again);
}

#[both_backends]
async fn a_doctor_online_through_rest_only_is_not_expired(backend: Backend) {
    let app = spawn_app_with(backend, quick).await;
    let d = app.doctor("Dr. Api Client", "Cardiology").await;
    // Even one who had the web app open earlier, then closed it.
    let mut own = connect(&app).await;
    own.auth(&d.token).await;
    drop(own);
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.set_online(&d, true).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(doctor_state(&app, "Dr. Api Client").await.is_online);
}

/// PostgreSQL only: several replicas on one database.
mod replicas {
    use super::*;

    async fn two_replicas(
        customize: impl Fn(&mut mediconnect_api::config::Config),
    ) -> (TestApp, TestApp) {
        let a = spawn_app_with(Backend::Postgres, &customize).await;
        let mut config = a.config.clone();
        customize(&mut config);
        let b = spawn_on(Backend::Postgres, TestDb::attach(&a.test_db), config).await;
        (a, b)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_change_on_one_replica_reaches_sockets_on_the_other() {
        let (a, b) = two_replicas(|_| {}).await;
        let d = a.doctor("Dr. Replicated", "Cardiology").await;
        let mut on_b = connect(&b).await;
        let on = a.set_online(&d, true).await;
        let event = on_b
            .next_of("doctor_status")
            .await
            .expect("the event crosses replicas");
        assert_eq!(event["doctor"], on);
        // B's in-memory view follows too.
        let online = json_ok(b.get("/api/doctors/online", None).await).await;
        assert_eq!(online["doctors"][0]["name"], "Dr. Replicated");
        a.set_online(&d, false).await;
        assert_eq!(
            on_b.next_of("doctor_status").await.unwrap()["doctor"]["isOnline"],
            false
        );
        assert_eq!(
            json_ok(b.get("/api/doctors/online", None).await).await,
            json!({"doctors": []})
        );
    }

    // A password reset through one replica signs the account out on the other at once:
    // its access tokens are refused there, its refresh token too, and its socket closes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reset_through_one_replica_signs_out_a_device_on_the_other() {
        use mediconnect_shared::LoginResponse;
        let (a, b) = two_replicas(|_| {}).await;
        let u = a.user(Role::Patient).await;
        let on_b: LoginResponse = b.login(&u.email, PASSWORD).await.json().await.unwrap();
        let mut socket_on_b = connect(&b).await;
        assert_eq!(socket_on_b.auth(&on_b.token).await["type"], "auth_ok");

        let asked = a
            .post("/api/auth/password-reset", None, &json!({"email": u.email}))
            .await;
        assert_eq!(asked.status(), 202);
        let token = a
            .link_token(u.id, "PASSWORD_RESET", "/reset-password")
            .await;
        let reset = a
            .post(
                "/api/auth/password-reset/confirm",
                None,
                &json!({"token": token, "newPassword": "a new secret, long enough"}),
            )
            .await;
        assert_eq!(reset.status(), 204);

        let closed = socket_on_b
            .close_frame(Duration::from_secs(5))
            .await
            .expect("the socket on B stayed open")
            .expect("a close frame");
        assert_eq!(closed.reason.as_str(), "signed out");
        problem(b.get("/api/users/profile", Some(&on_b.token)).await, 401).await;
        let refresh = b
            .post(
                "/api/auth/refresh",
                None,
                &json!({"refreshToken": on_b.refresh_token}),
            )
            .await;
        problem(refresh, 401).await;
    }

    /// A consult's call signals cross replicas: the patient on A, the doctor on B, an
    /// offer longer than one notification (sent in parts), and the answer back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_call_signal_reaches_the_other_party_on_another_replica() {
        let (a, b) = two_replicas(|_| {}).await;
        let doctor = a.doctor("Dr. Far Away", "Cardiology").await;
        let status = json!({"isOnline": true, "acceptingConsults": true});
        json_ok(
            a.put("/api/doctors/status", Some(&doctor.token), &status)
                .await,
        )
        .await;
        let id = doctor_id(&a, "Far Away").await;
        let patient = a.user(Role::Patient).await;
        json_ok(
            a.post(
                "/api/consults",
                Some(&patient.token),
                &json!({"doctorId": id}),
            )
            .await,
        )
        .await;
        let mut on_b = connect(&b).await;
        assert_eq!(on_b.auth(&doctor.token).await["type"], "auth_ok");
        let mut on_a = connect(&a).await;
        assert_eq!(on_a.auth(&patient.token).await["type"], "auth_ok");
        let started = json_ok(
            b.post("/api/consults/next", Some(&doctor.token), &json!({}))
                .await,
        )
        .await;
        let consult = started["id"].as_str().unwrap();
        on_a.next_of("consult_started")
            .await
            .expect("the start crosses replicas");
        let offer = json!({"type": "offer", "sdp": format!("v=0\r\n{}", "a=ü\r\n".repeat(1500))});
        on_a.send_json(&json!({"type": "signal", "consultId": consult, "data": offer}))
            .await;
        let got = on_b
            .next_of("signal")
            .await
            .expect("the offer crosses replicas");
        assert_eq!(got["data"], offer);
        assert_eq!(got["from"], "PATIENT");
        let answer = json!({"type": "answer", "sdp": "v=0"});
        on_b.send_json(&json!({"type": "signal", "consultId": consult, "data": answer}))
            .await;
        let got = on_a
            .next_of("signal")
            .await
            .expect("the answer crosses back");
        assert_eq!(got["data"], answer);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_socket_on_one_replica_keeps_the_doctor_online() {
        let (a, b) = two_replicas(quick).await;
        let d = a.doctor("Dr. Held By A", "Cardiology").await;
        let mut own = connect(&a).await;
        own.auth(&d.token).await;
        b.set_online(&d, true).await;
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(doctor_state(&b, "Dr. Held By A").await.is_online);
        // And once it is gone, one of them takes the doctor offline, once.
        let mut watcher = connect(&b).await;
        drop(own);
        let event = watcher
            .next_of("doctor_status")
            .await
            .expect("offline after the grace");
        assert_eq!(event["doctor"]["isOnline"], false);
        watcher.expect_quiet(Duration::from_secs(2)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_listener_reconnects_and_resyncs() {
        let (a, b) = two_replicas(|_| {}).await;
        let d = a.doctor("Dr. Missed", "Cardiology").await;
        let mut on_b = connect(&b).await;
        // Cut every event feed of the database, then change the status while they are down.
        let killed: Vec<bool> = b
            .with_conn(|c| {
                diesel::sql_query(
                    "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity \
                 WHERE application_name = 'mediconnect-listener' AND datname = current_database()",
                )
                .load::<Killed>(c)
                .unwrap()
                .into_iter()
                .map(|k| k.killed)
                .collect()
            })
            .await;
        assert_eq!(killed.len(), 2, "one feed per replica");
        a.set_online(&d, true).await;
        // B learns of it either from the event or from the snapshot after reconnecting.
        let b_ref = &b;
        eventually(10, Duration::from_millis(100), || async move {
            let online = json_ok(b_ref.get("/api/doctors/online", None).await).await;
            match online["doctors"].as_array().unwrap().len() {
                1 => Ok(()),
                n => Err(format!("B never resynced: {n} doctors online")),
            }
        })
        .await;
        let mut seen = false;
        while let Some(msg) = on_b.next_json_within(Duration::from_secs(3)).await {
            let doctors = match msg["type"].as_str() {
                Some("snapshot") => msg["doctors"].clone(),
                Some("doctor_status") => json!([msg["doctor"]]),
                _ => continue,
            };
            if doctors
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["name"] == "Dr. Missed" && d["isOnline"] == true)
            {
                seen = true;
                break;
            }
        }
        assert!(seen, "the socket on B was not brought up to date");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sessions_revoked_while_a_feed_was_down_are_caught_up_on_reconnect() {
        use mediconnect_shared::LoginResponse;
        use std::sync::atomic::Ordering;
        let a = spawn_app(Backend::Postgres).await;
        // B signs in to the database as a role of its own, so that its feed alone can be
        // kept from reconnecting while A goes on.
        let role = format!("replica_b_{}", uuid::Uuid::new_v4().simple());
        let sql = |statement: String| {
            let a = &a;
            async move {
                a.with_conn(move |c| {
                    diesel::sql_query(statement).execute(c).unwrap();
                })
                .await
            }
        };
        sql(format!("CREATE ROLE {role} SUPERUSER LOGIN")).await;
        let mut config = a.config.clone();
        let url = a
            .test_db
            .url
            .replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
        assert_ne!(url, a.test_db.url, "the test cluster's URL names its user");
        config.database = mediconnect_api::db::DbTarget::parse(&url).unwrap();
        let b = spawn_on(Backend::Postgres, TestDb::attach(&a.test_db), config).await;

        let u = a.user(Role::Patient).await;
        let other_device: LoginResponse = a.login(&u.email, PASSWORD).await.json().await.unwrap();
        let mut revoked_on_b = connect(&b).await;
        assert_eq!(
            revoked_on_b.auth(&other_device.token).await["type"],
            "auth_ok"
        );
        let bystander = a.user(Role::Patient).await;
        let mut bystander_on_b = connect(&b).await;
        assert_eq!(
            bystander_on_b.auth(&bystander.token).await["type"],
            "auth_ok"
        );

        // End B's listening connection from SQL, and keep it from coming back.
        sql(format!("ALTER ROLE {role} NOLOGIN")).await;
        sql(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'mediconnect-listener' AND usename = '{role}'"
        ))
        .await;
        let feed = |want: bool| {
            let b = &b;
            eventually(15, Duration::from_millis(20), move || async move {
                if b.hub.feed_connected.load(Ordering::Acquire) == want {
                    Ok(())
                } else {
                    Err(format!(
                        "B's feed never became {}",
                        if want { "connected" } else { "disconnected" }
                    ))
                }
            })
        };
        feed(false).await;
        // While B's feed is down, the password changes through A: B misses the event.
        let res = a
            .put(
                "/api/users/password",
                Some(&u.token),
                &json!({"currentPassword": PASSWORD, "newPassword": "a brand new password"}),
            )
            .await;
        json_ok(res).await;
        problem(
            a.get("/api/users/profile", Some(&other_device.token)).await,
            401,
        )
        .await;
        assert!(
            !b.hub.is_revoked(u.id, TestApp::now() - 1),
            "B, cut off, has not heard of the revocation (else this test proves nothing)"
        );
        sql(format!("ALTER ROLE {role} LOGIN")).await;
        feed(true).await;
        // Once B's feed is back: the old token is refused on HTTP, its socket is closed
        // as signed out, and B's other signed-in sockets are told to re-read.
        problem(
            b.get("/api/users/profile", Some(&other_device.token)).await,
            401,
        )
        .await;
        let closed = revoked_on_b
            .close_frame(Duration::from_secs(5))
            .await
            .expect("the revoked session's socket on B stayed open")
            .expect("a close frame");
        assert_eq!(u16::from(closed.code), 1008);
        assert_eq!(closed.reason.as_str(), "signed out");
        assert!(
            bystander_on_b
                .next_of_within("resync", Duration::from_secs(5))
                .await
                .is_some(),
            "the signed-in socket on B was not told to resync"
        );
    }

    #[derive(QueryableByName)]
    struct Killed {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        killed: bool,
    }
}
