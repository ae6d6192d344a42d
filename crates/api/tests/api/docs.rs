use crate::helpers::*;
use mediconnect_test_macros::both_backends;

/// Every (method, path) the API serves; the OpenAPI document must describe each.
const ENDPOINTS: &[(&str, &str)] = &[
    ("get", "/api/health"),
    ("get", "/api/health/ready"),
    ("get", "/metrics"),
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/refresh"),
    ("post", "/api/auth/logout"),
    ("get", "/api/users/profile"),
    ("put", "/api/users/profile"),
    ("put", "/api/users/password"),
    ("get", "/api/doctors"),
    ("get", "/api/doctors/online"),
    ("get", "/api/doctors/{id}"),
    ("put", "/api/doctors/status"),
    ("get", "/api/specializations"),
    ("get", "/api/ws"),
    ("post", "/api/appointments"),
    ("get", "/api/appointments"),
    ("get", "/api/appointments/{id}"),
    ("put", "/api/appointments/{id}"),
    ("delete", "/api/appointments/{id}"),
    ("get", "/api/appointments/{id}/history"),
    ("get", "/api/doctors/me/schedule"),
    ("put", "/api/doctors/me/schedule"),
    ("get", "/api/doctors/{id}/slots"),
    ("post", "/api/doctors/{id}/follow"),
    ("delete", "/api/doctors/{id}/follow"),
    ("get", "/api/users/follows"),
    ("get", "/api/notifications/unsubscribe"),
    ("post", "/api/notifications/unsubscribe"),
    ("get", "/api/analytics"),
    ("get", "/api/analytics/timeseries"),
    ("get", "/api/admin/users"),
    ("patch", "/api/admin/users/{id}"),
    ("get", "/api/admin/notifications"),
    ("post", "/api/admin/notifications/{id}/retry"),
    ("get", "/api/admin/audit"),
];

#[both_backends]
async fn openapi_describes_every_endpoint(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = json_ok(app.get("/api/openapi.json", None).await).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for (method, path) in ENDPOINTS {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|k| k.starts_with('2') || k == "101"),
            "{method} {path}: no success response"
        );
        let public_reads = [
            "/api/health",
            "/api/health/ready",
            "/api/auth/logout",
            "/api/doctors/online",
            "/api/specializations",
        ];
        if !public_reads.contains(path) {
            assert!(
                responses.keys().any(|k| k.starts_with('4')),
                "{method} {path}: no error response"
            );
        }
    }
    // Every operation has an operationId of its own (code generators refuse
    // duplicates), in camelCase, and longer than a bare verb.
    let mut seen = std::collections::HashMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            assert!(
                id.chars().next().unwrap().is_ascii_lowercase()
                    && id.chars().all(|c| c.is_ascii_alphanumeric()),
                "{id}"
            );
            assert!(
                !["list", "get", "get_one", "update", "delete"].contains(&id),
                "{method} {path}: {id} says nothing"
            );
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("operationId {id} is used by {other} and by {method} {path}");
            }
        }
    }
    assert_eq!(seen["listDoctors"], "get /api/doctors");
    assert_eq!(seen["getAppointment"], "get /api/appointments/{id}");
    // Every reference resolves.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
    let order = doc["paths"]["/api/appointments"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "order")
        .expect("the order parameter")
        .clone();
    let reference = order["schema"].to_string();
    assert!(
        reference.contains("#/components/schemas/Order"),
        "{reference}"
    );
    for schema in [
        "RegisterRequest",
        "LoginResponse",
        "Problem",
        "ProfileResponse",
        "FieldError",
        "Order",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    // Field names are camelCase, as the contract says.
    assert!(
        doc["components"]["schemas"]["LoginResponse"]["properties"]["refreshToken"].is_object()
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[both_backends]
async fn docs_ui_works_offline(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/api/docs", None).await;
    assert!(res.status().is_redirection());
    let res = app.get("/api/docs/", None).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page must not load from the internet"
    );
    let init = app.get("/api/docs/swagger-initializer.js", None).await;
    assert_eq!(init.status(), 200);
    assert!(init.text().await.unwrap().contains("/api/openapi.json"));
    assert_eq!(
        app.get("/api/docs/swagger-ui-bundle.js", None)
            .await
            .status(),
        200
    );
}

fn collect_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(item, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}
