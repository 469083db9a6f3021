use crate::api::dev_mailbox;
use crate::components::{Console, ErrorBanner};
use crate::routes::INVITATION_PREFIX;
use leptos::prelude::*;
use leptos_meta::Title;

/// On a development machine (SEATKEEPER_DEV_MAILBOX=on, no SMTP server), what would have been sent
/// is readable here, so an invitation can be followed there and in the end-to-end tests.
#[component]
pub fn MailboxPage() -> impl IntoView {
    let mails = Resource::new(|| (), |_| dev_mailbox());
    view! {
        <Title text="Development mailbox"/>
        <Console>
            <h1>"Development mailbox"</h1>
            <p class="lead">"No SMTP server is configured, so emails stay in the outbox. The newest come first."</p>
            <Suspense fallback=|| view! { <p>"Loading emails…"</p> }>
                {move || Suspend::new(async move {
                    match mails.await {
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty-state">"Nothing was sent yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="mails">
                                {list.into_iter().map(|m| {
                                    // Only a link whose token is still there (it is erased once sent).
                                    let link = m.body.find(INVITATION_PREFIX).map(|at| {
                                        m.body[at..].split_whitespace().next().unwrap_or_default().to_string()
                                    }).filter(|l| l.len() > INVITATION_PREFIX.len() && l[INVITATION_PREFIX.len()..].bytes().all(|b| b.is_ascii_hexdigit()));
                                    view! {
                                        <li>
                                            <article aria-label=format!("Email to {}", m.to)>
                                                <h2>{m.subject.clone()}</h2>
                                                <p class="muted">{format!("To {} · {}", m.to, m.queued_at)}</p>
                                                <pre>{m.body.clone()}</pre>
                                                {link.map(|href| view! { <a href=href>"Accept the invitation"</a> })}
                                            </article>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </Console>
    }
}
