//! [`KeyCheck`] and [`ProgramInfo`]: the answer of `GET /test`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// The answer of `GET /test`: the key works, and this is its program.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct KeyCheck {
    /// The program the key belongs to, when the answer names it.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub program: Option<ProgramInfo>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A program as described by `GET /test`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ProgramInfo {
    /// The public program id (used by PartneroJS).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub pub_id: Option<String>,
    /// The program's name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// The program type as sent (`affiliate`, `refer-a-friend`, ...).
    #[serde(rename = "type", deserialize_with = "lenient::opt_string")]
    pub kind: Option<String>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
