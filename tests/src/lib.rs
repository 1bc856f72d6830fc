//! Cross-crate tests for partnero-rs live in `tests/`: adapter parity, end-to-end journeys with
//! outage paths, and the real-browser cookie round trip. This library is empty on purpose.
#![forbid(unsafe_code)]
