//! What every write carries from the handler, through the service, to the one write path:
//! the request it serves and, for a POST sent with an `Idempotency-Key`, the key and how to
//! answer it. It is a parameter, not ambient state, because the write runs on the blocking
//! pool, where no task-local of the request reaches.
//!
//! The write path commits the stored answer of an idempotent POST in the same transaction as
//! the write itself: after a crash, a key either has its answer or nothing was written.

use std::any::Any;
use std::sync::Arc;

use serde::Serialize;

use super::auth::Caller;
use super::error::DomainError;

/// An HTTP answer as plain data: what an idempotent POST stores and replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: String,
}

impl Answer {
    /// An answer with a JSON body.
    pub fn json<T: Serialize>(
        status: u16,
        headers: Vec<(String, String)>,
        body: &T,
    ) -> Result<Self, DomainError> {
        let body = serde_json::to_string(body)
            .map_err(|e| DomainError::internal(format!("could not serialize an answer: {e}")))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

type AnswerFn = dyn Fn(&dyn Any) -> Option<Result<Answer, DomainError>> + Send + Sync;

/// A POST with an `Idempotency-Key` that has no stored answer yet.
#[derive(Clone)]
pub struct IdempotentRequest {
    pub key: String,
    /// SHA-256 of method, path, query and body: the same key with another request is refused.
    pub fingerprint: String,
    answer: Option<Arc<AnswerFn>>,
}

impl IdempotentRequest {
    pub fn new(key: String, fingerprint: String) -> Self {
        IdempotentRequest {
            key,
            fingerprint,
            answer: None,
        }
    }

    /// The answer to store for the value the write produced. The handler that registered
    /// the answer knows the value's type; a write of another type is a programming error,
    /// refused rather than stored without its answer.
    pub fn answer_for<T: 'static>(&self, value: &T) -> Result<Answer, DomainError> {
        self.answer_for_any(value)
    }

    /// [`answer_for`](Self::answer_for) of a value whose type the caller does not name.
    pub fn answer_for_any(&self, value: &dyn Any) -> Result<Answer, DomainError> {
        self.answer
            .as_ref()
            .and_then(|answer| answer(value))
            .unwrap_or_else(|| {
                Err(DomainError::internal(
                    "an idempotent write has no answer registered for its result",
                ))
            })
    }
}

impl std::fmt::Debug for IdempotentRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotentRequest")
            .field("key", &self.key)
            .field("fingerprint", &self.fingerprint)
            .field("answer", &self.answer.is_some())
            .finish()
    }
}

/// The context of one write. `WriteContext::default()` serves writes that no request made
/// (the service itself, as the `system` actor).
#[derive(Debug, Clone, Default)]
pub struct WriteContext {
    /// The id of the request being served, when there is one.
    pub request_id: Option<String>,
    /// Set for a POST with an `Idempotency-Key` seen for the first time.
    pub idempotency: Option<IdempotentRequest>,
    /// Who makes the write: recorded in its audit event, and checked against the rows it
    /// touches.
    pub caller: Caller,
}

impl WriteContext {
    /// Registers how a write's result of type `T` is answered, for the write path to store
    /// with the write when the request carries an `Idempotency-Key`.
    pub fn answering<T, F>(mut self, answer: F) -> Self
    where
        T: 'static,
        F: Fn(&T) -> Result<Answer, DomainError> + Send + Sync + 'static,
    {
        if let Some(request) = self.idempotency.as_mut() {
            request.answer = Some(Arc::new(move |value: &dyn Any| {
                value.downcast_ref::<T>().map(&answer)
            }));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_found_for_its_own_type_only() {
        let context = WriteContext {
            request_id: None,
            idempotency: Some(IdempotentRequest::new("k".into(), "f".into())),
            caller: Caller::default(),
        }
        .answering(|value: &u32| Answer::json(201, Vec::new(), value));
        let Some(request) = context.idempotency else {
            panic!("the key was dropped");
        };
        assert!(matches!(request.answer_for(&7_u32), Ok(answer) if answer.body == "7"));
        assert!(request.answer_for(&"text").is_err());
    }

    #[test]
    fn without_a_key_nothing_is_registered() {
        let context =
            WriteContext::default().answering(|value: &u32| Answer::json(201, Vec::new(), value));
        assert!(context.idempotency.is_none());
    }
}
