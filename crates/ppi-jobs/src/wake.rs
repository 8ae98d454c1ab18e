//! Waking idle workers. A job pushed by this process wakes its workers at once; a steady tick
//! finds jobs pushed by other processes (`ppi serve --no-worker` and N `ppi worker`s).
//!
//! apalis's own `IntervalStrategy` replaces its timer when it fires without polling the new
//! one, so when the tick fell while a fetch was in flight no timer was armed any more and the
//! worker slept until its next heartbeat, 30 s later: the "jobs start on a 30-second tick"
//! seen by users. This strategy always leaves a timer and a notification armed before it
//! answers `Pending`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

#[cfg(test)]
use apalis::prelude::IntervalStrategy;
use apalis::prelude::{PollSnapshot, PollStrategy};
use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;
use tokio::time::{Interval, MissedTickBehavior};

/// Wakes a worker on an in-process push or every `every`.
pub struct Wake {
    notify: Arc<Notify>,
    notified: Pin<Box<OwnedNotified>>,
    tick: Interval,
}

impl Wake {
    /// Must be called inside the Tokio runtime (it arms a timer).
    pub fn new(notify: Arc<Notify>, every: Duration) -> Self {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Wake {
            notified: Box::pin(notify.clone().notified_owned()),
            notify,
            tick,
        }
    }
}

impl PollStrategy for Wake {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let mut woke = false;
        // Each loop ends on `Pending`, which registers `cx`'s waker: a wake-up is always armed.
        while self.tick.poll_tick(cx).is_ready() {
            woke = true;
        }
        while self.notified.as_mut().poll(cx).is_ready() {
            self.notified = Box::pin(self.notify.clone().notified_owned());
            woke = true;
        }
        if woke {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake as StdWake;
    use std::time::Instant;

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl StdWake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The cause of the 30 s waits, shown: after apalis's `IntervalStrategy` fires, the poll
    /// that observes it arms a new timer without polling it, so unless the worker happens to
    /// poll again, nothing wakes it before the next heartbeat. `Wake` keeps a timer armed.
    #[tokio::test]
    async fn the_apalis_interval_strategy_loses_its_timer_and_ours_does_not() {
        let snap = PollSnapshot::new();
        let count = Arc::new(Count::default());
        let waker = std::task::Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut theirs = IntervalStrategy::new(Duration::from_millis(40));
        assert!(theirs.poll_drive(&mut cx, &snap).is_pending());
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "the first tick wakes");
        // The worker polls (a fetch starts, and its own waker brings the next poll) …
        assert!(theirs.poll_drive(&mut cx, &snap).is_ready());
        // … but the fetch finds nothing and no further poll_drive comes: no timer is armed.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "asleep until the heartbeat"
        );

        let count = Arc::new(Count::default());
        let waker = std::task::Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut ours = Wake::new(Arc::new(Notify::new()), Duration::from_millis(40));
        let _ = ours.poll_drive(&mut cx, &snap);
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(ours.poll_drive(&mut cx, &snap).is_ready());
        let before = count.0.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            count.0.load(Ordering::SeqCst) > before,
            "the next tick still wakes"
        );
    }

    fn snapshot() -> PollSnapshot {
        PollSnapshot::new()
    }

    #[tokio::test]
    async fn a_push_wakes_at_once_and_the_tick_keeps_coming() {
        let notify = Arc::new(Notify::new());
        let mut wake = Wake::new(notify.clone(), Duration::from_millis(200));
        // The first tick is immediate.
        std::future::poll_fn(|cx| wake.poll_drive(cx, &snapshot())).await;
        let started = Instant::now();
        let n = notify.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            n.notify_waiters();
        });
        std::future::poll_fn(|cx| wake.poll_drive(cx, &snapshot())).await;
        assert!(
            started.elapsed() < Duration::from_millis(150),
            "woken by the push"
        );
        // Ticks keep arriving however the polls fall (the apalis strategy lost its timer).
        for _ in 0..5 {
            let t = Instant::now();
            std::future::poll_fn(|cx| wake.poll_drive(cx, &snapshot())).await;
            assert!(t.elapsed() < Duration::from_millis(400));
        }
    }
}
