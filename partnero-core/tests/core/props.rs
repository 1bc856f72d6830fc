//! Properties of capture: it never panics on attacker-controlled input, every valid key survives
//! `Set-Cookie` -> browser -> `Cookie` -> capture unchanged, and an invalid key never yields a
//! `Set-Cookie`.

use partnero_core::{Attribution, KeySource, ReferralKey, RequestInfo, TrackingConfig};
use percent_encoding::{NON_ALPHANUMERIC, percent_encode, utf8_percent_encode};
use proptest::prelude::*;

/// Bytes that exercise the parsers' structure: separators, quotes, escapes, the cookie names.
fn structured_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"partnero_partner".to_vec()),
        Just(b"partnero_referral".to_vec()),
        Just(b"aff".to_vec()),
        Just(b"ref".to_vec()),
        Just(b"/aff/".to_vec()),
        prop::sample::select(vec![
            b";".to_vec(),
            b"=".to_vec(),
            b"&".to_vec(),
            b" ".to_vec(),
            b"\"".to_vec(),
            b"%".to_vec(),
            b"%4".to_vec(),
            b"%C3".to_vec(),
            b"%C3%A9".to_vec(),
            b"+".to_vec(),
            b"\t".to_vec(),
            b"/".to_vec(),
        ]),
        prop::collection::vec(any::<u8>(), 0..8),
        "[a-z0-9_-]{0,8}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

fn configs() -> impl Strategy<Value = TrackingConfig> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(first_touch, path, via)| {
        let mut c = TrackingConfig::default();
        if first_touch {
            c = c.attribution(Attribution::FirstTouch);
        }
        if path {
            c = c.partner_path_prefix("/aff/").referrer_path_prefix("/r");
        }
        if via {
            c = c
                .add_partner_query_param("via")
                .consent(|req| req.cookie("deny").is_none());
        }
        c
    })
}

/// Keys that pass validation, biased towards the characters that need encoding.
fn valid_key() -> impl Strategy<Value = ReferralKey> {
    prop_oneof![
        "[!#-+\\--:<-\\[\\]-~=%+é€😀]{1,40}",
        "\\PC{1,60}",
        Just("k".repeat(partnero_core::MAX_KEY_LEN)),
    ]
    .prop_filter_map("not a valid key", |s| ReferralKey::parse(&s).ok())
}

/// Strings that fail validation.
fn invalid_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "\\PC{0,20}[ \t\r\n\u{0}\u{7f}\u{85}\u{a0};,\"\\\\]\\PC{0,20}",
        "[a-z]{256,300}",
        any::<String>(),
    ]
    .prop_filter("valid key", |s| ReferralKey::parse(s).is_err())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_input_never_panics(
        config in configs(),
        cookie_a in prop_oneof![structured_bytes(), prop::collection::vec(any::<u8>(), 0..512)],
        cookie_b in structured_bytes(),
        query in prop_oneof![
            structured_bytes().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            any::<String>(),
        ],
        path in prop_oneof![
            structured_bytes().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            any::<String>(),
        ],
        method in prop_oneof![Just("GET".to_string()), Just("HEAD".to_string()), any::<String>()],
        user_agent in prop::collection::vec(any::<u8>(), 0..64),
        host in prop::collection::vec(any::<u8>(), 0..32),
        scheme in prop::option::of(any::<String>()),
    ) {
        let headers = [
            ("cookie", cookie_a.as_slice()),
            ("user-agent", user_agent.as_slice()),
            ("host", host.as_slice()),
            ("cookie", cookie_b.as_slice()),
            ("sec-purpose", user_agent.as_slice()),
        ];
        let req = RequestInfo::new(&method, &path, Some(&query), &headers).with_scheme(scheme.as_deref());
        let capture = config.capture(&req);
        // Whatever came in, anything captured is a valid key and at most one cookie per program.
        prop_assert!(capture.set_cookies.len() <= 2);
        for key in [capture.context.partner_key(), capture.context.referrer_key()].into_iter().flatten() {
            prop_assert!(ReferralKey::parse(key.as_str()).is_ok());
        }
        for set_cookie in &capture.set_cookies {
            prop_assert!(!set_cookie.bytes().any(|b| b.is_ascii_control()));
        }
        let _ = req.cookie("partnero_partner");
    }

    #[test]
    fn valid_keys_round_trip_through_the_browser(key in valid_key(), referrer in any::<bool>()) {
        let config = TrackingConfig::default();
        let param = if referrer { "ref" } else { "aff" };
        let query = format!("{param}={}", utf8_percent_encode(key.as_str(), NON_ALPHANUMERIC));
        let landing_headers = [("host", &b"shop.example"[..])];
        let landing = config.capture(&RequestInfo::new("GET", "/", Some(&query), &landing_headers));
        prop_assert_eq!(landing.set_cookies.len(), 1);

        // The browser's view of the Set-Cookie header.
        let parsed = cookie::Cookie::parse(landing.set_cookies[0].as_str()).unwrap();
        prop_assert_eq!(parsed.max_age(), Some(cookie::time::Duration::days(30)));
        prop_assert_eq!(parsed.path(), Some("/"));
        prop_assert_eq!(parsed.secure(), Some(true));
        // Standard percent-encoding: a decoding cookie library sees the key too.
        let decoded = cookie::Cookie::parse_encoded(landing.set_cookies[0].as_str()).unwrap();
        prop_assert_eq!(decoded.value(), key.as_str());

        // What the browser sends back on the next request.
        let header = format!("other=1; {}={}; last=2", parsed.name(), parsed.value());
        let next_headers = [("cookie", header.as_bytes())];
        let next = config.capture(&RequestInfo::new("GET", "/signup", None, &next_headers));
        let got = if referrer { &next.context.referrer } else { &next.context.partner };
        let got = got.as_ref().expect("cookie captured");
        prop_assert_eq!(&got.key, &key);
        prop_assert_eq!(got.source, KeySource::Cookie);
        prop_assert!(next.set_cookies.is_empty());
    }

    #[test]
    fn invalid_keys_never_set_a_cookie(
        key in invalid_key(),
        raw in prop::collection::vec(any::<u8>(), 0..300),
        config in configs(),
    ) {
        let headers = [("host", &b"shop.example"[..])];
        for encoded in [
            utf8_percent_encode(&key, NON_ALPHANUMERIC).to_string(),
            percent_encode(&raw, NON_ALPHANUMERIC).to_string(),
        ] {
            let decodes_to_valid = ReferralKey::decode(encoded.as_bytes()).is_ok();
            let query = format!("aff={encoded}&ref={encoded}&via={encoded}");
            let capture = config.capture(&RequestInfo::new("GET", "/", Some(&query), &headers));
            if !decodes_to_valid {
                prop_assert!(capture.set_cookies.is_empty());
                prop_assert!(capture.context.is_empty());
            }
        }
        // `key` itself is invalid, so its encoding never decodes to a valid key.
        let encoded = utf8_percent_encode(&key, NON_ALPHANUMERIC).to_string();
        prop_assert!(ReferralKey::decode(encoded.as_bytes()).is_err());
    }
}
