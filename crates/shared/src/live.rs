//! Messages of the WebSocket at `GET /api/ws`. Every message is a JSON object tagged
//! by `type`.

use serde::{Deserialize, Serialize};

use crate::{Appointment, Doctor};

/// From the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The online doctors, sent first on every connection and again whenever the client
    /// may have missed events (it fell behind, or a replica lost its event feed).
    Snapshot { doctors: Vec<Doctor> },
    /// A doctor's status (or public details) changed.
    DoctorStatus { doctor: Doctor },
    /// An appointment of the signed-in user was booked or changed (personal).
    Appointment { appointment: Appointment },
    /// The `auth` message was accepted: personal events now arrive on this socket.
    AuthOk,
    /// A message from the client was refused.
    Error { message: String },
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
        let c: ClientMessage = serde_json::from_str(r#"{"type":"auth","token":"t"}"#).unwrap();
        assert_eq!(c, ClientMessage::Auth { token: "t".into() });
    }
}
