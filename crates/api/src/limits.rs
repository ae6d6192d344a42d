//! Abuse limits, per client: attempts on the auth endpoints (per IP and per account), a
//! general per-IP limit on the API, and open sockets per IP. GCRA: `n` per minute,
//! refilled evenly, with a burst of `n`.
//!
//! "Per IP" is per [`client_key`]: an IPv4 address, or an IPv6 client's /64, since
//! one subscriber is given a whole /64 and could take a new address for each request.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, ResponseError, web};

use crate::config::Config;
use crate::error::ApiError;

pub struct RateLimiter<K> {
    interval: Duration,
    burst: Duration,
    state: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq> RateLimiter<K> {
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

    /// `per_minute` on average, at most `burst` at once.
    pub fn with_burst(per_minute: u32, burst: u32) -> Self {
        let mut limiter = Self::per_minute(per_minute);
        limiter.burst = limiter.interval * burst;
        limiter
    }

    /// Counts one attempt; `Err(seconds)` when the client must wait.
    pub fn check(&self, key: K) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: K, now: Instant) -> Result<(), u64> {
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

/// What a client is counted by: an IPv4 address as it is; an IPv6 address by its /64
/// (its first four groups); an IPv4 address mapped into IPv6 as that IPv4 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
    }
}

fn too_many(retry_after_secs: u64) -> ApiError {
    ApiError::TooManyRequests { retry_after_secs }
}

/// Every limit of the server.
pub struct Limits {
    auth_ip: RateLimiter<IpAddr>,
    auth_account: RateLimiter<String>,
    api_ip: RateLimiter<IpAddr>,
    sockets: Mutex<HashMap<IpAddr, usize>>,
    max_sockets: usize,
    trust_proxy: bool,
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        Limits {
            auth_ip: RateLimiter::per_minute(config.auth_rate_limit_per_minute),
            auth_account: RateLimiter::per_minute(config.auth_rate_limit_per_minute),
            api_ip: RateLimiter::per_minute(config.api_rate_limit_per_minute),
            sockets: Mutex::new(HashMap::new()),
            max_sockets: config.ws_max_connections_per_ip,
            trust_proxy: config.trust_proxy,
        }
    }

    /// The client's address: the peer, or, behind a trusted proxy, the address it
    /// forwarded (`Forwarded` / `X-Forwarded-For`).
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        if self.trust_proxy
            && let Some(ip) = req.connection_info().realip_remote_addr().and_then(|a| {
                a.parse::<IpAddr>()
                    .ok()
                    .or_else(|| a.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
            })
        {
            return Some(ip);
        }
        req.peer_addr().map(|a| a.ip())
    }

    /// One attempt on an account (login and register by email, refresh by token).
    pub fn account_attempt(&self, account: &str) -> Result<(), ApiError> {
        self.auth_account
            .check(account.to_lowercase())
            .map_err(too_many)
    }

    /// Takes a socket slot of `ip` (counted by its [`client_key`]); the slot is given
    /// back when dropped.
    pub fn socket_slot(self: &Arc<Self>, ip: Option<IpAddr>) -> Result<SocketSlot, ApiError> {
        let Some(ip) = ip.map(client_key) else {
            return Ok(SocketSlot {
                limits: self.clone(),
                ip: None,
            });
        };
        let mut open = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        if self.max_sockets > 0 && *count >= self.max_sockets {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: 10,
            });
        }
        *count += 1;
        Ok(SocketSlot {
            limits: self.clone(),
            ip: Some(ip),
        })
    }
}

/// An open socket counted against its IP.
pub struct SocketSlot {
    limits: Arc<Limits>,
    ip: Option<IpAddr>,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut open = self
            .limits
            .sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&ip);
            }
        }
    }
}

/// Counts one attempt against the auth limit of the client's IP; 429 past it.
pub struct AuthAttempt;

impl FromRequest for AuthAttempt {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.app_data::<web::Data<Limits>>() {
            Some(limits) => match limits.client_ip(req) {
                Some(ip) => limits
                    .auth_ip
                    .check(client_key(ip))
                    .map(|_| AuthAttempt)
                    .map_err(too_many),
                None => Ok(AuthAttempt),
            },
            None => Ok(AuthAttempt),
        };
        ready(result)
    }
}

/// The general per-IP limit of the API (health probes and the socket excepted).
pub async fn api_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    if path.starts_with("/api/")
        && !path.starts_with("/api/health")
        && path != "/api/ws"
        && let Some(limits) = req.app_data::<web::Data<Limits>>()
        && let Some(ip) = limits.client_ip(req.request())
        && let Err(wait) = limits.api_ip.check(client_key(ip))
    {
        let response = too_many(wait).error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

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
    fn a_small_burst() {
        let limiter = RateLimiter::with_burst(120, 20);
        let t0 = Instant::now();
        for _ in 0..20 {
            assert!(limiter.check_at((), t0).is_ok());
        }
        assert!(limiter.check_at((), t0).is_err());
        assert!(
            limiter
                .check_at((), t0 + Duration::from_millis(500))
                .is_ok()
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(client_key(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        assert_eq!(
            client_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            client_key(ip("2001:db8:1:2::1"))
        );
        assert_ne!(
            client_key(ip("2001:db8:1:3::1")),
            client_key(ip("2001:db8:1:2::1"))
        );
        assert_eq!(client_key(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(client_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        // One limit for the whole /64: rotating addresses inside it does not help.
        let limiter = RateLimiter::per_minute(3);
        let t0 = Instant::now();
        for host in 1..=3u16 {
            let addr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, host));
            assert!(limiter.check_at(client_key(addr), t0).is_ok());
        }
        let rotated = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 9, 9, 9, 9));
        assert!(limiter.check_at(client_key(rotated), t0).is_err());
        let neighbour = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 2, 0, 0, 0, 1));
        assert!(limiter.check_at(client_key(neighbour), t0).is_ok());
    }

    #[test]
    fn the_socket_cap_counts_an_ipv6_64_once() {
        let config =
            Config::from_lookup(|k| (k == "WS_MAX_CONNECTIONS_PER_IP").then(|| "2".into()))
                .unwrap();
        let limits = Arc::new(Limits::new(&config));
        let v6 = |host: u16| {
            Some(IpAddr::V6(Ipv6Addr::new(
                0x2001, 0xdb8, 7, 7, host, 0, 0, 1,
            )))
        };
        let a = limits.socket_slot(v6(1)).unwrap();
        let _b = limits.socket_slot(v6(2)).unwrap();
        assert!(
            limits.socket_slot(v6(3)).is_err(),
            "a third address of the /64"
        );
        let other = Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 7, 8, 0, 0, 0, 1)));
        assert!(limits.socket_slot(other).is_ok(), "another /64");
        drop(a);
        assert!(
            limits.socket_slot(v6(4)).is_ok(),
            "a closed socket frees the /64's slot"
        );
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
