//! HS256 access tokens, valid for 15 minutes. Keys are built once at start.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mediconnect_shared::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::domain::ACCESS_TOKEN_TTL_SECS;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        // Only HS256 is accepted: a token naming another algorithm (`none`, RS256 with
        // our secret as a "public key") fails validation.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(&self, user: Uuid, role: Role) -> anyhow::Result<String> {
        self.issue_at(user, role, Utc::now().timestamp())
    }

    /// A token issued at `iat` (Unix seconds): one second after a revocation, so that
    /// the session that revoked the others survives it.
    pub fn issue_at(&self, user: Uuid, role: Role, iat: i64) -> anyhow::Result<String> {
        self.encode(&Claims {
            sub: user,
            role,
            iat,
            exp: iat + ACCESS_TOKEN_TTL_SECS as i64,
        })
    }

    pub fn encode(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let id = Uuid::new_v4();
        let token = keys.issue(id, Role::Doctor).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, id);
        assert_eq!(claims.role, Role::Doctor);
        assert_eq!(claims.exp - claims.iat, ACCESS_TOKEN_TTL_SECS as i64);
    }

    #[test]
    fn rejects_expired_foreign_and_tampered() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let now = Utc::now().timestamp();
        let expired = keys
            .encode(&Claims {
                sub: Uuid::new_v4(),
                role: Role::Patient,
                iat: now - 3600,
                exp: now - 60,
            })
            .unwrap();
        assert!(keys.verify(&expired).is_none());

        let other = JwtKeys::new(b"another-secret-another-secret-xx");
        assert!(
            keys.verify(&other.issue(Uuid::new_v4(), Role::Admin).unwrap())
                .is_none()
        );

        let token = keys.issue(Uuid::new_v4(), Role::Patient).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = parts[1].chars().rev().collect();
        assert!(keys.verify(&parts.join(".")).is_none());
    }

    #[test]
    fn rejects_alg_none() {
        use base64::Engine;
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = Utc::now().timestamp();
        let header = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body = b64.encode(format!(
            r#"{{"sub":"{}","role":"ADMIN","iat":{now},"exp":{}}}"#,
            Uuid::new_v4(),
            now + 600
        ));
        assert!(keys.verify(&format!("{header}.{body}.")).is_none());
    }
}
