//! Doctors and their live status: `/api/doctors*` and `/api/specializations`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A doctor as patients see them. The same shape in REST answers and socket events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Doctor {
    /// The doctor id (not the user id).
    pub id: Uuid,
    pub name: String,
    pub specialization: String,
    pub is_online: bool,
    /// When the doctor last went offline; `null` if never.
    #[serde(default, deserialize_with = "crate::time::optional_instant")]
    pub last_online: Option<DateTime<Utc>>,
    /// Online and taking instant consults now (`POST /api/consults`).
    #[serde(default)]
    pub accepting_consults: bool,
}

/// Page information of a list answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// 1-based.
    pub page: u32,
    pub limit: u32,
    /// Items matching the filters, on all pages.
    pub total: u64,
    pub total_pages: u32,
}

impl Pagination {
    pub fn new(page: u32, limit: u32, total: u64) -> Self {
        let total_pages = if limit == 0 {
            0
        } else {
            total.div_ceil(u64::from(limit)).min(u64::from(u32::MAX)) as u32
        };
        Pagination {
            page,
            limit,
            total,
            total_pages,
        }
    }
}

/// The paging of every list query: `?page=` (from 1) and `?limit=`. Flattened into
/// each list's query type, so the two are written and checked once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PageQuery {
    /// 1-based page number (default 1).
    #[serde(
        default,
        deserialize_with = "crate::query_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u32>,
    /// Page size, 1 to 100 (default 20).
    #[serde(
        default,
        deserialize_with = "crate::query_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
}

impl PageQuery {
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 100;

    /// Page `page` of `limit` items.
    pub fn new(page: u32, limit: u32) -> Self {
        PageQuery {
            page: Some(page),
            limit: Some(limit),
        }
    }

    /// Adds `page` and `limit`, when set, to query-string pairs.
    pub fn add_pairs(&self, pairs: &mut Vec<(&'static str, String)>) {
        if let Some(p) = self.page {
            pairs.push(("page", p.to_string()));
        }
        if let Some(l) = self.limit {
            pairs.push(("limit", l.to_string()));
        }
    }
}

/// `GET /api/doctors`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DoctorList {
    pub doctors: Vec<Doctor>,
    pub pagination: Pagination,
}

/// `GET /api/users/follows`: the doctors a patient follows, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FollowedDoctors {
    pub doctors: Vec<Doctor>,
}

/// `GET /api/doctors/online`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OnlineDoctors {
    pub doctors: Vec<Doctor>,
}

/// One entry of `GET /api/specializations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SpecializationSummary {
    pub name: String,
    /// Active doctors with this specialization.
    pub doctors: u64,
    /// How many of them are online now.
    pub online: u64,
}

/// The query of `GET /api/doctors`. Every parameter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct DoctorQuery {
    /// Exact specialization, in any letter case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 100))]
    pub specialization: Option<String>,
    /// `true` for online doctors only, `false` for offline only.
    #[serde(
        default,
        deserialize_with = "crate::query_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub online: Option<bool>,
    /// Part of the doctor's name, in any letter case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 100))]
    pub q: Option<String>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", param(ignore))]
    pub paging: PageQuery,
}

impl DoctorQuery {
    pub const DEFAULT_LIMIT: u32 = PageQuery::DEFAULT_LIMIT;
    pub const MAX_LIMIT: u32 = PageQuery::MAX_LIMIT;

    /// The parameters as query-string pairs, for clients.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(s) = &self.specialization {
            pairs.push(("specialization", s.clone()));
        }
        if let Some(o) = self.online {
            pairs.push(("online", o.to_string()));
        }
        if let Some(q) = &self.q {
            pairs.push(("q", q.clone()));
        }
        self.paging.add_pairs(&mut pairs);
        pairs
    }
}

/// `PUT /api/doctors/status`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusUpdate {
    pub is_online: bool,
    /// While online, whether the doctor takes instant consults; left out, unchanged
    /// (going offline always stops them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepting_consults: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_pages_rounds_up() {
        assert_eq!(Pagination::new(1, 20, 0).total_pages, 0);
        assert_eq!(Pagination::new(1, 20, 1).total_pages, 1);
        assert_eq!(Pagination::new(1, 20, 20).total_pages, 1);
        assert_eq!(Pagination::new(1, 20, 21).total_pages, 2);
    }

    #[test]
    fn a_flattened_page_reads_numbers_and_booleans_from_a_query_string() {
        let q: DoctorQuery =
            serde_urlencoded::from_str("online=true&page=2&limit=5&q=meyer").unwrap();
        assert_eq!(q.online, Some(true));
        assert_eq!(q.paging, PageQuery::new(2, 5));
        assert_eq!(q.q.as_deref(), Some("meyer"));
        let none: DoctorQuery = serde_urlencoded::from_str("").unwrap();
        assert_eq!(none, DoctorQuery::default());
        for bad in ["page=abc", "limit=-1", "page=1.5", "online=yes"] {
            assert!(
                serde_urlencoded::from_str::<DoctorQuery>(bad).is_err(),
                "{bad}"
            );
        }
        // JSON keeps its types.
        let json: DoctorQuery = serde_json::from_str(r#"{"page":3,"online":false}"#).unwrap();
        assert_eq!((json.paging.page, json.online), (Some(3), Some(false)));
    }

    #[test]
    fn pairs_write_the_page_where_they_did() {
        let q = DoctorQuery {
            q: Some("a".into()),
            paging: PageQuery::new(2, 10),
            ..Default::default()
        };
        assert_eq!(
            q.pairs(),
            vec![
                ("q", "a".into()),
                ("page", "2".into()),
                ("limit", "10".into())
            ]
        );
        let back: DoctorQuery =
            serde_urlencoded::from_str(&serde_urlencoded::to_string(&q).unwrap()).unwrap();
        assert_eq!(back, q);
    }
}
