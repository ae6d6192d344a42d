//! Messages of the WebSocket at `GET /api/ws`. Every message is a JSON object tagged
//! by `type`.

use serde::{Deserialize, Serialize};

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::{Appointment, ChatMessage, Consult, ConsultQueue, Doctor, Role, WaitlistNotice};

/// A call's signalling payload (an offer, an answer, an ICE candidate: any JSON object),
/// relayed as it was sent, never read by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SignalData(Value);

impl SignalData {
    /// `json`, if it is a JSON object.
    pub fn from_json(json: String) -> Option<SignalData> {
        match serde_json::from_str(&json).ok()? {
            v @ Value::Object(_) => Some(SignalData(v)),
            _ => None,
        }
    }

    /// The payload as JSON text.
    pub fn json(&self) -> String {
        self.0.to_string()
    }

    fn is_object(&self) -> bool {
        self.0.is_object()
    }
}

/// A message's payload that a reader decodes only where it needs it, with
/// [`Deferred::get`]: the web app reads every socket message as it comes, and the
/// consult messages' types would otherwise weigh on its first load (ADR 0010); the
/// pages that show them decode them.
#[derive(Debug, Clone, PartialEq)]
pub struct Deferred<T> {
    value: Value,
    of: PhantomData<fn() -> T>,
}

impl<T: Serialize> From<T> for Deferred<T> {
    fn from(value: T) -> Deferred<T> {
        Deferred {
            value: serde_json::to_value(value).unwrap_or(Value::Null),
            of: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> Deferred<T> {
    /// The payload, if it is a `T`.
    pub fn get(&self) -> Option<T> {
        T::deserialize(&self.value).ok()
    }
}

impl<T> Deferred<T> {
    /// The payload's JSON, undecoded.
    pub fn json(&self) -> &Value {
        &self.value
    }
}

impl<T> Serialize for Deferred<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<'de, T> Deserialize<'de> for Deferred<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Deferred {
            value: Value::deserialize(d)?,
            of: PhantomData,
        })
    }
}

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
    /// The signed-in patient's consult changed: their place in the queue, the wait, or
    /// its status (personal).
    Consult { consult: Deferred<Consult> },
    /// The signed-in doctor's consult queue changed (personal).
    ConsultQueue { queue: Deferred<ConsultQueue> },
    /// A consult was taken by its doctor: its room is open (personal, to both parties).
    /// Also sent when either party ends it (`status` `ENDED`).
    ConsultStarted { consult: Deferred<Consult> },
    /// A call signal from the other party of a consult (`from`: their role).
    #[serde(rename_all = "camelCase")]
    Signal {
        consult_id: Uuid,
        from: Role,
        data: SignalData,
    },
    /// A chat message in a consult the user is a party of (personal).
    ConsultChat { chat: Deferred<ChatMessage> },
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
    consult: Option<Deferred<Consult>>,
    queue: Option<Deferred<ConsultQueue>>,
    message: Option<String>,
    #[serde(rename = "consultId")]
    consult_id: Option<Uuid>,
    from: Option<Role>,
    data: Option<SignalData>,
    chat: Option<Deferred<ChatMessage>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Snapshot,
    DoctorStatus,
    Appointment,
    Waitlist,
    Consult,
    ConsultQueue,
    ConsultStarted,
    Signal,
    ConsultChat,
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
            Kind::Consult => ServerMessage::Consult {
                consult: wire.consult.ok_or(missing)?,
            },
            Kind::ConsultQueue => ServerMessage::ConsultQueue {
                queue: wire.queue.ok_or(missing)?,
            },
            Kind::ConsultStarted => ServerMessage::ConsultStarted {
                consult: wire.consult.ok_or(missing)?,
            },
            Kind::Signal => ServerMessage::Signal {
                consult_id: wire.consult_id.ok_or(missing)?,
                from: wire.from.ok_or(missing)?,
                data: wire.data.ok_or(missing)?,
            },
            Kind::ConsultChat => ServerMessage::ConsultChat {
                chat: wire.chat.ok_or(missing)?,
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
#[serde(tag = "type", rename_all = "snake_case", try_from = "ClientWire")]
pub enum ClientMessage {
    /// Authenticates the socket with an access token (never put it in the URL).
    Auth { token: String },
    /// A call signal for the other party of an active consult the sender is in.
    #[serde(rename_all = "camelCase")]
    Signal { consult_id: Uuid, data: SignalData },
}

/// A client message as it is read (as [`Wire`]: the payload is kept raw, which an
/// internally tagged enum cannot do).
#[derive(Deserialize)]
struct ClientWire {
    #[serde(rename = "type")]
    kind: ClientKind,
    token: Option<String>,
    #[serde(rename = "consultId")]
    consult_id: Option<Uuid>,
    data: Option<SignalData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ClientKind {
    Auth,
    Signal,
}

impl TryFrom<ClientWire> for ClientMessage {
    type Error = &'static str;

    fn try_from(wire: ClientWire) -> Result<Self, &'static str> {
        let missing = "a field of this message type is missing";
        Ok(match wire.kind {
            ClientKind::Auth => ClientMessage::Auth {
                token: wire.token.ok_or(missing)?,
            },
            ClientKind::Signal => ClientMessage::Signal {
                consult_id: wire.consult_id.ok_or(missing)?,
                data: wire
                    .data
                    .filter(SignalData::is_object)
                    .ok_or("`data` must be a JSON object")?,
            },
        })
    }
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
            accepting_consults: true,
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
            ServerMessage::Signal {
                consult_id: uuid::Uuid::from_u128(9),
                from: Role::Doctor,
                data: SignalData::from_json(r#"{"sdp":"v=0","type":"offer"}"#.into()).unwrap(),
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
    fn a_signal_keeps_its_payload() {
        let text = concat!(
            r#"{"type":"signal","consultId":"00000000-0000-0000-0000-000000000009","#,
            r#""data":{"candidate":"a b", "n": [1,2]}}"#
        );
        let ClientMessage::Signal { consult_id, data } = serde_json::from_str(text).unwrap() else {
            panic!("a signal");
        };
        assert_eq!(consult_id, uuid::Uuid::from_u128(9));
        assert_eq!(data.json(), r#"{"candidate":"a b","n":[1,2]}"#);
        for refused in [
            r#"{"type":"signal","consultId":"00000000-0000-0000-0000-000000000009","data":5}"#,
            r#"{"type":"signal","data":{}}"#,
            r#"{"type":"auth"}"#,
        ] {
            assert!(
                serde_json::from_str::<ClientMessage>(refused).is_err(),
                "{refused}"
            );
        }
        assert!(SignalData::from_json("[1]".into()).is_none());
    }

    #[test]
    fn a_deferred_payload_is_decoded_when_asked() {
        let consult = Consult {
            id: uuid::Uuid::from_u128(1),
            doctor_id: uuid::Uuid::from_u128(2),
            status: crate::ConsultStatus::Waiting,
            position: 3,
            estimated_wait_minutes: 20,
        };
        let m = ServerMessage::Consult {
            consult: consult.clone().into(),
        };
        let text = serde_json::to_string(&m).unwrap();
        assert!(text.contains(r#""position":3"#), "{text}");
        let ServerMessage::Consult { consult: read } = serde_json::from_str(&text).unwrap() else {
            panic!("a consult message");
        };
        assert_eq!(read.get(), Some(consult));
        assert_eq!(read.json()["status"], "WAITING");
        let not_a_queue: Deferred<ConsultQueue> = serde_json::from_str("5").unwrap();
        assert_eq!(not_a_queue.get(), None);
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
