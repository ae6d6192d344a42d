//! The only code that talks to the server. Every call returns a DTO of
//! `mediconnect_shared` or an [`ApiError`]; access tokens are attached and refreshed
//! here, invisibly to the pages.

mod client;
mod session;

pub use client::ApiError;
pub use session::{access_token, on_session_change, restore};

use gloo_net::http::Method;
use mediconnect_shared::{
    ChangePasswordRequest, Doctor, DoctorList, DoctorQuery, LoginRequest, LoginResponse,
    OnlineDoctors, ProfileResponse, RefreshRequest, RegisterRequest, RegisterResponse,
    SpecializationSummary, StatusUpdate, UpdateProfileRequest, UserSummary,
};

pub async fn register(req: &RegisterRequest) -> Result<RegisterResponse, ApiError> {
    client::send_json(Method::POST, "/api/auth/register", Some(req), None).await
}

/// Signs in and keeps the session.
pub async fn login(req: &LoginRequest) -> Result<UserSummary, ApiError> {
    let session: LoginResponse =
        client::send_json(Method::POST, "/api/auth/login", Some(req), None).await?;
    Ok(session::store(session))
}

/// Ends the session on the server (best effort) and forgets it here.
pub async fn logout() {
    if let Some(refresh_token) = session::stored_refresh_token() {
        let body = RefreshRequest { refresh_token };
        let _ = client::send_empty(Method::POST, "/api/auth/logout", Some(&body), None).await;
    }
    session::clear();
}

pub async fn profile() -> Result<ProfileResponse, ApiError> {
    client::authed(Method::GET, "/api/users/profile", None::<&()>).await
}

pub async fn update_profile(req: &UpdateProfileRequest) -> Result<ProfileResponse, ApiError> {
    client::authed(Method::PUT, "/api/users/profile", Some(req)).await
}

/// Changes the password; the server ends other sessions and returns a new one for us.
pub async fn change_password(req: &ChangePasswordRequest) -> Result<UserSummary, ApiError> {
    let session: LoginResponse =
        client::authed(Method::PUT, "/api/users/password", Some(req)).await?;
    Ok(session::store(session))
}

pub async fn online_doctors() -> Result<Vec<Doctor>, ApiError> {
    let online: OnlineDoctors =
        client::send_json(Method::GET, "/api/doctors/online", None::<&()>, None).await?;
    Ok(online.doctors)
}

pub async fn doctors(query: &DoctorQuery) -> Result<DoctorList, ApiError> {
    let pairs = query.pairs();
    let path = if pairs.is_empty() {
        "/api/doctors".to_owned()
    } else {
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
            .collect();
        format!("/api/doctors?{}", encoded.join("&"))
    };
    client::send_json(Method::GET, &path, None::<&()>, None).await
}

pub async fn specializations() -> Result<Vec<SpecializationSummary>, ApiError> {
    client::send_json(Method::GET, "/api/specializations", None::<&()>, None).await
}

/// The signed-in doctor goes online or offline.
pub async fn set_status(online: bool) -> Result<Doctor, ApiError> {
    client::authed(
        Method::PUT,
        "/api/doctors/status",
        Some(&StatusUpdate { is_online: online }),
    )
    .await
}
