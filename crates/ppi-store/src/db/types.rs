//! Column types the `Any` driver does not decode by itself, for `#[derive(sqlx::FromRow)]`:
//! a flag kept as an integer, and JSON kept as text.

/// A boolean column kept as 0 or 1 (the same on SQLite and Postgres). It serialises as a
/// plain boolean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(v: i64) -> Self {
        Flag(v != 0)
    }
}

impl std::ops::Deref for Flag {
    type Target = bool;

    fn deref(&self) -> &bool {
        &self.0
    }
}

/// A JSON document kept as text; text that is not JSON reads as absent. It serialises as the
/// document itself.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct JsonText(pub Option<serde_json::Value>);

impl From<Option<String>> for JsonText {
    fn from(v: Option<String>) -> Self {
        JsonText(v.and_then(|t| serde_json::from_str(&t).ok()))
    }
}
