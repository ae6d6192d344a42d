//! Private calendar feeds: each patient's or doctor's appointments, from 30 days back
//! on, as an iCalendar document at an address only its owner is shown. The address is
//! `base64url(user id ‖ HMAC-SHA256(server key, user ‖ secret)[..16])`: the database
//! keeps only the random secret, so neither a copy of the database nor of the server's
//! key alone opens a feed; a new secret kills the old address, no row turns it off.

use base64::Engine;
use hmac::{Hmac, Mac};
use mediconnect_shared::CalendarFeed;
use sha2::Sha256;

use super::*;
use crate::mail::ics;

type HmacSha256 = Hmac<Sha256>;

/// How far back a feed reaches.
pub const DAYS_BACK: i64 = 30;
/// At most this many appointments in one feed, the earliest.
const MAX_EVENTS: i64 = 2000;
const TAG_LEN: usize = 16;

fn mac(key: &[u8], user: Uuid, secret: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"mediconnect-calendar-feed:");
    mac.update(user.as_bytes());
    mac.update(secret.as_bytes());
    mac
}

fn token(key: &[u8], user: Uuid, secret: &str) -> String {
    let tag = mac(key, user, secret).finalize().into_bytes();
    let mut bytes = Vec::with_capacity(16 + TAG_LEN);
    bytes.extend_from_slice(user.as_bytes());
    bytes.extend_from_slice(&tag[..TAG_LEN]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The user a token names, and its tag, if it is shaped like one.
fn parse(token: &str) -> Option<(Uuid, Vec<u8>)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    if bytes.len() != 16 + TAG_LEN {
        return None;
    }
    Some((Uuid::from_slice(&bytes[..16]).ok()?, bytes[16..].to_vec()))
}

fn dto(ctx: &MailContext, user: Uuid, secret: &str, created_at: DateTime<Utc>) -> CalendarFeed {
    CalendarFeed {
        url: format!(
            "{}/api/calendar/{}.ics",
            ctx.public_url,
            token(&ctx.unsubscribe_key, user, secret)
        ),
        created_at,
    }
}

/// Patients and doctors have appointments; admins none, and no feed.
fn may_have_feed(user: AuthUser) -> Result<(), ApiError> {
    match user.role {
        Role::Admin => Err(ApiError::Forbidden(
            "Calendar feeds are for patients and doctors.".into(),
        )),
        _ => Ok(()),
    }
}

fn no_feed() -> ApiError {
    ApiError::NotFound("You have no calendar feed. Make one to subscribe to.".into())
}

/// The user's feed address, if they made one.
pub async fn calendar_feed(state: &AppState, user: AuthUser) -> Result<CalendarFeed, ApiError> {
    may_have_feed(user)?;
    let ctx = state.mail_ctx.clone();
    state
        .db
        .run(move |conn| {
            let (secret, at) = models::calendar_feeds::find(conn, user.id)?.ok_or_else(no_feed)?;
            Ok(dto(&ctx, user.id, &secret, at))
        })
        .await
}

/// A new feed address for the user; the old one, if any, stops working.
pub async fn new_calendar_feed(
    state: &AppState,
    actor: audit::Actor,
) -> Result<CalendarFeed, ApiError> {
    let user = actor.user;
    may_have_feed(user)?;
    let secret = hex::encode(rand::random::<[u8; 16]>());
    let ctx = state.mail_ctx.clone();
    state
        .write(move |conn, _| {
            let now = Utc::now();
            models::calendar_feeds::replace(conn, user.id, &secret, now)?;
            audit::record(
                conn,
                &actor,
                "calendar_feed.renew",
                "user",
                Some(user.id),
                now,
            )?;
            Ok(dto(&ctx, user.id, &secret, now))
        })
        .await
}

/// Turns the user's feed off.
pub async fn remove_calendar_feed(state: &AppState, actor: audit::Actor) -> Result<(), ApiError> {
    let user = actor.user;
    may_have_feed(user)?;
    state
        .write(move |conn, _| {
            if !models::calendar_feeds::delete(conn, user.id)? {
                return Err(no_feed());
            }
            audit::record(
                conn,
                &actor,
                "calendar_feed.remove",
                "user",
                Some(user.id),
                Utc::now(),
            )
        })
        .await
}

fn unknown_feed() -> ApiError {
    ApiError::NotFound(
        "There is no such calendar feed: it was replaced or turned off. Copy the new address \
         from your MediConnect profile."
            .into(),
    )
}

/// The feed at `token` (the address without `.ics`). A doctor's feed holds patients'
/// names and times: each fetch is audited once, as `calendar_feed.read` by the doctor.
pub async fn calendar_document(
    state: &AppState,
    token: String,
    ip: Option<String>,
) -> Result<String, ApiError> {
    let (user_id, tag) = parse(&token).ok_or_else(unknown_feed)?;
    let ctx = state.mail_ctx.clone();
    state
        .db
        .run(move |conn| {
            let (secret, _) =
                models::calendar_feeds::find(conn, user_id)?.ok_or_else(unknown_feed)?;
            mac(&ctx.unsubscribe_key, user_id, &secret)
                .verify_truncated_left(&tag)
                .map_err(|_| unknown_feed())?;
            let owner = models::users::find(conn, user_id)?
                .filter(|u| u.active)
                .ok_or_else(unknown_feed)?;
            let user = AuthUser {
                id: user_id,
                role: owner.role(),
            };
            let now = Utc::now();
            let party = party(conn, user).map_err(|_| unknown_feed())?;
            let (own_patient, own_doctor, to) = match party {
                Party::Patient(p) => (Some(p), None, compose::Party::Patient),
                Party::Doctor(d) => (None, Some(d), compose::Party::Doctor),
                Party::Admin => return Err(unknown_feed()),
            };
            let filter = models::appointments::ListFilter {
                own_patient,
                own_doctor,
                from: Some(now - Duration::days(DAYS_BACK)),
                ..Default::default()
            };
            let (_, rows) = models::appointments::page(conn, &filter, false, MAX_EVENTS, 0)?;
            let rows: Vec<AppointmentRow> = rows
                .into_iter()
                .filter(|r| status_of(r) != AppointmentStatus::Cancelled)
                .collect();
            let ids: Vec<Uuid> = rows.iter().map(|r| r.id.0).collect();
            let moved = models::appointments::times_moved_each(conn, &ids)?;
            if to == compose::Party::Doctor {
                let actor = audit::Actor { user, ip };
                audit::record(
                    conn,
                    &actor,
                    "calendar_feed.read",
                    "user",
                    Some(user_id),
                    now,
                )?;
            }
            let texts: Vec<(Appointment, compose::CalendarText)> = to_dtos(conn, rows)?
                .into_iter()
                .map(|l| {
                    let a = l.dto;
                    let text = compose::calendar_text(
                        &ctx,
                        (&a.doctor.name, &a.doctor.specialization, &a.patient.name),
                        a.duration_minutes,
                        to,
                    );
                    (a, text)
                })
                .collect();
            let events: Vec<ics::Event<'_>> = texts
                .iter()
                .map(|(a, text)| {
                    let sequence = moved.get(&a.id).copied().unwrap_or(0).max(0) as u32;
                    text.event(
                        format!("{}@{}", a.id, ctx.domain()),
                        sequence,
                        (a.scheduled_for, a.ends_at),
                        false,
                    )
                })
                .collect();
            Ok(ics::feed("MediConnect appointments", &events, now))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_user_and_only_its_secret_opens_it() {
        let user = Uuid::new_v4();
        let t = token(b"key", user, "00112233445566778899aabbccddeeff");
        assert_eq!(t.len(), 43);
        let (parsed, tag) = parse(&t).unwrap();
        assert_eq!(parsed, user);
        let check =
            |key: &[u8], secret: &str| mac(key, user, secret).verify_truncated_left(&tag).is_ok();
        assert!(check(b"key", "00112233445566778899aabbccddeeff"));
        assert!(!check(b"key", "ffeeddccbbaa99887766554433221100"));
        assert!(!check(b"other key", "00112233445566778899aabbccddeeff"));
        assert!(parse("not a token").is_none());
        assert!(parse(&t[..42]).is_none());
    }
}
