//! SQL types that differ between the backends: UUIDs and UTC timestamps.
//!
//! PostgreSQL stores them natively (`uuid`, `timestamptz`). SQLite has neither, so they
//! are TEXT there: the canonical hyphenated UUID, and a fixed-width UTC time
//! (`YYYY-MM-DDTHH:MM:SS.ffffffZ`) whose text order is time order. The row types use
//! [`DbId`] and [`DbTime`]; everything outside `db` uses `Uuid` and `DateTime<Utc>`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{self, HasSqlType};
use diesel::sqlite::Sqlite;
use uuid::Uuid;

use super::connection::MultiBackend;

pub mod sql {
    /// `uuid` on PostgreSQL, TEXT on SQLite.
    #[derive(
        Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
    )]
    #[diesel(postgres_type(oid = 2950, array_oid = 2951))]
    #[diesel(sqlite_type(name = "Text"))]
    pub struct Uuid;

    /// `timestamptz` on PostgreSQL, fixed-width UTC TEXT on SQLite.
    #[derive(
        Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
    )]
    #[diesel(postgres_type(oid = 1184, array_oid = 1185))]
    #[diesel(sqlite_type(name = "Text"))]
    pub struct UtcTime;

    /// Times order the same way on both backends (SQLite's text is fixed-width), so
    /// `min` and `max` apply.
    impl diesel::sql_types::SqlOrd for UtcTime {}
}

/// A UUID column value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = sql::Uuid)]
pub struct DbId(pub Uuid);

/// A UTC timestamp column value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = sql::UtcTime)]
pub struct DbTime(pub DateTime<Utc>);

impl From<Uuid> for DbId {
    fn from(v: Uuid) -> Self {
        DbId(v)
    }
}

impl From<DbId> for Uuid {
    fn from(v: DbId) -> Self {
        v.0
    }
}

impl From<DateTime<Utc>> for DbTime {
    fn from(v: DateTime<Utc>) -> Self {
        DbTime(v)
    }
}

impl From<DbTime> for DateTime<Utc> {
    fn from(v: DbTime) -> Self {
        v.0
    }
}

/// The SQLite text form of a time. Microsecond precision, as PostgreSQL keeps.
pub fn sqlite_time_text(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_sqlite_time(s: &str) -> Result<DateTime<Utc>, Box<dyn std::error::Error + Send + Sync>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    // Values written by SQLite itself (CURRENT_TIMESTAMP) have no zone: they are UTC.
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")?;
    Ok(naive.and_utc())
}

// --- PostgreSQL: delegate to diesel's native impls -----------------------------------

impl ToSql<sql::Uuid, Pg> for DbId {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <Uuid as ToSql<sql_types::Uuid, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<sql::Uuid, Pg> for DbId {
    fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <Uuid as FromSql<sql_types::Uuid, Pg>>::from_sql(bytes).map(DbId)
    }
}

impl ToSql<sql::UtcTime, Pg> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<sql_types::Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<sql::UtcTime, Pg> for DbTime {
    fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<sql_types::Timestamptz, Pg>>::from_sql(bytes).map(DbTime)
    }
}

// --- SQLite: text --------------------------------------------------------------------

impl ToSql<sql::Uuid, Sqlite> for DbId {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.hyphenated().to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<sql::Uuid, Sqlite> for DbId {
    fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<sql_types::Text, Sqlite>>::from_sql(bytes)?;
        Ok(DbId(Uuid::parse_str(&text)?))
    }
}

impl ToSql<sql::UtcTime, Sqlite> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(sqlite_time_text(&self.0));
        Ok(IsNull::No)
    }
}

impl FromSql<sql::UtcTime, Sqlite> for DbTime {
    fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<sql_types::Text, Sqlite>>::from_sql(bytes)?;
        parse_sqlite_time(&text).map(DbTime)
    }
}

// --- The multi-backend: dispatch to the backend in use -------------------------------

impl HasSqlType<sql::Uuid> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<sql::Uuid>(lookup)
    }
}

impl HasSqlType<sql::UtcTime> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<sql::UtcTime>(lookup)
    }
}

impl ToSql<sql::Uuid, MultiBackend> for DbId {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((sql::Uuid, self));
        Ok(IsNull::No)
    }
}

impl FromSql<sql::Uuid, MultiBackend> for DbId {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<DbId, sql::Uuid>()
    }
}

impl ToSql<sql::UtcTime, MultiBackend> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((sql::UtcTime, self));
        Ok(IsNull::No)
    }
}

impl FromSql<sql::UtcTime, MultiBackend> for DbTime {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<DbTime, sql::UtcTime>()
    }
}

// --- Names of enums, as TEXT ------------------------------------------------------------

/// A TEXT column that holds one of an enum's names (a CHECK constraint admits only
/// those). Written by name; read back only if it is one: an unknown stored value is
/// an error, never a default.
macro_rules! text_enum {
    (@backend $name:ident, $inner:ty, $db:ty) => {
        impl ToSql<sql_types::Text, $db> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, $db>) -> serialize::Result {
                <str as ToSql<sql_types::Text, $db>>::to_sql(self.0.as_str(), out)
            }
        }

        impl FromSql<sql_types::Text, $db> for $name {
            fn from_sql(bytes: <$db as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<sql_types::Text, $db>>::from_sql(bytes)?;
                <$inner>::parse(&text).map($name).ok_or_else(|| {
                    format!("{text:?} is not a known {} in the database", stringify!($inner))
                        .into()
                })
            }
        }
    };
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
        #[diesel(sql_type = sql_types::Text)]
        pub struct $name(pub $inner);

        text_enum!(@backend $name, $inner, MultiBackend);
        text_enum!(@backend $name, $inner, Pg);
        text_enum!(@backend $name, $inner, Sqlite);

        impl From<$inner> for $name {
            fn from(v: $inner) -> Self {
                $name(v)
            }
        }
    };
}

text_enum!(
    /// `users.role`.
    DbRole(mediconnect_shared::Role)
);
text_enum!(
    /// `appointments.status`, and the statuses of `appointment_events`.
    DbStatus(mediconnect_shared::AppointmentStatus)
);
text_enum!(
    /// `appointment_events.action`: what a history entry records.
    DbAction(mediconnect_shared::AppointmentAction)
);
text_enum!(
    /// `patients.notify_doctor_online`: which "doctor is online" alerts a patient wants.
    DbAlerts(mediconnect_shared::DoctorOnlineAlerts)
);
text_enum!(
    /// `notifications.status`: a row of the outbox.
    DbOutboxStatus(mediconnect_shared::OutboxStatus)
);
text_enum!(
    /// `notification_jobs.status`.
    DbJobStatus(JobStatus)
);

text_enum!(
    /// `account_tokens.purpose`: what a one-time link is for.
    DbPurpose(TokenPurpose)
);
text_enum!(
    /// `doctors.approval_status`: where a doctor's account is in its review.
    DbApproval(mediconnect_shared::ApprovalStatus)
);

/// What a one-time link of the account lifecycle is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    PasswordReset,
    EmailVerification,
}

impl TokenPurpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::PasswordReset => "PASSWORD_RESET",
            TokenPurpose::EmailVerification => "EMAIL_VERIFICATION",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PASSWORD_RESET" => Some(TokenPurpose::PasswordReset),
            "EMAIL_VERIFICATION" => Some(TokenPurpose::EmailVerification),
            _ => None,
        }
    }
}

/// Where a "doctor is online" job is: still expanding, or done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Done,
}

impl JobStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(JobStatus::Pending),
            "done" => Some(JobStatus::Done),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_stored_name_is_an_error_not_a_default() {
        use diesel::Connection;
        use diesel::RunQueryDsl;
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        let read = |conn: &mut diesel::SqliteConnection, text: &str| {
            diesel::select(diesel::dsl::sql::<sql_types::Text>(&format!("'{text}'")))
                .get_result::<DbRole>(conn)
        };
        assert_eq!(
            read(&mut conn, "DOCTOR").unwrap(),
            DbRole(mediconnect_shared::Role::Doctor)
        );
        let err = read(&mut conn, "SUPERUSER").unwrap_err().to_string();
        assert!(err.contains("SUPERUSER"), "{err}");
        let status = diesel::select(diesel::dsl::sql::<sql_types::Text>("'pending'"))
            .get_result::<DbJobStatus>(&mut conn)
            .unwrap();
        assert_eq!(status.0, JobStatus::Pending);
        assert!(
            diesel::select(diesel::dsl::sql::<sql_types::Text>("'Pending'"))
                .get_result::<DbJobStatus>(&mut conn)
                .is_err()
        );
    }
    use chrono::TimeZone;

    #[test]
    fn sqlite_time_text_is_fixed_width_and_ordered() {
        let a = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let b = a + chrono::Duration::microseconds(1);
        let c = a + chrono::Duration::days(400);
        let (ta, tb, tc) = (
            sqlite_time_text(&a),
            sqlite_time_text(&b),
            sqlite_time_text(&c),
        );
        assert_eq!(ta, "2026-01-02T03:04:05.000000Z");
        assert_eq!(ta.len(), tb.len());
        assert_eq!(ta.len(), tc.len());
        assert!(ta < tb && tb < tc);
    }

    #[test]
    fn sqlite_time_round_trips() {
        let t = Utc.with_ymd_and_hms(2030, 12, 31, 23, 59, 59).unwrap()
            + chrono::Duration::microseconds(123_456);
        assert_eq!(parse_sqlite_time(&sqlite_time_text(&t)).unwrap(), t);
        assert_eq!(
            parse_sqlite_time("2026-11-25 10:00:00").unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
        );
        assert!(parse_sqlite_time("yesterday").is_err());
    }
}
