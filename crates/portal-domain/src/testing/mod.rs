//! Test doubles for the ports and the store contract suite. Compiled for
//! this crate's tests and, with the `testing` feature, for adapter crates.

pub mod contract;
mod echo;
mod memory;
pub mod processor_contract;

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::ports::{Clock, Email, MailError, Mailer, RandomSource};

pub use echo::SheetEcho;
pub use memory::InMemoryStore;

/// Parses an RFC 3339 time, for test fixtures.
///
/// # Panics
/// On a malformed time: fixtures are written by hand.
pub fn ts(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("bad fixture time {text}: {e}"))
        .with_timezone(&Utc)
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(time: DateTime<Utc>) -> Self {
        Self(Mutex::new(time))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    pub fn set(&self, time: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = time;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Deterministic randomness (splitmix64): the same seed, the same ids.
/// Never for production: it is predictable by design.
#[derive(Debug)]
pub struct SeededRandom(Mutex<u64>);

impl SeededRandom {
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(seed))
    }
}

impl RandomSource for SeededRandom {
    fn fill(&self, dest: &mut [u8]) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for chunk in dest.chunks_mut(8) {
            *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// A mailer that keeps what it is given, and can be told to fail.
#[derive(Debug, Default)]
pub struct RecordingMailer {
    sent: Mutex<Vec<Email>>,
    failing: Mutex<bool>,
    /// A clock each send moves forward, and by how much: a slow mail
    /// server, without waiting.
    slowness: Mutex<Option<(std::sync::Arc<FixedClock>, Duration)>>,
}

impl RecordingMailer {
    pub fn sent(&self) -> Vec<Email> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn fail_from_now_on(&self, failing: bool) {
        *self.failing.lock().unwrap_or_else(|e| e.into_inner()) = failing;
    }

    /// Makes every send from now on take `each` on `clock`.
    pub fn take_time_per_send(&self, clock: &std::sync::Arc<FixedClock>, each: Duration) {
        *self.slowness.lock().unwrap_or_else(|e| e.into_inner()) = Some((clock.clone(), each));
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        if let Some((clock, each)) = &*self.slowness.lock().unwrap_or_else(|e| e.into_inner()) {
            clock.advance(*each);
        }
        if *self.failing.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(MailError("the test mailer was told to fail".into()));
        }
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(email.clone());
        Ok(())
    }
}

/// Runs a future to completion on this thread. For the in-memory doubles,
/// whose futures never wait on anything; the domain has no runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// A deployment that offers no processor: connecting one is refused.
/// For tests that never pay through a processor.
#[derive(Debug, Default)]
pub struct NoProcessors;

impl crate::ports::ProcessorConnector for NoProcessors {
    fn connect(
        &self,
        connection: &crate::model::ProcessorConnection,
    ) -> crate::ports::ProcessorResult<std::sync::Arc<dyn crate::ports::Processor>> {
        Err(crate::ports::ProcessorError::Rejected(format!(
            "this deployment offers no {} processor",
            connection.kind().label()
        )))
    }

    fn browser_assets(
        &self,
        _connection: &crate::model::ProcessorConnection,
    ) -> crate::ports::BrowserAssets {
        crate::ports::BrowserAssets {
            script_url: String::new(),
            script_origins: Vec::new(),
            frame_origins: Vec::new(),
            connect_origins: Vec::new(),
        }
    }
}
