use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use mediconnect_shared::{Role, UserSummary};
use uuid::Uuid;

use crate::db::connection::MultiBackend;
use crate::db::schema::users;
use crate::db::{AnyConnection, DbId, DbRole, DbTime};

/// A user row. Holds the password hash, so it is never serialized.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: DbId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: DbRole,
    pub active: bool,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub time_zone: String,
    /// When the current address was confirmed; `None` until it is.
    pub email_verified_at: Option<DbTime>,
}

impl UserRow {
    /// The stored role (reading a row with another value fails).
    pub fn role(&self) -> Role {
        self.role.0
    }

    pub fn uuid(&self) -> Uuid {
        self.id.0
    }

    /// Whether the account's current address has been confirmed.
    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

impl From<&UserRow> for UserSummary {
    fn from(row: &UserRow) -> Self {
        UserSummary {
            id: row.id.0,
            name: row.name.clone(),
            email: row.email.clone(),
            role: row.role(),
            time_zone: row.time_zone.clone(),
            email_verified: row.email_verified(),
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: DbId,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: DbRole,
    pub active: bool,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    /// `crate::domain::fold(name)`, for case-insensitive search.
    pub name_folded: &'a str,
    pub time_zone: &'a str,
    /// Set for accounts whose address needs no confirming (made by an operator, from an
    /// invitation, or as demo data).
    pub email_verified_at: Option<DbTime>,
}

pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table
        .find(DbId(id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut AnyConnection, new: &NewUser<'_>) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn update_name(
    conn: &mut AnyConnection,
    id: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(DbId(id)))
        .set((
            users::name.eq(name),
            users::name_folded.eq(crate::domain::fold(name)),
            users::updated_at.eq(DbTime(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update_time_zone(conn: &mut AnyConnection, id: Uuid, zone: &str) -> QueryResult<()> {
    diesel::update(users::table.find(DbId(id)))
        .set(users::time_zone.eq(zone))
        .execute(conn)?;
    Ok(())
}

pub fn update_password_hash(
    conn: &mut AnyConnection,
    id: Uuid,
    hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(DbId(id)))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(DbTime(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the user's current address as confirmed (if it is not already). Returns
/// whether it changed.
pub fn mark_verified(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<bool> {
    let n = diesel::update(
        users::table
            .find(DbId(id))
            .filter(users::email_verified_at.is_null()),
    )
    .set(users::email_verified_at.eq(Some(DbTime(now))))
    .execute(conn)?;
    Ok(n == 1)
}

/// Gives the user a new address, not yet confirmed. A duplicate fails on the unique
/// index, whatever the concurrency.
pub fn update_email(
    conn: &mut AnyConnection,
    id: Uuid,
    email: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(DbId(id)))
        .set((
            users::email.eq(email),
            users::email_verified_at.eq(None::<DbTime>),
            users::updated_at.eq(DbTime(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the user's current address has been confirmed (`false` for no such user).
pub fn is_verified(conn: &mut AnyConnection, id: Uuid) -> QueryResult<bool> {
    let at: Option<Option<DbTime>> = users::table
        .find(DbId(id))
        .select(users::email_verified_at)
        .first(conn)
        .optional()?;
    Ok(matches!(at, Some(Some(_))))
}

/// Records that the user's access tokens issued until `now` are revoked.
pub fn set_sessions_revoked_at(
    conn: &mut AnyConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(DbId(id)))
        .set(users::sessions_revoked_at.eq(Some(DbTime(now))))
        .execute(conn)?;
    Ok(())
}

/// The users whose sessions were revoked after `since`, with when (Unix seconds).
pub fn revoked_since(
    conn: &mut AnyConnection,
    since: DateTime<Utc>,
) -> QueryResult<Vec<(Uuid, i64)>> {
    let rows: Vec<(DbId, Option<DbTime>)> = users::table
        .filter(users::sessions_revoked_at.gt(DbTime(since)))
        .select((users::id, users::sessions_revoked_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| Some((id.0, at?.0.timestamp())))
        .collect())
}

pub fn touch(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(users::table.find(DbId(id)))
        .set(users::updated_at.eq(DbTime(now)))
        .execute(conn)?;
    Ok(())
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Which users a listing shows; `None` leaves a field unfiltered.
#[derive(Debug, Default)]
pub struct Filter {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// A LIKE pattern (escaped with `\`) matched against the folded name and the email.
    pub pattern: Option<String>,
}

fn matching(filter: &Filter) -> users::BoxedQuery<'static, MultiBackend> {
    let mut query = users::table.into_boxed();
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(p) = &filter.pattern {
        query = query.filter(
            users::name_folded
                .like(p.clone())
                .escape('\\')
                .or(users::email.like(p.clone()).escape('\\')),
        );
    }
    query
}

/// The users that `filter` matches: how many in all, and page `page` (from 1) of
/// `limit` of them, newest first.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    page: u32,
    limit: u32,
) -> QueryResult<(i64, Vec<UserRow>)> {
    let total = matching(filter).count().get_result(conn)?;
    let rows = matching(filter)
        .order((users::created_at.desc(), users::id.asc()))
        .limit(i64::from(limit))
        .offset(i64::from(page - 1) * i64::from(limit))
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((total, rows))
}

/// Marks the account active or not, as changed at `now`.
pub fn set_active(
    conn: &mut AnyConnection,
    id: Uuid,
    active: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(DbId(id)))
        .set((users::active.eq(active), users::updated_at.eq(DbTime(now))))
        .execute(conn)?;
    Ok(())
}

/// The names of those of `ids` that are users, by id.
pub fn names_of(conn: &mut AnyConnection, ids: &[Uuid]) -> QueryResult<HashMap<Uuid, String>> {
    let rows: Vec<(DbId, String)> = users::table
        .filter(users::id.eq_any(ids.iter().copied().map(DbId)))
        .select((users::id, users::name))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, name)| (id.0, name)).collect())
}

/// How many users have `role`.
pub fn count_with_role(conn: &mut AnyConnection, role: Role) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(role.as_str()))
        .count()
        .get_result(conn)
}

/// When each user who registered in `[from, to)` registered.
pub fn created_between(
    conn: &mut AnyConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<DateTime<Utc>>> {
    let times: Vec<DbTime> = users::table
        .filter(users::created_at.ge(DbTime(from)))
        .filter(users::created_at.lt(DbTime(to)))
        .select(users::created_at)
        .load(conn)?;
    Ok(times.into_iter().map(|t| t.0).collect())
}
