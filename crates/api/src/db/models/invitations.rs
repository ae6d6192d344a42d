//! The `invitations` table: an admin's invitations of doctors and admins. Only the
//! SHA-256 of an invitation's token is stored; an invitation is accepted once, expires,
//! and can be revoked.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::invitations;
use crate::db::{AnyConnection, DbId, DbRole, DbTime};

/// An invitation, without its token's hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct InvitationRow {
    pub id: DbId,
    pub email: String,
    pub name: String,
    pub role: DbRole,
    pub specialization: Option<String>,
    pub created_at: DbTime,
    pub expires_at: DbTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation<'a> {
    pub id: DbId,
    pub email: &'a str,
    pub name: &'a str,
    pub role: DbRole,
    pub specialization: Option<&'a str>,
    pub token_hash: &'a str,
    pub invited_by: Option<DbId>,
    pub created_at: DbTime,
    pub expires_at: DbTime,
}

/// Stores the invitation, revoking an open one to the same address first: only the
/// newest link works.
pub fn insert(conn: &mut AnyConnection, new: &NewInvitation<'_>) -> QueryResult<()> {
    diesel::update(open().filter(invitations::email.eq(new.email)))
        .set(invitations::revoked_at.eq(Some(new.created_at)))
        .execute(conn)?;
    diesel::insert_into(invitations::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

type Open = diesel::dsl::Filter<
    diesel::dsl::Filter<invitations::table, diesel::dsl::IsNull<invitations::accepted_at>>,
    diesel::dsl::IsNull<invitations::revoked_at>,
>;

/// Invitations neither accepted nor revoked (expired ones included).
fn open() -> Open {
    invitations::table
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::revoked_at.is_null())
}

/// The open invitations, newest first.
pub fn list_open(conn: &mut AnyConnection) -> QueryResult<Vec<InvitationRow>> {
    open()
        .order(invitations::created_at.desc())
        .select(InvitationRow::as_select())
        .load(conn)
}

/// One invitation, as stored.
pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .find(DbId(id))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()
}

/// Revokes an open invitation. Whether there was one.
pub fn revoke(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<bool> {
    let n = diesel::update(open().filter(invitations::id.eq(DbId(id))))
        .set(invitations::revoked_at.eq(Some(DbTime(now))))
        .execute(conn)?;
    Ok(n == 1)
}

/// Accepts the open, unexpired invitation whose token hashes to `token_hash`: the
/// invitation, or `None`. Of two concurrent acceptances, one wins.
pub fn accept(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<InvitationRow>> {
    let live = open()
        .filter(invitations::token_hash.eq(token_hash))
        .filter(invitations::expires_at.gt(DbTime(now)));
    let Some(row) = live
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let n = diesel::update(open().filter(invitations::id.eq(row.id)))
        .set(invitations::accepted_at.eq(Some(DbTime(now))))
        .execute(conn)?;
    Ok((n == 1).then_some(row))
}
