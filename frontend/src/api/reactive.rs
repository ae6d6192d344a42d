//! The pages' reactive handles on server calls:
//! - [`ApiResource`]: what a page reads, reloaded when the signals its loader reads
//!   change, and shown through `<Suspense>` or `<Transition>`;
//! - [`ApiAction`]: what a form or a button sends, with its pending state and its
//!   last answer.
//!
//! Each is one Leptos type underneath (a `LocalResource`, an `Action`) whose values
//! are answers behind a `dyn Any`, with a typed face. One Leptos type per answer
//! type would compile Leptos's machinery for them (a future's poll, the set-up,
//! the dispatch) once per page and form, which cost the SPA's wasm about 18 KB of
//! gzip for the resources alone; see ADR 0010.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;

use super::ApiError;

type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;

/// An answer of some type, read back by the typed handle that asked for it.
fn typed<T: Clone + 'static>(answer: &(dyn Any + Send + Sync)) -> T {
    answer
        .downcast_ref::<T>()
        .expect("a handle holds answers of its own type")
        .clone()
}

type Answer = Result<Arc<dyn Any + Send + Sync>, ApiError>;

/// Boxes a typed call's future so that it yields an erased [`Answer`].
fn erase<T, Fut>(call: Fut) -> Boxed<Answer>
where
    T: Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    Box::pin(async move {
        call.await
            .map(|t| Arc::new(t) as Arc<dyn Any + Send + Sync>)
    })
}

/// A server answer of type `T`, loaded by a closure whose signals it tracks.
pub struct ApiResource<T> {
    inner: LocalResource<Answer>,
    answer: PhantomData<fn() -> T>,
}

impl<T> Clone for ApiResource<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ApiResource<T> {}

impl<T: Clone + Send + Sync + 'static> ApiResource<T> {
    /// Loads at once, and again whenever a signal `load` read has changed.
    pub fn new<F, Fut>(load: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        // `load` runs inside the resource's tracking scope, so the signals it reads
        // before its first `.await` are tracked, as with a `LocalResource`.
        Self {
            inner: erased_resource(Rc::new(move || erase(load()))),
            answer: PhantomData,
        }
    }

    /// The answer once loaded (tracked, and counted by an enclosing `<Suspense>`).
    pub fn get(&self) -> Option<Result<T, ApiError>> {
        self.inner
            .get()
            .map(|answer| answer.map(|any| typed::<T>(&*any)))
    }

    /// Loads again, keeping the current answer on screen until the new one arrives.
    pub fn refetch(&self) {
        self.inner.refetch();
    }
}

/// The one `LocalResource` type of the SPA, built in one place.
fn erased_resource(load: Rc<dyn Fn() -> Boxed<Answer>>) -> LocalResource<Answer> {
    LocalResource::new(move || load())
}

type Input = Arc<dyn Any + Send + Sync>;
type Call = Rc<dyn Fn(&Input) -> Boxed<Answer>>;

/// A server call made on demand with an input `I`, answering `O`.
pub struct ApiAction<I, O> {
    inner: Action<Input, Answer>,
    types: PhantomData<fn(I) -> O>,
}

impl<I, O> Clone for ApiAction<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for ApiAction<I, O> {}

impl<I, O> ApiAction<I, O>
where
    I: Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    pub fn new<F, Fut>(call: F) -> Self
    where
        F: Fn(&I) -> Fut + 'static,
        Fut: Future<Output = Result<O, ApiError>> + 'static,
    {
        let call = move |input: &Input| {
            let input = input
                .downcast_ref::<I>()
                .expect("an action is dispatched with its own input type");
            erase(call(input))
        };
        Self {
            inner: erased_action(Rc::new(call)),
            types: PhantomData,
        }
    }

    /// Makes the call. Answers are kept in the order they arrive, so pages disable
    /// what dispatches while a call is [`pending`](Self::pending).
    pub fn dispatch(&self, input: I) {
        self.inner.dispatch(Arc::new(input));
    }

    /// Whether a call is running (tracked).
    pub fn pending(&self) -> bool {
        self.inner.pending().get()
    }

    /// Whether a call is running, read without tracking (in an event handler).
    pub fn pending_untracked(&self) -> bool {
        self.inner.pending().get_untracked()
    }

    /// The last call's answer, if one has come back (tracked).
    pub fn result(&self) -> Option<Result<O, ApiError>> {
        self.inner
            .value()
            .get()
            .map(|answer| answer.map(|any| typed::<O>(&*any)))
    }

    /// Whether any call has come back yet (tracked).
    pub fn answered(&self) -> bool {
        self.inner.value().with(Option::is_some)
    }

    /// The last call's error, if it failed (tracked).
    pub fn error(&self) -> Option<ApiError> {
        self.inner.value().get().and_then(Result::err)
    }
}

/// The one `Action` type of the SPA, built in one place.
fn erased_action(call: Call) -> Action<Input, Answer> {
    Action::new_local(move |input: &Input| call(input))
}
