//! Private calendar feeds: the signed-in user's feed address, and the feed itself.

use crate::routes::responses::{HasNoAppointments, NotSignedIn};
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, delete, get, post, web};
use mediconnect_shared::{CalendarFeed, Problem};

use crate::appointments;
use crate::audit::{Actor, ClientIp};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::routes::auth::no_store;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(get_feed)
        .service(new_feed)
        .service(remove_feed)
        .service(feed_document);
}

/// The address of the signed-in user's private calendar feed, for a calendar app to
/// subscribe to: their appointments from 30 days back on, without visit reasons.
/// Anyone with the address can read the feed; keep it private.
#[utoipa::path(
    get,
    operation_id = "getCalendarFeed",
    path = "/api/users/calendar-feed",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The feed's address", body = CalendarFeed),
        NotSignedIn,
        HasNoAppointments,
        (
            status = 404,
            description = "No feed yet (or it was turned off)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[get("/users/calendar-feed")]
pub async fn get_feed(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(appointments::calendar_feed(&state, user).await?))
}

/// Makes a new address for the signed-in user's calendar feed. The old address, if
/// any, stops working at once (subscribe again with the new one).
#[utoipa::path(
    post,
    operation_id = "newCalendarFeed",
    path = "/api/users/calendar-feed",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new address", body = CalendarFeed),
        NotSignedIn,
        HasNoAppointments,
    )
)]
#[post("/users/calendar-feed")]
pub async fn new_feed(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
) -> Result<HttpResponse, ApiError> {
    let feed = appointments::new_calendar_feed(&state, Actor::new(user, ip)).await?;
    Ok(no_store(HttpResponse::Created()).json(feed))
}

/// Turns the signed-in user's calendar feed off: its address stops working.
#[utoipa::path(
    delete,
    operation_id = "removeCalendarFeed",
    path = "/api/users/calendar-feed",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Turned off"),
        NotSignedIn,
        HasNoAppointments,
        (
            status = 404,
            description = "No feed to turn off",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[delete("/users/calendar-feed")]
pub async fn remove_feed(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
) -> Result<HttpResponse, ApiError> {
    appointments::remove_calendar_feed(&state, Actor::new(user, ip)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A private calendar feed (RFC 5545, `text/calendar`): the owner's appointments from
/// 30 days back on, cancelled ones left out, times in UTC. Each entry names the two
/// parties and never the visit reason; its UID and SEQUENCE are those of the
/// appointment's emailed calendar entries. The address is the credential: no sign-in.
#[utoipa::path(
    get,
    operation_id = "getCalendarDocument",
    path = "/api/calendar/{token}.ics",
    tag = "users",
    params(("token" = String, Path, description = "The token from the feed's address")),
    responses(
        (status = 200, description = "The calendar", content_type = "text/calendar", body = String),
        (
            status = 404,
            description = "No such feed: replaced, turned off, or never made",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[get("/calendar/{token}.ics")]
pub async fn feed_document(
    state: web::Data<AppState>,
    token: web::Path<String>,
    ip: ClientIp,
) -> Result<HttpResponse, ApiError> {
    let body = appointments::calendar_document(&state, token.into_inner(), ip.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(body))
}
