//! One deadline per action, derived from `OCF_RESKEY_CRM_meta_timeout` and handed to every
//! wait, RPC and child process. Owns time arithmetic only; never sleeps by itself beyond
//! what a caller asks with [`Deadline::sleep`].

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn after(d: Duration) -> Deadline {
        Deadline(Instant::now() + d)
    }

    /// Pacemaker's timeout less a margin (10%, between 0.2 s and 2 s) so the agent answers,
    /// with its exit reason, before Pacemaker kills it.
    pub fn from_timeout_ms(ms: u64) -> Deadline {
        let margin = (ms / 10).clamp(200, 2000).min(ms / 2);
        Deadline::after(Duration::from_millis(ms - margin))
    }

    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// The earlier of this deadline and `now + d`.
    pub fn cap(&self, d: Duration) -> Deadline {
        (*self).min(Deadline::after(d))
    }

    /// A deadline `fraction` of the way from now to this one (stop's TERM share).
    pub fn share(&self, fraction: f64) -> Deadline {
        Deadline::after(self.remaining().mul_f64(fraction.clamp(0.0, 1.0))).min(*self)
    }

    /// Asks `ready` every `every` until it answers `Some`, or the deadline passes (then
    /// `None`): the one polling loop. `ready` runs at least once, also on an expired
    /// deadline. To give up early with an error, answer `Some(Err(..))`.
    pub fn poll<T>(&self, every: Duration, mut ready: impl FnMut() -> Option<T>) -> Option<T> {
        loop {
            if let Some(t) = ready() {
                return Some(t);
            }
            if !self.sleep(every) {
                return None;
            }
        }
    }

    /// Sleeps `d`, or less if the deadline comes first. Returns false once expired.
    pub fn sleep(&self, d: Duration) -> bool {
        let r = self.remaining();
        std::thread::sleep(d.min(r));
        !self.expired()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_bounded_and_never_exceeds_half() {
        let d = Deadline::from_timeout_ms(20_000).remaining();
        assert!(d <= Duration::from_millis(18_000) && d > Duration::from_millis(17_000));
        let d = Deadline::from_timeout_ms(100).remaining();
        assert!(d <= Duration::from_millis(50));
        assert!(Deadline::from_timeout_ms(0).expired());
    }

    #[test]
    fn poll_answers_or_gives_up_at_the_deadline() {
        let mut n = 0;
        let got = Deadline::after(Duration::from_secs(10)).poll(Duration::from_millis(1), || {
            n += 1;
            (n == 3).then_some(n)
        });
        assert_eq!(got, Some(3));
        let mut calls = 0;
        let expired = Deadline::after(Duration::ZERO);
        assert_eq!(
            expired.poll(Duration::from_millis(1), || {
                calls += 1;
                None::<()>
            }),
            None
        );
        assert_eq!(calls, 1, "runs once even when already expired");
    }

    #[test]
    fn cap_and_share_never_extend() {
        let dl = Deadline::after(Duration::from_secs(10));
        assert!(dl.cap(Duration::from_secs(100)) == dl);
        assert!(dl.cap(Duration::from_secs(1)) < dl);
        assert!(dl.share(0.5) < dl);
        assert!(dl.share(7.0) <= dl);
    }
}
