//! Customers of both program kinds: create (with attribution), get, list,
//! search, update, delete and their transactions.

use axum::extract::State;
use axum::http::{StatusCode, Uri};

use crate::app::AppState;
use crate::auth::Program;
use crate::config::ProgramKind;
use crate::envelope::{ApiError, ApiResult, FieldErrors, created, done, ok};
use crate::extract::{JsonBody, PathKey};
use crate::model::{Customer, PartnerRef};
use crate::query::QueryPairs;
use crate::state::{ProgramData, lock};
use crate::time::now_iso8601;
use crate::validate::Validator;
use crate::views;

use super::{page_of, program_mut, random_token};

/// How a sign-up names its partner (affiliate) or referrer (refer-a-friend).
#[derive(Debug, Default)]
pub(crate) struct Attribution {
    pub(crate) key: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) email: Option<String>,
}

impl Attribution {
    fn is_empty(&self) -> bool {
        self.key.is_none() && self.id.is_none() && self.email.is_none()
    }
}

/// A customer to create.
#[derive(Debug, Default)]
pub(crate) struct NewCustomer {
    pub(crate) key: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) surname: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) referral_url: Option<String>,
    pub(crate) date_of_birth: Option<String>,
    /// `partner{}` (affiliate) or `referring_customer{}` (refer-a-friend).
    pub(crate) attribution: Option<Attribution>,
}

/// Whether `s` looks like `YYYY-MM-DD`.
pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31))
}

/// Reads the customer fields of a create body (`prefix` is `""` or `"customer."`).
pub(crate) fn read_new_customer(
    v: &mut Validator<'_>,
    kind: ProgramKind,
    prefix: &str,
    key_required: bool,
) -> NewCustomer {
    let f = |name: &str| format!("{prefix}{name}");
    let mut new = NewCustomer {
        key: v.string(&f("key"), key_required),
        email: v.email(&f("email"), false),
        name: v.string(&f("name"), false),
        surname: v.string(&f("surname"), false),
        ..NewCustomer::default()
    };
    match kind {
        ProgramKind::Affiliate | ProgramKind::Newsletter => {
            new.tags = v.string_list(&f("tags"), false).unwrap_or_default();
            if v.object(&f("options"), false).is_some() {
                new.referral_url = v.string(&f("options.referral_url"), false);
            }
            new.attribution = read_attribution(v, kind, prefix);
        }
        ProgramKind::ReferAFriend => {
            new.id = v.string(&f("id"), false);
            if v.object(&f("metadata"), false).is_some() {
                let path = f("metadata.date_of_birth");
                new.date_of_birth = v.string(&path, false);
                if new.date_of_birth.as_deref().is_some_and(|d| !is_date(d)) {
                    v.error(
                        &path,
                        format!("The {path} does not match the format Y-m-d."),
                    );
                }
            }
            new.attribution = read_attribution(v, kind, prefix);
        }
    }
    new
}

/// Reads `{prefix}partner{}` (affiliate) or `{prefix}referring_customer{}` (refer-a-friend).
pub(crate) fn read_attribution(
    v: &mut Validator<'_>,
    kind: ProgramKind,
    prefix: &str,
) -> Option<Attribution> {
    let f = |name: &str| format!("{prefix}{name}");
    match kind {
        ProgramKind::Affiliate | ProgramKind::Newsletter => {
            v.object(&f("partner"), false)?;
            let attribution = Attribution {
                key: v.string(&f("partner.key"), false),
                id: v.string(&f("partner.id"), false),
                email: v.string(&f("partner.email"), false),
            };
            // `{"partner": {"key": null}}` is what "no partner" looks like in many integrations.
            (!attribution.is_empty()).then_some(attribution)
        }
        ProgramKind::ReferAFriend => {
            v.object(&f("referring_customer"), false)?;
            let attribution = Attribution {
                key: v.string(&f("referring_customer.key"), false),
                id: v.string(&f("referring_customer.id"), false),
                email: None,
            };
            if attribution.is_empty() {
                let path = f("referring_customer.key");
                v.error(
                    &path,
                    format!(
                        "The {path} field is required when {prefix}referring_customer.id is not present."
                    ),
                );
            }
            Some(attribution)
        }
    }
}

fn duplicate_key() -> ApiError {
    ApiError::field("Duplicate key", "key", "The key has already been taken.")
}

/// Stores a new customer after the uniqueness and attribution checks; returns its index.
pub(crate) fn insert_customer(data: &mut ProgramData, new: NewCustomer) -> Result<usize, ApiError> {
    let key = new.key.unwrap_or_else(|| random_token(12));
    if data.customers.iter().any(|c| c.key == key) {
        return Err(duplicate_key());
    }
    let mut errors = FieldErrors::new();
    if let Some(email) = &new.email {
        if data.customers.iter().any(|c| {
            c.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        }) {
            errors.insert(
                "email".into(),
                vec!["The email has already been taken.".into()],
            );
        }
    }
    let id = match data.kind {
        ProgramKind::Affiliate | ProgramKind::Newsletter => None,
        ProgramKind::ReferAFriend => Some(new.id.unwrap_or_else(|| key.clone())),
    };
    if let Some(id) = &id {
        if data.customers.iter().any(|c| c.id.as_deref() == Some(id)) {
            errors.insert("id".into(), vec!["The id has already been taken.".into()]);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut partner = None;
    let mut referred_by = None;
    if let Some(a) = &new.attribution {
        match data.kind {
            ProgramKind::Affiliate | ProgramKind::Newsletter => {
                let found = data.partners.iter().find(|p| {
                    if let Some(k) = &a.key {
                        &p.key == k
                    } else if let Some(i) = &a.id {
                        &p.id == i
                    } else {
                        a.email
                            .as_deref()
                            .is_some_and(|e| p.email.eq_ignore_ascii_case(e))
                    }
                });
                let p = found.ok_or_else(|| ApiError::bad_request("Invalid partner key"))?;
                partner = Some(PartnerRef {
                    id: p.id.clone(),
                    key: p.key.clone(),
                    email: p.email.clone(),
                });
            }
            ProgramKind::ReferAFriend => {
                let found = data.customers.iter().find(|c| {
                    if let Some(k) = &a.key {
                        &c.key == k
                    } else {
                        a.id.is_some() && c.id == a.id
                    }
                });
                let r = found.ok_or_else(|| ApiError::bad_request("Invalid referring customer"))?;
                referred_by = Some(r.uid);
            }
        }
    }
    let now = now_iso8601();
    let uid = data.next_uid();
    data.customers.push(Customer {
        uid,
        key,
        id,
        email: new.email,
        name: new.name,
        surname: new.surname,
        tags: new.tags,
        partner,
        referral_url: new.referral_url,
        referred_by,
        date_of_birth: new.date_of_birth,
        balances: Vec::new(),
        created_at: now.clone(),
        updated_at: now,
    });
    Ok(data.customers.len() - 1)
}

/// `POST /v1/customers`.
///
/// Affiliate bodies without a partner are answered 200 with an echo and not
/// stored (Partnero ignores them); stored customers answer 201.
pub(crate) async fn create(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let mut v = Validator::new(&body)?;
    let key_required = program.kind == ProgramKind::Affiliate;
    let new = read_new_customer(&mut v, program.kind, "", key_required);
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    if program.kind == ProgramKind::Affiliate && new.attribution.is_none() {
        let now = now_iso8601();
        let echo = Customer {
            uid: 0,
            key: new.key.unwrap_or_default(),
            id: None,
            email: new.email,
            name: new.name,
            surname: new.surname,
            tags: new.tags,
            partner: None,
            referral_url: new.referral_url,
            referred_by: None,
            date_of_birth: None,
            balances: Vec::new(),
            created_at: now.clone(),
            updated_at: now,
        };
        return Ok(ok(views::customer(&app, data, &echo)));
    }
    let index = insert_customer(data, new)?;
    let view = views::customer(&app, data, &data.customers[index]);
    Ok(created(view))
}

/// `GET /v1/customers` and `GET /v1/customers:search`.
///
/// Filters: `key`, `id` (refer-a-friend), `email`, `partner.key`, `partner.id`, `partner.email` (affiliate; also
/// spelled `partner_key` and `partner[key]`),
/// `referring_customer.key` (refer-a-friend), `refer_status` (`referred` or `non_referred`).
pub(crate) async fn list(
    State(app): State<AppState>,
    program: Program,
    query: QueryPairs,
    uri: Uri,
) -> ApiResult {
    page_of(&app, &program, &query, &uri, |data| {
        let key = query.get("key");
        let id = query.get("id");
        let email = query.get("email");
        let partner_key = query.get_any(&["partner.key", "partner_key", "partner[key]"]);
        let partner_id = query.get_any(&["partner.id", "partner_id", "partner[id]"]);
        let partner_email = query.get_any(&["partner.email", "partner_email", "partner[email]"]);
        let referrer_uid = query
            .get("referring_customer.key")
            .map(|k| data.customers.iter().find(|c| c.key == k).map(|c| c.uid));
        let refer_status = query.get("refer_status");
        Ok(data
            .customers
            .iter()
            .filter(|c| key.is_none_or(|k| c.key == k))
            .filter(|c| id.is_none_or(|i| c.id.as_deref() == Some(i)))
            .filter(|c| {
                email.is_none_or(|e| {
                    c.email
                        .as_deref()
                        .is_some_and(|m| m.eq_ignore_ascii_case(e))
                })
            })
            .filter(|c| partner_key.is_none_or(|k| c.partner.as_ref().is_some_and(|p| p.key == k)))
            .filter(|c| partner_id.is_none_or(|i| c.partner.as_ref().is_some_and(|p| p.id == i)))
            .filter(|c| {
                partner_email.is_none_or(|e| {
                    c.partner
                        .as_ref()
                        .is_some_and(|p| p.email.eq_ignore_ascii_case(e))
                })
            })
            .filter(|c| referrer_uid.is_none_or(|uid| uid.is_some() && c.referred_by == uid))
            .filter(|c| {
                refer_status.is_none_or(|s| {
                    referred_matches(s, c.referred_by.is_some() || c.partner.is_some())
                })
            })
            .map(|c| views::customer(&app, data, c))
            .collect())
    })
}

/// Whether a record that is `referred` or not passes a `refer_status` filter: `referred`, or
/// `non_referred` (the PHP SDK's spelling; `not_referred` too). Other values filter nothing.
pub(crate) fn referred_matches(refer_status: &str, referred: bool) -> bool {
    match refer_status {
        "referred" => referred,
        "non_referred" | "not_referred" => !referred,
        _ => true,
    }
}

/// The customer a path names: by key (refer-a-friend: or private id), or else by e-mail, as
/// the n8n node addresses customers ("key, ID or email").
pub(crate) fn find(data: &ProgramData, key: &str) -> Result<usize, ApiError> {
    data.customer_index(key)
        .or_else(|| {
            data.customers.iter().position(|c| {
                c.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(key))
            })
        })
        .ok_or_else(|| ApiError::not_found("Customer"))
}

/// `GET /v1/customers/{key}` (refer-a-friend: key or id).
pub(crate) async fn get(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &key)?;
    Ok(ok(views::customer(&app, data, &data.customers[index])))
}

/// `PUT /v1/customers/{key}` with `{"update": {...}}`.
pub(crate) async fn update(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let mut v = Validator::new(&body)?;
    let Some(fields) = v.object("update", true) else {
        return Err(match v.finish() {
            Err(e) => e,
            Ok(()) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The update field is required.",
            ),
        });
    };
    let mut u = Validator::nested(fields, "update.");
    let new_key = u.string("key", false);
    let email = u.email("email", false);
    let name = u.string("name", false);
    let surname = u.string("surname", false);
    let tags = u.string_list("tags", false);
    let mut date_of_birth = None;
    if program.kind == ProgramKind::ReferAFriend && u.object("metadata", false).is_some() {
        date_of_birth = u.string("metadata.date_of_birth", false);
        if date_of_birth.as_deref().is_some_and(|d| !is_date(d)) {
            u.error(
                "metadata.date_of_birth",
                "The update.metadata.date_of_birth does not match the format Y-m-d.",
            );
        }
    }
    v.absorb(u);
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &key)?;
    let mut errors = FieldErrors::new();
    let others = || {
        data.customers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
    };
    if let Some(k) = &new_key {
        if others().any(|(_, c)| &c.key == k) {
            errors.insert(
                "update.key".into(),
                vec!["The update.key has already been taken.".into()],
            );
        }
    }
    if let Some(e) = &email {
        if others().any(|(_, c)| {
            c.email
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(e))
        }) {
            errors.insert(
                "update.email".into(),
                vec!["The update.email has already been taken.".into()],
            );
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let customer = &mut data.customers[index];
    let uid = customer.uid;
    if email.is_some() {
        customer.email = email;
    }
    if name.is_some() {
        customer.name = name;
    }
    if surname.is_some() {
        customer.surname = surname;
    }
    if let Some(tags) = tags {
        customer.tags = tags;
    }
    if date_of_birth.is_some() {
        customer.date_of_birth = date_of_birth;
    }
    customer.updated_at = now_iso8601();
    if let Some(k) = new_key {
        customer.key = k.clone();
        for t in data
            .transactions
            .iter_mut()
            .filter(|t| t.customer_uid == uid)
        {
            t.customer_key = k.clone();
        }
    }
    Ok(ok(views::customer(&app, data, &data.customers[index])))
}

/// `DELETE /v1/customers/{key}`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &key)?;
    data.customers.remove(index);
    Ok(done())
}

/// `GET /v1/customers/{key}/transactions`.
pub(crate) async fn transactions(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
    query: QueryPairs,
    uri: Uri,
) -> ApiResult {
    page_of(&app, &program, &query, &uri, |data| {
        let uid = data.customers[find(data, &key)?].uid;
        Ok(data
            .transactions
            .iter()
            .filter(|t| !t.deleted && t.customer_uid == uid)
            .map(views::transaction)
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::is_date;

    #[test]
    fn dates() {
        assert!(is_date("1990-01-31"));
        assert!(!is_date("1990-13-01"));
        assert!(!is_date("1990/01/01"));
        assert!(!is_date("90-01-01"));
        assert!(!is_date("1990-01-0١"));
    }
}
