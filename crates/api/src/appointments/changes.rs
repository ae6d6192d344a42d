//! Changes to an appointment: its status (with the doctor's correction of a final
//! one), its time, its reason, and cancelling.

use super::*;

pub async fn change(
    state: &AppState,
    actor: audit::Actor,
    id: Uuid,
    req: AppointmentChange,
) -> Result<Appointment, ApiError> {
    let user = actor.user;
    if req.status.is_none() && req.scheduled_for.is_none() && req.reason.is_none() {
        return Err(ApiError::Unprocessable(
            "Nothing to change: send status, scheduledFor or reason.".into(),
        ));
    }
    if req.scheduled_for.is_some()
        && req
            .status
            .is_some_and(|s| s != AppointmentStatus::Scheduled)
    {
        return Err(ApiError::Unprocessable(
            "Reschedule or change the status, not both at once.".into(),
        ));
    }
    // `Some(None)`: the reason is removed, as by an empty string.
    let reason = match &req.reason {
        Some(r) => Some(parse_reason(r.as_deref())?),
        None => None,
    };
    let mail_ctx = state.mail_ctx.clone();
    let dto = state
        .write(move |conn, effects| {
            let now = Utc::now();
            let party = party(conn, user)?;
            let row = load_one(conn, id)?.filter(|r| visible(party, r)).ok_or_else(not_found)?;
            if party == Party::Admin {
                return Err(ApiError::Forbidden(
                    "Administrators can read appointments but not change them.".into(),
                ));
            }
            let current = status_of(&row);
            let correcting = current.is_final() && is_correction(party, current, &req, row.updated_at.0, now)?;
            // Once it has started, only the doctor may end it (completed or missed): a
            // patient who could cancel or move it then would turn a no-show into a
            // cancellation.
            let cancels = req.status == Some(AppointmentStatus::Cancelled);
            let moves = req.scheduled_for.is_some_and(|s| s != row.scheduled_for.0);
            if matches!(party, Party::Patient(_)) && now >= row.scheduled_for.0 && (cancels || moves) {
                return Err(ApiError::Conflict {
                    rule: "appointment-started",
                    detail: "This appointment has already started: it can no longer be cancelled or moved. \
                             Your doctor will mark it completed or missed."
                        .into(),
                });
            }
            let mut changed = false;
            let mut mail = None;
            if let Some(reason) = reason {
                if !matches!(party, Party::Patient(_)) {
                    return Err(ApiError::Forbidden("Only the patient can change the reason.".into()));
                }
                if reason != row.reason {
                    diesel::update(appointments::table.find(DbId(id)))
                        .set(appointments::reason.eq(reason))
                        .execute(conn)?;
                    record(conn, id, user.id, AppointmentAction::ReasonChanged, (None, None), (None, None), now)?;
                    changed = true;
                }
            }
            if let Some(start) = req.scheduled_for
                && start != row.scheduled_for.0
            {
                check_start(start, now)?;
                let end = start + Duration::minutes(i64::from(row.duration_minutes));
                let doctor_name: String = doctors::table
                    .inner_join(users::table)
                    .filter(doctors::id.eq(row.doctor_id))
                    .select(users::name)
                    .first(conn)?;
                check_hours(&load_hours(conn, row.doctor_id.0)?, &doctor_name, start, end)?;
                take_turns(conn, row.doctor_id.0, row.patient_id.0)?;
                diesel::update(appointments::table.find(DbId(id)))
                    .set((appointments::scheduled_for.eq(DbTime(start)), appointments::ends_at.eq(DbTime(end))))
                    .execute(conn)
                    .map_err(overlap_error)?;
                record(
                    conn,
                    id,
                    user.id,
                    AppointmentAction::Rescheduled,
                    (None, None),
                    (Some(row.scheduled_for.0), Some(start)),
                    now,
                )?;
                changed = true;
                mail = Some(MailChange::Moved(row.scheduled_for.0));
            }
            if let Some(next) = req.status.filter(|s| *s != current) {
                match next {
                    AppointmentStatus::Cancelled => {}
                    AppointmentStatus::Completed | AppointmentStatus::NoShow => {
                        if !matches!(party, Party::Doctor(_)) {
                            return Err(ApiError::Forbidden(
                                "Only the doctor can mark an appointment completed or missed.".into(),
                            ));
                        }
                        if now < row.scheduled_for.0 {
                            return Err(ApiError::Unprocessable(
                                "An appointment can be marked completed or missed only once it has started.".into(),
                            ));
                        }
                    }
                    AppointmentStatus::Scheduled => unreachable!("filtered: same as current"),
                }
                diesel::update(appointments::table.find(DbId(id)))
                    .set(appointments::status.eq(next.as_str()))
                    .execute(conn)?;
                record(conn, id, user.id, AppointmentAction::StatusChanged, (Some(current), Some(next)), (None, None), now)?;
                changed = true;
                if next == AppointmentStatus::Cancelled {
                    mail = Some(MailChange::Cancelled);
                }
            }
            if changed {
                diesel::update(appointments::table.find(DbId(id)))
                    .set(appointments::updated_at.eq(DbTime(now)))
                    .execute(conn)?;
                if matches!(party, Party::Doctor(_)) {
                    let action = if correcting { "appointment.status.corrected" } else { "appointment.update" };
                    audit::record(conn, &actor, action, "appointment", Some(id), now)?;
                }
            }
            let row = load_one(conn, id)?.ok_or_else(not_found)?;
            if let Some(change) = mail {
                queue_mail(conn, effects, &mail_ctx, &row, change, user.id, now)?;
            }
            let l = loaded(conn, row)?;
            if changed {
                announce(conn, effects, &l)?;
            }
            Ok(for_reader(party, l.dto))
        })
        .await?;
    Ok(dto)
}

/// How long after an appointment was marked completed or missed its doctor may correct
/// that (a mis-click): to the other of the two.
pub const CORRECTION_WINDOW_HOURS: i64 = 24;

/// Whether a change to an appointment in a final status (`current`) is its doctor's
/// correction of a completed or missed appointment to the other, within
/// [`CORRECTION_WINDOW_HOURS`] of being set (`set_at`); 409 for any other change.
/// Cancellations are final: the slot may have been booked again since.
fn is_correction(
    party: Party,
    current: AppointmentStatus,
    req: &AppointmentChange,
    set_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    use AppointmentStatus::{Completed, NoShow};
    let only_status = req.scheduled_for.is_none() && req.reason.is_none();
    let to_other = matches!(
        (current, req.status),
        (Completed, Some(NoShow)) | (NoShow, Some(Completed))
    );
    if matches!(party, Party::Doctor(_)) && only_status && to_other {
        if now < set_at + Duration::hours(CORRECTION_WINDOW_HOURS) {
            return Ok(true);
        }
        return Err(ApiError::Conflict {
            rule: "appointment-final",
            detail: format!(
                "This appointment was marked {} more than {CORRECTION_WINDOW_HOURS} hours ago, and can no longer change.",
                current.as_str()
            ),
        });
    }
    Err(ApiError::Conflict {
        rule: "appointment-final",
        detail: format!(
            "This appointment is {} and can no longer change.",
            current.as_str()
        ),
    })
}

pub async fn cancel(
    state: &AppState,
    actor: audit::Actor,
    id: Uuid,
) -> Result<Appointment, ApiError> {
    change(
        state,
        actor,
        id,
        AppointmentChange {
            status: Some(AppointmentStatus::Cancelled),
            ..Default::default()
        },
    )
    .await
}
