//! Signed unsubscribe tokens: they turn alerts off without a login, for one user, until
//! they expire. `base64url(user id ‖ expiry ‖ HMAC-SHA256)`.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

pub const VALID_DAYS: i64 = 180;

fn mac(key: &[u8], user: Uuid, expires: i64) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"mediconnect-unsubscribe:");
    mac.update(user.as_bytes());
    mac.update(&expires.to_be_bytes());
    mac
}

pub fn sign(key: &[u8], user: Uuid, now: DateTime<Utc>) -> String {
    let expires = (now + Duration::days(VALID_DAYS)).timestamp();
    let tag = mac(key, user, expires).finalize().into_bytes();
    let mut bytes = Vec::with_capacity(16 + 8 + 32);
    bytes.extend_from_slice(user.as_bytes());
    bytes.extend_from_slice(&expires.to_be_bytes());
    bytes.extend_from_slice(&tag);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    Malformed,
    Expired,
}

/// The user a token was made for, if it is genuine and current.
pub fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<Uuid, Invalid> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| Invalid::Malformed)?;
    if bytes.len() != 16 + 8 + 32 {
        return Err(Invalid::Malformed);
    }
    let user = Uuid::from_slice(&bytes[..16]).map_err(|_| Invalid::Malformed)?;
    let expires = i64::from_be_bytes(bytes[16..24].try_into().map_err(|_| Invalid::Malformed)?);
    // Constant-time comparison.
    mac(key, user, expires)
        .verify_slice(&bytes[24..])
        .map_err(|_| Invalid::Malformed)?;
    if now.timestamp() > expires {
        return Err(Invalid::Expired);
    }
    Ok(user)
}

/// Why a link does not work, for the person who followed it.
pub fn reason(invalid: Invalid) -> &'static str {
    match invalid {
        Invalid::Expired => {
            "This unsubscribe link has expired. Change your alerts in your MediConnect profile."
        }
        Invalid::Malformed => {
            "This unsubscribe link is not valid. Use the link from the email as it is, or change \
             your alerts in your MediConnect profile."
        }
    }
}

fn page(title: &str, body: &str) -> String {
    use super::templates as t;
    t::wrap(
        t::UNSUBSCRIBE_PAGE,
        &[("title", &t::escape_html(title)), ("body", body)],
    )
}

/// The page that asks to confirm (mail clients use the one-click POST instead).
pub fn confirm_page(token: &str) -> String {
    use super::templates as t;
    page(
        "Stop \"doctor is online\" emails?",
        &t::html(t::UNSUBSCRIBE_CONFIRM_HTML, &[("token", token)]),
    )
}

/// The page after alerts were turned off.
pub fn done_page() -> String {
    page(
        "You are unsubscribed",
        super::templates::UNSUBSCRIBE_DONE_HTML,
    )
}

/// The page for a link that does not verify.
pub fn invalid_page(invalid: Invalid) -> String {
    use super::templates as t;
    page(
        "This link does not work",
        &t::html(t::UNSUBSCRIBE_INVALID_HTML, &[("reason", reason(invalid))]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trip_and_tamper() {
        let user = Uuid::new_v4();
        let now = Utc::now();
        let token = sign(KEY, user, now);
        assert_eq!(verify(KEY, &token, now), Ok(user));
        assert_eq!(
            verify(b"another key, another key, another", &token, now),
            Err(Invalid::Malformed)
        );
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&token)
            .unwrap();
        bytes[3] ^= 1; // another user
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(verify(KEY, &forged, now), Err(Invalid::Malformed));
        assert_eq!(verify(KEY, "garbage", now), Err(Invalid::Malformed));
        assert_eq!(
            verify(KEY, &token, now + Duration::days(VALID_DAYS + 1)),
            Err(Invalid::Expired)
        );
    }
}
