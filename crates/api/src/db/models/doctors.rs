use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use mediconnect_shared::{ApprovalStatus, Doctor, DoctorProfile};
use uuid::Uuid;

use crate::db::models::presence_intervals;
use crate::db::schema::{doctors, users};
use crate::db::{AnyConnection, Db, DbApproval, DbId, DbTime};

/// Only approved doctors are listed, bookable or online.
fn approved() -> diesel::dsl::Eq<doctors::approval_status, DbApproval> {
    doctors::approval_status.eq(DbApproval(ApprovalStatus::Approved))
}

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
    pub approval_status: DbApproval,
    pub rejection_reason: Option<String>,
    pub daily_agenda: bool,
    pub accepting_consults: bool,
}

impl From<&DoctorRow> for DoctorProfile {
    fn from(row: &DoctorRow) -> Self {
        DoctorProfile {
            id: row.id.0,
            specialization: row.specialization.clone(),
            is_online: row.is_online,
            last_online: row.last_online.map(|t| t.0),
            approval_status: row.approval_status.0,
            rejection_reason: row.rejection_reason.clone(),
            daily_agenda: row.daily_agenda,
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
    pub approval_status: DbApproval,
    pub license_number: Option<&'a str>,
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

/// A doctor as an appointment names them: id, name, specialization, user id.
pub type DoctorCard = (Uuid, String, String, Uuid);

/// Each of `doctors` with its name, specialization and user id.
pub fn cards(conn: &mut AnyConnection, doctors: &[Uuid]) -> QueryResult<Vec<DoctorCard>> {
    let ids: Vec<DbId> = doctors.iter().copied().map(DbId).collect();
    let rows: Vec<(DbId, String, String, DbId)> = doctors::table
        .inner_join(users::table)
        .filter(doctors::id.eq_any(ids))
        .select((doctors::id, users::name, doctors::specialization, users::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, spec, user)| (id.0, name, spec, user.0))
        .collect())
}

/// The doctor's name.
pub fn name(conn: &mut AnyConnection, id: Uuid) -> QueryResult<String> {
    doctors::table
        .inner_join(users::table)
        .filter(doctors::id.eq(DbId(id)))
        .select(users::name)
        .first(conn)
}

/// An active, approved doctor's slot length in minutes and name; `None` for an
/// unknown, deactivated or unapproved doctor.
pub fn bookable(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<(i32, String)>> {
    doctors::table
        .inner_join(users::table)
        .filter(doctors::id.eq(DbId(id)))
        .filter(users::active.eq(true))
        .filter(approved())
        .select((doctors::slot_minutes, users::name))
        .first(conn)
        .optional()
}

/// The doctor's slot length in minutes and time zone.
pub fn slot_setting(conn: &mut AnyConnection, id: Uuid) -> QueryResult<(i32, String)> {
    doctors::table
        .find(DbId(id))
        .select((doctors::slot_minutes, doctors::time_zone))
        .first(conn)
}

/// Sets the doctor's slot length in minutes and time zone.
pub fn set_slot_setting(
    conn: &mut AnyConnection,
    id: Uuid,
    slot_minutes: i32,
    time_zone: &str,
) -> QueryResult<()> {
    diesel::update(doctors::table.find(DbId(id)))
        .set((
            doctors::slot_minutes.eq(slot_minutes),
            doctors::time_zone.eq(time_zone),
        ))
        .execute(conn)?;
    Ok(())
}

/// Where mail to the doctor goes: user id, name, email and time zone; and the
/// specialization.
pub fn contact(
    conn: &mut AnyConnection,
    id: Uuid,
) -> QueryResult<(Uuid, String, String, String, String)> {
    let (user, name, email, zone, spec): (DbId, String, String, String, String) = doctors::table
        .inner_join(users::table)
        .filter(doctors::id.eq(DbId(id)))
        .select((
            users::id,
            users::name,
            users::email,
            users::time_zone,
            doctors::specialization,
        ))
        .first(conn)?;
    Ok((user.0, name, email, zone, spec))
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

/// Turns the doctor's daily agenda email on or off.
pub fn set_daily_agenda(conn: &mut AnyConnection, user_id: Uuid, on: bool) -> QueryResult<()> {
    diesel::update(doctors::table.filter(doctors::user_id.eq(DbId(user_id))))
        .set(doctors::daily_agenda.eq(on))
        .execute(conn)?;
    Ok(())
}

/// A doctor who asked for the daily agenda: their id, name, address and time zone,
/// and the last local day whose agenda was taken in hand.
pub struct AgendaReader {
    pub doctor_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub time_zone: String,
    pub last_day: Option<NaiveDate>,
}

/// The approved, active doctors who asked for the daily agenda.
pub fn agenda_readers(conn: &mut AnyConnection) -> QueryResult<Vec<AgendaReader>> {
    let rows: Vec<(DbId, DbId, String, String, String, Option<NaiveDate>)> = doctors::table
        .inner_join(users::table)
        .filter(doctors::daily_agenda.eq(true))
        .filter(users::active.eq(true))
        .filter(approved())
        .select((
            doctors::id,
            users::id,
            users::name,
            users::email,
            users::time_zone,
            doctors::agenda_day,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(d, u, name, email, time_zone, last_day)| AgendaReader {
            doctor_id: d.0,
            user_id: u.0,
            name,
            email,
            time_zone,
            last_day,
        })
        .collect())
}

/// Takes the doctor's agenda of local day `day` in hand, unless it was already (by
/// this replica or another): whether this call did.
pub fn claim_agenda_day(
    conn: &mut AnyConnection,
    doctor: Uuid,
    day: NaiveDate,
) -> QueryResult<bool> {
    let n = diesel::update(
        doctors::table.filter(doctors::id.eq(DbId(doctor))).filter(
            doctors::agenda_day
                .is_null()
                .or(doctors::agenda_day.lt(day)),
        ),
    )
    .set(doctors::agenda_day.eq(day))
    .execute(conn)?;
    Ok(n == 1)
}

/// A doctor row with the user's name, as the directory shows it.
pub type DoctorWithName = (DoctorRow, String);

pub fn to_dto((row, name): DoctorWithName) -> Doctor {
    Doctor {
        id: row.id.0,
        name,
        specialization: row.specialization,
        is_online: row.is_online,
        last_online: row.last_online.map(|t| t.0),
        accepting_consults: row.is_online && row.accepting_consults,
    }
}

/// One doctor by id; `only_active` hides deactivated and unapproved accounts (the
/// public view).
pub fn find(conn: &mut AnyConnection, id: Uuid, only_active: bool) -> QueryResult<Option<Doctor>> {
    let mut query = doctors::table
        .inner_join(users::table)
        .filter(doctors::id.eq(DbId(id)))
        .into_boxed();
    if only_active {
        query = query.filter(users::active.eq(true)).filter(approved());
    }
    query
        .select((DoctorRow::as_select(), users::name))
        .first::<DoctorWithName>(conn)
        .optional()
        .map(|d| d.map(to_dto))
}

/// The doctor of a user account, as the directory shows it.
pub fn of_user(conn: &mut AnyConnection, user: Uuid) -> QueryResult<Option<Doctor>> {
    doctors::table
        .inner_join(users::table)
        .filter(doctors::user_id.eq(DbId(user)))
        .select((DoctorRow::as_select(), users::name))
        .first::<DoctorWithName>(conn)
        .optional()
        .map(|d| d.map(to_dto))
}

/// The online, active doctors: the presence view's truth.
pub fn load_online(conn: &mut AnyConnection) -> QueryResult<Vec<Doctor>> {
    let rows: Vec<DoctorWithName> = doctors::table
        .inner_join(users::table)
        .filter(doctors::is_online.eq(true))
        .filter(users::active.eq(true))
        .filter(approved())
        .select((DoctorRow::as_select(), users::name))
        .load(conn)?;
    Ok(rows.into_iter().map(to_dto).collect())
}

pub fn load_online_blocking(db: &Db) -> anyhow::Result<Vec<Doctor>> {
    let mut conn = db.get_blocking()?;
    load_online(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Puts a doctor online if offline, opening a presence interval. Whether it changed.
pub fn go_online(conn: &mut AnyConnection, doctor: Uuid, now: DateTime<Utc>) -> QueryResult<bool> {
    let changed = diesel::update(
        doctors::table
            .filter(doctors::id.eq(DbId(doctor)))
            .filter(doctors::is_online.eq(false)),
    )
    .set(doctors::is_online.eq(true))
    .execute(conn)?;
    if changed == 1 {
        presence_intervals::open(conn, doctor, now)?;
    }
    Ok(changed == 1)
}

/// Which active doctors the directory lists. Every field that is set must match.
#[derive(Debug, Default, Clone)]
pub struct DirectoryFilter {
    /// Folded (`crate::domain::fold`), matched whole.
    pub specialization: Option<String>,
    pub online: Option<bool>,
    /// A `LIKE` pattern (escaped with `\\`) on the folded name.
    pub name_pattern: Option<String>,
}

impl DirectoryFilter {
    fn query(&self) -> BoxedDirectory<'_> {
        let mut query = doctors::table
            .inner_join(users::table)
            .filter(users::active.eq(true))
            .into_boxed()
            .filter(approved());
        if let Some(s) = &self.specialization {
            query = query.filter(doctors::specialization_folded.eq(s.clone()));
        }
        if let Some(online) = self.online {
            query = query.filter(doctors::is_online.eq(online));
        }
        if let Some(pattern) = &self.name_pattern {
            query = query.filter(users::name_folded.like(pattern.clone()).escape('\\'));
        }
        query
    }
}

type BoxedDirectory<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Filter<
        diesel::dsl::InnerJoin<doctors::table, users::table>,
        diesel::dsl::Eq<users::active, bool>,
    >,
    <AnyConnection as diesel::Connection>::Backend,
>;

/// The `limit` doctors matching `filter` after `offset`, by name, and how many match.
pub fn directory_page(
    conn: &mut AnyConnection,
    filter: &DirectoryFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Doctor>, i64)> {
    // The page and the total in one statement: the window counts every matching row
    // before LIMIT applies.
    let rows: Vec<(DoctorRow, String, i64)> = filter
        .query()
        .order((users::name.asc(), doctors::id.asc()))
        .limit(limit)
        .offset(offset)
        .select((
            DoctorRow::as_select(),
            users::name,
            sql::<BigInt>("COUNT(*) OVER ()"),
        ))
        .load(conn)?;
    let total = match rows.first() {
        Some((_, _, total)) => *total,
        None if offset == 0 => 0,
        // Past the last page: no row carries the total.
        None => filter.query().count().get_result(conn)?,
    };
    let doctors = rows
        .into_iter()
        .map(|(row, name, _)| to_dto((row, name)))
        .collect();
    Ok((doctors, total))
}

/// Each listed doctor's specialization as written, and whether they are online.
pub fn specializations(conn: &mut AnyConnection) -> QueryResult<Vec<(String, bool)>> {
    doctors::table
        .inner_join(users::table)
        .filter(users::active.eq(true))
        .filter(approved())
        .select((doctors::specialization, doctors::is_online))
        .load(conn)
}

/// Takes a doctor offline if online, recording when. Returns the doctor if it changed.
pub fn go_offline(
    conn: &mut AnyConnection,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Option<Doctor>> {
    let changed = diesel::update(
        doctors::table
            .filter(doctors::id.eq(DbId(doctor)))
            .filter(doctors::is_online.eq(true)),
    )
    .set((
        doctors::is_online.eq(false),
        doctors::last_online.eq(Some(DbTime(now))),
        doctors::accepting_consults.eq(false),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    presence_intervals::close(conn, doctor, now)?;
    find(conn, doctor, false)
}

/// Whether `id` is the doctor id of an active, approved account: one that patients
/// may see, follow and book.
pub fn is_active(conn: &mut AnyConnection, id: Uuid) -> QueryResult<bool> {
    let n: i64 = doctors::table
        .inner_join(users::table)
        .filter(doctors::id.eq(DbId(id)))
        .filter(users::active.eq(true))
        .filter(approved())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A doctor's account as an admin reviews it: the doctor row, and the user's name,
/// email, whether the address is confirmed, whether active, and when registered.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = doctors)]
pub struct ApplicationRow {
    #[diesel(embed)]
    pub doctor: DoctorRow,
    pub license_number: Option<String>,
    #[diesel(select_expression = users::name)]
    pub name: String,
    #[diesel(select_expression = users::email)]
    pub email: String,
    #[diesel(select_expression = users::email_verified_at)]
    pub email_verified_at: Option<DbTime>,
    #[diesel(select_expression = users::active)]
    pub active: bool,
    #[diesel(select_expression = users::created_at)]
    pub registered_at: DbTime,
}

fn applications_query() -> diesel::dsl::Select<
    diesel::dsl::InnerJoin<doctors::table, users::table>,
    diesel::dsl::AsSelect<ApplicationRow, <AnyConnection as diesel::Connection>::Backend>,
> {
    doctors::table
        .inner_join(users::table)
        .select(ApplicationRow::as_select())
}

/// Doctors in `status` (all when `None`), oldest registration first: page `offset`
/// of `limit`, and how many in all.
pub fn applications(
    conn: &mut AnyConnection,
    status: Option<ApprovalStatus>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<ApplicationRow>, i64)> {
    let mut page = applications_query().into_boxed();
    let mut total = doctors::table.into_boxed();
    if let Some(status) = status {
        page = page.filter(doctors::approval_status.eq(DbApproval(status)));
        total = total.filter(doctors::approval_status.eq(DbApproval(status)));
    }
    let rows = page
        .order((users::created_at.asc(), doctors::id.asc()))
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    Ok((rows, total.count().get_result(conn)?))
}

/// One doctor's account as an admin reviews it.
pub fn application(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<ApplicationRow>> {
    applications_query()
        .filter(doctors::id.eq(DbId(id)))
        .first(conn)
        .optional()
}

/// Sets the doctor's review to `to` (with `reason` for a rejection) if it is in one of
/// `from` now. Whether it changed: of two admins deciding at once, one does.
pub fn decide(
    conn: &mut AnyConnection,
    id: Uuid,
    from: &[ApprovalStatus],
    to: ApprovalStatus,
    reason: Option<&str>,
) -> QueryResult<bool> {
    let from: Vec<DbApproval> = from.iter().copied().map(DbApproval).collect();
    let n = diesel::update(
        doctors::table
            .find(DbId(id))
            .filter(doctors::approval_status.eq_any(from)),
    )
    .set((
        doctors::approval_status.eq(DbApproval(to)),
        doctors::rejection_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// How many doctors wait for a decision.
pub fn pending_count(conn: &mut AnyConnection) -> QueryResult<i64> {
    doctors::table
        .filter(doctors::approval_status.eq(DbApproval(ApprovalStatus::Pending)))
        .count()
        .get_result(conn)
}
