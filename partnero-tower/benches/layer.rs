//! One request through an axum `Router`, in-process (`oneshot`), with and without
//! `PartneroLayer`, against the floor (`axum::Extension`) and the peer (`tower-cookies`).
//!
//! Every row sends the same ~800-byte `Cookie` header and builds its request the same way, per
//! iteration; the router is built once and cloned per iteration. See `support/mod.rs`.
//!
//! `cargo bench -p partnero-tower --bench layer`

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

fn bench_layer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("layer");
    for row in support::rows() {
        group.bench_function(row.name, |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(support::serve(&row).await) });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_layer);
criterion_main!(benches);
