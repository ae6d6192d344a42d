use diesel::prelude::*;
use mediconnect_shared::DoctorProfile;
use uuid::Uuid;

use crate::db::schema::doctors;
use crate::db::{AnyConnection, DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = doctors)]
pub struct DoctorRow {
    pub id: DbId,
    pub user_id: DbId,
    pub specialization: String,
    pub is_online: bool,
    pub last_online: Option<DbTime>,
    pub slot_minutes: i32,
    pub time_zone: String,
}

impl From<&DoctorRow> for DoctorProfile {
    fn from(row: &DoctorRow) -> Self {
        DoctorProfile {
            id: row.id.0,
            specialization: row.specialization.clone(),
            is_online: row.is_online,
            last_online: row.last_online.map(|t| t.0),
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = doctors)]
pub struct NewDoctor<'a> {
    pub id: DbId,
    pub user_id: DbId,
    pub specialization: &'a str,
    /// `crate::domain::fold(specialization)`, for the case-insensitive filter.
    pub specialization_folded: &'a str,
    pub is_online: bool,
}

pub fn insert(conn: &mut AnyConnection, new: &NewDoctor<'_>) -> QueryResult<()> {
    diesel::insert_into(doctors::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_user(conn: &mut AnyConnection, user_id: Uuid) -> QueryResult<Option<DoctorRow>> {
    doctors::table
        .filter(doctors::user_id.eq(DbId(user_id)))
        .select(DoctorRow::as_select())
        .first(conn)
        .optional()
}

pub fn update_specialization(
    conn: &mut AnyConnection,
    user_id: Uuid,
    specialization: &str,
) -> QueryResult<()> {
    diesel::update(doctors::table.filter(doctors::user_id.eq(DbId(user_id))))
        .set((
            doctors::specialization.eq(specialization),
            doctors::specialization_folded.eq(crate::domain::fold(specialization)),
        ))
        .execute(conn)?;
    Ok(())
}
