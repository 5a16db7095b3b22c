//! Rate limits: how many requests a caller may make to one instance per minute.
//!
//! - An authenticated caller is counted by who it is (the kind and id of its actor: an API
//!   key's id, a token's subject), whatever address it calls from: `LABNET_RATE_LIMIT_PER_KEY`.
//! - A request without credentials is counted by its client address:
//!   `LABNET_RATE_LIMIT_ANONYMOUS`. So is one whose credentials authentication refuses
//!   (its 401, or a 429 once the address is over its quota): guessing keys costs the same
//!   quota as anonymous calls do. Outside `/v1` credentials are not read, so every request
//!   there counts by address. The address is the connection's peer, or, when the peer
//!   is one of `LABNET_TRUSTED_PROXIES`, the address that proxy (and any trusted proxy
//!   before it) names in `X-Forwarded-For`. An IPv6 address counts by its /64 network,
//!   which one host usually holds whole.
//!
//! Each quota refills continuously (the generic cell rate algorithm: one request per
//! `60 s / quota`), and up to `LABNET_RATE_LIMIT_BURST` requests (by default the whole
//! quota) may arrive at once. The state is per instance: behind a load balancer over `n`
//! instances a caller can make up to `n` times the quota.
//!
//! Every answered request carries `RateLimit-Policy` and `RateLimit` as the IETF httpapi
//! draft (draft-ietf-httpapi-ratelimit-headers) writes them: `"caller";q=6000;w=60` and
//! `"caller";r=<remaining>;t=<seconds until the quota is whole again>`. One over the limit
//! gets 429 `/problems/rate-limited` with `Retry-After` (whole seconds, at least 1) and
//! `t` set to the same. `/healthz`, `/readyz` and `/metrics` are never limited (nor
//! counted), so probes and scrapers cannot be starved by clients sharing their address.
//!
//! Memory is bounded: each limiter remembers at most about `LABNET_RATE_LIMIT_CLIENTS`
//! callers (or addresses). A full table first forgets the entries whose quota is whole
//! again (indistinguishable from a caller never seen), then, if every entry is still in use,
//! the eighth closest to whole. The table is split into shards, each behind its own lock, so
//! workers checking different callers rarely wait on each other.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use ipnet::IpNet;

use crate::config::Settings;
use crate::core::auth::{ActorKind, Caller};
use crate::core::error::DomainError;

/// `RateLimit-Policy`, as the spec and the CORS layer spell it.
pub const POLICY_HEADER: &str = "RateLimit-Policy";
/// `RateLimit`, as the spec and the CORS layer spell it.
pub const STATE_HEADER: &str = "RateLimit";

const POLICY_HEADER_NAME: HeaderName = HeaderName::from_static("ratelimit-policy");
const STATE_HEADER_NAME: HeaderName = HeaderName::from_static("ratelimit");

/// The policy name of the per-caller quota, in the RateLimit headers.
pub const CALLER_POLICY: &str = "caller";
/// The policy name of the per-address quota of anonymous requests.
pub const ADDRESS_POLICY: &str = "address";

/// The window every quota is stated over, in seconds (`w`).
const WINDOW_SECONDS: u64 = 60;

/// Most `X-Forwarded-For` entries read, right to left, before the walk stops: a chain of
/// trusted proxies longer than this is not a real deployment.
const MAX_FORWARDED_HOPS: usize = 16;

/// Most shards one limiter's table is split into.
const MAX_SHARDS: usize = 64;
/// Fewest keys a shard is sized for: a small table is one shard, so that its bound
/// forgets the idlest keys of the whole table, not whichever share a tiny shard.
const MIN_SHARD_KEYS: usize = 1024;

/// Paths that are never limited: liveness, readiness and metrics.
pub fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The limiters of one instance, shared by its workers.
pub struct RateLimits {
    callers: Option<Limiter<(ActorKind, String)>>,
    addresses: Option<Limiter<IpAddr>>,
    trusted_proxies: Vec<IpNet>,
}

impl RateLimits {
    /// The limiters the settings ask for; a quota of 0 turns its limiter off.
    pub fn new(settings: &Settings) -> Result<Self, String> {
        let capacity = settings.rate_limit_clients.max(1);
        let burst = settings.rate_limit_burst;
        Ok(Self {
            callers: Limiter::new(CALLER_POLICY, settings.rate_limit_per_key, burst, capacity),
            addresses: Limiter::new(
                ADDRESS_POLICY,
                settings.rate_limit_anonymous,
                burst,
                capacity,
            ),
            trusted_proxies: settings.trusted_proxy_list()?,
        })
    }

    /// Counts one request of `caller` (an anonymous one by `address`), or refuses it.
    fn check(&self, caller: Option<&Caller>, address: impl FnOnce() -> IpAddr) -> Option<Verdict> {
        match caller {
            Some(caller) if caller.actor.kind != ActorKind::Anonymous => {
                let limiter = self.callers.as_ref()?;
                Some(limiter.check((caller.actor.kind, caller.actor.id.clone())))
            }
            _ => {
                let limiter = self.addresses.as_ref()?;
                Some(limiter.check(address_bucket(address())))
            }
        }
    }

    /// The client address of a request: its peer, or what trusted proxies say in
    /// `X-Forwarded-For` (the rightmost entry not itself a trusted proxy).
    fn client_address(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> IpAddr {
        let peer = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |peer| {
            peer.ip().to_canonical()
        });
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let values: Vec<&HeaderValue> = headers.get_all(X_FORWARDED_FOR).collect();
        let mut hops = 0;
        'walk: for value in values.into_iter().rev() {
            let Ok(text) = value.to_str() else {
                break;
            };
            for entry in text.rsplit(',') {
                hops += 1;
                if hops > MAX_FORWARDED_HOPS {
                    break 'walk;
                }
                // An entry a trusted proxy passed on that is no address (`unknown`, a
                // hidden name): the client is not known past it; the proxy is the client.
                let Some(address) = forwarded_address(entry.trim()) else {
                    break 'walk;
                };
                client = address;
                if !self.trusts(client) {
                    break 'walk;
                }
            }
        }
        client
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.trusted_proxies
            .iter()
            .any(|network| network.contains(&address))
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// An `X-Forwarded-For` entry: an address, with or without a port (`[v6]:port`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

/// What an address is counted as: an IPv4 address itself, an IPv6 address its /64.
fn address_bucket(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u64::MAX as u128))),
    }
}

/// The outcome of counting one request.
enum Verdict {
    Allowed {
        policy: HeaderValue,
        state: HeaderValue,
    },
    Refused(Refusal),
}

/// A request over its limit, with what its 429 says.
struct Refusal {
    policy: HeaderValue,
    state: HeaderValue,
    retry_after: u64,
    quota: u32,
    name: &'static str,
}

/// One quota over a bounded, sharded table of theoretical arrival times.
struct Limiter<K> {
    name: &'static str,
    quota: u32,
    /// Nanoseconds one request uses up (`60 s / quota`).
    interval: u64,
    /// How far ahead of now a key's arrival time may run: `(burst - 1) × interval`.
    tolerance: u64,
    policy: HeaderValue,
    epoch: Instant,
    hasher: RandomState,
    shards: Box<[Mutex<HashMap<K, u64>>]>,
    shard_capacity: usize,
}

/// A decision on one key, in nanoseconds and counts.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Allowed { remaining: u64, reset: u64 },
    Refused { retry_after: u64 },
}

/// Whole seconds covering `nanos`.
fn ceil_seconds(nanos: u64) -> u64 {
    nanos.div_ceil(1_000_000_000)
}

impl<K: Hash + Eq> Limiter<K> {
    fn new(name: &'static str, quota: u32, burst: u32, capacity: usize) -> Option<Self> {
        if quota == 0 {
            return None;
        }
        let burst = if burst == 0 { quota } else { burst.min(quota) };
        let interval = (Duration::from_secs(WINDOW_SECONDS).as_nanos() / u128::from(quota)) as u64;
        let shards = (capacity / MIN_SHARD_KEYS).clamp(1, MAX_SHARDS);
        let policy = HeaderValue::from_str(&format!("\"{name}\";q={quota};w={WINDOW_SECONDS}"))
            .unwrap_or_else(|_| HeaderValue::from_static("\"default\""));
        Some(Self {
            name,
            quota,
            interval,
            tolerance: interval * u64::from(burst - 1),
            policy,
            epoch: Instant::now(),
            hasher: RandomState::new(),
            shards: (0..shards).map(|_| Mutex::new(HashMap::new())).collect(),
            shard_capacity: capacity.div_ceil(shards),
        })
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn shard(&self, key: &K) -> MutexGuard<'_, HashMap<K, u64>> {
        let index = (self.hasher.hash_one(key) % self.shards.len() as u64) as usize;
        // The table holds plain numbers: one left by a panicking holder is still usable.
        self.shards[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one request of `key` now.
    fn check(&self, key: K) -> Verdict {
        let decision = self.decide(key, self.now());
        self.verdict(decision)
    }

    fn decide(&self, key: K, now: u64) -> Decision {
        let mut shard = self.shard(&key);
        if let Some(arrival) = shard.get_mut(&key) {
            let (decision, next) = self.gcra(Some(*arrival), now);
            if let Some(next) = next {
                *arrival = next;
            }
            return decision;
        }
        if shard.len() >= self.shard_capacity {
            self.make_room(&mut shard, now);
        }
        let (decision, next) = self.gcra(None, now);
        if let Some(next) = next {
            shard.insert(key, next);
        }
        decision
    }

    /// GCRA: a request conforms when the key's theoretical arrival time is at most
    /// `tolerance` ahead of now; it then moves that time on by one `interval`.
    fn gcra(&self, arrival: Option<u64>, now: u64) -> (Decision, Option<u64>) {
        let arrival = arrival.unwrap_or(now).max(now);
        let conforms_at = arrival.saturating_sub(self.tolerance);
        if now < conforms_at {
            let retry_after = ceil_seconds(conforms_at - now).max(1);
            return (Decision::Refused { retry_after }, None);
        }
        let next = arrival.saturating_add(self.interval);
        let remaining = (now + self.tolerance + self.interval).saturating_sub(next) / self.interval;
        let reset = ceil_seconds(next - now);
        (Decision::Allowed { remaining, reset }, Some(next))
    }

    /// Frees room in a full shard: first every key whose quota is whole again, then, if
    /// none was, the eighth of the shard closest to whole (so a table full of busy keys is
    /// not scanned again on every new key).
    fn make_room(&self, shard: &mut HashMap<K, u64>, now: u64) {
        shard.retain(|_, arrival| *arrival > now);
        if shard.len() < self.shard_capacity {
            return;
        }
        let mut arrivals: Vec<u64> = shard.values().copied().collect();
        let cut = (arrivals.len() / 8).clamp(1, arrivals.len());
        let (below, threshold, _) = arrivals.select_nth_unstable(cut - 1);
        let threshold = *threshold;
        // Exactly `cut` go, ties at the threshold included: keys that arrived together
        // (all at once, at start-up) must not empty the shard.
        let mut ties = cut - below.iter().filter(|arrival| **arrival < threshold).count();
        shard.retain(|_, arrival| {
            if *arrival < threshold {
                return false;
            }
            if *arrival == threshold && ties > 0 {
                ties -= 1;
                return false;
            }
            true
        });
    }

    fn verdict(&self, decision: Decision) -> Verdict {
        let state = |remaining: u64, reset: u64| {
            HeaderValue::from_str(&format!("\"{}\";r={remaining};t={reset}", self.name))
                .unwrap_or_else(|_| HeaderValue::from_static("\"default\""))
        };
        match decision {
            Decision::Allowed { remaining, reset } => Verdict::Allowed {
                policy: self.policy.clone(),
                state: state(remaining, reset),
            },
            Decision::Refused { retry_after } => Verdict::Refused(Refusal {
                policy: self.policy.clone(),
                state: state(0, retry_after),
                retry_after,
                quota: self.quota,
                name: self.name,
            }),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().map_or(0, |shard| shard.len()))
            .sum()
    }
}

/// Limits each caller's requests (see the module documentation), adding the RateLimit
/// headers to every answer it lets through and answering 429 past the limit.
///
/// It must run **after authentication** (wrapped inside the middleware that puts the
/// [`Caller`] in the request's extensions), so that a caller with credentials is counted
/// by its key or token, not by its address; a request without a `Caller` is counted as
/// anonymous. Requests whose credentials authentication refuses never get here: it counts
/// them itself through [`refused_credentials`]. It must run inside the request-id layer, so
/// that its 429 documents carry the request id, and inside CORS, so that browsers may read
/// them.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let verdict = {
        let extensions = req.extensions();
        count(&req, extensions.get::<Caller>())
    };
    match verdict {
        None => Ok(next.call(req).await?.map_into_left_body()),
        Some(Verdict::Allowed { policy, state }) => {
            let mut response = next.call(req).await?;
            set_headers(response.headers_mut(), policy, state);
            Ok(response.map_into_left_body())
        }
        Some(Verdict::Refused(refused)) => {
            let (request, _) = req.into_parts();
            Ok(ServiceResponse::new(request, refusal(refused)).map_into_right_body())
        }
    }
}

/// The answer to a request whose credentials were refused (`error`, a 401): counted
/// against its client address like a request without credentials, so that guessing keys
/// costs the same quota as anonymous calls do, and answered 429 instead once the address
/// is over it.
pub fn refused_credentials(req: ServiceRequest, error: DomainError) -> ServiceResponse {
    match count(&req, None) {
        Some(Verdict::Allowed { policy, state }) => {
            let mut response = error.error_response();
            set_headers(response.headers_mut(), policy, state);
            req.into_response(response)
        }
        Some(Verdict::Refused(refused)) => req.into_response(refusal(refused)),
        None => req.into_response(error.error_response()),
    }
}

/// Counts one request of `caller` (`None`: by its address), unless its path is exempt or
/// no limit applies.
fn count(req: &ServiceRequest, caller: Option<&Caller>) -> Option<Verdict> {
    if exempt(req.path()) {
        return None;
    }
    let limits = req.app_data::<web::Data<RateLimits>>()?;
    limits.check(caller, || {
        limits.client_address(req.peer_addr(), req.headers())
    })
}

fn set_headers(headers: &mut HeaderMap, policy: HeaderValue, state: HeaderValue) {
    headers.insert(POLICY_HEADER_NAME, policy);
    headers.insert(STATE_HEADER_NAME, state);
}

/// The 429 problem document of a refused request.
fn refusal(refused: Refusal) -> HttpResponse {
    let Refusal {
        policy,
        state,
        retry_after,
        quota,
        name,
    } = refused;
    let counted = if name == CALLER_POLICY {
        "for this API key or token"
    } else {
        "from this address without valid credentials"
    };
    let error = DomainError::TooManyRequests {
        detail: format!(
            "too many requests {counted}: the limit is {quota} per minute; retry in \
             {retry_after} s"
        ),
        retry_after,
    };
    let mut response = error.error_response();
    set_headers(response.headers_mut(), policy, state);
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    fn limiter(quota: u32, burst: u32, capacity: usize) -> Limiter<u32> {
        Limiter::new("test", quota, burst, capacity).unwrap()
    }

    #[test]
    fn the_whole_quota_may_come_at_once_then_it_refills_steadily() {
        let limiter = limiter(3, 0, 10);
        let t0 = 100 * SECOND;
        let allowed = |remaining, reset| Decision::Allowed { remaining, reset };
        assert_eq!(limiter.decide(1, t0), allowed(2, 20));
        assert_eq!(limiter.decide(1, t0), allowed(1, 40));
        assert_eq!(limiter.decide(1, t0), allowed(0, 60));
        assert_eq!(limiter.decide(1, t0), Decision::Refused { retry_after: 20 });
        // A refused request does not count: 20 s on, one request is due again.
        assert_eq!(
            limiter.decide(1, t0 + 19 * SECOND + 1),
            Decision::Refused { retry_after: 1 }
        );
        assert_eq!(limiter.decide(1, t0 + 20 * SECOND), allowed(0, 60));
        // Another key has its own quota.
        assert_eq!(limiter.decide(2, t0), allowed(2, 20));
        // After a whole minute of silence the quota is whole again.
        assert_eq!(limiter.decide(1, t0 + 200 * SECOND), allowed(2, 20));
    }

    #[test]
    fn a_burst_smaller_than_the_quota_holds_callers_to_the_rate() {
        let limiter = limiter(600, 2, 10);
        let t0 = SECOND;
        assert!(matches!(
            limiter.decide(7, t0),
            Decision::Allowed { remaining: 1, .. }
        ));
        assert!(matches!(
            limiter.decide(7, t0),
            Decision::Allowed { remaining: 0, .. }
        ));
        assert_eq!(limiter.decide(7, t0), Decision::Refused { retry_after: 1 });
        // One request per 100 ms.
        assert!(matches!(
            limiter.decide(7, t0 + SECOND / 10),
            Decision::Allowed { remaining: 0, .. }
        ));
        // A burst larger than the quota is the quota.
        let capped = Limiter::<u32>::new("test", 2, 50, 10).unwrap();
        assert_eq!(capped.tolerance, capped.interval);
    }

    #[test]
    fn the_table_stays_bounded() {
        let t0 = SECOND;
        for capacity in [1, 64, 5000] {
            let table = limiter(60, 0, capacity);
            for key in 0..20_000 {
                table.decide(key, t0);
            }
            assert!(
                table.len() <= capacity && table.len() > capacity * 3 / 4,
                "{} keys kept of {capacity}",
                table.len()
            );
        }
    }

    #[test]
    fn a_full_table_forgets_whole_quotas_first_then_the_least_used() {
        let t0 = SECOND;
        // Key 1's quota is whole again two minutes on: it makes room for key 2.
        let table = limiter(60, 0, 1);
        table.decide(1, t0);
        table.decide(1, t0);
        table.decide(2, t0 + 120 * SECOND);
        assert_eq!(table.len(), 1);
        assert!(matches!(
            table.decide(2, t0 + 120 * SECOND),
            Decision::Allowed { remaining: 58, .. }
        ));
        // Eight busy keys, key k having made k + 1 requests: a ninth forgets key 0, the one
        // closest to a whole quota, and the others keep their counts.
        let table = limiter(60, 0, 8);
        for key in 0..8u32 {
            for _ in 0..=key {
                table.decide(key, t0);
            }
        }
        table.decide(100, t0);
        assert_eq!(table.len(), 8);
        assert_eq!(
            table.decide(7, t0),
            Decision::Allowed {
                remaining: 51,
                reset: 9
            }
        );
        assert_eq!(
            table.decide(0, t0),
            Decision::Allowed {
                remaining: 59,
                reset: 1
            },
            "key 0 was forgotten"
        );
    }

    #[test]
    fn a_quota_of_zero_turns_the_limit_off() {
        assert!(Limiter::<u32>::new("test", 0, 0, 10).is_none());
        let settings = Settings {
            rate_limit_per_key: 0,
            rate_limit_anonymous: 0,
            ..Settings::default()
        };
        let limits = RateLimits::new(&settings).unwrap();
        assert!(limits
            .check(None, || IpAddr::V4(Ipv4Addr::LOCALHOST))
            .is_none());
    }

    fn limits_trusting(proxies: &str) -> RateLimits {
        RateLimits::new(&Settings {
            trusted_proxies: proxies.to_owned(),
            ..Settings::default()
        })
        .unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let peer = |text: &str| Some(SocketAddr::new(ip(text), 4000));
        let headers = forwarded(&["198.51.100.7, 10.0.0.2"]);
        let untrusting = limits_trusting("");
        assert_eq!(
            untrusting.client_address(peer("10.0.0.1"), &headers),
            ip("10.0.0.1")
        );
        let trusting = limits_trusting("10.0.0.0/8");
        // Right to left past every trusted proxy.
        assert_eq!(
            trusting.client_address(peer("10.0.0.1"), &headers),
            ip("198.51.100.7")
        );
        // A peer outside the list is the client, whatever it claims.
        assert_eq!(
            trusting.client_address(peer("203.0.113.9"), &headers),
            ip("203.0.113.9")
        );
        // What a client wrote before the first trusted proxy is not believed.
        let spoofed = forwarded(&["1.2.3.4", "198.51.100.7"]);
        assert_eq!(
            trusting.client_address(peer("10.0.0.1"), &spoofed),
            ip("198.51.100.7")
        );
        // Ports, IPv6 and IPv4-mapped forms are read; an unreadable entry stops the walk.
        let with_ports = forwarded(&["[2001:db8::1]:443, 198.51.100.8:80"]);
        assert_eq!(
            limits_trusting("10.0.0.0/8, 198.51.100.8")
                .client_address(peer("::ffff:10.0.0.1"), &with_ports),
            ip("2001:db8::1")
        );
        let unknown = forwarded(&["unknown"]);
        assert_eq!(
            trusting.client_address(peer("10.0.0.1"), &unknown),
            ip("10.0.0.1")
        );
        assert_eq!(
            trusting.client_address(None, &headers),
            ip("0.0.0.0"),
            "no peer: one shared bucket"
        );
    }

    #[test]
    fn an_ipv6_host_counts_by_its_network() {
        assert_eq!(
            address_bucket(ip("2001:db8:1:2:aaaa::1")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(address_bucket(ip("192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn headers_follow_the_draft_syntax() {
        let limiter = limiter(6000, 0, 10);
        let Verdict::Allowed { policy, state } = limiter.check(1) else {
            panic!("refused");
        };
        assert_eq!(policy, "\"test\";q=6000;w=60");
        assert_eq!(state, "\"test\";r=5999;t=1");
    }
}
