//! HTTP routes. One file per resource; handlers are thin: extract, call one use case,
//! answer with a `mediconnect_shared` DTO.

pub mod admin;
pub mod appointments;
pub mod auth;
pub mod calendar;
pub mod consults;
pub mod docs;
pub mod doctors;
pub mod health;
pub mod json;
pub mod metrics;
pub mod notifications;
pub mod query;
pub mod responses;
pub mod spa;
pub mod users;
pub mod waitlist;

use actix_web::{HttpResponse, web};

use crate::error::{ApiError, extractors};

/// The JSON body limit of every endpoint.
pub const JSON_LIMIT: usize = 64 * 1024;

/// Registers everything under `/api`.
pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_LIMIT)
            .error_handler(extractors::json_error),
    )
    .app_data(web::PathConfig::default().error_handler(extractors::path_error))
    .service(
        web::scope("/api")
            .configure(health::routes)
            .configure(auth::routes)
            .configure(users::routes)
            .configure(calendar::routes)
            .configure(waitlist::routes)
            .configure(consults::routes)
            .configure(admin::routes)
            .configure(appointments::routes)
            .configure(notifications::routes)
            .configure(doctors::routes)
            .route("/ws", web::get().to(crate::socket::ws))
            .default_service(web::to(api_not_found)),
    );
}

async fn api_not_found() -> HttpResponse {
    use actix_web::ResponseError;
    ApiError::NotFound("There is no such API endpoint.".into()).error_response()
}
