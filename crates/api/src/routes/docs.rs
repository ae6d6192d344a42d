//! The OpenAPI 3.1 document, generated from the handlers and DTOs, and the docs UI.

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MediConnect API",
        description = "Real-time doctor availability and appointments. Errors are RFC 9457 \
            `application/problem+json`. Authenticate with `Authorization: Bearer <token>` \
            from `POST /api/auth/login`.",
        license(name = "MIT")
    ),
    paths(
        super::health::health,
        super::health::ready,
        super::metrics::metrics,
        super::auth::register,
        super::auth::login,
        super::auth::refresh,
        super::auth::logout,
        super::auth::request_password_reset,
        super::auth::confirm_password_reset,
        super::auth::verify_email,
        super::auth::resend_verification,
        super::auth::accept_invitation,
        super::users::get_profile,
        super::users::update_profile,
        super::users::change_password,
        super::users::change_email,
        super::users::time_zones,
        super::doctors::list,
        super::doctors::online,
        super::doctors::get_one,
        super::doctors::set_status,
        super::doctors::specializations,
        crate::socket::ws,
        super::appointments::book,
        super::appointments::list,
        super::appointments::get_one,
        super::appointments::update,
        super::appointments::cancel,
        super::appointments::history,
        super::appointments::get_schedule,
        super::appointments::put_schedule,
        super::appointments::get_booking_rules,
        super::appointments::put_booking_rules,
        super::appointments::list_time_off,
        super::appointments::add_time_off,
        super::appointments::remove_time_off,
        super::consults::join,
        super::consults::queue,
        super::consults::next,
        super::consults::leave,
        super::consults::current,
        super::consults::room,
        super::consults::end,
        super::consults::chat,
        super::consults::say,
        super::waitlist::join,
        super::waitlist::list,
        super::waitlist::leave,
        super::waitlist::claim,
        super::waitlist::decline,
        super::calendar::get_feed,
        super::calendar::new_feed,
        super::calendar::remove_feed,
        super::calendar::feed_document,
        super::appointments::slots,
        super::appointments::doctor_hours,
        super::notifications::follow,
        super::notifications::unfollow,
        super::notifications::followed,
        super::notifications::unsubscribe_page,
        super::notifications::unsubscribe_now,
        super::admin::overview,
        super::admin::timeseries,
        super::admin::users,
        super::admin::set_active,
        super::admin::send_password_reset,
        super::admin::doctor_applications,
        super::admin::approve_doctor,
        super::admin::reject_doctor,
        super::admin::create_invitation,
        super::admin::list_invitations,
        super::admin::revoke_invitation,
        super::admin::notifications,
        super::admin::retry,
        super::admin::audit_log,
    ),
    // Schemas that only query parameters use (bodies' schemas are collected from
    // the paths).
    components(schemas(mediconnect_shared::Order)),
    modifiers(&BearerAuth, &CommonResponses),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "users", description = "The signed-in user's profile and private calendar \
            feed"),
        (name = "doctors", description = "Doctors and their live status. Live updates arrive on \
            the WebSocket `GET /api/ws`: a `snapshot` of the online doctors first, then a \
            `doctor_status` message per change."),
        (name = "appointments", description = "Booking (never double-booked), the lifecycle, \
            working hours, free slots, booking rules, time off and waitlists"),
        (name = "consults", description = "Consult now: the queue of an online doctor who \
            takes instant consults, and the consult's room (a call whose signals travel on \
            `/api/ws`, and a chat)"),
        (name = "notifications", description = "Email alerts: following doctors, \
            one-click unsubscribe"),
        (name = "analytics", description = "Figures and daily time series"),
        (name = "admin", description = "Users, failed emails and the audit trail (admins only)"),
        (name = "health", description = "Service health"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::from(Http::new(HttpAuthScheme::Bearer))
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The answers every operation can give, added where a handler did not list them: 401
/// when it needs a token, 404 for a bad path id, 400/413/415/422 for a body, 429 (rate
/// limits) and 503 (database unavailable) everywhere.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                let mut add = |code: &str, description: &str| {
                    responses
                        .entry(code.to_owned())
                        .or_insert_with(|| problem(description).into());
                };
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add("401", "Not signed in, or the token is invalid or expired");
                }
                if path.contains('{') {
                    add("404", "Nothing there (or a malformed id)");
                }
                if operation.request_body.is_some() {
                    add("400", "Malformed JSON");
                    add("413", "Body over 64 KiB");
                    add("415", "Not a JSON body");
                    add("422", "Invalid fields");
                }
                if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                    add("400", "A bad parameter");
                }
                add("429", "Too many requests from this client; see Retry-After");
                add("503", "The database is unavailable; try again shortly");
            }
        }
    }
}

/// `GET /api/openapi.json` and the Swagger UI at `/api/docs/`, served from vendored
/// assets (no CDN). Register before the `/api` scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/docs",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("Location", "/api/docs/"))
                .finish()
        }),
    )
    .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", ApiDoc::openapi()));
}
