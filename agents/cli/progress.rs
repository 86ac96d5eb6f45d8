//! The progress line `ovn-ocf check` and `repair` show on a terminal while they read a
//! big file: on stderr, redrawn at most 10 times a second, erased when done. Nothing at
//! all when stderr is not a terminal (a log, a pipe, Pacemaker) or the file is small.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Files smaller than this read too fast for a progress line to help.
pub const MIN_SIZE: u64 = 64 << 20;
/// The least time between two redraws.
const EVERY: Duration = Duration::from_millis(100);

pub struct Progress<W: Write> {
    out: Option<W>,
    /// The least time between two redraws.
    every: Duration,
    started: Instant,
    /// When the line was last drawn; `None` before the first time.
    drawn: Option<Instant>,
}

impl Progress<std::io::Stderr> {
    /// A progress line on stderr, if it is a terminal.
    pub fn stderr() -> Self {
        let e = std::io::stderr();
        Progress::new(e.is_terminal().then_some(e))
    }
}

impl<W: Write> Progress<W> {
    /// Draws on `out`; `None` draws nothing.
    pub fn new(out: Option<W>) -> Self {
        Progress {
            out,
            every: EVERY,
            started: Instant::now(),
            drawn: None,
        }
    }

    /// `done` of `total` bytes of `what`: redrawn if the file is big and the last
    /// redraw is old enough ([`EVERY`]).
    pub fn update(&mut self, what: &str, done: u64, total: u64) {
        let now = Instant::now();
        let Some(out) = self.out.as_mut() else {
            return;
        };
        if total < MIN_SIZE || self.drawn.is_some_and(|t| now - t < self.every) {
            return;
        }
        let line = line(what, done, total, now - self.started);
        // A progress line that cannot be written is no reason to fail the work.
        let _ = write!(out, "\r{line}\x1b[K").and_then(|()| out.flush());
        self.drawn = Some(now);
    }

    /// Erases the line, if one was drawn.
    pub fn finish(&mut self) {
        if let (Some(out), Some(_)) = (self.out.as_mut(), self.drawn.take()) {
            let _ = write!(out, "\r\x1b[K").and_then(|()| out.flush());
        }
    }
}

impl<W: Write> Drop for Progress<W> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// "verifying: 120 of 300 MiB (40%), 1.05 GB/s"
pub fn line(what: &str, done: u64, total: u64, elapsed: Duration) -> String {
    let done = done.min(total);
    let pct = (done * 100).checked_div(total).unwrap_or(100);
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        format!(", {:.2} GB/s", done as f64 / secs / 1e9)
    } else {
        String::new()
    };
    format!(
        "{what}: {} of {} MiB ({pct}%){rate}",
        done >> 20,
        total >> 20
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_what_how_far_and_how_fast() {
        let l = line("verifying", 120 << 20, 300 << 20, Duration::from_secs(1));
        assert_eq!(l, "verifying: 120 of 300 MiB (40%), 0.13 GB/s");
        assert_eq!(
            line("x", 5, 0, Duration::ZERO),
            "x: 0 of 0 MiB (100%)",
            "an empty total is done, no division by zero"
        );
        assert!(line("x", 900, 100, Duration::from_secs(1)).contains("(100%)"));
    }

    #[test]
    fn not_a_terminal_draws_nothing() {
        let mut p: Progress<Vec<u8>> = Progress::new(None);
        p.update("verifying", 1 << 30, 2 << 30);
        p.finish();
        assert!(p.out.is_none());
    }

    #[test]
    fn small_files_draw_nothing_big_ones_draw_once_then_erase() {
        let mut p = Progress::new(Some(Vec::new()));
        p.update("verifying", 1 << 20, MIN_SIZE - 1);
        assert!(p.out.as_ref().unwrap().is_empty());
        // Redraws at most every hour here: the second update is not drawn.
        p.every = Duration::from_secs(3600);
        p.update("verifying", 1 << 20, MIN_SIZE);
        let first = p.out.as_ref().unwrap().len();
        assert!(first > 0);
        p.update("verifying", 2 << 20, MIN_SIZE);
        assert_eq!(p.out.as_ref().unwrap().len(), first);
        p.finish();
        let out = String::from_utf8(p.out.take().unwrap()).unwrap();
        assert!(out.starts_with("\rverifying: 1 of 64 MiB (1%)"), "{out:?}");
        assert!(out.ends_with("\r\x1b[K"), "{out:?}");
    }
}
