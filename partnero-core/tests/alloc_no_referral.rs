//! Proves that capture allocates nothing when no referral is present, with a counting global
//! allocator. The count is per thread (the harness's own threads allocate freely), and the file
//! holds a single test so nothing else runs on the measured thread.
#![allow(unsafe_code)] // `unsafe impl GlobalAlloc` is the only way to count allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use partnero_core::{Attribution, RequestInfo, TrackingConfig};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: never touch a thread-local that is being torn down.
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if counting {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting only reads and
// writes const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations `f` makes on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (ALLOCATIONS.with(Cell::get), out)
}

const REALISTIC_COOKIES: &str = "_ga=GA1.1.1234567890.1700000000; \
    _ga_ABCDEF1234=GS1.1.1700000000.3.1.1700000123.0.0.0; _gid=GA1.2.987654321.1700000000; \
    _fbp=fb.1.1700000000000.1234567890; cookie_consent=necessary,analytics,marketing; \
    session_id=8f14e45fceea167a5a36dedd4bea2543; csrftoken=Zk3Qb1Xy0Nw9Lm2Pq8Rs7Tv6Uw5Xy4Za; \
    xpartnero_partner=not-ours; partnero_partner_old=not-ours; theme=dark; lang=en-GB; \
    cart=%7B%22items%22%3A3%7D";

/// Path, query and headers of one request.
type Request<'a> = (&'a str, Option<&'a str>, Vec<(&'a str, &'a [u8])>);

#[test]
fn no_referral_allocates_nothing_and_a_referral_does() {
    let last_touch = TrackingConfig::default()
        .add_partner_query_param("via")
        .partner_path_prefix("/aff/")
        .consent(|_| panic!("consent must not be asked when nothing is set"));
    let first_touch = last_touch.clone().attribution(Attribution::FirstTouch);
    let renewing = last_touch.clone().renew_cookies(true);
    let many: String = (0..200).map(|i| format!("c{i}=v{i}; ")).collect();
    let ua = &b"Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36"[..];
    let requests: Vec<Request<'_>> = vec![
        ("/", None, vec![]),
        (
            "/pricing",
            Some("utm_source=newsletter&utm_medium=email"),
            vec![
                ("host", b"shop.example"),
                ("user-agent", ua),
                ("cookie", REALISTIC_COOKIES.as_bytes()),
            ],
        ),
        (
            "/affiliates",
            Some("affx=1&xaff=2&%61f=3&AFF=4"),
            vec![("cookie", many.as_bytes()), ("cookie", b"a=1")],
        ),
        (
            "/aff",
            Some(""),
            vec![("cookie", b"partnero_referral_x=1; xpartnero_referral=2")],
        ),
    ];

    // The first capture of a config builds its cookie-name searchers, once; requests after that
    // must not allocate.
    for config in [&last_touch, &first_touch, &renewing] {
        let warm_up = [("cookie", &b"a=1"[..])];
        drop(config.capture(&RequestInfo::new("GET", "/", None, &warm_up)));
    }
    let mut no_referral = Vec::new();
    for (path, query, headers) in &requests {
        for config in [&last_touch, &first_touch, &renewing] {
            let req = RequestInfo::new("GET", path, *query, headers);
            let (count, capture) = allocations(|| config.capture(&req));
            assert!(capture.context.is_empty(), "{path} {query:?}");
            no_referral.push(count);
            drop(capture);
            // The adapters' two phases, separately: neither allocates either.
            let (count, mut links) = allocations(|| config.capture_links(&req));
            assert!(links.context.is_empty(), "{path} {query:?}");
            no_referral.push(count);
            let (count, ()) = allocations(|| config.fill_from_cookies(&mut links.context, &req));
            assert!(links.context.is_empty(), "{path} {query:?}");
            no_referral.push(count);
            drop(links);
        }
    }
    assert!(
        no_referral.iter().all(|n| *n == 0),
        "allocations: {no_referral:?}"
    );

    // The counter works: the with-referral paths allocate (keys, Set-Cookie, landing URL).
    let headers = [
        ("host", &b"shop.example"[..]),
        ("cookie", REALISTIC_COOKIES.as_bytes()),
    ];
    let (count, capture) = allocations(|| {
        last_touch
            .clone()
            .consent(|_| true)
            .capture(&RequestInfo::new("GET", "/", Some("aff=demo"), &headers))
    });
    assert_eq!(capture.set_cookies.len(), 1);
    assert!(count > 0);
    let cookie = format!("{REALISTIC_COOKIES}; partnero_partner=demo");
    let headers = [("cookie", cookie.as_bytes())];
    let (count, capture) =
        allocations(|| last_touch.capture(&RequestInfo::new("GET", "/", None, &headers)));
    assert!(!capture.context.is_empty());
    assert!(count > 0);
}
