//! The rows of `layer.rs`, measured interleaved: round after round, each row serves a batch of
//! requests in turn, and the per-request median over the rounds is reported. On a shared,
//! noisy machine this cancels the drift that separates criterion's row-after-row measurements
//! (there, the Extension layer's added cost alone moved between 0.04 and 0.6 µs from run to run).
//!
//! `cargo bench -p partnero-tower --bench layer_interleaved`

mod support;

use std::hint::black_box;
use std::time::Instant;

/// Requests per row per round.
const BATCH: u32 = 2_000;
/// Measured rounds, after `WARM_UP` unmeasured ones.
const ROUNDS: usize = 200;
const WARM_UP: usize = 5;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would not: run only when benching.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rows = support::rows();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(ROUNDS); rows.len()];
    rt.block_on(async {
        for round in 0..WARM_UP + ROUNDS {
            for (row, samples) in rows.iter().zip(&mut samples) {
                let start = Instant::now();
                for _ in 0..BATCH {
                    black_box(support::serve(row).await);
                }
                if round >= WARM_UP {
                    samples.push(start.elapsed().as_secs_f64() * 1e9 / f64::from(BATCH));
                }
            }
        }
    });

    let medians: Vec<f64> = samples
        .iter_mut()
        .map(|s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect();
    let bare = medians[0];
    let extension_added = medians[1] - bare;
    println!(
        "{:<62} {:>9} {:>9} {:>9}",
        "row", "median", "added", "/ Ext"
    );
    for (row, median) in rows.iter().zip(&medians) {
        let added = median - bare;
        println!(
            "{:<62} {:>6.0} ns {:>6.0} ns {:>8.2}x",
            row.name,
            median,
            added,
            added / extension_added
        );
    }
}
