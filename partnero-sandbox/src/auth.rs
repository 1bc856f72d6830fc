//! `Authorization: Bearer <key>`: which program a request talks to.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::app::AppState;
use crate::config::ProgramKind;
use crate::envelope::ApiError;

/// The program selected by the request's API key; rejects with 401 otherwise.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    /// The API key.
    pub(crate) api_key: String,
    /// Its program kind.
    pub(crate) kind: ProgramKind,
}

impl Program {
    /// 403 unless this is an affiliate program.
    pub(crate) fn require_affiliate(&self) -> Result<(), ApiError> {
        match self.kind {
            ProgramKind::Affiliate => Ok(()),
            ProgramKind::ReferAFriend | ProgramKind::Newsletter => {
                Err(ApiError::wrong_program("affiliate"))
            }
        }
    }

    /// 403 unless this is a refer-a-friend program.
    pub(crate) fn require_refer_a_friend(&self) -> Result<(), ApiError> {
        match self.kind {
            ProgramKind::ReferAFriend => Ok(()),
            ProgramKind::Affiliate | ProgramKind::Newsletter => {
                Err(ApiError::wrong_program("refer-a-friend"))
            }
        }
    }

    /// 403 unless this is a newsletter program.
    pub(crate) fn require_newsletter(&self) -> Result<(), ApiError> {
        match self.kind {
            ProgramKind::Newsletter => Ok(()),
            ProgramKind::Affiliate | ProgramKind::ReferAFriend => {
                Err(ApiError::wrong_program("newsletter"))
            }
        }
    }
}

/// The token of a `Bearer` authorization header (scheme case-insensitive).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        let token = token.trim();
        (!token.is_empty()).then_some(token)
    } else {
        None
    }
}

impl FromRequestParts<AppState> for Program {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .ok_or_else(ApiError::unauthenticated)?;
        let kind = state
            .keys
            .get(token)
            .copied()
            .ok_or_else(ApiError::unauthenticated)?;
        if kind == ProgramKind::Newsletter && !newsletter_route(parts.uri.path()) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "This action is not available for newsletter programs.",
            ));
        }
        Ok(Program {
            api_key: token.to_owned(),
            kind,
        })
    }
}

/// Whether a newsletter program may call `path`: its subscribers, webhooks, the key check and
/// the program routes. Customers, partners, transactions, leads and referral links belong to
/// the other kinds.
fn newsletter_route(path: &str) -> bool {
    let rest = path.strip_prefix("/v1/").unwrap_or(path);
    let resource = rest.split(['/', ':']).next().unwrap_or_default();
    matches!(
        resource,
        "test" | "subscribers" | "webhooks" | "settings" | "program"
    )
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn parses_bearer_tokens() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer   abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("abc"), None);
    }
}
