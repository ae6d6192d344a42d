//! Consult now: the queue keeps its order under concurrent joins, two doctor sessions
//! taking `next` at once get two different patients, the room's signals and chat reach
//! its two parties only, and an ended consult is kept as an INSTANT appointment.

use mediconnect_shared::Role;
use serde_json::{Value, json};

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

async fn accepting_doctor(app: &TestApp, name: &str) -> (TestUser, uuid::Uuid) {
    let doctor = app.doctor(name, "General Practice").await;
    let status = json!({"isOnline": true, "acceptingConsults": true});
    let d = json_ok(
        app.put("/api/doctors/status", Some(&doctor.token), &status)
            .await,
    )
    .await;
    assert_eq!(d["acceptingConsults"], true);
    let id = doctor_id(app, name).await;
    (doctor, id)
}

#[both_backends]
async fn the_queue_is_first_come_first_served_and_next_never_gives_one_patient_twice(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (doctor, id) = accepting_doctor(&app, "Dr. Queue").await;
    let mut patients = Vec::new();
    for _ in 0..6 {
        patients.push(app.user(Role::Patient).await);
    }
    let ask = json!({"doctorId": id, "reason": "Cough"});
    let joins = patients
        .iter()
        .map(|p| app.post("/api/consults", Some(&p.token), &ask));
    let answers = futures_util::future::join_all(joins).await;
    let mut positions = Vec::new();
    for res in answers {
        let c = json_ok(res).await;
        positions.push(c["position"].as_u64().unwrap());
    }
    positions.sort();
    assert_eq!(positions, [1, 2, 3, 4, 5, 6], "each place given once");
    // One open consult per patient.
    let again = app
        .post(
            "/api/consults",
            Some(&patients[0].token),
            &json!({"doctorId": id}),
        )
        .await;
    let p = problem(again, 409).await;
    assert!(p.kind.ends_with(":consult-open"), "{p:?}");
    let queue = json_ok(app.get("/api/consults/queue", Some(&doctor.token)).await).await;
    let waiting = queue["patients"].as_array().unwrap();
    assert_eq!(waiting.len(), 6);
    assert_eq!(waiting[0]["reason"], "Cough");

    // Two sessions of the doctor take next at once, three times: six different patients,
    // in queue order.
    let second = app
        .login(&doctor.email, PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let tokens = [
        doctor.token.clone(),
        second["token"].as_str().unwrap().to_owned(),
    ];
    let mut taken = Vec::new();
    let empty = json!({});
    for _ in 0..3 {
        let nexts = tokens
            .iter()
            .map(|t| app.post("/api/consults/next", Some(t), &empty));
        for res in futures_util::future::join_all(nexts).await {
            taken.push(json_ok(res).await["id"].as_str().unwrap().to_owned());
        }
    }
    let expected: Vec<String> = waiting
        .iter()
        .map(|w| w["consultId"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = taken.clone();
    sorted.sort();
    let mut all = expected.clone();
    all.sort();
    assert_eq!(sorted, all, "every patient taken once");
    let p = problem(
        app.post("/api/consults/next", Some(&doctor.token), &json!({}))
            .await,
        409,
    )
    .await;
    assert!(p.kind.ends_with(":consult-queue-empty"), "{p:?}");
}

#[both_backends]
async fn only_an_online_accepting_doctor_with_room_takes_consults(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Busy", "General Practice").await;
    let id = doctor_id(&app, "Busy").await;
    let patient = app.user(Role::Patient).await;
    let body = json!({"doctorId": id});
    let p = problem(
        app.post("/api/consults", Some(&patient.token), &body).await,
        409,
    )
    .await;
    assert!(p.kind.ends_with(":doctor-offline"), "{p:?}");
    app.set_online(&doctor, true).await;
    let p = problem(
        app.post("/api/consults", Some(&patient.token), &body).await,
        409,
    )
    .await;
    assert!(p.kind.ends_with(":not-accepting-consults"), "{p:?}");
    let long = json!({"doctorId": id, "reason": "x".repeat(501)});
    let p = problem(
        app.post("/api/consults", Some(&patient.token), &long).await,
        422,
    )
    .await;
    assert!(p.field_message("reason").is_some(), "{p:?}");
    // Leaving: one's own only.
    let status = json!({"isOnline": true, "acceptingConsults": true});
    json_ok(
        app.put("/api/doctors/status", Some(&doctor.token), &status)
            .await,
    )
    .await;
    let online = json_ok(app.get("/api/doctors/online", None).await).await;
    assert_eq!(online["doctors"][0]["acceptingConsults"], true, "{online}");
    let c = json_ok(app.post("/api/consults", Some(&patient.token), &body).await).await;
    let path = format!("/api/consults/{}", c["id"].as_str().unwrap());
    let other = app.user(Role::Patient).await;
    assert_eq!(app.delete(&path, Some(&other.token)).await.status(), 404);
    assert_eq!(app.delete(&path, Some(&patient.token)).await.status(), 204);
    let queue = json_ok(app.get("/api/consults/queue", Some(&doctor.token)).await).await;
    assert_eq!(queue["patients"], json!([]));
    // Accepting needs being online; going offline stops it.
    let bad = json!({"isOnline": false, "acceptingConsults": true});
    let p = problem(
        app.put("/api/doctors/status", Some(&doctor.token), &bad)
            .await,
        422,
    )
    .await;
    assert!(p.field_message("acceptingConsults").is_some(), "{p:?}");
    let d = app.set_online(&doctor, false).await;
    assert_eq!(d["acceptingConsults"], false);
    app.set_online(&doctor, true).await;
    let p = problem(
        app.post("/api/consults", Some(&patient.token), &body).await,
        409,
    )
    .await;
    assert!(p.kind.ends_with(":not-accepting-consults"), "{p:?}");
}

/// The doctor sees the queue live, each patient their place, and both the start; the
/// reason reaches the doctor only.
#[both_backends]
async fn the_queue_and_the_start_are_told_live(backend: Backend) {
    let app = spawn_app(backend).await;
    let (doctor, id) = accepting_doctor(&app, "Dr. Live Queue").await;
    let first = app.user(Role::Patient).await;
    let second = app.user(Role::Patient).await;
    let mut doctor_ws = crate::ws::connect(&app).await;
    assert_eq!(doctor_ws.auth(&doctor.token).await["type"], "auth_ok");
    let mut first_ws = crate::ws::connect(&app).await;
    assert_eq!(first_ws.auth(&first.token).await["type"], "auth_ok");
    let mut second_ws = crate::ws::connect(&app).await;
    assert_eq!(second_ws.auth(&second.token).await["type"], "auth_ok");

    let ask = json!({"doctorId": id, "reason": "Private matter"});
    json_ok(app.post("/api/consults", Some(&first.token), &ask).await).await;
    let queue = doctor_ws.next_of("consult_queue").await.expect("the queue");
    assert_eq!(queue["queue"]["patients"][0]["reason"], "Private matter");
    let mine = first_ws.next_of("consult").await.expect("a place");
    assert_eq!(mine["consult"]["position"], 1);
    json_ok(
        app.post(
            "/api/consults",
            Some(&second.token),
            &json!({"doctorId": id}),
        )
        .await,
    )
    .await;
    let mine = second_ws.next_of("consult").await.expect("a place");
    assert_eq!(mine["consult"]["position"], 2);
    assert_eq!(mine["consult"]["estimatedWaitMinutes"], 10);

    // Taken: both parties hear it, and the second moves up.
    let started = json_ok(
        app.post("/api/consults/next", Some(&doctor.token), &json!({}))
            .await,
    )
    .await;
    for ws in [&mut doctor_ws, &mut first_ws] {
        let m = ws.next_of("consult_started").await.expect("the start");
        assert_eq!(m["consult"]["id"], started["id"]);
        assert_eq!(m["consult"]["status"], "ACTIVE");
        assert!(!m.to_string().contains("Private matter"), "{m}");
    }
    let mine = second_ws.next_of("consult").await.expect("a new place");
    assert_eq!(mine["consult"]["position"], 1);
    second_ws
        .expect_quiet(std::time::Duration::from_millis(300))
        .await;
}

/// A doctor who goes offline ends their queue: each waiting patient is told live and
/// by email, with a link to book instead.
#[both_backends]
async fn going_offline_ends_the_queue(backend: Backend) {
    use diesel::prelude::*;
    use mediconnect_api::db::schema::notifications;
    let app = spawn_app(backend).await;
    let (doctor, id) = accepting_doctor(&app, "Dr. Gone").await;
    let patient = app.user(Role::Patient).await;
    let mut ws = crate::ws::connect(&app).await;
    assert_eq!(ws.auth(&patient.token).await["type"], "auth_ok");
    json_ok(
        app.post(
            "/api/consults",
            Some(&patient.token),
            &json!({"doctorId": id}),
        )
        .await,
    )
    .await;
    ws.next_of("consult").await.expect("a place");
    app.set_online(&doctor, false).await;
    let m = ws.next_of("consult").await.expect("the end");
    assert_eq!(m["consult"]["status"], "DROPPED");
    let queue = json_ok(app.get("/api/consults/queue", Some(&doctor.token)).await).await;
    assert_eq!(queue["patients"], json!([]));
    let address = patient.email.clone();
    let mails: Vec<String> = app
        .with_conn(move |c| {
            notifications::table
                .filter(notifications::kind.eq("CONSULT_DROPPED"))
                .filter(notifications::email.eq(address))
                .select(notifications::content)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("/doctors/{id}")), "{}", mails[0]);
    // The patient may join another queue now.
    let (_, other) = accepting_doctor(&app, "Dr. Still Here").await;
    json_ok(
        app.post(
            "/api/consults",
            Some(&patient.token),
            &json!({"doctorId": other}),
        )
        .await,
    )
    .await;
}

/// A full queue refuses more patients, and makes room as they leave.
#[both_backends]
async fn a_full_queue_refuses_until_someone_leaves(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.consult_queue_max = 2).await;
    let (_, id) = accepting_doctor(&app, "Dr. Full").await;
    let body = json!({"doctorId": id});
    let mut ids = Vec::new();
    for _ in 0..2 {
        let p = app.user(Role::Patient).await;
        let c = json_ok(app.post("/api/consults", Some(&p.token), &body).await).await;
        ids.push((p, c["id"].as_str().unwrap().to_owned()));
    }
    let late = app.user(Role::Patient).await;
    let p = problem(
        app.post("/api/consults", Some(&late.token), &body).await,
        409,
    )
    .await;
    assert!(p.kind.ends_with(":consult-queue-full"), "{p:?}");
    let (first, consult) = &ids[0];
    let path = format!("/api/consults/{consult}");
    assert_eq!(app.delete(&path, Some(&first.token)).await.status(), 204);
    let c = json_ok(app.post("/api/consults", Some(&late.token), &body).await).await;
    assert_eq!(c["position"], 2);
}

/// A doctor and a patient in a consult the doctor took: (doctor, patient, consult id).
async fn started_consult(app: &TestApp, name: &str) -> (TestUser, TestUser, String) {
    let (doctor, id) = accepting_doctor(app, name).await;
    let patient = app.user(Role::Patient).await;
    let ask = json!({"doctorId": id, "reason": "Rash on the arm"});
    json_ok(app.post("/api/consults", Some(&patient.token), &ask).await).await;
    let started = json_ok(
        app.post("/api/consults/next", Some(&doctor.token), &json!({}))
            .await,
    )
    .await;
    let consult = started["id"].as_str().unwrap().to_owned();
    (doctor, patient, consult)
}

fn signal(consult: &str, data: Value) -> Value {
    json!({"type": "signal", "consultId": consult, "data": data})
}

/// Signals reach the other party only, on any socket of theirs, as sent; anyone else
/// is refused and hears nothing.
#[both_backends]
async fn signals_reach_only_the_other_party(backend: Backend) {
    let app = spawn_app(backend).await;
    let (doctor, patient, consult) = started_consult(&app, "Dr. Signal").await;
    let outsider = app.user(Role::Patient).await;
    let mut doctor_ws = crate::ws::connect(&app).await;
    assert_eq!(doctor_ws.auth(&doctor.token).await["type"], "auth_ok");
    let mut patient_ws = crate::ws::connect(&app).await;
    assert_eq!(patient_ws.auth(&patient.token).await["type"], "auth_ok");
    let mut outsider_ws = crate::ws::connect(&app).await;
    assert_eq!(outsider_ws.auth(&outsider.token).await["type"], "auth_ok");
    let mut anonymous = crate::ws::connect(&app).await;

    // An offer longer than one PostgreSQL notification, as the patient sent it.
    let offer = json!({"type": "offer", "sdp": format!("v=0\r\n{}", "a=x\r\n".repeat(2000))});
    patient_ws.send_json(&signal(&consult, offer.clone())).await;
    let got = doctor_ws
        .next_of("signal")
        .await
        .expect("the offer arrives");
    assert_eq!(got["consultId"], consult.as_str());
    assert_eq!(got["from"], "PATIENT");
    assert_eq!(got["data"], offer);
    let answer = json!({"type": "answer", "sdp": "v=0"});
    doctor_ws.send_json(&signal(&consult, answer.clone())).await;
    let got = patient_ws
        .next_of("signal")
        .await
        .expect("the answer arrives");
    assert_eq!(got["from"], "DOCTOR");
    assert_eq!(got["data"], answer);

    // Someone else's signal for the consult is refused, and reaches nobody.
    outsider_ws
        .send_json(&signal(&consult, json!({"candidate": "x"})))
        .await;
    let refused = outsider_ws.next_of("error").await.expect("a refusal");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("no such consult"),
        "{refused}"
    );
    anonymous
        .send_json(&signal(&consult, json!({"candidate": "x"})))
        .await;
    let refused = anonymous.next_of("error").await.expect("a refusal");
    assert!(
        refused["message"].as_str().unwrap().contains("Sign in"),
        "{refused}"
    );
    // Not an object, or too large: refused.
    patient_ws.send_json(&signal(&consult, json!("text"))).await;
    patient_ws.next_of("error").await.expect("a refusal");
    let huge = json!({"sdp": "x".repeat(17 * 1024)});
    patient_ws.send_json(&signal(&consult, huge)).await;
    let refused = patient_ws.next_of("error").await.expect("a refusal");
    assert!(
        refused["message"].as_str().unwrap().contains("too large"),
        "{refused}"
    );
    for ws in [&mut doctor_ws, &mut outsider_ws, &mut anonymous] {
        ws.expect_quiet(std::time::Duration::from_millis(300)).await;
    }
}

/// The chat is kept with the consult and told live to both parties; its reads by
/// others are audited; ending keeps the consult as a COMPLETED INSTANT appointment in
/// both histories, and the room then takes no more signals or messages.
#[both_backends]
async fn the_chat_and_the_end_of_a_consult(backend: Backend) {
    use diesel::prelude::*;
    use mediconnect_api::db::schema::audit_log;
    let app = spawn_app(backend).await;
    let (doctor, patient, consult) = started_consult(&app, "Dr. Chat").await;
    let outsider = app.user(Role::Patient).await;
    let admin = app.user(Role::Admin).await;
    let mut doctor_ws = crate::ws::connect(&app).await;
    assert_eq!(doctor_ws.auth(&doctor.token).await["type"], "auth_ok");
    let mut patient_ws = crate::ws::connect(&app).await;
    assert_eq!(patient_ws.auth(&patient.token).await["type"], "auth_ok");

    let room_path = format!("/api/consults/{consult}");
    let room = json_ok(app.get(&room_path, Some(&patient.token)).await).await;
    assert_eq!(room["role"], "PATIENT");
    assert_eq!(room["status"], "ACTIVE");
    assert_eq!(room["doctor"]["name"], "Dr. Chat");
    assert_eq!(room["reason"], "Rash on the arm");
    assert_eq!(room["iceServers"], json!([]));
    let room = json_ok(app.get(&room_path, Some(&doctor.token)).await).await;
    assert_eq!(room["role"], "DOCTOR");
    let room = json_ok(app.get(&room_path, Some(&admin.token)).await).await;
    assert_eq!(room["role"], "ADMIN");
    assert!(room.get("reason").is_none(), "{room}");
    assert_eq!(
        app.get(&room_path, Some(&outsider.token)).await.status(),
        404
    );

    let chat_path = format!("/api/consults/{consult}/messages");
    let said = app
        .post(
            &chat_path,
            Some(&patient.token),
            &json!({"text": " Can you see me? "}),
        )
        .await;
    assert_eq!(said.status(), 201);
    for ws in [&mut doctor_ws, &mut patient_ws] {
        let m = ws.next_of("consult_chat").await.expect("the message, live");
        assert_eq!(m["chat"]["text"], "Can you see me?");
        assert_eq!(m["chat"]["from"], "PATIENT");
    }
    json_ok(
        app.post(&chat_path, Some(&doctor.token), &json!({"text": "Yes."}))
            .await,
    )
    .await;
    for (bad, status) in [
        (json!({"text": "  "}), 422),
        (json!({"text": "x".repeat(2001)}), 422),
    ] {
        problem(
            app.post(&chat_path, Some(&patient.token), &bad).await,
            status,
        )
        .await;
    }
    let outsider_says = app
        .post(&chat_path, Some(&outsider.token), &json!({"text": "hi"}))
        .await;
    assert_eq!(outsider_says.status(), 404);
    assert_eq!(
        app.get(&chat_path, Some(&outsider.token)).await.status(),
        404
    );
    let chat = json_ok(app.get(&chat_path, Some(&admin.token)).await).await;
    let texts: Vec<&str> = chat["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Can you see me?", "Yes."]);
    json_ok(app.get(&chat_path, Some(&patient.token)).await).await;
    let reads: Vec<(String, String)> = app
        .with_conn(|c| {
            audit_log::table
                .filter(audit_log::target_type.eq("consult"))
                .select((audit_log::action, audit_log::actor_role))
                .load::<(String, String)>(c)
                .unwrap()
        })
        .await;
    assert!(
        reads.contains(&("consult.chat.read".into(), "ADMIN".into())),
        "{reads:?}"
    );
    assert!(
        reads.contains(&("consult.read".into(), "DOCTOR".into())),
        "{reads:?}"
    );
    assert!(
        !reads.iter().any(|(_, role)| role == "PATIENT"),
        "{reads:?}"
    );

    // The admin cannot end it; the doctor does.
    let end_path = format!("/api/consults/{consult}/end");
    assert_eq!(
        app.post(&end_path, Some(&admin.token), &json!({}))
            .await
            .status(),
        404
    );
    let ended = json_ok(app.post(&end_path, Some(&doctor.token), &json!({})).await).await;
    assert_eq!(ended["status"], "ENDED");
    let kept = ended["appointmentId"]
        .as_str()
        .expect("kept as an appointment");
    for ws in [&mut doctor_ws, &mut patient_ws] {
        let m = ws.next_of("consult_started").await.expect("the end, live");
        assert_eq!(m["consult"]["status"], "ENDED");
    }
    let p = problem(
        app.post(&end_path, Some(&patient.token), &json!({})).await,
        409,
    )
    .await;
    assert!(p.kind.ends_with(":consult-not-active"), "{p:?}");
    for who in [&doctor, &patient] {
        let list = json_ok(app.get("/api/appointments", Some(&who.token)).await).await;
        let a = &list["appointments"][0];
        assert_eq!(a["id"], kept);
        assert_eq!(a["kind"], "INSTANT");
        assert_eq!(a["status"], "COMPLETED");
        assert_eq!(a["durationMinutes"], 1);
        assert_eq!(a["reason"], "Rash on the arm");
    }
    let p = problem(
        app.post(&chat_path, Some(&patient.token), &json!({"text": "bye"}))
            .await,
        409,
    )
    .await;
    assert!(p.kind.ends_with(":consult-not-active"), "{p:?}");
    patient_ws
        .send_json(&signal(&consult, json!({"candidate": "late"})))
        .await;
    let refused = patient_ws.next_of("error").await.expect("a refusal");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("not under way"),
        "{refused}"
    );
    // The analytics count it: consults taken today, and their median wait.
    for who in [&doctor, &admin] {
        let series = json_ok(
            app.get(
                "/api/analytics/timeseries?metric=consults&days=7",
                Some(&who.token),
            )
            .await,
        )
        .await;
        let last = series["buckets"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["value"], 1, "{series}");
        let waits = json_ok(
            app.get(
                "/api/analytics/timeseries?metric=consultWaitMinutes&days=7",
                Some(&who.token),
            )
            .await,
        )
        .await;
        assert_eq!(waits["buckets"].as_array().unwrap().len(), 7);
    }
    // The patient may ask for another consult now.
    let current = app.get("/api/consults/current", Some(&patient.token)).await;
    assert_eq!(current.status(), 404);
}

/// A waiting patient whose sockets are all gone for the presence grace leaves the
/// queue; the doctor's queue says so live.
#[both_backends]
async fn a_waiting_patient_whose_connection_is_gone_leaves_the_queue(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.presence_grace = std::time::Duration::from_secs(1);
        c.ws_heartbeat = std::time::Duration::from_secs(1);
        c.ws_client_timeout = std::time::Duration::from_secs(3);
    })
    .await;
    let (doctor, id) = accepting_doctor(&app, "Dr. Waiting Room").await;
    let mut doctor_ws = crate::ws::connect(&app).await;
    assert_eq!(doctor_ws.auth(&doctor.token).await["type"], "auth_ok");
    let patient = app.user(Role::Patient).await;
    let mut patient_ws = crate::ws::connect(&app).await;
    assert_eq!(patient_ws.auth(&patient.token).await["type"], "auth_ok");
    let c = json_ok(
        app.post(
            "/api/consults",
            Some(&patient.token),
            &json!({"doctorId": id}),
        )
        .await,
    )
    .await;
    let current = json_ok(app.get("/api/consults/current", Some(&patient.token)).await).await;
    assert_eq!(current["id"], c["id"]);
    let queue = doctor_ws.next_of("consult_queue").await.expect("the queue");
    assert_eq!(queue["queue"]["patients"].as_array().unwrap().len(), 1);
    drop(patient_ws);
    let queue = doctor_ws
        .next_of_within("consult_queue", std::time::Duration::from_secs(10))
        .await
        .expect("the queue again, after the grace");
    assert_eq!(queue["queue"]["patients"], json!([]));
    assert_eq!(
        app.get("/api/consults/current", Some(&patient.token))
            .await
            .status(),
        404
    );
}

/// A doctor whose sockets are gone for the grace goes offline by expiry, which ends
/// their queue as the switch does: each waiting patient is told live and by email.
#[both_backends]
async fn a_doctor_who_expires_ends_the_queue(backend: Backend) {
    use diesel::prelude::*;
    use mediconnect_api::db::schema::notifications;
    let app = spawn_app_with(backend, |c| {
        c.presence_grace = std::time::Duration::from_secs(1);
        c.ws_heartbeat = std::time::Duration::from_secs(1);
        c.ws_client_timeout = std::time::Duration::from_secs(3);
    })
    .await;
    let doctor = app.doctor("Dr. Expiring", "General Practice").await;
    let mut doctor_ws = crate::ws::connect(&app).await;
    assert_eq!(doctor_ws.auth(&doctor.token).await["type"], "auth_ok");
    let status = json!({"isOnline": true, "acceptingConsults": true});
    json_ok(
        app.put("/api/doctors/status", Some(&doctor.token), &status)
            .await,
    )
    .await;
    let id = doctor_id(&app, "Expiring").await;
    let patient = app.user(Role::Patient).await;
    let mut patient_ws = crate::ws::connect(&app).await;
    assert_eq!(patient_ws.auth(&patient.token).await["type"], "auth_ok");
    json_ok(
        app.post(
            "/api/consults",
            Some(&patient.token),
            &json!({"doctorId": id}),
        )
        .await,
    )
    .await;
    drop(doctor_ws);
    let m = patient_ws
        .next_of_within("consult", std::time::Duration::from_secs(10))
        .await
        .expect("a place, then the end");
    let m = if m["consult"]["status"] == "WAITING" {
        patient_ws
            .next_of_within("consult", std::time::Duration::from_secs(10))
            .await
            .expect("the end after the grace")
    } else {
        m
    };
    assert_eq!(m["consult"]["status"], "DROPPED");
    let address = patient.email.clone();
    let mails: i64 = app
        .with_conn(move |c| {
            notifications::table
                .filter(notifications::kind.eq("CONSULT_DROPPED"))
                .filter(notifications::email.eq(address))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(mails, 1);
}

/// Signals have a budget of their own: a call's start (more than the 20 other client
/// messages allowed at once) passes whole; a flood beyond it is refused.
#[both_backends]
async fn signals_have_a_rate_budget_of_their_own(backend: Backend) {
    let app = spawn_app(backend).await;
    let (doctor, patient, consult) = started_consult(&app, "Dr. Budget").await;
    let mut doctor_ws = crate::ws::connect(&app).await;
    assert_eq!(doctor_ws.auth(&doctor.token).await["type"], "auth_ok");
    let mut patient_ws = crate::ws::connect(&app).await;
    assert_eq!(patient_ws.auth(&patient.token).await["type"], "auth_ok");
    for seq in 0..30 {
        patient_ws
            .send_json(&signal(&consult, json!({"candidate": seq})))
            .await;
    }
    for seq in 0..30 {
        let got = doctor_ws
            .next_of("signal")
            .await
            .expect("every signal of a burst");
        assert_eq!(got["data"]["candidate"], seq);
    }
    for seq in 30..200 {
        patient_ws
            .send_json(&signal(&consult, json!({"candidate": seq})))
            .await;
    }
    let refused = patient_ws
        .next_of("error")
        .await
        .expect("a flood is refused");
    assert!(
        refused["message"].as_str().unwrap().contains("Too many"),
        "{refused}"
    );
}
