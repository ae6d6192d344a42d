//! The `alert_audience` table: one counter, which the database moves on and stamps a
//! patient with whenever who can be alerted changes for them (ADR 0016).

use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::alert_audience;

/// The counter as it is now.
pub fn version(conn: &mut AnyConnection) -> QueryResult<i64> {
    alert_audience::table
        .select(alert_audience::version)
        .first(conn)
}
