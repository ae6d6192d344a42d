//! Doctor use cases: the directory (`GET /api/doctors*`, `/api/specializations`) and
//! the online switch (`PUT /api/doctors/status`), which emits a live event.

use std::collections::BTreeMap;

use chrono::Utc;
use mediconnect_shared::{Doctor, DoctorList, DoctorQuery, Pagination, SpecializationSummary};
use uuid::Uuid;

use crate::auth::DoctorUser;
use crate::db::AnyConnection;
use crate::db::models::doctors::{self as doctors_model, go_offline, of_user};
use crate::error::ApiError;
use crate::live::bridge::LiveEvent;
use crate::live::presence;
use crate::state::AppState;

/// Validated directory filters.
#[derive(Debug, Clone)]
pub struct Filters {
    filter: doctors_model::DirectoryFilter,
    page: u32,
    limit: u32,
}

impl Filters {
    pub fn parse(q: &DoctorQuery) -> Result<Self, ApiError> {
        let (page, limit) = crate::domain::paging(q.paging).map_err(ApiError::BadRequest)?;
        let text = |v: &Option<String>, what: &str| -> Result<Option<String>, ApiError> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(s) if s.chars().count() > 100 => Err(ApiError::BadRequest(format!(
                    "{what} must be at most 100 characters."
                ))),
                Some(s) => Ok(Some(crate::domain::fold(s))),
            }
        };
        let specialization = text(&q.specialization, "specialization")?
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
        let name_pattern =
            crate::domain::contains_pattern(q.q.as_deref(), "q").map_err(ApiError::BadRequest)?;
        Ok(Filters {
            filter: doctors_model::DirectoryFilter {
                specialization,
                online: q.online,
                name_pattern,
            },
            page,
            limit,
        })
    }
}

pub fn list_blocking(conn: &mut AnyConnection, f: &Filters) -> Result<DoctorList, ApiError> {
    let offset = i64::from(f.page - 1) * i64::from(f.limit);
    let (doctors, total) =
        doctors_model::directory_page(conn, &f.filter, i64::from(f.limit), offset)?;
    Ok(DoctorList {
        doctors,
        pagination: Pagination::new(f.page, f.limit, total.max(0) as u64),
    })
}

pub async fn list(state: &AppState, query: &DoctorQuery) -> Result<DoctorList, ApiError> {
    let filters = Filters::parse(query)?;
    state
        .db
        .run(move |conn| list_blocking(conn, &filters))
        .await
}

pub async fn get(state: &AppState, id: Uuid) -> Result<Doctor, ApiError> {
    state
        .db
        .run(move |conn| doctors_model::find(conn, id, true).map_err(ApiError::from))
        .await?
        .ok_or_else(|| ApiError::NotFound("There is no such doctor.".into()))
}

pub async fn specializations(state: &AppState) -> Result<Vec<SpecializationSummary>, ApiError> {
    let rows: Vec<(String, bool)> = state
        .db
        .run(|conn| Ok(doctors_model::specializations(conn)?))
        .await?;
    // Grouped in any letter case, named as most doctors spell it.
    let mut groups: BTreeMap<String, (BTreeMap<String, u64>, u64, u64)> = BTreeMap::new();
    for (name, online) in rows {
        let entry = groups.entry(name.to_lowercase()).or_default();
        *entry.0.entry(name).or_default() += 1;
        entry.1 += 1;
        entry.2 += u64::from(online);
    }
    let mut out: Vec<SpecializationSummary> = groups
        .into_values()
        .map(|(spellings, doctors, online)| SpecializationSummary {
            name: spellings
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(n, _)| n)
                .unwrap_or_default(),
            doctors,
            online,
        })
        .collect();
    out.sort_by_key(|s| s.name.to_lowercase());
    Ok(out)
}

/// 404 unless `doctor` is the id of an active doctor: what booking, hours, slots and
/// following ask first.
pub fn require_active(conn: &mut AnyConnection, doctor: Uuid) -> Result<(), ApiError> {
    if doctors_model::is_active(conn, doctor)? {
        Ok(())
    } else {
        Err(ApiError::NotFound("There is no such doctor.".into()))
    }
}

/// Sets the caller's status, and whether they take instant consults (`accepting`,
/// online only; unchanged when `None`; going offline stops them). Setting what a doctor
/// has already changes nothing and emits no event; a change is committed together
/// with its event.
pub async fn set_status(
    state: &AppState,
    doctor: DoctorUser,
    online: bool,
    accepting: Option<bool>,
) -> Result<Doctor, ApiError> {
    if !online && accepting == Some(true) {
        return Err(ApiError::field(
            "acceptingConsults",
            "Go online to take instant consults",
        ));
    }
    let user = doctor.0.id;
    let timing = state.presence_timing();
    let ctx = state.mail_ctx.clone();
    let (doctor, changed) = state
        .write(move |conn, effects| {
            let now = Utc::now();
            let current = of_user(conn, user)?.ok_or_else(|| {
                ApiError::NotFound("There is no doctor profile for this account.".into())
            })?;
            let accepting_changed = match accepting {
                Some(on) if online && on != current.accepting_consults => {
                    crate::db::models::consults::set_accepting(conn, current.id, on)?;
                    true
                }
                _ => false,
            };
            if current.is_online == online {
                if !accepting_changed {
                    return Ok((current, false));
                }
                let doctor = of_user(conn, user)?.unwrap_or(current);
                effects.announce(
                    conn,
                    LiveEvent::Doctor {
                        doctor: doctor.clone(),
                    },
                )?;
                return Ok((doctor, true));
            }
            let updated = if online {
                if !doctors_model::is_active(conn, current.id)? {
                    return Err(ApiError::NotYet {
                        rule: "doctor-not-approved",
                        detail: "An admin has not approved your account yet: you can go \
                                 online once they have. You will get an email."
                            .into(),
                    });
                }
                if !crate::db::models::users::is_verified(conn, user)? {
                    return Err(ApiError::email_unverified(mediconnect_shared::Role::Doctor));
                }
                let changed = doctors_model::go_online(conn, current.id, now)?;
                // Presence is tracked again from the next socket, not from old ones.
                presence::forget_dead_leases(conn, user, now, timing)?;
                // One job, expanded by the mail worker: this request stays as fast with
                // ten thousand patients as with ten.
                crate::mail::alerts::enqueue_doctor_online(conn, current.id, now)?;
                effects.wake_mail();
                changed.then_some(())
            } else {
                let went = go_offline(conn, current.id, now)?.map(|_| ());
                // Nobody waits for a doctor who is gone.
                crate::live::queue::end_queue(conn, effects, &ctx, current.id, now)?;
                went
            };
            let doctor = of_user(conn, user)?.unwrap_or(current);
            if updated.is_none() {
                return Ok((doctor, false));
            }
            effects.announce(
                conn,
                LiveEvent::Doctor {
                    doctor: doctor.clone(),
                },
            )?;
            Ok((doctor, true))
        })
        .await?;
    if changed {
        tracing::info!(doctor_id = %doctor.id, online, "doctor status changed");
    }
    Ok(doctor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_validate_paging() {
        let q = |page, limit| DoctorQuery {
            paging: mediconnect_shared::PageQuery { page, limit },
            ..Default::default()
        };
        assert!(Filters::parse(&q(Some(0), None)).is_err());
        assert!(Filters::parse(&q(None, Some(0))).is_err());
        assert!(Filters::parse(&q(None, Some(101))).is_err());
        let f = Filters::parse(&q(None, None)).unwrap();
        assert_eq!((f.page, f.limit), (1, 20));
        assert!(Filters::parse(&q(Some(3), Some(100))).is_ok());
    }

    #[test]
    fn name_search_escapes_wildcards() {
        let f = Filters::parse(&DoctorQuery {
            q: Some(" 50%_Off\\ ".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(f.filter.name_pattern.as_deref(), Some("%50\\%\\_off\\\\%"));
        let f = Filters::parse(&DoctorQuery {
            specialization: Some("  Internal   MEDICINE ".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            f.filter.specialization.as_deref(),
            Some("internal medicine")
        );
    }
}
