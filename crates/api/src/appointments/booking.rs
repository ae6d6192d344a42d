//! Booking: idempotent (an `Idempotency-Key` replays the first answer) and never
//! double-booked (the database refuses overlaps).

use super::*;
use crate::db::models::idempotency_keys as keys;

/// The answer to a booking: what was sent the first time, for replays.
pub struct BookingAnswer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// Checks an `Idempotency-Key` header value.
pub fn parse_idempotency_key(raw: &str) -> Result<String, ApiError> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters.".into(),
        ));
    }
    Ok(key.to_owned())
}

fn request_hash(req: &NewAppointment) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(req).unwrap_or_default()))
}

fn stored_answer(
    conn: &mut AnyConnection,
    user: Uuid,
    key: &str,
    hash: &str,
) -> Result<Option<BookingAnswer>, ApiError> {
    match keys::find(conn, user, key)? {
        None => Ok(None),
        Some(stored) if stored.request_hash != hash => Err(ApiError::Unprocessable(
            "This Idempotency-Key was already used for a different request.".into(),
        )),
        Some(keys::StoredKey {
            response: Some((status, body)),
            ..
        }) => Ok(Some(BookingAnswer {
            status: status as u16,
            body,
            replayed: true,
        })),
        Some(_) => Err(ApiError::Conflict {
            rule: "idempotency-in-progress",
            detail: "A request with this Idempotency-Key is still being processed.".into(),
        }),
    }
}

/// Claims `key` for this request, first thing in its transaction: a concurrent retry
/// with the same key waits here, then replays this request's answer.
fn claim_key(
    conn: &mut AnyConnection,
    user: Uuid,
    key: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    keys::claim(conn, user, key, hash, now).map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::Conflict {
                rule: "idempotency-replay",
                detail: String::new(),
            }
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Inserts the booking, in the doctor's hours and refused on an overlap, with its first
/// history entry. Returns its id.
pub(super) fn insert(
    conn: &mut AnyConnection,
    by: Uuid,
    (patient_id, clinic_max): (Uuid, u32),
    req: &NewAppointment,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Uuid, ApiError> {
    // The turn comes first: a departure or new hours that hold it are seen whole.
    models::appointments::take_turns(conn, req.doctor_id, patient_id)?;
    let doctor = models::doctors::bookable(conn, req.doctor_id)?;
    let Some((slot_minutes, doctor_name)) = doctor else {
        return Err(ApiError::field("doctorId", "There is no such doctor"));
    };
    let start = req.scheduled_for;
    let end = start + Duration::minutes(i64::from(slot_minutes));
    let rules = models::booking_rules::of_doctor(conn, req.doctor_id)?;
    check_time(&rules, &doctor_name, start, now)?;
    check_hours(&load_hours(conn, req.doctor_id)?, &doctor_name, start, end)?;
    let doctor = (req.doctor_id, doctor_name.as_str());
    check_time_off(conn, doctor, start, end)?;
    if let Some(refusal) = open_limit(conn, &rules, doctor, patient_id, clinic_max, now)? {
        return Err(refusal);
    }
    let id = Uuid::new_v4();
    let new = NewAppointmentRow {
        id: DbId(id),
        doctor_id: DbId(req.doctor_id),
        patient_id: DbId(patient_id),
        scheduled_for: DbTime(start),
        ends_at: DbTime(end),
        duration_minutes: slot_minutes,
        reason,
        status: DbStatus(AppointmentStatus::Scheduled),
        created_at: DbTime(now),
        updated_at: DbTime(now),
        kind: mediconnect_shared::AppointmentKind::Booked.as_str(),
    };
    models::appointments::insert(conn, &new).map_err(overlap_error)?;
    record(
        conn,
        id,
        by,
        AppointmentAction::Created,
        (None, Some(AppointmentStatus::Scheduled)),
        (None, Some(start)),
        now,
    )?;
    Ok(id)
}

/// One booking, as its transaction sees it.
struct Attempt {
    user: Uuid,
    auth: AuthUser,
    req: NewAppointment,
    reason: Option<String>,
    key: Option<String>,
    hash: String,
    mail_ctx: MailContext,
    /// `PATIENT_MAX_OPEN_BOOKINGS` (0: no limit).
    clinic_max: u32,
}

impl Attempt {
    /// Claims the key, inserts the booking, queues its mail and live event, and keeps the
    /// answer for replays.
    fn run(
        &self,
        conn: &mut AnyConnection,
        effects: &mut Effects,
    ) -> Result<BookingAnswer, ApiError> {
        let now = Utc::now();
        if let Some(key) = &self.key {
            claim_key(conn, self.user, key, &self.hash, now)?;
        }
        let Party::Patient(patient_id) = party(conn, self.auth)? else {
            return Err(ApiError::Forbidden("Only patients can book.".into()));
        };
        if !crate::db::models::users::is_verified(conn, self.user)? {
            return Err(ApiError::email_unverified(
                mediconnect_shared::Role::Patient,
            ));
        }
        let reason = self.reason.as_deref();
        let patient = (patient_id, self.clinic_max);
        let id = insert(conn, self.user, patient, &self.req, reason, now)?;
        let row = load_one(conn, id)?.ok_or_else(not_found)?;
        let change = MailChange::Booked;
        queue_mail(conn, effects, &self.mail_ctx, &row, change, self.user, now)?;
        let l = loaded(conn, row)?;
        let body = serde_json::to_string(&for_reader(Party::Patient(patient_id), l.dto.clone()))
            .map_err(ApiError::internal)?;
        if let Some(key) = &self.key {
            keys::keep_answer(conn, self.user, key, 201, &body)?;
        }
        announce(conn, effects, &l)?;
        Ok(BookingAnswer {
            status: 201,
            body,
            replayed: false,
        })
    }
}

/// The answer kept for `key`, if its request finished.
async fn replay(
    state: &AppState,
    user: Uuid,
    key: String,
    hash: String,
) -> Result<Option<BookingAnswer>, ApiError> {
    state
        .db
        .run(move |conn| stored_answer(conn, user, &key, &hash))
        .await
}

pub async fn book(
    state: &AppState,
    patient: PatientUser,
    req: NewAppointment,
    key: Option<String>,
) -> Result<BookingAnswer, ApiError> {
    let user = patient.0;
    let reason = parse_reason(req.reason.as_deref())?;
    check_start(req.scheduled_for, Utc::now())?;
    let hash = request_hash(&req);
    if let Some(key) = key.clone()
        && let Some(answer) = replay(state, user.id, key, hash.clone()).await?
    {
        return Ok(answer);
    }
    let doctor_id = req.doctor_id;
    let attempt = Attempt {
        user: user.id,
        auth: user,
        req,
        reason,
        key: key.clone(),
        hash: hash.clone(),
        mail_ctx: state.mail_ctx.clone(),
        clinic_max: state.config.patient_max_open_bookings,
    };
    let result = state
        .write(move |conn, effects| attempt.run(conn, effects))
        .await;
    match result {
        Ok(answer) => {
            tracing::info!(doctor_id = %doctor_id, "appointment booked");
            Ok(answer)
        }
        Err(ApiError::Conflict {
            rule: "idempotency-replay",
            ..
        }) => replay(state, user.id, key.unwrap_or_default(), hash)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("idempotency key vanished"))),
        Err(e) => Err(e),
    }
}
