//! [`ProgramOverview`]: the dashboard figures of `GET /program/overview`. (`GET /program`
//! answers a [`ProgramInfo`](super::ProgramInfo), as `GET /test` does.)

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `GET /program/overview`: the dashboard figures. Partnero does not document their names, so
/// they are kept as sent; read them with [`get`](Self::get).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
#[non_exhaustive]
pub struct ProgramOverview {
    /// Every figure, by name.
    pub figures: Map<String, Value>,
}

impl ProgramOverview {
    /// One figure by name (`partners`, `customers`, `revenue`, ... as the server names them).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.figures.get(name)
    }
}
