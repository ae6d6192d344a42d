//! A per-client-IP limit on the auth endpoints (login, register, refresh), so that
//! passwords cannot be guessed at speed. GCRA: `limit` attempts per minute, refilled
//! evenly, with a burst of `limit`.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::error::ApiError;

pub struct RateLimiter {
    interval: Duration,
    burst: Duration,
    state: Mutex<HashMap<IpAddr, Instant>>,
}

impl RateLimiter {
    /// `per_minute == 0` disables the limit.
    pub fn per_minute(per_minute: u32) -> Self {
        let interval = if per_minute == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs(60) / per_minute
        };
        Self {
            interval,
            burst: interval * per_minute,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt; `Err(seconds)` when the client must wait.
    pub fn check(&self, key: IpAddr) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: IpAddr, now: Instant) -> Result<(), u64> {
        if self.interval.is_zero() {
            return Ok(());
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.len() > 100_000 {
            state.retain(|_, tat| *tat > now);
        }
        // Theoretical arrival time: when the client's allowance is fully used.
        let tat = state.get(&key).copied().unwrap_or(now).max(now);
        let new_tat = tat + self.interval;
        let allowed_at = new_tat.checked_sub(self.burst).unwrap_or(now);
        if allowed_at > now {
            let wait = allowed_at - now;
            return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        }
        state.insert(key, new_tat);
        Ok(())
    }
}

/// Counts one attempt against the auth limit of the client's IP; 429 past it.
pub struct AuthAttempt;

impl FromRequest for AuthAttempt {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match (req.app_data::<web::Data<AuthLimiter>>(), req.peer_addr()) {
            (Some(limiter), Some(peer)) => limiter
                .0
                .check(peer.ip())
                .map(|_| AuthAttempt)
                .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs }),
            _ => Ok(AuthAttempt),
        };
        ready(result)
    }
}

/// The limiter of the auth endpoints, as app data.
pub struct AuthLimiter(pub RateLimiter);

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn allows_the_burst_then_refuses() {
        let limiter = RateLimiter::per_minute(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at(A, t0).is_ok());
        }
        let wait = limiter.check_at(A, t0).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        // Another client is not affected.
        assert!(limiter.check_at(B, t0).is_ok());
        // One interval later, one more attempt is allowed.
        assert!(limiter.check_at(A, t0 + Duration::from_secs(20)).is_ok());
        assert!(limiter.check_at(A, t0 + Duration::from_secs(20)).is_err());
    }

    #[test]
    fn zero_disables() {
        let limiter = RateLimiter::per_minute(0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(limiter.check_at(A, t0).is_ok());
        }
    }
}
