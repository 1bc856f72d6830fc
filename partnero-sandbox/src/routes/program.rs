//! `GET /v1/test`: checks a key and tells which program it belongs to.

use axum::extract::State;
use serde_json::json;

use crate::app::AppState;
use crate::auth::Program;
use crate::envelope::{ApiResult, ok};
use crate::state::lock;

use super::program_mut;

/// `GET /v1/test`.
pub(crate) async fn test(State(app): State<AppState>, program: Program) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let mut answer = json!({ "pub_id": data.pub_id, "name": data.name });
    if app.test_names_program {
        answer["type"] = json!(program.kind.as_api_str());
    }
    Ok(ok(json!({ "program": answer })))
}
