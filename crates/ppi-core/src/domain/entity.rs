//! Identifiers of service entities (users, lessons, jobs) and user names. Storage keys are
//! built only from these validated values, never from client-supplied file names.

use std::fmt;

const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A time-sortable id: 48 bits of milliseconds and 80 random bits, 26 lower-case Crockford
/// base32 characters (the ULID layout).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct EntityId(String);

impl EntityId {
    /// A new id. Falls back to time-derived bits if the OS random source fails.
    pub fn new() -> Self {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let mut rnd = [0u8; 10];
        if getrandom::fill(&mut rnd).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            rnd.copy_from_slice(&nanos.to_le_bytes()[..10]);
        }
        let mut v: u128 = (ms & 0xffff_ffff_ffff) << 80;
        for (i, b) in rnd.iter().enumerate() {
            v |= u128::from(*b) << (8 * (9 - i));
        }
        let mut s = String::with_capacity(26);
        for i in (0..26).rev() {
            s.push(CROCKFORD[((v >> (5 * i)) & 31) as usize] as char);
        }
        EntityId(s)
    }

    /// Accepts only well-formed ids (safe in paths, URLs and SQL).
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 26 && s.bytes().all(|b| CROCKFORD.contains(&b))).then(|| EntityId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for EntityId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user name: 1–64 characters of `a-z 0-9 . _ -`, starting with a letter or digit. Names are
/// case-insensitive and stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Username(String);

/// Why a user name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("user name {0:?} is not valid: use 1-64 characters a-z, 0-9, '.', '_' or '-', starting with a letter or digit")]
pub struct InvalidUsername(pub String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, InvalidUsername> {
        let lower = s.trim().to_lowercase();
        let ok = !lower.is_empty()
            && lower.len() <= 64
            && lower.as_bytes()[0].is_ascii_alphanumeric()
            && lower.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if ok {
            Ok(Username(lower))
        } else {
            Err(InvalidUsername(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Role {
    /// Sees and manages everything, manages users.
    #[serde(rename = "admin")]
    Admin,
    /// Sees and changes only their own lessons.
    #[serde(rename = "DL-user")]
    DlUser,
}

/// A stored role: an unknown one reads as the least privileged.
impl From<String> for Role {
    fn from(s: String) -> Role {
        Role::parse(&s).unwrap_or(Role::DlUser)
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DlUser => "DL-user",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "admin" => Some(Role::Admin),
            "DL-user" | "dl-user" | "DL_user" | "dl_user" => Some(Role::DlUser),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[path = "entity_tests.rs"]
mod tests;
