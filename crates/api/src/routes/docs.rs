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
        super::auth::register,
        super::auth::login,
        super::auth::refresh,
        super::auth::logout,
        super::users::get_profile,
        super::users::update_profile,
        super::users::change_password,
        super::doctors::list,
        super::doctors::online,
        super::doctors::get_one,
        super::doctors::set_status,
        super::doctors::specializations,
        crate::live::socket::ws,
        super::appointments::book,
        super::appointments::list,
        super::appointments::get_one,
        super::appointments::update,
        super::appointments::cancel,
        super::appointments::history,
        super::appointments::get_schedule,
        super::appointments::put_schedule,
        super::appointments::slots,
        super::notifications::follow,
        super::notifications::unfollow,
        super::notifications::followed,
        super::notifications::unsubscribe_page,
        super::notifications::unsubscribe_now,
        super::admin::overview,
        super::admin::timeseries,
        super::admin::users,
        super::admin::set_active,
        super::admin::notifications,
        super::admin::retry,
        super::admin::audit_log,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "users", description = "The signed-in user's profile"),
        (name = "doctors", description = "Doctors and their live status. Live updates arrive on the \
                                           WebSocket `GET /api/ws`: a `snapshot` of the online doctors \
                                           first, then a `doctor_status` message per change."),
        (name = "appointments", description = "Booking (never double-booked), the lifecycle, working hours and free slots"),
        (name = "notifications", description = "Email alerts: following doctors, one-click unsubscribe"),
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
