//! The shop's two HTML pages. Plain strings: the example is about attribution, not templating.

use crate::setup::ProgramChoice;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The landing page. `referred_by` is the key the middleware captured, if any.
pub fn landing(framework: &str, program: ProgramChoice, referred_by: Option<&str>) -> String {
    let referral = match referred_by {
        Some(key) => format!(
            "<p id=\"referral\">You were referred by <b>{}</b>.</p>",
            escape(key)
        ),
        None => "<p id=\"referral\">No referral on this visit.</p>".to_owned(),
    };
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Partnero demo shop ({framework})</title></head>\n\
         <body><h1>Partnero demo shop</h1><p>Running on {framework}, {program} program.</p>{referral}\n\
         <p><a id=\"signup-link\" href=\"/signup\">Create an account</a></p></body></html>\n",
        program = program.label(),
    )
}

/// The sign-up form; it posts `email` and `name` as a form to `/signup`.
pub fn signup_form(framework: &str) -> String {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Sign up ({framework})</title></head>\n\
         <body><h1>Sign up</h1>\n<form id=\"signup\" method=\"post\" action=\"/signup\">\n\
         <label>E-mail <input id=\"email\" name=\"email\" type=\"email\" required></label>\n\
         <label>Name <input id=\"name\" name=\"name\" required></label>\n\
         <button id=\"submit\" type=\"submit\">Sign up</button>\n</form></body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landing_escapes_the_key() {
        let html = landing("axum", ProgramChoice::Affiliate, Some("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(landing("axum", ProgramChoice::Affiliate, None).contains("No referral"));
    }
}
