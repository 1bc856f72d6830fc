//! Partners (affiliate programs): CRUD, search and referral links.

use axum::extract::State;
use axum::http::Uri;
use rust_decimal::Decimal;

use crate::app::AppState;
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult, FieldErrors, created, done, ok};
use crate::extract::{JsonBody, PathKey};
use crate::model::Partner;
use crate::query::QueryPairs;
use crate::state::lock;
use crate::time::now_iso8601;
use crate::validate::Validator;
use crate::views;

use super::{page_of, program_mut, random_token};

/// Fields a partner create or update may carry.
struct PartnerInput {
    email: Option<String>,
    name: Option<String>,
    surname: Option<String>,
    key: Option<String>,
    id: Option<String>,
    tags: Option<Vec<String>>,
}

fn read_input(v: &mut Validator<'_>, creating: bool) -> PartnerInput {
    PartnerInput {
        email: v.email("email", creating),
        name: v.string("name", false),
        surname: v.string("surname", false),
        key: v.string("key", false),
        id: if creating {
            v.string("id", false)
        } else {
            None
        },
        tags: v.string_list("tags", false),
    }
}

fn taken(errors: &mut FieldErrors, field: &str) {
    errors
        .entry(field.to_owned())
        .or_default()
        .push(format!("The {field} has already been taken."));
}

/// `POST /v1/partners`.
pub(crate) async fn create(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    program.require_affiliate()?;
    let mut v = Validator::new(&body)?;
    let input = read_input(&mut v, true);
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let email = input.email.unwrap_or_default();
    let key = input.key.unwrap_or_else(|| random_token(8));
    let id = input.id.unwrap_or_else(|| random_token(10));
    let mut errors = FieldErrors::new();
    if data
        .partners
        .iter()
        .any(|p| p.email.eq_ignore_ascii_case(&email))
    {
        taken(&mut errors, "email");
    }
    if data.partners.iter().any(|p| p.key == key) {
        taken(&mut errors, "key");
    }
    if data.partners.iter().any(|p| p.id == id) {
        taken(&mut errors, "id");
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = now_iso8601();
    let partner = Partner {
        id,
        key,
        email,
        name: input.name,
        surname: input.surname,
        tags: input.tags.unwrap_or_default(),
        balance: Decimal::ZERO,
        created_at: now.clone(),
        updated_at: now,
    };
    let view = views::partner(&app, data, &partner);
    data.partners.push(partner);
    Ok(created(view))
}

/// `GET /v1/partners` and `GET /v1/partners:search` (filters `email`, `key`, `id`, `name`).
pub(crate) async fn list(
    State(app): State<AppState>,
    program: Program,
    query: QueryPairs,
    uri: Uri,
) -> ApiResult {
    program.require_affiliate()?;
    page_of(&app, &program, &query, &uri, |data| {
        let email = query.get("email");
        let key = query.get("key");
        let id = query.get("id");
        let name = query.get("name").map(str::to_lowercase);
        Ok(data
            .partners
            .iter()
            .filter(|p| email.is_none_or(|e| p.email.eq_ignore_ascii_case(e)))
            .filter(|p| key.is_none_or(|k| p.key == k))
            .filter(|p| id.is_none_or(|i| p.id == i))
            .filter(|p| {
                name.as_deref().is_none_or(|n| {
                    let full = format!(
                        "{} {}",
                        p.name.as_deref().unwrap_or(""),
                        p.surname.as_deref().unwrap_or("")
                    );
                    full.to_lowercase().contains(n)
                })
            })
            .map(|p| views::partner(&app, data, p))
            .collect())
    })
}

/// `GET /v1/partners/{id}` (by partner id, not referral key).
pub(crate) async fn get(
    State(app): State<AppState>,
    program: Program,
    PathKey(id): PathKey,
) -> ApiResult {
    program.require_affiliate()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = data
        .partner_index_by_id(&id)
        .ok_or_else(|| ApiError::not_found("Partner"))?;
    Ok(ok(views::partner(&app, data, &data.partners[index])))
}

/// `PUT /v1/partners/{id}`: fields at the top level or inside `update`.
pub(crate) async fn update(
    State(app): State<AppState>,
    program: Program,
    PathKey(id): PathKey,
    JsonBody(body): JsonBody,
) -> ApiResult {
    program.require_affiliate()?;
    let wrapped = body.get("update").filter(|u| u.is_object()).cloned();
    let fields = wrapped.as_ref().unwrap_or(&body);
    let mut v = Validator::new(fields)?;
    let input = read_input(&mut v, false);
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = data
        .partner_index_by_id(&id)
        .ok_or_else(|| ApiError::not_found("Partner"))?;
    let mut errors = FieldErrors::new();
    let others = || {
        data.partners
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
    };
    if let Some(email) = &input.email {
        if others().any(|(_, p)| p.email.eq_ignore_ascii_case(email)) {
            taken(&mut errors, "email");
        }
    }
    if let Some(key) = &input.key {
        if others().any(|(_, p)| &p.key == key) {
            taken(&mut errors, "key");
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let partner = &mut data.partners[index];
    if let Some(email) = input.email {
        partner.email = email;
    }
    if let Some(key) = input.key {
        partner.key = key;
    }
    if input.name.is_some() {
        partner.name = input.name;
    }
    if input.surname.is_some() {
        partner.surname = input.surname;
    }
    if let Some(tags) = input.tags {
        partner.tags = tags;
    }
    partner.updated_at = now_iso8601();
    Ok(ok(views::partner(&app, data, &data.partners[index])))
}

/// `DELETE /v1/partners/{id}`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    program: Program,
    PathKey(id): PathKey,
) -> ApiResult {
    program.require_affiliate()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = data
        .partner_index_by_id(&id)
        .ok_or_else(|| ApiError::not_found("Partner"))?;
    data.partners.remove(index);
    Ok(done())
}
