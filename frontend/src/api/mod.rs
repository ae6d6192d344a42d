//! The only code that talks to the server. Every call returns a DTO of
//! `mediconnect_shared` or an [`ApiError`]; access tokens are attached and refreshed
//! here, invisibly to the pages.

mod client;
pub mod json;
mod reactive;
mod session;
pub mod version;

pub use client::ApiError;
pub use reactive::{ApiAction, ApiResource};
pub use session::{access_token, follow_other_tabs, on_session_change, refresh, restore};

use gloo_net::http::Method;
use mediconnect_shared::NewWaitlistEntry;
use mediconnect_shared::{
    AcceptInvitation, Appointment, AppointmentChange, AppointmentList, AppointmentQuery,
    BookingRules, CalendarFeed, ChangeEmailRequest, ChangePasswordRequest, Doctor, DoctorList,
    DoctorQuery, FollowedDoctors, LoginRequest, LoginResponse, NewAppointment, NewTimeOff, Notice,
    OnlineDoctors, PasswordResetConfirm, PasswordResetRequest, ProfileResponse, RefreshRequest,
    RegisterRequest, RegisterResponse, Schedule, SlotList, SpecializationSummary, StatusUpdate,
    TimeOff, TimeOffList, UpdateProfileRequest, UserSummary, VerifyEmailRequest, WaitlistEntry,
    WaitlistList,
};
use mediconnect_shared::{
    AdminUser, AdminUserList, AdminUserQuery, Analytics, ApprovalQuery, AuditList, AuditQuery,
    DoctorApplication, DoctorApplicationList, Invitation, InvitationList, InvitationRequest,
    Metric, OutboxEntry, OutboxList, OutboxQuery, RejectDoctor, Timeseries, UserActivation,
};
use mediconnect_shared::{
    ChatList, ChatMessage, Consult, ConsultQueue, ConsultRoom, NewChatMessage, NewConsult,
    StartedConsult,
};
use uuid::Uuid;

pub async fn register(req: &RegisterRequest) -> Result<RegisterResponse, ApiError> {
    client::send_json(Method::POST, "/api/auth/register", Some(req), None).await
}

/// Signs in and keeps the session.
pub async fn login(req: &LoginRequest) -> Result<UserSummary, ApiError> {
    let session: LoginResponse =
        client::send_json(Method::POST, "/api/auth/login", Some(req), None).await?;
    Ok(session::store(session))
}

/// Asks for a password reset link; the answer is the same for every address.
pub async fn request_password_reset(req: &PasswordResetRequest) -> Result<Notice, ApiError> {
    client::send_json(Method::POST, "/api/auth/password-reset", Some(req), None).await
}

/// Sets a new password with the token of a reset link.
pub async fn confirm_password_reset(req: &PasswordResetConfirm) -> Result<(), ApiError> {
    client::send_empty(
        Method::POST,
        "/api/auth/password-reset/confirm",
        Some(req),
        None,
    )
    .await
}

/// Confirms an address with the token of its link. A signed-in user's session learns
/// of it at once, if the address is theirs.
pub async fn verify_email(req: &VerifyEmailRequest) -> Result<(), ApiError> {
    client::send_empty(Method::POST, "/api/auth/verify-email", Some(req), None).await?;
    if session::stored_refresh_token().is_some()
        && let Ok(profile) = profile().await
    {
        session::update_user(UserSummary::from(&profile));
    }
    Ok(())
}

/// Asks for a new confirmation link for the signed-in user's address.
pub async fn resend_verification() -> Result<Notice, ApiError> {
    client::authed(Method::POST, "/api/auth/verify-email/resend", None::<&()>).await
}

/// Ends the session on the server (best effort) and forgets it here.
pub async fn logout() {
    // Signed out here first, the server told after (best effort): a reload or a new
    // page in between must not find the session still stored.
    let refresh_token = session::stored_refresh_token();
    session::clear();
    if let Some(refresh_token) = refresh_token {
        let body = RefreshRequest { refresh_token };
        let _ = client::send_empty(Method::POST, "/api/auth/logout", Some(&body), None).await;
    }
}

pub async fn profile() -> Result<ProfileResponse, ApiError> {
    client::authed(Method::GET, "/api/users/profile", None::<&()>).await
}

/// Saves profile changes; the header's name and the app's time zone follow.
pub async fn update_profile(req: &UpdateProfileRequest) -> Result<ProfileResponse, ApiError> {
    let profile: ProfileResponse =
        client::authed(Method::PUT, "/api/users/profile", Some(req)).await?;
    session::update_user(UserSummary::from(&profile));
    Ok(profile)
}

thread_local! {
    static TIME_ZONES: std::cell::RefCell<Option<std::rc::Rc<Vec<String>>>> =
        const { std::cell::RefCell::new(None) };
}

/// The IANA zones the server accepts, fetched once per visit.
pub async fn time_zones() -> Result<Vec<String>, ApiError> {
    if let Some(zones) = TIME_ZONES.with(|z| z.borrow().clone()) {
        return Ok(zones.to_vec());
    }
    let zones: Vec<String> =
        client::send_json(Method::GET, "/api/time-zones", None::<&()>, None).await?;
    TIME_ZONES.with(|z| *z.borrow_mut() = Some(std::rc::Rc::new(zones.clone())));
    Ok(zones)
}

/// Changes the address (confirmed by the password); the session follows.
pub async fn change_email(req: &ChangeEmailRequest) -> Result<ProfileResponse, ApiError> {
    let profile: ProfileResponse =
        client::authed(Method::PUT, "/api/users/email", Some(req)).await?;
    session::update_user(UserSummary::from(&profile));
    Ok(profile)
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

/// `path?k=v&...`, each value URI-encoded.
fn with_query(path: &str, pairs: &[(&'static str, String)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
        .collect();
    format!("{path}?{}", encoded.join("&"))
}

pub async fn doctors(query: &DoctorQuery) -> Result<DoctorList, ApiError> {
    let path = with_query("/api/doctors", &query.pairs());
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
        Some(&StatusUpdate {
            is_online: online,
            accepting_consults: None,
        }),
    )
    .await
}

/// The signed-in doctor, online, takes instant consults or stops.
pub async fn set_accepting_consults(on: bool) -> Result<Doctor, ApiError> {
    client::authed(
        Method::PUT,
        "/api/doctors/status",
        Some(&StatusUpdate {
            is_online: true,
            accepting_consults: Some(on),
        }),
    )
    .await
}

/// The signed-in patient joins a doctor's consult queue.
pub async fn join_consult(req: &NewConsult) -> Result<Consult, ApiError> {
    client::authed(Method::POST, "/api/consults", Some(req)).await
}

pub async fn leave_consult(id: Uuid) -> Result<(), ApiError> {
    client::authed_empty(Method::DELETE, &format!("/api/consults/{id}")).await
}

/// The signed-in patient's consult waiting or under way (`None`: none).
pub async fn current_consult() -> Result<Option<Consult>, ApiError> {
    match client::authed(Method::GET, "/api/consults/current", None::<&()>).await {
        Ok(c) => Ok(Some(c)),
        Err(e) if e.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// The signed-in doctor's consult queue.
pub async fn consult_queue() -> Result<ConsultQueue, ApiError> {
    client::authed(Method::GET, "/api/consults/queue", None::<&()>).await
}

/// The signed-in doctor takes the head of their queue.
pub async fn next_consult() -> Result<StartedConsult, ApiError> {
    client::authed(Method::POST, "/api/consults/next", None::<&()>).await
}

pub async fn consult_room(id: Uuid) -> Result<ConsultRoom, ApiError> {
    client::authed(Method::GET, &format!("/api/consults/{id}"), None::<&()>).await
}

pub async fn end_consult(id: Uuid) -> Result<ConsultRoom, ApiError> {
    client::authed(
        Method::POST,
        &format!("/api/consults/{id}/end"),
        None::<&()>,
    )
    .await
}

pub async fn consult_chat(id: Uuid) -> Result<ChatList, ApiError> {
    let path = format!("/api/consults/{id}/messages");
    client::authed(Method::GET, &path, None::<&()>).await
}

pub async fn say_in_consult(id: Uuid, text: String) -> Result<ChatMessage, ApiError> {
    let path = format!("/api/consults/{id}/messages");
    client::authed(Method::POST, &path, Some(&NewChatMessage { text })).await
}

/// Books an appointment. `key` makes a retry of the same booking safe.
pub async fn book(req: &NewAppointment, key: &str) -> Result<Appointment, ApiError> {
    client::authed_with(
        Method::POST,
        "/api/appointments",
        Some(req),
        &[("Idempotency-Key", key)],
    )
    .await
}

pub async fn appointments(query: &AppointmentQuery) -> Result<AppointmentList, ApiError> {
    let path = with_query("/api/appointments", &query.pairs());
    client::authed(Method::GET, &path, None::<&()>).await
}

pub async fn change_appointment(
    id: Uuid,
    change: &AppointmentChange,
) -> Result<Appointment, ApiError> {
    client::authed(
        Method::PUT,
        &format!("/api/appointments/{id}"),
        Some(change),
    )
    .await
}

pub async fn cancel_appointment(id: Uuid) -> Result<Appointment, ApiError> {
    client::authed(
        Method::DELETE,
        &format!("/api/appointments/{id}"),
        None::<&()>,
    )
    .await
}

/// A doctor's free slots from `from` to `to` (at most 31 days).
/// A doctor's free slots; `personal`: as the signed-in patient, whose answer says
/// whether they may book another appointment with the doctor.
pub async fn slots(
    doctor: Uuid,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    personal: bool,
) -> Result<SlotList, ApiError> {
    let pairs = [
        (
            "from",
            from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        ("to", to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    ];
    let path = with_query(&format!("/api/doctors/{doctor}/slots"), &pairs);
    if personal {
        return client::authed(Method::GET, &path, None::<&()>).await;
    }
    client::send_json(Method::GET, &path, None::<&()>, None).await
}

/// The signed-in doctor's time off not yet over.
pub async fn time_off() -> Result<TimeOffList, ApiError> {
    client::authed(Method::GET, "/api/doctors/me/time-off", None::<&()>).await
}

pub async fn add_time_off(range: &NewTimeOff) -> Result<TimeOff, ApiError> {
    client::authed(Method::POST, "/api/doctors/me/time-off", Some(range)).await
}

pub async fn remove_time_off(id: Uuid) -> Result<(), ApiError> {
    client::authed_empty(Method::DELETE, &format!("/api/doctors/me/time-off/{id}")).await
}

/// The signed-in user's calendar feed; `None` if they have none.
pub async fn calendar_feed() -> Result<Option<CalendarFeed>, ApiError> {
    match client::authed(Method::GET, "/api/users/calendar-feed", None::<&()>).await {
        Ok(feed) => Ok(Some(feed)),
        Err(e) if e.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// A new address for the signed-in user's calendar feed (the old one stops working).
pub async fn new_calendar_feed() -> Result<CalendarFeed, ApiError> {
    client::authed(Method::POST, "/api/users/calendar-feed", None::<&()>).await
}

pub async fn remove_calendar_feed() -> Result<(), ApiError> {
    client::authed_empty(Method::DELETE, "/api/users/calendar-feed").await
}

/// The signed-in patient's waitlist entries.
pub async fn waitlist() -> Result<WaitlistList, ApiError> {
    client::authed(Method::GET, "/api/waitlist", None::<&()>).await
}

pub async fn join_waitlist(req: &NewWaitlistEntry) -> Result<WaitlistEntry, ApiError> {
    client::authed(Method::POST, "/api/waitlist", Some(req)).await
}

pub async fn leave_waitlist(id: Uuid) -> Result<(), ApiError> {
    client::authed_empty(Method::DELETE, &format!("/api/waitlist/{id}")).await
}

/// Books the time held for the patient.
pub async fn claim_offer(id: Uuid) -> Result<Appointment, ApiError> {
    let path = format!("/api/waitlist/offers/{id}/claim");
    client::authed(Method::POST, &path, None::<&()>).await
}

pub async fn decline_offer(id: Uuid) -> Result<(), ApiError> {
    client::authed_empty(Method::POST, &format!("/api/waitlist/offers/{id}/decline")).await
}

/// The signed-in doctor's booking rules.
pub async fn booking_rules() -> Result<BookingRules, ApiError> {
    client::authed(Method::GET, "/api/doctors/me/booking-rules", None::<&()>).await
}

pub async fn set_booking_rules(rules: &BookingRules) -> Result<BookingRules, ApiError> {
    client::authed(Method::PUT, "/api/doctors/me/booking-rules", Some(rules)).await
}

pub async fn doctor(id: Uuid) -> Result<Doctor, ApiError> {
    client::send_json(
        Method::GET,
        &format!("/api/doctors/{id}"),
        None::<&()>,
        None,
    )
    .await
}

/// A doctor's published hours (public).
pub async fn doctor_hours(id: Uuid) -> Result<Schedule, ApiError> {
    client::send_json(
        Method::GET,
        &format!("/api/doctors/{id}/hours"),
        None::<&()>,
        None,
    )
    .await
}

pub async fn schedule() -> Result<Schedule, ApiError> {
    client::authed(Method::GET, "/api/doctors/me/schedule", None::<&()>).await
}

pub async fn set_schedule(schedule: &Schedule) -> Result<Schedule, ApiError> {
    client::authed(Method::PUT, "/api/doctors/me/schedule", Some(schedule)).await
}

pub async fn follows() -> Result<Vec<Doctor>, ApiError> {
    let list: FollowedDoctors =
        client::authed(Method::GET, "/api/users/follows", None::<&()>).await?;
    Ok(list.doctors)
}

pub async fn follow(doctor: Uuid, on: bool) -> Result<(), ApiError> {
    let method = if on { Method::POST } else { Method::DELETE };
    client::authed_empty(method, &format!("/api/doctors/{doctor}/follow")).await
}

pub async fn analytics() -> Result<Analytics, ApiError> {
    client::authed(Method::GET, "/api/analytics", None::<&()>).await
}

pub async fn timeseries(metric: Metric, days: u32) -> Result<Timeseries, ApiError> {
    let metric = match metric {
        Metric::Registrations => "registrations",
        Metric::Appointments => "appointments",
        Metric::OnlineMinutes => "onlineMinutes",
        Metric::Consults => "consults",
        Metric::ConsultWaitMinutes => "consultWaitMinutes",
    };
    let path = format!("/api/analytics/timeseries?metric={metric}&days={days}");
    client::authed(Method::GET, &path, None::<&()>).await
}

pub async fn admin_users(query: &AdminUserQuery) -> Result<AdminUserList, ApiError> {
    let mut pairs = Vec::new();
    if let Some(q) = &query.q {
        pairs.push(("q", q.clone()));
    }
    if let Some(role) = query.role {
        pairs.push(("role", role.as_str().to_owned()));
    }
    if let Some(active) = query.active {
        pairs.push(("active", active.to_string()));
    }
    query.paging.add_pairs(&mut pairs);
    client::authed(
        Method::GET,
        &with_query("/api/admin/users", &pairs),
        None::<&()>,
    )
    .await
}

/// Accepts an invitation with a new password; keeps the session that answers.
pub async fn accept_invitation(req: &AcceptInvitation) -> Result<UserSummary, ApiError> {
    let session: LoginResponse =
        client::send_json(Method::POST, "/api/auth/accept-invitation", Some(req), None).await?;
    Ok(session::store(session))
}

/// The invitations not yet accepted or withdrawn.
pub async fn invitations() -> Result<InvitationList, ApiError> {
    client::authed(Method::GET, "/api/admin/invitations", None::<&()>).await
}

/// Invites a doctor or an admin.
pub async fn invite(req: &InvitationRequest) -> Result<Invitation, ApiError> {
    client::authed(Method::POST, "/api/admin/invitations", Some(req)).await
}

/// Withdraws an open invitation.
pub async fn revoke_invitation(id: Uuid) -> Result<(), ApiError> {
    client::authed_empty(Method::DELETE, &format!("/api/admin/invitations/{id}")).await
}

/// Doctors by review state (`PENDING`: the queue).
pub async fn doctor_applications(query: &ApprovalQuery) -> Result<DoctorApplicationList, ApiError> {
    let mut pairs = Vec::new();
    if let Some(status) = query.approval {
        pairs.push(("approval", status.as_str().to_owned()));
    }
    query.paging.add_pairs(&mut pairs);
    let path = with_query("/api/admin/doctors", &pairs);
    client::authed(Method::GET, &path, None::<&()>).await
}

/// Approves a doctor's account.
pub async fn approve_doctor(id: Uuid) -> Result<DoctorApplication, ApiError> {
    let path = format!("/api/admin/doctors/{id}/approve");
    client::authed(Method::POST, &path, None::<&()>).await
}

/// Turns a doctor's account down, with the reason they are told.
pub async fn reject_doctor(id: Uuid, reason: String) -> Result<DoctorApplication, ApiError> {
    let path = format!("/api/admin/doctors/{id}/reject");
    let body = RejectDoctor {
        reason,
        cancel_appointments: false,
    };
    client::authed(Method::POST, &path, Some(&body)).await
}

/// Sends a user a link to choose a new password.
pub async fn send_password_reset(id: Uuid) -> Result<Notice, ApiError> {
    client::authed(
        Method::POST,
        &format!("/api/admin/users/{id}/password-reset"),
        None::<&()>,
    )
    .await
}

/// Deactivates or reactivates an account; `change` may say to cancel a departing
/// doctor's appointments, and why.
pub async fn set_active(id: Uuid, change: &UserActivation) -> Result<AdminUser, ApiError> {
    client::authed(
        Method::PATCH,
        &format!("/api/admin/users/{id}"),
        Some(change),
    )
    .await
}

pub async fn outbox(query: &OutboxQuery) -> Result<OutboxList, ApiError> {
    let mut pairs = Vec::new();
    if let Some(status) = query.status {
        pairs.push(("status", status.as_str().to_owned()));
    }
    query.paging.add_pairs(&mut pairs);
    client::authed(
        Method::GET,
        &with_query("/api/admin/notifications", &pairs),
        None::<&()>,
    )
    .await
}

pub async fn retry_notification(id: Uuid) -> Result<OutboxEntry, ApiError> {
    client::authed(
        Method::POST,
        &format!("/api/admin/notifications/{id}/retry"),
        None::<&()>,
    )
    .await
}

pub async fn audit(query: &AuditQuery) -> Result<AuditList, ApiError> {
    let mut pairs = Vec::new();
    query.paging.add_pairs(&mut pairs);
    if let Some(kind) = &query.kind {
        pairs.push(("kind", kind.clone()));
    }
    client::authed(
        Method::GET,
        &with_query("/api/admin/audit", &pairs),
        None::<&()>,
    )
    .await
}
