use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Calls `handle` with each outcome of `action` that arrives from now on, never one it had before:
/// a dialog opened a second time does not see the answer its first opening got. What the outcome
/// changed is reloaded by the `Resource`s keyed on the action's `version()`.
pub fn on_outcome<S>(action: ServerAction<S>, handle: impl Fn(Result<S::Output, S::Error>) + 'static)
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    Effect::watch(
        move || action.version().get(),
        move |_, _, _| {
            if let Some(outcome) = action.value().get_untracked() {
                handle(outcome);
            }
        },
        false,
    );
}

/// How a dialog's action usually ends: the dialog is done with the answer (whoever opened it closes
/// it and says what happened), or the refusal is shown in the dialog, which stays open.
pub fn done_or_shown<S>(action: ServerAction<S>, on_done: Callback<S::Output>, problem: RwSignal<Option<S::Error>>)
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    on_outcome(action, move |outcome| match outcome {
        Ok(answer) => on_done.run(answer),
        Err(error) => problem.set(Some(error)),
    });
}
