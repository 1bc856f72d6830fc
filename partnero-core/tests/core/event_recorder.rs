//! A `tracing` subscriber that records spans, span records and events as text lines, for tests.
//! Also used by the client's tests (`#[path]`), so there is one.
//!
//! Install it with [`Recorder::install`], never with a bare `set_default`: `tracing` caches each
//! callsite's interest for the whole process, and while a single dispatcher is registered it
//! computes that interest from the default dispatcher of whichever thread reaches the callsite
//! first. A sibling test with no subscriber then caches `never`, and this recorder misses the
//! event (seen in CI: a WARN the test waited for never arrived). With a second dispatcher
//! registered for the life of the process, `tracing` asks every registered dispatcher instead,
//! this recorder included, and checks each event against the current thread's subscriber.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::{DefaultGuard, NoSubscriber};
use tracing::{Dispatch, Event, Metadata, Subscriber};

/// Records span creations (`span NAME field=value ...`), span records (`record field=value`)
/// and events (`event LEVEL field=value ...`).
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    lines: Arc<Mutex<Vec<String>>>,
    next_id: Arc<AtomicU64>,
}

impl Recorder {
    /// Makes this recorder the current thread's subscriber until the guard is dropped.
    pub(crate) fn install(&self) -> DefaultGuard {
        static SECOND_DISPATCHER: OnceLock<Dispatch> = OnceLock::new();
        SECOND_DISPATCHER.get_or_init(|| Dispatch::new(NoSubscriber::default()));
        tracing::subscriber::set_default(self.clone())
    }

    /// The lines recorded so far.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={}", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut line = Line(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut line);
        self.lines.lock().unwrap().push(line.0);
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = Line("record".to_owned());
        values.record(&mut line);
        self.lines.lock().unwrap().push(line.0);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(format!("event {}", event.metadata().level()));
        event.record(&mut line);
        self.lines.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
