//! The JSON-RPC decoder on one big reply, fed as the client reads it (16 KiB at a time):
//! the time to decode must grow linearly with the reply's size.
//!
//!   cargo bench -p ovn-ocf --bench decoder [-- SIZE_MIB...]   (default 1 4 16)
//!
//! The reply: a `transact` result with one `select` of rows like the agents' own
//! (Connection rows: uuid, target, inactivity_probe, other_config), as many as make SIZE.
//! Prints, per size, the median, min and max of 7 runs and the rate.

use std::time::{Duration, Instant};

use ovn_ocf::jsonrpc::Decoder;
use serde_json::json;

fn reply(size: usize) -> Vec<u8> {
    let mut rows = Vec::new();
    let mut len = 0;
    let mut i = 0u64;
    while len < size {
        let row = json!({
            "_uuid": ["uuid", format!("{:08x}-0000-4000-8000-{:012x}", i, i)],
            "target": format!("ptcp:{}:10.{}.{}.{}", 6641 + i % 2, (i >> 16) & 255, (i >> 8) & 255, i & 255),
            "inactivity_probe": 60000,
            "other_config": ["map", [["dscp", "48"], ["note", "escaped \"quote\" and {brace}"]]],
        });
        len += row.to_string().len() + 1;
        rows.push(row);
        i += 1;
    }
    serde_json::to_vec(&json!({"id": 7, "result": [{"rows": rows}], "error": null})).unwrap()
}

fn decode(msg: &[u8]) -> Duration {
    let t = Instant::now();
    let mut d = Decoder::default();
    let mut got = None;
    for piece in msg.chunks(16 * 1024) {
        d.feed(piece);
        if let Some(v) = d.next_value().expect("valid JSON") {
            got = Some(v);
        }
    }
    let took = t.elapsed();
    assert_eq!(got.expect("one reply")["id"], 7);
    took
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1, 4, 16]
    } else {
        sizes
    };
    println!("| reply | median | min–max | rate (median) |");
    println!("|---:|---:|---:|---:|");
    for mib in sizes {
        let msg = reply(mib << 20);
        let mut runs: Vec<Duration> = (0..7).map(|_| decode(&msg)).collect();
        runs.sort();
        let med = runs[runs.len() / 2];
        println!(
            "| {:.1} MiB | {:.1} ms | {:.1}–{:.1} ms | {:.0} MB/s |",
            msg.len() as f64 / 1048576.0,
            med.as_secs_f64() * 1e3,
            runs[0].as_secs_f64() * 1e3,
            runs[runs.len() - 1].as_secs_f64() * 1e3,
            msg.len() as f64 / med.as_secs_f64() / 1e6
        );
    }
}
