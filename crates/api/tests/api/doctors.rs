use diesel::prelude::*;
use mediconnect_api::db::DbId;
use mediconnect_api::db::schema::users;
use mediconnect_shared::{DoctorList, Role, SpecializationSummary};
use serde_json::json;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

async fn list(app: &TestApp, query: &str) -> DoctorList {
    serde_json::from_value(json_ok(app.get(&format!("/api/doctors{query}"), None).await).await)
        .unwrap()
}

fn names(list: &DoctorList) -> Vec<&str> {
    list.doctors.iter().map(|d| d.name.as_str()).collect()
}

#[both_backends]
async fn the_directory_filters_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let amara = app.doctor("Dr. Amara Okafor", "Cardiology").await;
    app.doctor("Dr. Lucas Meyer", "cardiology").await;
    app.doctor("Dr. Özlem Çelik", "Dermatology").await;
    app.doctor("Dr. Sofia Rossi", "Pediatric Cardiology").await;
    app.doctor("Dr. 100% Real_Name", "General Practice").await;
    app.user(Role::Patient).await;
    app.set_online(&amara, true).await;

    let all = list(&app, "").await;
    assert_eq!(all.pagination.total, 5);
    assert_eq!(all.pagination.limit, 20);
    assert_eq!(all.pagination.page, 1);
    assert_eq!(all.pagination.total_pages, 1);
    // Sorted by name; the shape of the contract.
    assert_eq!(names(&all)[0], "Dr. 100% Real_Name");
    let first = json_ok(app.get("/api/doctors", None).await).await;
    let keys: Vec<_> = first["doctors"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        keys,
        [
            "acceptingConsults",
            "id",
            "isOnline",
            "lastOnline",
            "name",
            "specialization"
        ]
    );

    // Specialization: exact, any letter case.
    assert_eq!(
        names(&list(&app, "?specialization=CARDIOLOGY").await),
        ["Dr. Amara Okafor", "Dr. Lucas Meyer"]
    );
    assert_eq!(
        list(&app, "?specialization=cardio").await.pagination.total,
        0
    );
    // Online.
    assert_eq!(
        names(&list(&app, "?online=true").await),
        ["Dr. Amara Okafor"]
    );
    assert_eq!(list(&app, "?online=false").await.pagination.total, 4);
    // Name search, any case, including non-ASCII letters; wildcards are literal.
    assert_eq!(names(&list(&app, "?q=ROSS").await), ["Dr. Sofia Rossi"]);
    assert_eq!(
        names(&list(&app, "?q=%C3%B6zlem").await),
        ["Dr. Özlem Çelik"]
    );
    assert_eq!(names(&list(&app, "?q=%25").await), ["Dr. 100% Real_Name"]);
    // As a wildcard, `_` would match "Okafor" ("oka"); literally, nothing has "o_a".
    assert_eq!(names(&list(&app, "?q=o_a").await).len(), 0);
    // Combined.
    assert_eq!(
        names(&list(&app, "?specialization=cardiology&online=false&q=meyer").await),
        ["Dr. Lucas Meyer"]
    );

    // Paging.
    let page = list(&app, "?limit=2&page=3").await;
    assert_eq!(page.pagination.total, 5);
    assert_eq!(page.pagination.total_pages, 3);
    assert_eq!(page.doctors.len(), 1);
    // Past the last page: no doctors, and still the right total.
    let past = list(&app, "?limit=2&page=4").await;
    assert_eq!(past.doctors.len(), 0);
    assert_eq!((past.pagination.total, past.pagination.total_pages), (5, 3));
    let none = list(&app, "?q=nobody-has-this-name").await;
    assert_eq!((none.pagination.total, none.pagination.total_pages), (0, 0));
    assert_eq!(list(&app, "?limit=100").await.doctors.len(), 5);
}

#[both_backends]
async fn bad_directory_parameters_are_400(backend: Backend) {
    let app = spawn_app(backend).await;
    for query in [
        "?page=0",
        "?limit=0",
        "?limit=101",
        "?limit=abc",
        "?page=-1",
        "?online=yes",
        &format!("?q={}", "x".repeat(101)),
    ] {
        problem(app.get(&format!("/api/doctors{query}"), None).await, 400).await;
    }
}

#[both_backends]
async fn deactivated_doctors_are_not_listed(backend: Backend) {
    let app = spawn_app(backend).await;
    let gone = app.doctor("Dr. Gone", "Cardiology").await;
    app.set_online(&gone, true).await;
    let doctor_id = app
        .get("/api/doctors", None)
        .await
        .json::<DoctorList>()
        .await
        .unwrap()
        .doctors[0]
        .id;
    let id = gone.id;
    app.with_conn(move |c| {
        diesel::update(users::table.find(DbId(id)))
            .set(users::active.eq(false))
            .execute(c)
            .unwrap()
    })
    .await;
    assert_eq!(list(&app, "").await.pagination.total, 0);
    problem(
        app.get(&format!("/api/doctors/{doctor_id}"), None).await,
        404,
    )
    .await;
}

#[both_backends]
async fn one_doctor_by_id(backend: Backend) {
    let app = spawn_app(backend).await;
    app.doctor("Dr. One", "Neurology").await;
    let id = list(&app, "").await.doctors[0].id;
    let one = json_ok(app.get(&format!("/api/doctors/{id}"), None).await).await;
    assert_eq!(one["name"], "Dr. One");
    assert_eq!(one["specialization"], "Neurology");
    assert_eq!(one["isOnline"], false);
    problem(
        app.get(&format!("/api/doctors/{}", uuid::Uuid::new_v4()), None)
            .await,
        404,
    )
    .await;
    problem(app.get("/api/doctors/not-a-uuid", None).await, 404).await;
}

#[both_backends]
async fn the_status_switch(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Switch", "Cardiology").await;
    let on = app.set_online(&doctor, true).await;
    assert_eq!(on["isOnline"], true);
    assert_eq!(on["name"], "Dr. Switch");
    assert!(on["lastOnline"].is_null());
    let online = json_ok(app.get("/api/doctors/online", None).await).await;
    assert_eq!(online["doctors"][0]["name"], "Dr. Switch");
    assert_eq!(online["doctors"].as_array().unwrap().len(), 1);

    let before = chrono::Utc::now();
    let off = app.set_online(&doctor, false).await;
    assert_eq!(off["isOnline"], false);
    let last: chrono::DateTime<chrono::Utc> = off["lastOnline"].as_str().unwrap().parse().unwrap();
    assert!(last >= before - chrono::Duration::seconds(1));
    let online = json_ok(app.get("/api/doctors/online", None).await).await;
    assert_eq!(online, json!({"doctors": []}));
    // Setting the same state again answers the doctor, unchanged.
    let again = app.set_online(&doctor, false).await;
    assert_eq!(again, off);
}

#[both_backends]
async fn only_doctors_switch_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. D", "Cardiology").await;
    let patient = app.user(Role::Patient).await;
    let admin = app.user(Role::Admin).await;
    problem(
        app.put("/api/doctors/status", None, &json!({"isOnline": true}))
            .await,
        401,
    )
    .await;
    problem(
        app.put(
            "/api/doctors/status",
            Some(&patient.token),
            &json!({"isOnline": true}),
        )
        .await,
        403,
    )
    .await;
    problem(
        app.put(
            "/api/doctors/status",
            Some(&admin.token),
            &json!({"isOnline": true}),
        )
        .await,
        403,
    )
    .await;
    for bad in [
        json!({"isOnline": "yes"}),
        json!({"isOnline": 1}),
        json!({"isOnline": null}),
        json!({}),
    ] {
        problem(
            app.put("/api/doctors/status", Some(&doctor.token), &bad)
                .await,
            422,
        )
        .await;
    }
    let res = app
        .client
        .put(app.url("/api/doctors/status"))
        .bearer_auth(&doctor.token)
        .header("content-type", "application/json")
        .body("{\"isOnline\": tru")
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    let listed = list(&app, "").await;
    assert!(!listed.doctors[0].is_online);
}

#[both_backends]
async fn specializations_count_doctors_and_online(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.doctor("Dr. A", "Cardiology").await;
    app.doctor("Dr. B", "Cardiology").await;
    app.doctor("Dr. C", "cardiology").await;
    app.doctor("Dr. D", "Dermatology").await;
    app.set_online(&a, true).await;
    let specs: Vec<SpecializationSummary> = app
        .get("/api/specializations", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        specs,
        vec![
            SpecializationSummary {
                name: "Cardiology".into(),
                doctors: 3,
                online: 1
            },
            SpecializationSummary {
                name: "Dermatology".into(),
                doctors: 1,
                online: 0
            },
        ]
    );
}

#[both_backends]
async fn profile_edits_show_in_the_directory(backend: Backend) {
    let app = spawn_app(backend).await;
    let d = app.doctor("Dr. Before", "Cardiology").await;
    app.set_online(&d, true).await;
    json_ok(
        app.put(
            "/api/users/profile",
            Some(&d.token),
            &json!({"name": "Dr. After", "specialization": "Neurology"}),
        )
        .await,
    )
    .await;
    let online = json_ok(app.get("/api/doctors/online", None).await).await;
    assert_eq!(online["doctors"][0]["name"], "Dr. After");
    assert_eq!(online["doctors"][0]["specialization"], "Neurology");
    assert_eq!(
        names(&list(&app, "?q=after&specialization=neurology").await),
        ["Dr. After"]
    );
}
