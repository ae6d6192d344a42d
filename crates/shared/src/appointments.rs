//! Appointments: `/api/appointments*`, working hours and free slots.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{PageQuery, Pagination, Role};

/// Where an appointment is in its life. `COMPLETED`, `CANCELLED` and `NO_SHOW` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppointmentStatus {
    Scheduled,
    Completed,
    Cancelled,
    NoShow,
}

impl AppointmentStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Scheduled => "SCHEDULED",
            AppointmentStatus::Completed => "COMPLETED",
            AppointmentStatus::Cancelled => "CANCELLED",
            AppointmentStatus::NoShow => "NO_SHOW",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SCHEDULED" => Some(AppointmentStatus::Scheduled),
            "COMPLETED" => Some(AppointmentStatus::Completed),
            "CANCELLED" => Some(AppointmentStatus::Cancelled),
            "NO_SHOW" => Some(AppointmentStatus::NoShow),
            _ => None,
        }
    }

    pub const fn is_final(self) -> bool {
        !matches!(self, AppointmentStatus::Scheduled)
    }
}

/// How an appointment came to be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppointmentKind {
    /// Booked ahead, for a free time.
    #[default]
    Booked,
    /// A consult now (`/api/consults`), kept as COMPLETED with its real start and
    /// length once it ended.
    Instant,
}

impl AppointmentKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            AppointmentKind::Booked => "BOOKED",
            AppointmentKind::Instant => "INSTANT",
        }
    }
}

/// The doctor of an appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppointmentDoctor {
    pub id: Uuid,
    pub name: String,
    pub specialization: String,
}

/// The patient of an appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppointmentPatient {
    pub id: Uuid,
    pub name: String,
    /// The patient's phone, if they gave one: for the appointment's doctor only (a read
    /// the audit trail records), absent for anyone else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Appointment {
    pub id: Uuid,
    /// The start, UTC.
    #[serde(deserialize_with = "crate::time::instant")]
    pub scheduled_for: DateTime<Utc>,
    /// `scheduledFor + durationMinutes`.
    #[serde(deserialize_with = "crate::time::instant")]
    pub ends_at: DateTime<Utc>,
    pub duration_minutes: u32,
    /// `BOOKED` (a time booked ahead) or `INSTANT` (a consult now, kept once it ended).
    #[serde(default)]
    pub kind: AppointmentKind,
    /// The patient's reason for the visit; shown to the patient and the doctor only
    /// (`null` for an admin).
    pub reason: Option<String>,
    pub status: AppointmentStatus,
    #[serde(deserialize_with = "crate::time::instant")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub updated_at: DateTime<Utc>,
    pub doctor: AppointmentDoctor,
    pub patient: AppointmentPatient,
}

/// `POST /api/appointments`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewAppointment {
    pub doctor_id: Uuid,
    /// RFC 3339 with an offset, in the future, at most 180 days ahead.
    pub scheduled_for: DateTime<Utc>,
    /// At most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub reason: Option<String>,
}

/// `PUT /api/appointments/{id}`: any of the three.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppointmentChange {
    /// `COMPLETED` or `NO_SHOW` (the doctor, after the start), or `CANCELLED` (either).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AppointmentStatus>,
    /// A new start (either party), under the same rules as booking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// The patient's reason; `null` or an empty string removes it.
    #[serde(
        default,
        deserialize_with = "crate::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub reason: Option<Option<String>>,
}

/// The query of `GET /api/appointments`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct AppointmentQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AppointmentStatus>,
    /// Appointments starting at or after this instant (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// Appointments starting before this instant (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", param(ignore))]
    pub paging: PageQuery,
    /// `asc` (the default): earliest first; `desc`: latest first, for a history that
    /// pages back in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    /// Only this doctor's appointments (within those the caller may see).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctor_id: Option<Uuid>,
    /// Only this patient's appointments (within those the caller may see).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<Uuid>,
    /// Only doctors whose name contains this text, ignoring case (at most 100
    /// characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctor: Option<String>,
    /// Only patients whose name contains this text, ignoring case (at most 100
    /// characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
}

/// The order of a list by time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

impl Order {
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
}

impl AppointmentQuery {
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(s) = self.status {
            pairs.push(("status", s.as_str().to_owned()));
        }
        if let Some(t) = self.from {
            pairs.push(("from", t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
        }
        if let Some(t) = self.to {
            pairs.push(("to", t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
        }
        self.paging.add_pairs(&mut pairs);
        if let Some(o) = self.order {
            pairs.push(("order", o.as_str().to_owned()));
        }
        if let Some(d) = self.doctor_id {
            pairs.push(("doctorId", d.to_string()));
        }
        if let Some(p) = self.patient_id {
            pairs.push(("patientId", p.to_string()));
        }
        if let Some(d) = &self.doctor {
            pairs.push(("doctor", d.clone()));
        }
        if let Some(p) = &self.patient {
            pairs.push(("patient", p.clone()));
        }
        pairs
    }
}

/// `GET /api/appointments`, ordered by `scheduledFor` (see `order`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppointmentList {
    pub appointments: Vec<Appointment>,
    pub pagination: Pagination,
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppointmentAction {
    Created,
    StatusChanged,
    Rescheduled,
    ReasonChanged,
}

impl AppointmentAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            AppointmentAction::Created => "CREATED",
            AppointmentAction::StatusChanged => "STATUS_CHANGED",
            AppointmentAction::Rescheduled => "RESCHEDULED",
            AppointmentAction::ReasonChanged => "REASON_CHANGED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "CREATED" => Some(AppointmentAction::Created),
            "STATUS_CHANGED" => Some(AppointmentAction::StatusChanged),
            "RESCHEDULED" => Some(AppointmentAction::Rescheduled),
            "REASON_CHANGED" => Some(AppointmentAction::ReasonChanged),
            _ => None,
        }
    }
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

/// One change of an appointment. The reason's text is not repeated here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppointmentEvent {
    pub action: AppointmentAction,
    /// `null` if the account no longer exists.
    pub actor: Option<Actor>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub at: DateTime<Utc>,
    pub from_status: Option<AppointmentStatus>,
    pub to_status: Option<AppointmentStatus>,
    #[serde(default, deserialize_with = "crate::time::optional_instant")]
    pub from_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "crate::time::optional_instant")]
    pub to_time: Option<DateTime<Utc>>,
    /// Why, when the change says: an admin's reason for cancelling a departing
    /// doctor's appointments, or a doctor's change of hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `GET /api/appointments/{id}/history`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppointmentHistory {
    pub events: Vec<AppointmentEvent>,
}

/// A span of local time within a day, `HH:MM` to `HH:MM` (`24:00` ends at midnight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TimeRange {
    pub start: String,
    pub end: String,
}

/// The weekdays by name, Monday first: a `weekday` is the index plus one.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Weekly hours: `weekday` 1 (Monday) to 7 (Sunday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WeeklyHours {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 7))]
    pub weekday: u8,
    pub start: String,
    pub end: String,
}

/// A date that differs from the week: no intervals is a day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScheduleException {
    pub date: NaiveDate,
    #[serde(default)]
    pub intervals: Vec<TimeRange>,
}

/// `GET/PUT /api/doctors/me/schedule`. Times are local to `timeZone` (IANA, e.g.
/// `Europe/Berlin`). With no weekly hours and no exceptions, hours are not published
/// and any time can be booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub time_zone: String,
    /// The length of an appointment with this doctor, 10–120 minutes.
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 120))]
    pub slot_minutes: u32,
    #[serde(default)]
    pub weekly: Vec<WeeklyHours>,
    #[serde(default)]
    pub exceptions: Vec<ScheduleException>,
    /// `PUT` only: hours or days off that leave booked appointments outside them are
    /// refused (409 `appointments-affected`, listing them) unless this is `true`, which
    /// cancels those appointments and emails their patients.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_affected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    #[serde(deserialize_with = "crate::time::instant")]
    pub start: DateTime<Utc>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub end: DateTime<Utc>,
}

/// The query of `GET /api/doctors/{id}/slots`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct SlotQuery {
    /// From this instant (RFC 3339); default now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (RFC 3339); default `from` + 7 days; at most 31 days after `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// `GET /api/doctors/{id}/slots`: working hours minus booked time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SlotList {
    pub doctor_id: Uuid,
    pub time_zone: String,
    pub slot_minutes: u32,
    /// False when the doctor has published no hours: then any future time can be
    /// booked, and `slots` is empty.
    pub hours_published: bool,
    /// The latest start a booking may have (bookings open this far ahead): slots
    /// are never listed past it.
    #[serde(deserialize_with = "crate::time::instant")]
    pub bookable_until: DateTime<Utc>,
    pub slots: Vec<Slot>,
    /// The doctor's booking rules: slots already honour them.
    pub rules: BookingRules,
    /// Set when the signed-in patient may not book this doctor now (they hold as many
    /// appointments ahead as allowed): why, in words to show as they are. `slots` is
    /// then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_blocked: Option<String>,
}

/// `POST /api/doctors/me/time-off`: a range off, from and to local date-times in the
/// doctor's time zone (`2026-12-24T13:00`); partial days allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewTimeOff {
    #[serde(
        deserialize_with = "crate::time::local_minute",
        serialize_with = "crate::time::write_local_minute"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2026-12-24T13:00"))]
    pub from: chrono::NaiveDateTime,
    #[serde(
        deserialize_with = "crate::time::local_minute",
        serialize_with = "crate::time::write_local_minute"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2026-12-24T13:00"))]
    pub to: chrono::NaiveDateTime,
    /// For the doctor only (patients are told the doctor is away): at most 200
    /// characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Time off over booked appointments is refused (409 `appointments-affected`,
    /// listing them) unless this is `true`, which cancels them and emails each patient.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_affected: bool,
}

/// A range of a doctor's time off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TimeOff {
    pub id: Uuid,
    /// As entered: local date-times in `timeZone`.
    #[serde(
        deserialize_with = "crate::time::local_minute",
        serialize_with = "crate::time::write_local_minute"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub from: chrono::NaiveDateTime,
    #[serde(
        deserialize_with = "crate::time::local_minute",
        serialize_with = "crate::time::write_local_minute"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub to: chrono::NaiveDateTime,
    pub time_zone: String,
    /// The same range as instants.
    #[serde(deserialize_with = "crate::time::instant")]
    pub starts_at: DateTime<Utc>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub ends_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `GET /api/doctors/me/time-off`: the ranges not yet over, soonest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TimeOffList {
    pub time_off: Vec<TimeOff>,
}

/// `GET/PUT /api/doctors/me/booking-rules`: when and how much patients may book a
/// doctor. Public in each doctor's slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BookingRules {
    /// No booking or move closer than this to the start, 0–43200 (30 days).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 43200))]
    pub min_notice_minutes: u32,
    /// Patients cannot cancel or move later than this before the start, 0–43200.
    /// Doctors may always cancel.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 43200))]
    pub cancel_cutoff_minutes: u32,
    /// How far ahead bookings open, 1–180 days.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 180))]
    pub horizon_days: u32,
    /// Booked appointments ahead one patient may hold with this doctor, 1–100.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub max_open_per_patient: u32,
}

impl Default for BookingRules {
    fn default() -> Self {
        BookingRules {
            min_notice_minutes: 120,
            cancel_cutoff_minutes: 0,
            horizon_days: 180,
            max_open_per_patient: 3,
        }
    }
}

/// `GET/POST /api/users/calendar-feed`: the address of the user's private calendar
/// feed (iCalendar), for a calendar app to subscribe to. Anyone with the address can
/// read the feed: it is shown only to its owner, and making a new one kills the old.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CalendarFeed {
    /// The feed's address (`.../api/calendar/{token}.ics`).
    pub url: String,
    /// When this address was made.
    #[serde(deserialize_with = "crate::time::instant")]
    pub created_at: DateTime<Utc>,
}

/// `POST /api/waitlist`: wait for a time with a doctor on one of the days `from` to
/// `to` (the doctor's dates, both included). When a time in the window frees up, the
/// earliest waiter is offered it and it is held for them for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewWaitlistEntry {
    pub doctor_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// One of the patient's booked appointments with this doctor: only times before it
    /// are offered, and claiming one cancels it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_than: Option<Uuid>,
}

/// A time held for a waiting patient until `expiresAt`: claim it to book it, or
/// decline it to pass it on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WaitlistOffer {
    pub id: Uuid,
    #[serde(deserialize_with = "crate::time::instant")]
    pub start: DateTime<Utc>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub ends_at: DateTime<Utc>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub expires_at: DateTime<Utc>,
}

/// The `waitlist` socket message (personal): a waitlist entry of the patient's
/// changed. With `offer`, a time is now held for them; without, an offer ended. Read
/// `GET /api/waitlist` for the whole entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WaitlistNotice {
    pub entry_id: Uuid,
    pub doctor: AppointmentDoctor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<WaitlistOffer>,
}

/// A patient's place on a doctor's waitlist, with the offer open to them, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WaitlistEntry {
    pub id: Uuid,
    pub doctor: AppointmentDoctor,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The doctor's time zone, in which `from` and `to` are dates.
    pub time_zone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_than: Option<Uuid>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<WaitlistOffer>,
}

/// `GET /api/waitlist`: the signed-in patient's entries, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WaitlistList {
    pub entries: Vec<WaitlistEntry>,
}

/// `POST /api/consults`: ask an online doctor who accepts instant consults for one now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewConsult {
    pub doctor_id: Uuid,
    /// For the doctor only: at most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where a consult stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsultStatus {
    /// In the doctor's queue.
    Waiting,
    /// Taken by the doctor: the room is open.
    Active,
    Ended,
    /// The patient left the queue.
    Left,
    /// The doctor went offline, or the patient's connection was gone too long.
    Dropped,
}

/// A patient's consult, as they see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Consult {
    pub id: Uuid,
    pub doctor_id: Uuid,
    pub status: ConsultStatus,
    /// 1 for the head of the queue; 0 once taken.
    pub position: u32,
    pub estimated_wait_minutes: u32,
}

/// One patient in a doctor's queue, as the doctor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueuedPatient {
    pub consult_id: Uuid,
    pub patient_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub waiting_since: DateTime<Utc>,
}

/// `GET /api/consults/queue`: the signed-in doctor's queue, first come first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConsultQueue {
    pub accepting: bool,
    pub patients: Vec<QueuedPatient>,
}

/// `POST /api/consults/next`: the consult the doctor took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StartedConsult {
    pub id: Uuid,
    pub patient_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub started_at: DateTime<Utc>,
}

/// A TURN or STUN server for the consult room's calls (`ICE_SERVERS`), as the
/// browser's `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// `GET /api/consults/{id}`: a consult's room, for its two parties (and admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConsultRoom {
    pub id: Uuid,
    pub status: ConsultStatus,
    pub doctor: AppointmentDoctor,
    pub patient_name: String,
    /// The patient's reason: for the two parties only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// The INSTANT appointment it was kept as, once ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_id: Option<Uuid>,
    /// The caller's part: `DOCTOR` or `PATIENT` (`ADMIN` for a clinic administrator,
    /// who may read the room's record but not join the call).
    pub role: Role,
    /// For the call: the servers of `ICE_SERVERS` (none: host candidates only).
    pub ice_servers: Vec<IceServer>,
}

/// `POST /api/consults/{id}/messages`: a chat message in the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewChatMessage {
    /// 1 to 2000 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub text: String,
}

/// A chat message of a consult, kept with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub id: Uuid,
    pub consult_id: Uuid,
    /// Who wrote it: `DOCTOR` or `PATIENT`.
    pub from: Role,
    pub text: String,
    #[serde(deserialize_with = "crate::time::instant")]
    pub sent_at: DateTime<Utc>,
}

/// `GET /api/consults/{id}/messages`: the room's chat, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatList {
    pub messages: Vec<ChatMessage>,
}
