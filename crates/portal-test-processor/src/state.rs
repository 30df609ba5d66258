//! Everything the test processor holds, shared by every processor made
//! from it: one set of books per connection, so accounts never mix, and
//! the faults tests ask for.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use portal_domain::model::ConnectionId;
use portal_domain::ports::{ChargeOutcome, ProcessorError, ProcessorResult};

use crate::books::Books;

/// A failure tests make the test processor answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestFault {
    /// The processor does the work but its answer never arrives.
    Timeout,
    /// The processor answers an HTTP 500 and does nothing.
    ServerError,
}

impl TestFault {
    pub(crate) fn error(self) -> ProcessorError {
        ProcessorError::Unavailable(
            match self {
                Self::Timeout => "the test processor did not answer in time",
                Self::ServerError => "the test processor answered HTTP 500",
            }
            .into(),
        )
    }
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    books: HashMap<ConnectionId, Books>,
    faults: HashMap<ConnectionId, (TestFault, u32)>,
}

impl Inner {
    pub(crate) fn books(&mut self, connection: ConnectionId) -> &mut Books {
        self.books.entry(connection).or_default()
    }

    /// The fault the next request of `connection` meets, if any.
    pub(crate) fn take_fault(&mut self, connection: ConnectionId) -> Option<TestFault> {
        let (fault, left) = self.faults.get_mut(&connection)?;
        let fault = *fault;
        *left -= 1;
        if *left == 0 {
            self.faults.remove(&connection);
        }
        Some(fault)
    }
}

/// The test processor's memory. Cheap to clone: clones share it, so every
/// processor made from one state (one per request, across a process)
/// sees the same customers and charges.
#[derive(Clone, Default)]
pub struct TestProcessorState(Arc<Mutex<Inner>>);

impl TestProcessorState {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes the next `times` requests to `connection` fail with `fault`.
    pub fn inject(&self, connection: ConnectionId, fault: TestFault, times: u32) {
        let mut inner = self.lock();
        if times == 0 {
            inner.faults.remove(&connection);
        } else {
            inner.faults.insert(connection, (fault, times));
        }
    }

    /// Finishes a 3-D Secure challenge, whichever connection's charge it
    /// belongs to: the cardholder passed it when `succeed`, failed it
    /// otherwise. Answers the charge as it now stands.
    ///
    /// # Errors
    /// [`ProcessorError::NotFound`] for an unknown client secret;
    /// [`ProcessorError::Rejected`] for a charge no longer waiting.
    pub fn authenticate(
        &self,
        client_secret: &str,
        succeed: bool,
    ) -> ProcessorResult<ChargeOutcome> {
        let mut inner = self.lock();
        inner
            .books
            .values_mut()
            .find_map(|books| books.authenticate(client_secret, succeed))
            .unwrap_or(Err(ProcessorError::NotFound))
    }
}

impl fmt::Debug for TestProcessorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestProcessorState")
            .field("connections", &self.lock().books.len())
            .finish_non_exhaustive()
    }
}
