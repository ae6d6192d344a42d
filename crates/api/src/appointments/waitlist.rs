//! Waitlists: a patient waits for a time with a doctor within a window of the doctor's
//! days. When a time in a window is free (a cancellation, a move, new hours, time off
//! removed, an offer declined or run out), the earliest waiter without an open offer
//! is offered the earliest such time, by email and live, and it is held for them for
//! `WAITLIST_HOLD_MINUTES`: the database refuses anyone else's booking over it. Claiming
//! books it (and cancels the later booking the patient named, if any) in one
//! transaction; declining or letting it run out passes it on.

use mediconnect_shared::{NewWaitlistEntry, WaitlistEntry, WaitlistList, WaitlistOffer};

use super::*;
use crate::db::models::waitlist::{self as rows, EntryRow, OfferRow};
use crate::domain::zone::day_start;

/// The most entries one patient may have.
const MAX_ENTRIES: i64 = 10;
/// The longest window, in days.
const MAX_WINDOW_DAYS: i64 = 92;

fn offer_dto(o: &OfferRow) -> WaitlistOffer {
    WaitlistOffer {
        id: o.id.0,
        start: o.starts_at.0,
        ends_at: o.ends_at.0,
        expires_at: o.expires_at.0,
    }
}

fn entry_dto(
    conn: &mut AnyConnection,
    e: &EntryRow,
    now: DateTime<Utc>,
) -> Result<WaitlistEntry, ApiError> {
    let doctor = e.doctor_id.0;
    let (name, specialization) = models::doctors::cards(conn, &[doctor])?
        .into_iter()
        .next()
        .map(|(_, name, spec, _)| (name, spec))
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("an entry without a doctor")))?;
    let (_, time_zone) = models::doctors::slot_setting(conn, doctor)?;
    Ok(WaitlistEntry {
        id: e.id.0,
        doctor: AppointmentDoctor {
            id: doctor,
            name,
            specialization,
        },
        from: e.from_date,
        to: e.to_date,
        time_zone,
        earlier_than: e.earlier_than.map(|a| a.0),
        created_at: e.created_at.0,
        offer: rows::open_offer(conn, e.id.0, now)?.as_ref().map(offer_dto),
    })
}

fn the_patient(conn: &mut AnyConnection, user: AuthUser) -> Result<Uuid, ApiError> {
    match party(conn, user)? {
        Party::Patient(p) => Ok(p),
        _ => Err(ApiError::Forbidden("Only patients wait for times.".into())),
    }
}

/// Tells the patient's sockets that an entry of theirs changed.
fn tell(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    entry: &EntryRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (user, ..) = models::patients::contact(conn, entry.patient_id.0)?;
    let entry = entry_dto(conn, entry, now)?;
    let notice = mediconnect_shared::WaitlistNotice {
        entry_id: entry.id,
        doctor: entry.doctor,
        offer: entry.offer,
    };
    effects.announce(conn, LiveEvent::Waitlist { notice, user })
}

/// The patient's booked appointment `id` with `doctor`, still ahead.
fn own_booking(
    conn: &mut AnyConnection,
    (patient, doctor): (Uuid, Uuid),
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<AppointmentRow>, ApiError> {
    Ok(load_one(conn, id)?.filter(|r| {
        r.patient_id.0 == patient
            && r.doctor_id.0 == doctor
            && status_of(r) == AppointmentStatus::Scheduled
            && r.scheduled_for.0 > now
    }))
}

/// Runs `f` for the signed-in patient in a write transaction, with the mail context
/// and the time.
async fn as_patient<T: Send + 'static>(
    state: &AppState,
    user: AuthUser,
    f: impl FnOnce(
        &mut AnyConnection,
        &mut Effects,
        &MailContext,
        Uuid,
        DateTime<Utc>,
    ) -> Result<T, ApiError>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let ctx = state.mail_ctx.clone();
    state
        .write(move |conn, effects| {
            let patient = the_patient(conn, user)?;
            f(conn, effects, &ctx, patient, Utc::now())
        })
        .await
}

fn no_entry() -> ApiError {
    ApiError::NotFound("There is no such waitlist entry.".into())
}

fn no_offer() -> ApiError {
    ApiError::NotFound("There is no such offer.".into())
}

/// Joins a doctor's waitlist. A time already free in the window is offered at once.
pub async fn join_waitlist(
    state: &AppState,
    patient: PatientUser,
    req: NewWaitlistEntry,
) -> Result<WaitlistEntry, ApiError> {
    let user = patient.0;
    as_patient(state, user, move |conn, effects, ctx, patient, now| {
        if !models::users::is_verified(conn, user.id)? {
            return Err(ApiError::email_unverified(Role::Patient));
        }
        let doctor = req.doctor_id;
        models::appointments::take_turns(conn, doctor, patient)?;
        let Some((_, doctor_name)) = models::doctors::bookable(conn, doctor)? else {
            return Err(ApiError::field("doctorId", "There is no such doctor"));
        };
        if !load_hours(conn, doctor)?.published() {
            return Err(ApiError::field(
                "doctorId",
                format!("{doctor_name} publishes no hours: book any time you like"),
            ));
        }
        let (_, zone) = models::doctors::slot_setting(conn, doctor)?;
        let today = now.with_timezone(&Zone::stored(&zone)).date_naive();
        let rules = models::booking_rules::of_doctor(conn, doctor)?;
        let last = today + Duration::days(i64::from(rules.horizon_days));
        let mut fields = crate::domain::Fields::new();
        if req.from < today {
            fields.push("from", "The window must not start in the past");
        }
        if req.to < req.from {
            fields.push("to", "The window must not end before it starts");
        } else if (req.to - req.from).num_days() >= MAX_WINDOW_DAYS {
            fields.push("to", format!("A window is at most {MAX_WINDOW_DAYS} days"));
        } else if req.to > last {
            fields.push(
                "to",
                format!(
                    "{doctor_name} takes bookings up to {} days ahead",
                    rules.horizon_days
                ),
            );
        }
        if let Some(id) = req.earlier_than {
            match own_booking(conn, (patient, doctor), id, now)? {
                None => fields.push(
                    "earlierThan",
                    "Choose one of your booked appointments with this doctor",
                ),
                Some(a) if day_start(Zone::stored(&zone), req.from) >= a.scheduled_for.0 => {
                    fields.push("from", "The window must start before your booking")
                }
                Some(_) => {}
            }
        }
        fields.finish()?;
        // A patient who may not book the doctor now would be offered nothing.
        if req.earlier_than.is_none() {
            let by = (doctor, doctor_name.as_str());
            let clinic_max = ctx.patient_max_open_bookings;
            if let Some(refusal) = open_limit(conn, &rules, by, patient, clinic_max, now)? {
                return Err(refusal);
            }
        }
        if rows::count_of_patient(conn, patient)? >= MAX_ENTRIES {
            return Err(ApiError::Conflict {
                rule: "waitlist-limit",
                detail: format!(
                    "You are on {MAX_ENTRIES} waitlists already. Leave one to join another."
                ),
            });
        }
        let row = EntryRow {
            id: DbId(Uuid::new_v4()),
            patient_id: DbId(patient),
            doctor_id: DbId(doctor),
            from_date: req.from,
            to_date: req.to,
            earlier_than: req.earlier_than.map(DbId),
            created_at: DbTime(now),
        };
        rows::insert_entry(conn, &row).map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict {
                    rule: "already-waiting",
                    detail: format!(
                        "You are on {doctor_name}'s waitlist already. Leave it to wait for \
                             other days."
                    ),
                }
            } else {
                e.into()
            }
        })?;
        offer_free(conn, effects, ctx, doctor, now)?;
        entry_dto(conn, &row, now)
    })
    .await
}

/// The signed-in patient's waitlist entries, oldest first, each with its open offer.
pub async fn waitlist(state: &AppState, patient: PatientUser) -> Result<WaitlistList, ApiError> {
    state
        .db
        .run(move |conn| {
            let now = Utc::now();
            let patient = the_patient(conn, patient.0)?;
            let entries = rows::entries_of_patient(conn, patient)?
                .iter()
                .map(|e| entry_dto(conn, e, now))
                .collect::<Result<_, _>>()?;
            Ok(WaitlistList { entries })
        })
        .await
}

/// Leaves a waitlist; a time held for the patient passes on.
pub async fn leave_waitlist(
    state: &AppState,
    patient: PatientUser,
    id: Uuid,
) -> Result<(), ApiError> {
    as_patient(state, patient.0, move |conn, effects, ctx, patient, now| {
        let entry = rows::find_entry(conn, id)?
            .filter(|e| e.patient_id.0 == patient)
            .ok_or_else(no_entry)?;
        models::appointments::take_turns(conn, entry.doctor_id.0, patient)?;
        if !rows::delete_entry(conn, patient, id)? {
            return Err(no_entry());
        }
        offer_free(conn, effects, ctx, entry.doctor_id.0, now)
    })
    .await
}

/// The patient's offer `id` and its entry, if it is open; 404 for another's, 409 once
/// it ended.
fn open_offer_of(
    conn: &mut AnyConnection,
    patient: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(OfferRow, EntryRow), ApiError> {
    let offer = rows::find_offer(conn, id)?
        .filter(|o| o.patient_id.0 == patient)
        .ok_or_else(no_offer)?;
    let entry = rows::find_entry(conn, offer.entry_id.0)?.ok_or_else(no_offer)?;
    models::appointments::take_turns(conn, offer.doctor_id.0, patient)?;
    if offer.status != rows::OPEN || offer.expires_at.0 <= now {
        return Err(ApiError::Conflict {
            rule: "offer-ended",
            detail: "This offer has ended: the time was passed on. You are still on the \
                     waitlist."
                .into(),
        });
    }
    Ok((offer, entry))
}

/// Books the time of an open offer for its patient, and cancels the later booking they
/// named, in one transaction; their entry is done.
pub async fn claim_offer(
    state: &AppState,
    patient: PatientUser,
    id: Uuid,
) -> Result<Appointment, ApiError> {
    let user = patient.0;
    let clinic_max = state.config.patient_max_open_bookings;
    as_patient(state, user, move |conn, effects, ctx, patient, now| {
        let (offer, entry) = open_offer_of(conn, patient, id, now)?;
        let doctor = offer.doctor_id.0;
        if !rows::close_offer(conn, id, rows::CLAIMED)? {
            return Err(no_offer());
        }
        if let Some(later) = entry.earlier_than
            && let Some(row) = own_booking(conn, (patient, doctor), later.0, now)?
        {
            let by = (user.id, Party::Patient(patient));
            cancel_in(conn, effects, ctx, &row, by, now)?;
        }
        let req = NewAppointment {
            doctor_id: doctor,
            scheduled_for: offer.starts_at.0,
            reason: None,
        };
        let booked = insert(conn, user.id, (patient, clinic_max), &req, None, now)?;
        let row = load_one(conn, booked)?.ok_or_else(not_found)?;
        queue_mail(conn, effects, ctx, &row, MailChange::Booked, user.id, now)?;
        let l = loaded(conn, row)?;
        announce(conn, effects, &l)?;
        rows::delete_entry(conn, patient, entry.id.0)?;
        offer_free(conn, effects, ctx, doctor, now)?;
        Ok(for_reader(Party::Patient(patient), l.dto))
    })
    .await
}

/// Passes an open offer on at once; the patient stays on the waitlist.
pub async fn decline_offer(
    state: &AppState,
    patient: PatientUser,
    id: Uuid,
) -> Result<(), ApiError> {
    as_patient(state, patient.0, move |conn, effects, ctx, patient, now| {
        let (offer, _) = open_offer_of(conn, patient, id, now)?;
        if !rows::close_offer(conn, id, rows::DECLINED)? {
            return Err(no_offer());
        }
        offer_free(conn, effects, ctx, offer.doctor_id.0, now)
    })
    .await
}

/// Marks the offers that ran out by `now` as expired and passes their times on; each
/// patient whose offer ended is told live. Returns how many ended. Run by every
/// replica every few seconds ([`start_sweeper`]); the doctor's turn orders them.
pub fn sweep(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    ctx: &MailContext,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let expired = rows::expire_due(conn, now)?;
    let mut doctors: Vec<Uuid> = expired.iter().map(|e| e.0).collect();
    doctors.sort();
    doctors.dedup();
    for (_, _, entry) in &expired {
        if let Some(entry) = rows::find_entry(conn, *entry)? {
            tell(conn, effects, &entry, now)?;
        }
    }
    for doctor in doctors {
        offer_free(conn, effects, ctx, doctor, now)?;
    }
    Ok(expired.len())
}

/// How often each replica looks for offers that ran out.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs [`sweep`] every few seconds until the hub is gone (the server stopped).
pub fn start_sweeper(
    db: crate::db::Db,
    hub: &std::sync::Arc<crate::live::hub::Hub>,
    ctx: MailContext,
    mail: crate::mail::worker::MailHandle,
) {
    let hub = std::sync::Arc::downgrade(hub);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let Some(hub) = hub.upgrade() else { return };
            // A read first: most of the time nothing has run out, and no write is due.
            match db.run(|conn| Ok(rows::any_due(conn, Utc::now())?)).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "looking for waitlist offers that ran out failed");
                    continue;
                }
            }
            let ctx = ctx.clone();
            let swept = db
                .write(move |conn| {
                    let mut effects = Effects::new(hub);
                    let n = sweep(conn, &mut effects, &ctx, Utc::now())?;
                    Ok((n, effects))
                })
                .await;
            match swept {
                Ok((n, effects)) => {
                    effects.apply(Some(&mail));
                    if n > 0 {
                        tracing::debug!(ended = n, "waitlist offers passed on");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "passing on waitlist offers failed"),
            }
        }
    });
}

/// Offers the doctor's free times to their waiters: in the order they joined, each
/// without an open offer gets the earliest free time of its window that it was not
/// offered before and that its patient could book (the doctor's notice, allowing for
/// the hold, and horizon; the patient's limits and other appointments). Held for
/// `WAITLIST_HOLD_MINUTES`; the patient is emailed and told live.
pub(super) fn offer_free(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    ctx: &MailContext,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let entries = rows::waiting(conn, doctor)?;
    if entries.is_empty() {
        return Ok(());
    }
    models::appointments::take_doctor_turn(conn, doctor)?;
    let Some((_, doctor_name)) = models::doctors::bookable(conn, doctor)? else {
        return Ok(());
    };
    let hours = load_hours(conn, doctor)?;
    if !hours.published() {
        return Ok(());
    }
    let rules = models::booking_rules::of_doctor(conn, doctor)?;
    let hold = Duration::minutes(i64::from(ctx.waitlist_hold_minutes));
    let earliest = now + Duration::minutes(i64::from(rules.min_notice_minutes)) + hold;
    let horizon = now + Duration::days(i64::from(rules.horizon_days));
    for entry in entries {
        let (patient, entry_id) = (entry.patient_id.0, entry.id.0);
        if rows::open_offer(conn, entry_id, now)?.is_some() {
            continue;
        }
        let (user, name, email, zone) = models::patients::contact(conn, patient)?;
        if !models::users::find(conn, user)?.is_some_and(|u| u.active) {
            continue;
        }
        let mut until = day_start(hours.tz, entry.to_date + Duration::days(1)).min(horizon);
        let replaces = match entry.earlier_than {
            Some(a) => own_booking(conn, (patient, doctor), a.0, now)?,
            None => None,
        };
        match &replaces {
            Some(later) => until = until.min(later.scheduled_for.0),
            None => {
                let by = (doctor, doctor_name.as_str());
                let clinic_max = ctx.patient_max_open_bookings;
                if open_limit(conn, &rules, by, patient, clinic_max, now)?.is_some() {
                    continue;
                }
            }
        }
        let from = day_start(hours.tz, entry.from_date).max(earliest);
        if from >= until {
            continue;
        }
        let mut busy = models::appointments::booked_between(conn, doctor, from, until)?;
        busy.extend(models::time_off::between(conn, doctor, from, until)?);
        busy.extend(rows::held_between(conn, doctor, (from, until), now)?);
        busy.extend(models::appointments::patient_between(
            conn, patient, from, until,
        )?);
        let offered = rows::offered_starts(conn, entry_id)?;
        let Some(slot) = hours
            .free_slots(from, until, &busy)
            .into_iter()
            .find(|s| !offered.contains(&s.start))
        else {
            continue;
        };
        let offer = OfferRow {
            id: DbId(Uuid::new_v4()),
            entry_id: entry.id,
            doctor_id: DbId(doctor),
            patient_id: DbId(patient),
            starts_at: DbTime(slot.start),
            ends_at: DbTime(slot.end),
            expires_at: DbTime(now + hold),
            status: rows::OPEN.to_owned(),
            created_at: DbTime(now),
        };
        rows::insert_offer(conn, &offer)?;
        let specialization = models::doctors::contact(conn, doctor)?.4;
        let to = compose::Recipient {
            user_id: user,
            name: &name,
            email: &email,
        };
        let mail = compose::waitlist_offer(
            ctx,
            to,
            Zone::stored(&zone),
            (&doctor_name, &specialization),
            slot.start,
            offer.expires_at.0,
        );
        outbox::enqueue_expiring(conn, &mail, offer.expires_at.0, now)?;
        effects.wake_mail();
        tell(conn, effects, &entry, now)?;
    }
    Ok(())
}
