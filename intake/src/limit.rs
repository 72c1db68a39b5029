//! A limit on how often something may happen in a minute, kept in memory
//! (per instance): enrollment attempts, which anyone may make.

use std::sync::Mutex;

/// At most `max` events in each minute of the clock.
#[derive(Debug)]
pub(crate) struct Window {
    max: u32,
    /// The current minute (Unix time / 60) and the events in it.
    count: Mutex<(i64, u32)>,
}

impl Window {
    pub(crate) fn new(max: u32) -> Self {
        Self {
            max,
            count: Mutex::new((0, 0)),
        }
    }

    /// Counts an event at `now` (Unix time); false if the minute's events
    /// are used up.
    pub(crate) fn admit(&self, now: i64) -> bool {
        let minute = now.div_euclid(60);
        let mut c = self.count.lock().unwrap_or_else(|p| p.into_inner());
        if c.0 != minute {
            *c = (minute, 0);
        }
        if c.1 >= self.max {
            return false;
        }
        c.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_then_again_the_next_minute() {
        let w = Window::new(3);
        let t = 6_000;
        assert!((0..3).all(|_| w.admit(t)));
        assert!(!w.admit(t + 59));
        assert!(w.admit(t + 60));
    }
}
