//! Finding a partner or a customer named in a body by `{id | key | email}`.

use crate::envelope::ApiError;
use crate::state::ProgramData;
use crate::validate::Validator;

use super::customers::Attribution;

/// Reads `{object}.id`, `{object}.key` and `{object}.email`; 422 on `{object}` when the object
/// or all three are missing.
pub(crate) fn read_ref(v: &mut Validator<'_>, object: &str) -> Option<Attribution> {
    v.object(object, true)?;
    let named = Attribution {
        key: v.string(&format!("{object}.key"), false),
        id: v.string(&format!("{object}.id"), false),
        email: v.string(&format!("{object}.email"), false),
    };
    if named.key.is_none() && named.id.is_none() && named.email.is_none() {
        v.error(
            &format!("{object}.key"),
            format!("The {object}.key field is required when {object}.id / {object}.email is not present."),
        );
        return None;
    }
    Some(named)
}

/// The index of the partner named by id, key or e-mail (in that order of precedence).
pub(crate) fn partner_index(data: &ProgramData, named: &Attribution) -> Result<usize, ApiError> {
    data.partners
        .iter()
        .position(|p| {
            if let Some(id) = &named.id {
                &p.id == id
            } else if let Some(key) = &named.key {
                &p.key == key
            } else {
                named
                    .email
                    .as_deref()
                    .is_some_and(|e| p.email.eq_ignore_ascii_case(e))
            }
        })
        .ok_or_else(|| ApiError::not_found("Partner"))
}

/// The index of the customer named by id, key or e-mail.
pub(crate) fn customer_index(data: &ProgramData, named: &Attribution) -> Result<usize, ApiError> {
    let found = if let Some(id) = &named.id {
        data.customer_index(id)
    } else if let Some(key) = &named.key {
        data.customer_index(key)
    } else {
        data.customers.iter().position(|c| {
            c.email
                .as_deref()
                .zip(named.email.as_deref())
                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        })
    };
    found.ok_or_else(|| ApiError::not_found("Customer"))
}
