//! An admin's review of self-registered doctors: the queue, approving (the doctor is
//! listed from then on and may go online) and rejecting with a reason. The doctor is
//! emailed either way, and both decisions are audited.

use chrono::Utc;
use mediconnect_shared::{
    ApprovalQuery, ApprovalStatus, DoctorApplication, DoctorApplicationList, Pagination,
    RejectDoctor,
};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::db::models::doctors::{self, ApplicationRow};
use crate::error::ApiError;
use crate::live::bridge::LiveEvent;
use crate::mail::{compose, outbox};
use crate::state::AppState;

fn to_dto(row: ApplicationRow) -> DoctorApplication {
    DoctorApplication {
        id: row.doctor.id.0,
        user_id: row.doctor.user_id.0,
        name: row.name,
        email: row.email,
        specialization: row.doctor.specialization,
        license_number: row.license_number,
        approval_status: row.doctor.approval_status.0,
        email_verified: row.email_verified_at.is_some(),
        active: row.active,
        registered_at: row.registered_at.0,
        rejection_reason: row.doctor.rejection_reason,
    }
}

fn no_such_doctor() -> ApiError {
    ApiError::NotFound("There is no such doctor.".into())
}

/// Doctors by review state (the queue: `PENDING`), oldest registration first. Reading
/// it is audited: it shows people's addresses and licence numbers.
pub async fn list(
    state: &AppState,
    actor: Actor,
    q: ApprovalQuery,
) -> Result<DoctorApplicationList, ApiError> {
    let (page, limit) = crate::domain::paging(q.paging).map_err(ApiError::BadRequest)?;
    state
        .db
        .run(move |conn| {
            let offset = i64::from(page - 1) * i64::from(limit);
            let (rows, total) = doctors::applications(conn, q.approval, limit.into(), offset)?;
            audit::record(
                conn,
                &actor,
                "admin.doctors.list",
                "doctor",
                None,
                Utc::now(),
            )?;
            Ok(DoctorApplicationList {
                doctors: rows.into_iter().map(to_dto).collect(),
                pagination: Pagination::new(page, limit, total.max(0) as u64),
            })
        })
        .await
}

/// Approves a pending (or earlier rejected) doctor: listed from now on, and emailed.
pub async fn approve(
    state: &AppState,
    actor: Actor,
    id: Uuid,
) -> Result<DoctorApplication, ApiError> {
    decide(state, actor, id, None, false).await
}

/// Turns a pending doctor down, or withdraws an approved doctor's approval, with a
/// reason they are emailed. An approved doctor is taken offline, and their appointments
/// ahead are cancelled if `cancelAppointments` says so (409 listing them otherwise);
/// their patients are told the doctor is no longer available, not the reason.
pub async fn reject(
    state: &AppState,
    actor: Actor,
    id: Uuid,
    req: RejectDoctor,
) -> Result<DoctorApplication, ApiError> {
    let reason = crate::domain::single_line(&req.reason, "Reason", crate::admin::REASON_MAX)
        .map_err(|m| ApiError::field("reason", m))?;
    decide(state, actor, id, Some(reason), req.cancel_appointments).await
}

/// Approves (`reason` is `None`) or rejects the doctor, if the review allows it now.
async fn decide(
    state: &AppState,
    actor: Actor,
    id: Uuid,
    reason: Option<String>,
    cancel_appointments: bool,
) -> Result<DoctorApplication, ApiError> {
    let ctx = state.mail_ctx.clone();
    state
        .write(move |conn, effects| {
            let now = Utc::now();
            let (to, from, action): (_, &[ApprovalStatus], _) = match reason {
                None => (
                    ApprovalStatus::Approved,
                    &[ApprovalStatus::Pending, ApprovalStatus::Rejected],
                    "admin.doctor.approve",
                ),
                Some(_) => (
                    ApprovalStatus::Rejected,
                    &[ApprovalStatus::Pending, ApprovalStatus::Approved],
                    "admin.doctor.reject",
                ),
            };
            let current = doctors::application(conn, id)?.ok_or_else(no_such_doctor)?;
            if to == ApprovalStatus::Rejected
                && current.doctor.approval_status.0 == ApprovalStatus::Approved
            {
                let by = (actor.user.id, id);
                let cancel = (cancel_appointments, None);
                crate::admin::depart(conn, effects, &ctx, by, cancel, now)?;
            }
            if !doctors::decide(conn, id, from, to, reason.as_deref())? {
                return Err(ApiError::Conflict {
                    rule: "approval-decided",
                    detail: format!(
                        "This doctor's account is {} already.",
                        current.doctor.approval_status.0.as_str().to_lowercase()
                    ),
                });
            }
            let recipient = compose::Recipient {
                user_id: current.doctor.user_id.0,
                name: &current.name,
                email: &current.email,
            };
            let mail = match &reason {
                None => compose::doctor_approved(&ctx, recipient),
                Some(reason) => compose::doctor_rejected(
                    recipient,
                    reason,
                    current.doctor.approval_status.0 == ApprovalStatus::Approved,
                ),
            };
            outbox::enqueue(conn, &mail, now)?;
            effects.wake_mail();
            audit::record(conn, &actor, action, "doctor", Some(id), now)?;
            // A newly listed doctor appears in open directories.
            if to == ApprovalStatus::Approved
                && let Some(doctor) = doctors::find(conn, id, true)?
            {
                effects.announce(conn, LiveEvent::Doctor { doctor })?;
            }
            let decided = doctors::application(conn, id)?.ok_or_else(no_such_doctor)?;
            Ok(to_dto(decided))
        })
        .await
}
