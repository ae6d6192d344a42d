//! Changes to an appointment: its status (with the doctor's correction of a final
//! one), its time, its reason, and cancelling.

use super::*;

/// Refuses a change that asks for nothing, or for a move and a final status at once.
fn check_shape(req: &AppointmentChange) -> Result<(), ApiError> {
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
    Ok(())
}

/// Whether `req` cancels the appointment or moves it to another time.
fn cancels_or_moves(row: &AppointmentRow, req: &AppointmentChange) -> bool {
    req.status == Some(AppointmentStatus::Cancelled)
        || req.scheduled_for.is_some_and(|s| s != row.scheduled_for.0)
}

/// Once it has started, only the doctor may end it (completed or missed): a patient
/// who could cancel or move it then would turn a no-show into a cancellation.
fn refuse_after_start(
    party: Party,
    row: &AppointmentRow,
    req: &AppointmentChange,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if matches!(party, Party::Patient(_))
        && now >= row.scheduled_for.0
        && cancels_or_moves(row, req)
    {
        return Err(ApiError::Conflict {
            rule: "appointment-started",
            detail: "This appointment has already started: it can no longer be cancelled or \
                     moved. Your doctor will mark it completed or missed."
                .into(),
        });
    }
    Ok(())
}

/// A patient's cancellation or move within the doctor's cutoff before the start: 409.
fn refuse_after_cutoff(
    conn: &mut AnyConnection,
    party: Party,
    row: &AppointmentRow,
    req: &AppointmentChange,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if !matches!(party, Party::Patient(_)) || !cancels_or_moves(row, req) {
        return Ok(());
    }
    let rules = models::booking_rules::of_doctor(conn, row.doctor_id.0)?;
    if rules.cancel_cutoff_minutes == 0 {
        return Ok(());
    }
    let doctor_name = models::doctors::name(conn, row.doctor_id.0)?;
    check_cutoff(&rules, &doctor_name, row.scheduled_for.0, now)
}

/// What a change touches, in its transaction.
struct Change<'a> {
    id: Uuid,
    by: Uuid,
    party: Party,
    row: &'a AppointmentRow,
    now: DateTime<Utc>,
}

impl Change<'_> {
    /// Sets the visit reason (the patient's alone). Whether it changed.
    fn reason(&self, conn: &mut AnyConnection, reason: Option<String>) -> Result<bool, ApiError> {
        if !matches!(self.party, Party::Patient(_)) {
            return Err(ApiError::Forbidden(
                "Only the patient can change the reason.".into(),
            ));
        }
        if reason == self.row.reason {
            return Ok(false);
        }
        models::appointments::set_reason(conn, self.id, reason.as_deref())?;
        let action = AppointmentAction::ReasonChanged;
        self.record(conn, action, (None, None), (None, None))?;
        Ok(true)
    }

    /// Moves it to `start`, within the doctor's hours and refused on an overlap.
    fn move_to(&self, conn: &mut AnyConnection, start: DateTime<Utc>) -> Result<(), ApiError> {
        let row = self.row;
        check_start(start, self.now)?;
        let end = start + Duration::minutes(i64::from(row.duration_minutes));
        models::appointments::take_turns(conn, row.doctor_id.0, row.patient_id.0)?;
        let doctor_name = models::doctors::name(conn, row.doctor_id.0)?;
        let rules = models::booking_rules::of_doctor(conn, row.doctor_id.0)?;
        check_time(&rules, &doctor_name, start, self.now)?;
        check_hours(
            &load_hours(conn, row.doctor_id.0)?,
            &doctor_name,
            start,
            end,
        )?;
        check_time_off(conn, (row.doctor_id.0, &doctor_name), start, end)?;
        models::appointments::set_time(conn, self.id, start, end).map_err(overlap_error)?;
        let times = (Some(row.scheduled_for.0), Some(start));
        self.record(conn, AppointmentAction::Rescheduled, (None, None), times)
    }

    /// Sets its status to `next`: a cancel by either party, a final one by the doctor
    /// once it has started.
    fn status(
        &self,
        conn: &mut AnyConnection,
        current: AppointmentStatus,
        next: AppointmentStatus,
    ) -> Result<(), ApiError> {
        match next {
            AppointmentStatus::Cancelled => {}
            AppointmentStatus::Completed | AppointmentStatus::NoShow => {
                if !matches!(self.party, Party::Doctor(_)) {
                    return Err(ApiError::Forbidden(
                        "Only the doctor can mark an appointment completed or missed.".into(),
                    ));
                }
                if self.now < self.row.scheduled_for.0 {
                    return Err(ApiError::Unprocessable(
                        "An appointment can be marked completed or missed only once it has \
                         started."
                            .into(),
                    ));
                }
            }
            AppointmentStatus::Scheduled => unreachable!("filtered: same as current"),
        }
        models::appointments::set_status(conn, self.id, next)?;
        let statuses = (Some(current), Some(next));
        self.record(
            conn,
            AppointmentAction::StatusChanged,
            statuses,
            (None, None),
        )
    }
}

impl Change<'_> {
    /// Records this change in the appointment's history.
    fn record(
        &self,
        conn: &mut AnyConnection,
        action: AppointmentAction,
        statuses: (Option<AppointmentStatus>, Option<AppointmentStatus>),
        times: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    ) -> Result<(), ApiError> {
        record(conn, self.id, self.by, action, statuses, times, self.now)
    }

    /// Applies what `req` asks for, in order: the reason, the time, the status. Whether
    /// anything changed, and the mail the change calls for.
    fn apply(
        &self,
        conn: &mut AnyConnection,
        req: &AppointmentChange,
        reason: Option<Option<String>>,
        current: AppointmentStatus,
    ) -> Result<(bool, Option<MailChange<'static>>), ApiError> {
        let (mut changed, mut mail) = (false, None);
        if let Some(reason) = reason {
            changed |= self.reason(conn, reason)?;
        }
        let was = self.row.scheduled_for.0;
        if let Some(start) = req.scheduled_for.filter(|s| *s != was) {
            self.move_to(conn, start)?;
            changed = true;
            mail = Some(MailChange::Moved(was));
        }
        if let Some(next) = req.status.filter(|s| *s != current) {
            self.status(conn, current, next)?;
            changed = true;
            if next == AppointmentStatus::Cancelled {
                mail = Some(MailChange::Cancelled);
            }
        }
        Ok((changed, mail))
    }
}

/// Cancels the scheduled appointment `row` for `by`, one of its parties, in the caller's
/// transaction: its history, both parties' mail and live event.
pub(super) fn cancel_in(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    ctx: &MailContext,
    row: &AppointmentRow,
    (by, party): (Uuid, Party),
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let change = Change {
        id: row.id.0,
        by,
        party,
        row,
        now,
    };
    change.status(
        conn,
        AppointmentStatus::Scheduled,
        AppointmentStatus::Cancelled,
    )?;
    models::appointments::touch(conn, row.id.0, now)?;
    let row = load_one(conn, row.id.0)?.ok_or_else(not_found)?;
    queue_mail(conn, effects, ctx, &row, MailChange::Cancelled, by, now)?;
    let l = loaded(conn, row)?;
    announce(conn, effects, &l)
}

pub async fn change(
    state: &AppState,
    actor: audit::Actor,
    id: Uuid,
    req: AppointmentChange,
) -> Result<Appointment, ApiError> {
    let user = actor.user;
    check_shape(&req)?;
    // `Some(None)`: the reason is removed, as by an empty string.
    let reason = match &req.reason {
        Some(r) => Some(parse_reason(r.as_deref())?),
        None => None,
    };
    let mail_ctx = state.mail_ctx.clone();
    state
        .write(move |conn, effects| {
            let now = Utc::now();
            let party = party(conn, user)?;
            let row = load_one(conn, id)?
                .filter(|r| visible(party, r))
                .ok_or_else(not_found)?;
            if party == Party::Admin {
                return Err(ApiError::Forbidden(
                    "Administrators can read appointments but not change them.".into(),
                ));
            }
            // A cancellation or a move frees a time the doctor's waiters may be offered:
            // the doctor's turn first, as every booking takes it.
            if cancels_or_moves(&row, &req) {
                models::appointments::take_turns(conn, row.doctor_id.0, row.patient_id.0)?;
            }
            let current = status_of(&row);
            let correcting =
                current.is_final() && is_correction(party, current, &req, row.updated_at.0, now)?;
            refuse_after_start(party, &row, &req, now)?;
            refuse_after_cutoff(conn, party, &row, &req, now)?;
            let change = Change {
                id,
                by: user.id,
                party,
                row: &row,
                now,
            };
            let (changed, mail) = change.apply(conn, &req, reason, current)?;
            if changed {
                models::appointments::touch(conn, id, now)?;
                if matches!(party, Party::Doctor(_)) {
                    let action = if correcting {
                        "appointment.status.corrected"
                    } else {
                        "appointment.update"
                    };
                    audit::record(conn, &actor, action, "appointment", Some(id), now)?;
                }
            }
            let row = load_one(conn, id)?.ok_or_else(not_found)?;
            if let Some(change) = mail {
                queue_mail(conn, effects, &mail_ctx, &row, change, user.id, now)?;
                // A cancelled or moved appointment frees a time: the doctor's waiters
                // may want it.
                offer_free(conn, effects, &mail_ctx, row.doctor_id.0, now)?;
            }
            let l = loaded(conn, row)?;
            if changed {
                announce(conn, effects, &l)?;
            }
            Ok(for_reader(party, l.dto))
        })
        .await
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
                "This appointment was marked {} more than {CORRECTION_WINDOW_HOURS} hours ago, \
                 and can no longer change.",
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
