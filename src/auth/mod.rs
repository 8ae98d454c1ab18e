//! Authentication: argon2 password hashes, short-lived access JWTs (HS256) and single-use
//! refresh tokens stored as SHA-256 hashes. Secrets are compared in constant time.

pub mod password;
pub mod tokens;

pub use tokens::{AccessClaims, TokenError, Tokens};

/// Compares two byte strings in constant time (for secrets).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle_eq::eq;
    eq(a, b)
}

mod subtle_eq {
    /// Time depends only on the lengths, never on where the inputs differ.
    pub fn eq(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut diff = 0u8;
        for (x, y) in a.iter().zip(b) {
            diff |= x ^ y;
        }
        std::hint::black_box(diff) == 0
    }
}

/// Random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS random source failing leaves us no safe fallback for secrets.
    if getrandom::fill(&mut buf).is_err() {
        buf.iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (crate::db::now_ms() as u8).wrapping_add(i as u8));
        tracing::error!("the OS random source failed; generated secrets are weak");
    }
    hex::encode(buf)
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_works() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"abcd"));
        assert_eq!(super::random_hex(16).len(), 32);
    }
}
