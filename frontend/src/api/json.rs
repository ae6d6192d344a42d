//! Reading the API's JSON answers into the shared DTOs, with a deserializer that
//! offers each DTO's decoder one way in (ADR 0010).
//!
//! `serde_json::from_str::<T>` compiles, for every answer type `T`, every path its
//! derived decoder might take: a struct read from a JSON object and from a JSON
//! array, each field's name read as text and as bytes, its errors written out with
//! line and column. The API only ever sends objects with named fields. So the text is
//! parsed once into a `serde_json::Value` (one decoder, whatever the type), and the
//! DTO is read from that by [`Narrow`], which calls only the visitor method that
//! matches the JSON it holds: a struct's `visit_map`, a name's `visit_string`.
//! Anything else is a plain decoding error, as it would have been.
//!
//! Where it differs from serde_json, none of which the API sends: a struct written as a
//! JSON array, an enum's name written as `{"NAME": null}`, and bytes written as text do
//! not decode; a field given twice is read once, with its last value (serde_json
//! refuses it).

use serde::de::value::StringDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde_json::{Map, Value};

/// `text` read as a `T`, if it is one.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value: Value = serde_json::from_str(text).ok()?;
    T::deserialize(Narrow(value)).ok()
}

/// Why a value could not be read. The reason is not kept: the callers only need to
/// know that an answer did not decode, and keeping it would compile serde's messages
/// for every type.
#[derive(Debug)]
pub struct Unreadable;

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unreadable JSON")
    }
}

impl std::error::Error for Unreadable {}

impl de::Error for Unreadable {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Unreadable
    }
}

/// A parsed JSON value, read by the one visitor method that fits it.
struct Narrow(Value);

impl Narrow {
    fn unsigned(self) -> Result<u64, Unreadable> {
        self.0.as_u64().ok_or(Unreadable)
    }

    fn signed(self) -> Result<i64, Unreadable> {
        self.0.as_i64().ok_or(Unreadable)
    }

    fn text(self) -> Result<String, Unreadable> {
        match self.0 {
            Value::String(s) => Ok(s),
            _ => Err(Unreadable),
        }
    }

    fn object(self) -> Result<Map<String, Value>, Unreadable> {
        match self.0 {
            Value::Object(map) => Ok(map),
            _ => Err(Unreadable),
        }
    }

    fn items(self) -> Result<Items, Unreadable> {
        match self.0 {
            Value::Array(items) => Ok(Items(items.into_iter())),
            _ => Err(Unreadable),
        }
    }
}

/// `forward!(visit_x(read): deserialize_a deserialize_b)`: each `deserialize_*` reads
/// the value with `Narrow::read` and hands it to the visitor's `visit_x`.
macro_rules! forward {
    ($visit:ident($read:ident): $($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
            visitor.$visit(self.$read()?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Narrow {
    type Error = Unreadable;

    /// For types that read whatever comes (serde's buffer for tagged enums).
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => visitor.visit_u64(u),
                (None, Some(i)) => visitor.visit_i64(i),
                _ => visitor.visit_f64(n.as_f64().ok_or(Unreadable)?),
            },
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visitor.visit_seq(Items(items.into_iter())),
            Value::Object(map) => visitor.visit_map(Fields::new(map)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_bool(self.0.as_bool().ok_or(Unreadable)?)
    }

    forward!(visit_u64(unsigned): deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64);
    forward!(visit_i64(signed): deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64);
    forward!(visit_string(text):
        deserialize_char deserialize_str deserialize_string deserialize_identifier);
    forward!(visit_seq(items): deserialize_seq deserialize_bytes deserialize_byte_buf);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_f64(self.0.as_f64().ok_or(Unreadable)?)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            _ => Err(Unreadable),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_map(Fields::new(self.object()?))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        self.deserialize_map(visitor)
    }

    /// Only unit variants, which the API sends as their names.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unreadable> {
        let name: StringDeserializer<Unreadable> = self.text()?.into_deserializer();
        visitor.visit_enum(name)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unreadable> {
        visitor.visit_unit()
    }
}

/// A JSON array's items.
struct Items(std::vec::IntoIter<Value>);

impl<'de> de::SeqAccess<'de> for Items {
    type Error = Unreadable;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Unreadable> {
        self.0
            .next()
            .map(|item| seed.deserialize(Narrow(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// A JSON object's fields, and the value of the last name read.
struct Fields {
    fields: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl Fields {
    fn new(map: Map<String, Value>) -> Self {
        Fields {
            fields: map.into_iter(),
            value: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for Fields {
    type Error = Unreadable;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Unreadable> {
        match self.fields.next() {
            Some((name, value)) => {
                self.value = Some(value);
                let name: StringDeserializer<Unreadable> = name.into_deserializer();
                seed.deserialize(name).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Unreadable> {
        seed.deserialize(Narrow(self.value.take().ok_or(Unreadable)?))
    }
}

#[cfg(test)]
mod tests {
    use super::from_str;
    use mediconnect_shared::{
        AdminUserList, Analytics, Appointment, AppointmentList, AuditList, BookingRules,
        CalendarFeed, Doctor, DoctorList, FollowedDoctors, LoginResponse, OnlineDoctors,
        OutboxList, Problem, ProfileResponse, RegisterResponse, Schedule, ServerMessage, SlotList,
        SpecializationSummary, TimeOffList, Timeseries, WaitlistList,
    };
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;

    /// Reads `text` both ways, and says whether serde_json's own decoder accepted it.
    fn compare<T: DeserializeOwned + PartialEq + Debug>(name: &str, text: &str) -> Option<T> {
        let ours = from_str::<T>(text);
        let theirs = serde_json::from_str::<T>(text).ok();
        assert_eq!(ours, theirs, "{name}: the two decoders disagree");
        ours
    }

    /// `text`, read as serde_json reads it.
    fn same<T: DeserializeOwned + PartialEq + Debug>(name: &str, text: &str) {
        assert!(
            compare::<T>(name, text).is_some(),
            "{name}: not a {}",
            std::any::type_name::<T>()
        );
    }

    macro_rules! answers {
        ($($file:literal => $ty:ty),* $(,)?) => {$(
            same::<$ty>($file, include_str!(concat!("../../tests/answers/", $file)));
        )*};
    }

    /// Every kind of answer the app reads, as the server wrote it (demo data, tokens
    /// replaced), decodes to what serde_json makes of it.
    #[test]
    fn reads_every_answer_as_serde_json_does() {
        answers! {
            "register.json" => RegisterResponse,
            "login.json" => LoginResponse,
            "profile_patient.json" => ProfileResponse,
            "profile_doctor.json" => ProfileResponse,
            "online.json" => OnlineDoctors,
            "online.json" => FollowedDoctors,
            "doctor_offline.json" => Doctor,
            "doctors.json" => DoctorList,
            "specializations.json" => Vec<SpecializationSummary>,
            "appointment.json" => Appointment,
            "appointments.json" => AppointmentList,
            "slots.json" => SlotList,
            "slots_blocked.json" => SlotList,
            "booking_rules.json" => BookingRules,
            "time_off.json" => TimeOffList,
            "calendar_feed.json" => CalendarFeed,
            "waitlist.json" => WaitlistList,
            "schedule.json" => Schedule,
            "analytics.json" => Analytics,
            "analytics_doctor.json" => Analytics,
            "timeseries.json" => Timeseries,
            "admin_users.json" => AdminUserList,
            "outbox.json" => OutboxList,
            "audit.json" => AuditList,
            "problem.json" => Problem,
            "problem_fields.json" => Problem,
            "problem_unexpected.json" => Problem,
            "problem_affected.json" => Problem,
            "ws_snapshot.json" => ServerMessage,
            "ws_doctor_status.json" => ServerMessage,
            "ws_appointment.json" => ServerMessage,
            "ws_auth_ok.json" => ServerMessage,
            "ws_error.json" => ServerMessage,
            "ws_waitlist.json" => ServerMessage,
        }
    }

    #[test]
    fn reads_time_off_and_affected_appointments() {
        let text = include_str!("../../tests/answers/time_off.json");
        let list = from_str::<TimeOffList>(text).expect("time off");
        assert_eq!(list.time_off[0].from.to_string(), "2026-12-24 13:00:00");
        assert_eq!(list.time_off[1].note, None);
        let text = include_str!("../../tests/answers/problem_affected.json");
        let problem = from_str::<Problem>(text).expect("a problem");
        assert_eq!(problem.affected.len(), 1);
    }

    #[test]
    fn reads_values_in_detail() {
        let text = include_str!("../../tests/answers/appointments.json");
        let list = from_str::<AppointmentList>(text).expect("an appointment list");
        assert_eq!(list.appointments.len(), 2);
        assert_eq!(
            list.appointments[0].reason.as_deref(),
            Some("Follow-up on blood pressure")
        );
        assert_eq!(list.appointments[1].reason, None);
        assert_eq!(list.pagination.total, 2);
        let text = include_str!("../../tests/answers/analytics_doctor.json");
        let mine = from_str::<Analytics>(text)
            .and_then(|a| a.mine)
            .expect("a doctor's figures");
        assert_eq!(mine.no_show_rate, Some(0.25));
        let text = include_str!("../../tests/answers/ws_doctor_status.json");
        match from_str::<ServerMessage>(text) {
            Some(ServerMessage::DoctorStatus { doctor }) => {
                assert!(!doctor.is_online);
                assert!(doctor.last_online.is_some());
            }
            other => panic!("not a doctor_status: {other:?}"),
        }
    }

    /// Fields a newer server adds are skipped, as serde_json skips them: the API may
    /// grow without breaking the app.
    #[test]
    fn skips_fields_it_does_not_know() {
        same::<Doctor>(
            "extra fields",
            concat!(
                r#"{"id":"e1b6f0f9-fda0-4e84-8127-e12ca5d0675a","name":"Dr. A","#,
                r#""specialization":"Cardiology","isOnline":true,"lastOnline":null,"#,
                r#""rating":{"stars":[4,5],"count":2.5},"tags":null}"#
            ),
        );
        same::<ServerMessage>(
            "extra fields in an event",
            r#"{"type":"auth_ok","replica":"b","since":12}"#,
        );
    }

    /// What serde_json refuses, this refuses too.
    #[test]
    fn refuses_what_serde_json_refuses() {
        let doctor = |fields: &str| {
            format!(r#"{{"id":"e1b6f0f9-fda0-4e84-8127-e12ca5d0675a","name":"Dr. A",{fields}}}"#)
        };
        let cases = [
            ("not JSON", "{".to_owned()),
            ("a missing field", doctor(r#""specialization":"X""#)),
            (
                "a number as text",
                doctor(r#""specialization":3,"isOnline":true"#),
            ),
            (
                "text as a flag",
                doctor(r#""specialization":"X","isOnline":"yes""#),
            ),
            (
                "a bad time",
                doctor(r#""specialization":"X","isOnline":true,"lastOnline":"yesterday""#),
            ),
            ("null for a list", r#"{"doctors":null}"#.to_owned()),
        ];
        for (name, text) in cases {
            if name == "null for a list" {
                assert_eq!(compare::<OnlineDoctors>(name, &text), None, "{name}");
            } else {
                assert_eq!(compare::<Doctor>(name, &text), None, "{name}");
            }
        }
        for (name, text) in [
            ("an unknown event", r#"{"type":"weather","sky":"blue"}"#),
            ("an event without its type", r#"{"doctors":[]}"#),
        ] {
            assert_eq!(compare::<ServerMessage>(name, text), None, "{name}");
        }
        let role = concat!(
            r#"{"id":"533f1bd9-372a-4fed-ab43-7483ee624db9","name":"N","#,
            r#""email":"n@x.test","role":"NURSE"}"#
        );
        assert_eq!(
            compare::<mediconnect_shared::UserSummary>("an unknown role", role),
            None
        );
        let counts = r#"{"name":"Cardiology","doctors":-1,"online":0}"#;
        assert_eq!(
            compare::<SpecializationSummary>("a negative count", counts),
            None
        );
    }

    /// The narrowing: a struct written as a JSON array, which serde_json accepts and the
    /// API never sends, does not decode.
    #[test]
    fn reads_structs_only_from_objects() {
        let text = r#"["Cardiology",1,1]"#;
        assert!(serde_json::from_str::<SpecializationSummary>(text).is_ok());
        assert_eq!(from_str::<SpecializationSummary>(text), None);
    }
}
