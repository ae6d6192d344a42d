//! The caller's identity as handler arguments: `AuthUser` for anyone signed in, and
//! `DoctorUser`, `PatientUser`, `AdminUser` for one role. A missing or invalid token is
//! 401; a valid token of another role is 403.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use mediconnect_shared::Role;
use uuid::Uuid;

use crate::auth::JwtKeys;
use crate::error::ApiError;
use crate::live::hub::Hub;

#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
}

/// The bearer token of a request, if it has one.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let (Some(keys), Some(hub)) = (
        req.app_data::<web::Data<JwtKeys>>(),
        req.app_data::<web::Data<Hub>>(),
    ) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "the JWT keys and the hub are not registered"
        )));
    };
    let token =
        bearer_token(req).ok_or_else(|| ApiError::Unauthorized("Sign in to continue.".into()))?;
    let claims = keys.verify(token).ok_or_else(|| {
        ApiError::Unauthorized("Your session has expired or is invalid. Sign in again.".into())
    })?;
    // A deactivated account's tokens stop working at once, not when they expire.
    if hub.is_revoked(claims.sub, claims.iat) {
        return Err(ApiError::Unauthorized(
            "Your session has ended. Sign in again.".into(),
        ));
    }
    Ok(AuthUser {
        id: claims.sub,
        role: claims.role,
    })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

macro_rules! role_extractor {
    ($name:ident, $role:expr, $what:literal) => {
        #[doc = concat!("A signed-in ", $what, "; other roles get 403.")]
        #[derive(Debug, Clone, Copy)]
        pub struct $name(pub AuthUser);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(authenticate(req).and_then(|user| {
                    if user.role == $role {
                        Ok($name(user))
                    } else {
                        Err(ApiError::Forbidden(
                            concat!("Only ", $what, "s can do this.").into(),
                        ))
                    }
                }))
            }
        }
    };
}

role_extractor!(DoctorUser, Role::Doctor, "doctor");
role_extractor!(PatientUser, Role::Patient, "patient");
role_extractor!(AdminUser, Role::Admin, "admin");

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn reads_bearer_tokens() {
        let req = TestRequest::default()
            .insert_header((header::AUTHORIZATION, "Bearer abc.def"))
            .to_http_request();
        assert_eq!(bearer_token(&req), Some("abc.def"));
        let req = TestRequest::default()
            .insert_header((header::AUTHORIZATION, "bearer   xyz"))
            .to_http_request();
        assert_eq!(bearer_token(&req), Some("xyz"));
        for bad in ["Basic abc", "Bearer", "Bearer ", "abc"] {
            let req = TestRequest::default()
                .insert_header((header::AUTHORIZATION, bad))
                .to_http_request();
            assert_eq!(bearer_token(&req), None, "{bad}");
        }
    }
}
