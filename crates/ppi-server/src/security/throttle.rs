//! Throttling of credential guesses: passwords at login, refresh tokens and API tokens.
//!
//! Failures are counted per *(user, client address)* and per *client address* alone (one address
//! trying many users). After a few free failures a key is locked, and each further failure that
//! gets through doubles the wait (1 s, 2 s, 4 s … 15 min); while locked the answer is 429 with
//! `Retry-After`, before any password is hashed, so guessing costs the server nothing. A success
//! clears the pair's count. Another user, or the same user from another address, is not
//! blocked (the address's own count aside). Counts live in a bounded cache that forgets a key
//! an hour after its last failure: many names cannot grow it without bound.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use moka::sync::Cache;

/// Failures of one (user, address) pair before the first lock.
pub const PAIR_FREE: u32 = 5;
/// Failures from one address, over every user and token, before the first lock.
pub const ADDRESS_FREE: u32 = 20;
/// The first lock; it doubles with each failure after it.
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest lock.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// A key is forgotten this long after its last failure.
const MEMORY: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    locked_until: Option<Instant>,
}

/// What a key allows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Locked: try again after this long.
    Wait(Duration),
}

/// Counted failures, shared by every route that checks a credential.
pub struct Throttle {
    counts: Cache<String, Count>,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            counts: Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(MEMORY)
                .build(),
        }
    }
}

fn pair_key(user: &str, addr: IpAddr) -> String {
    format!("pair\u{0}{}\u{0}{addr}", user.to_lowercase())
}

fn address_key(addr: IpAddr) -> String {
    format!("addr\u{0}{addr}")
}

/// The lock after `failures`, when over `free`: 1 s doubling to [`MAX_WAIT`].
fn wait_after(failures: u32, free: u32) -> Option<Duration> {
    let over = failures.checked_sub(free)?;
    let doubled = FIRST_WAIT.saturating_mul(1u32.checked_shl(over.min(20)).unwrap_or(u32::MAX));
    Some(doubled.min(MAX_WAIT))
}

impl Throttle {
    fn verdict(&self, key: &str, now: Instant) -> Verdict {
        match self.counts.get(key).and_then(|c| c.locked_until) {
            Some(until) if until > now => Verdict::Wait(until - now),
            _ => Verdict::Allowed,
        }
    }

    /// Whether `user` (or, for tokens, nobody in particular: `None`) may try from `addr` now.
    pub fn check(&self, user: Option<&str>, addr: IpAddr) -> Verdict {
        self.check_at(user, addr, Instant::now())
    }

    pub fn check_at(&self, user: Option<&str>, addr: IpAddr, now: Instant) -> Verdict {
        let by_address = self.verdict(&address_key(addr), now);
        let by_pair = user
            .map(|u| self.verdict(&pair_key(u, addr), now))
            .unwrap_or(Verdict::Allowed);
        match (by_address, by_pair) {
            (Verdict::Wait(a), Verdict::Wait(b)) => Verdict::Wait(a.max(b)),
            (Verdict::Wait(w), _) | (_, Verdict::Wait(w)) => Verdict::Wait(w),
            _ => Verdict::Allowed,
        }
    }

    fn fail(&self, key: String, free: u32, now: Instant) {
        let mut c = self.counts.get(&key).unwrap_or(Count {
            failures: 0,
            locked_until: None,
        });
        c.failures = c.failures.saturating_add(1);
        if let Some(w) = wait_after(c.failures, free) {
            c.locked_until = Some(now + w);
        }
        self.counts.insert(key, c);
    }

    /// Records a wrong credential.
    pub fn failed(&self, user: Option<&str>, addr: IpAddr) {
        self.failed_at(user, addr, Instant::now());
    }

    pub fn failed_at(&self, user: Option<&str>, addr: IpAddr, now: Instant) {
        self.fail(address_key(addr), ADDRESS_FREE, now);
        if let Some(u) = user {
            self.fail(pair_key(u, addr), PAIR_FREE, now);
        }
    }

    /// Records a right credential: the pair starts again.
    pub fn succeeded(&self, user: Option<&str>, addr: IpAddr) {
        if let Some(u) = user {
            self.counts.invalidate(&pair_key(u, addr));
        }
    }
}

/// The client's address: the peer, or, when the peer is a configured proxy, the last address
/// in `X-Forwarded-For` that is not itself a trusted proxy (the header's earlier entries are
/// the client's to write, so they are never believed).
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, proxies: &[IpAddr]) -> IpAddr {
    if !proxies.contains(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    header
        .split(',')
        .rev()
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .find(|a| !proxies.contains(a))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_pair_is_locked_after_five_failures_and_the_wait_doubles() {
        let t = Throttle::default();
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let now = Instant::now();
        for _ in 0..PAIR_FREE - 1 {
            t.failed_at(Some("ann"), a, now);
            assert_eq!(t.check_at(Some("ann"), a, now), Verdict::Allowed);
        }
        t.failed_at(Some("ann"), a, now);
        assert_eq!(t.check_at(Some("ann"), a, now), Verdict::Wait(FIRST_WAIT));
        // Another address for the same user, another user from the same address: allowed.
        assert_eq!(t.check_at(Some("ann"), b, now), Verdict::Allowed);
        assert_eq!(t.check_at(Some("bob"), a, now), Verdict::Allowed);
        // After the wait, one more failure locks for twice as long, then four times.
        let later = now + FIRST_WAIT;
        assert_eq!(t.check_at(Some("ann"), a, later), Verdict::Allowed);
        t.failed_at(Some("ANN"), a, later);
        assert_eq!(
            t.check_at(Some("ann"), a, later),
            Verdict::Wait(2 * FIRST_WAIT)
        );
        let later = later + 2 * FIRST_WAIT;
        t.failed_at(Some("ann"), a, later);
        assert_eq!(
            t.check_at(Some("ann"), a, later),
            Verdict::Wait(4 * FIRST_WAIT)
        );
        // A right password starts the pair again.
        t.succeeded(Some("ann"), a);
        assert_eq!(t.check_at(Some("ann"), a, later), Verdict::Allowed);
        assert_eq!(wait_after(200, PAIR_FREE), Some(MAX_WAIT));
    }

    #[test]
    fn an_address_trying_many_users_or_tokens_is_locked() {
        let t = Throttle::default();
        let a = ip("192.0.2.7");
        let now = Instant::now();
        for i in 0..ADDRESS_FREE {
            assert_eq!(t.check_at(None, a, now), Verdict::Allowed, "{i}");
            t.failed_at(Some(&format!("user{i}")), a, now);
        }
        assert_eq!(t.check_at(None, a, now), Verdict::Wait(FIRST_WAIT));
        assert_eq!(t.check_at(Some("new"), a, now), Verdict::Wait(FIRST_WAIT));
        assert_eq!(t.check_at(None, ip("192.0.2.8"), now), Verdict::Allowed);
    }

    #[test]
    fn forwarded_for_counts_only_from_a_configured_proxy() {
        let proxy = ip("10.1.1.1");
        let xff = Some("203.0.113.9, 198.51.100.4");
        // A direct client cannot choose its address by writing the header.
        assert_eq!(
            client_address(ip("198.51.100.77"), xff, &[proxy]),
            ip("198.51.100.77")
        );
        // Behind the proxy: the address the proxy saw (the last entry), not what the client
        // wrote before it.
        assert_eq!(client_address(proxy, xff, &[proxy]), ip("198.51.100.4"));
        assert_eq!(client_address(proxy, Some("garbage"), &[proxy]), proxy);
        assert_eq!(client_address(proxy, None, &[proxy]), proxy);
    }
}
