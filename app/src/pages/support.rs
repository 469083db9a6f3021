use crate::api::{support_cases, OpenCase};
use crate::components::{on_outcome, Console, ErrorBanner, OutcomeBanner};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::FieldErrors;

/// Support cases (R6): the company's people see their company's cases and open new ones.
#[component]
pub fn SupportPage() -> impl IntoView {
    let open = ServerAction::<OpenCase>::new();
    let cases = Resource::new(move || open.version().get(), |_| support_cases());
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::default());
    let outcome: RwSignal<Option<Result<String, AppError>>> = RwSignal::new(None);
    let submit = move || {
        if let Err(e) = shared::coordinators::parse_case(&subject.get_untracked(), &body.get_untracked()) {
            errors.set(e);
            return;
        }
        errors.set(FieldErrors::default());
        open.dispatch(OpenCase { subject: subject.get_untracked(), body: body.get_untracked() });
    };
    on_outcome(open, move |result| match result {
        Ok(_) => {
            outcome.set(Some(Ok("Your case was opened.".into())));
            subject.set(String::new());
            body.set(String::new());
        }
        Err(AppError::Invalid(e)) => errors.set(e),
        Err(error) => outcome.set(Some(Err(error))),
    });
    view! {
        <Title text="Support"/>
        <Console>
            <h1>"Support"</h1>
            <p class="lead">"Cases are seen by everyone in your company and by your reseller."</p>
            {move || outcome.get().map(|outcome| view! { <OutcomeBanner outcome/> })}
            <Transition fallback=|| view! { <p>"Loading cases…"</p> }>
                {move || Suspend::new(async move {
                    match cases.await {
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty-state">"No support cases yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table aria-label="Support cases">
                                <thead><tr>
                                    <th scope="col">"Opened"</th><th scope="col">"Company"</th><th scope="col">"Kind"</th>
                                    <th scope="col">"Subject"</th><th scope="col">"Opened by"</th><th scope="col">"Status"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|c| view! {
                                        <tr>
                                            <td>{c.opened_at.to_minute()}</td><td>{c.company}</td><td>{c.kind.label()}</td>
                                            <td>{c.subject}</td><td>{c.opened_by}</td><td>{c.status}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
            <section class="panel" aria-labelledby="new-case-title">
                <h2 id="new-case-title">"Open a case"</h2>
                <div class="field">
                    <label for="case-subject">"Subject"</label>
                    <input id="case-subject" prop:value=move || subject.get() on:input=move |ev| subject.set(event_target_value(&ev))/>
                    {move || errors.with(|e| e.for_field("Subject").map(|m| view! { <p class="field-error">{format!("Subject {m}")}</p> }))}
                </div>
                <div class="field">
                    <label for="case-text">"Text"</label>
                    <textarea id="case-text" rows="4" prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                    {move || errors.with(|e| e.for_field("Text").map(|m| view! { <p class="field-error">{format!("Text {m}")}</p> }))}
                </div>
                <button type="button" class="primary" on:click=move |_| submit()>"Open case"</button>
            </section>
        </Console>
    }
}
