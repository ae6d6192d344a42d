//! Messages of the WebSocket at `GET /api/ws`. Every message is a JSON object tagged
//! by `type`.

use serde::{Deserialize, Serialize};

use crate::{Appointment, Doctor, WaitlistNotice};

/// From the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "Wire")]
pub enum ServerMessage {
    /// The online doctors, sent first on every connection and again whenever the client
    /// may have missed events (it fell behind, or a replica lost its event feed).
    Snapshot { doctors: Vec<Doctor> },
    /// A doctor's status (or public details) changed.
    DoctorStatus { doctor: Doctor },
    /// An appointment of the signed-in user was booked or changed (personal).
    Appointment { appointment: Appointment },
    /// A waitlist entry of the signed-in patient changed: a time was offered to them,
    /// or the offer ended (personal).
    Waitlist { waitlist: WaitlistNotice },
    /// The `auth` message was accepted: personal events now arrive on this socket.
    AuthOk,
    /// Personal events may have been lost (this replica's event feed was cut off for a
    /// while): re-read the signed-in user's own data (their appointments).
    Resync,
    /// A message from the client was refused.
    Error { message: String },
}

/// A server message as it is read: its `type` and every variant's fields, each
/// optional. serde reads an internally tagged enum by buffering the whole message in
/// its generic `Content` form and then decoding the variant from that: a second
/// decoder for every type inside (doctors, appointments), which the web app had to
/// carry (docs/decisions/0010-spa-size.md). This struct is read in one pass.
///
/// Every variant's fields are read on every message, so a field name must keep one
/// type across all the variants that have it; a message with another variant's field
/// of another shape does not decode.
#[derive(Deserialize)]
struct Wire {
    #[serde(rename = "type")]
    kind: Kind,
    doctors: Option<Vec<Doctor>>,
    doctor: Option<Doctor>,
    appointment: Option<Appointment>,
    waitlist: Option<WaitlistNotice>,
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Snapshot,
    DoctorStatus,
    Appointment,
    Waitlist,
    AuthOk,
    Resync,
    Error,
}

impl TryFrom<Wire> for ServerMessage {
    type Error = &'static str;

    fn try_from(wire: Wire) -> Result<Self, &'static str> {
        let missing = "a field of this message type is missing";
        Ok(match wire.kind {
            Kind::Snapshot => ServerMessage::Snapshot {
                doctors: wire.doctors.ok_or(missing)?,
            },
            Kind::DoctorStatus => ServerMessage::DoctorStatus {
                doctor: wire.doctor.ok_or(missing)?,
            },
            Kind::Appointment => ServerMessage::Appointment {
                appointment: wire.appointment.ok_or(missing)?,
            },
            Kind::Waitlist => ServerMessage::Waitlist {
                waitlist: wire.waitlist.ok_or(missing)?,
            },
            Kind::AuthOk => ServerMessage::AuthOk,
            Kind::Resync => ServerMessage::Resync,
            Kind::Error => ServerMessage::Error {
                message: wire.message.ok_or(missing)?,
            },
        })
    }
}

/// From the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Authenticates the socket with an access token (never put it in the URL).
    Auth { token: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format() {
        let m = ServerMessage::Snapshot { doctors: vec![] };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"type":"snapshot","doctors":[]}"#
        );
        assert_eq!(
            serde_json::to_string(&ServerMessage::AuthOk).unwrap(),
            r#"{"type":"auth_ok"}"#
        );
        assert_eq!(
            serde_json::to_string(&ServerMessage::Resync).unwrap(),
            r#"{"type":"resync"}"#
        );
        let c: ClientMessage = serde_json::from_str(r#"{"type":"auth","token":"t"}"#).unwrap();
        assert_eq!(c, ClientMessage::Auth { token: "t".into() });
    }

    fn doctor() -> Doctor {
        Doctor {
            id: uuid::Uuid::from_u128(7),
            name: "Dr. Amara Okafor".into(),
            specialization: "Cardiology".into(),
            is_online: true,
            last_online: None,
        }
    }

    /// Every message reads back as what was written, whatever the order of its fields.
    #[test]
    fn every_message_reads_back() {
        let messages = [
            ServerMessage::Snapshot {
                doctors: vec![doctor(), doctor()],
            },
            ServerMessage::DoctorStatus { doctor: doctor() },
            ServerMessage::AuthOk,
            ServerMessage::Resync,
            ServerMessage::Error {
                message: "Send JSON text messages.".into(),
            },
        ];
        for m in messages {
            let text = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<ServerMessage>(&text).unwrap(), m);
        }
        let type_last = r#"{"message":"slow down","type":"error"}"#;
        assert_eq!(
            serde_json::from_str::<ServerMessage>(type_last).unwrap(),
            ServerMessage::Error {
                message: "slow down".into()
            }
        );
    }

    #[test]
    fn refuses_unknown_types_and_missing_fields() {
        for text in [
            r#"{"type":"weather"}"#,
            r#"{"type":"doctor_status"}"#,
            r#"{"type":"snapshot","doctor":null}"#,
            r#"{"doctors":[]}"#,
            // Another variant's field, of another shape.
            r#"{"type":"auth_ok","doctor":5}"#,
        ] {
            assert!(
                serde_json::from_str::<ServerMessage>(text).is_err(),
                "{text}"
            );
        }
    }
}
