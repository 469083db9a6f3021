use crate::api::{email_deliveries, SendEmailsAgain};
use crate::components::{Console, ErrorBanner, OutcomeBanner};
use crate::format::thousands;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::people::{Delivery, Outbox};

/// Management > Emails: every email the console sent or will send for the company, and where it
/// stands, so an invitation that never arrived can be explained and sent again (R17).
#[component]
pub fn EmailsPage() -> impl IntoView {
    let send = ServerAction::<SendEmailsAgain>::new();
    let emails = Resource::new(move || send.version().get(), |_| email_deliveries());
    let send_again = move |emails: Option<Vec<uuid::Uuid>>| {
        send.dispatch(SendEmailsAgain { emails });
    };
    view! {
        <Title text="Emails"/>
        <Console>
            <h1>"Emails"</h1>
            <p class="lead">
                "Every email Seatkeeper sends waits in the outbox until it is delivered. A refused email is tried again; "
                "one that failed for good can be sent again. The newest come first."
            </p>
            {move || send.value().get().map(|outcome| view! { <OutcomeBanner outcome/> })}
            <Transition fallback=|| view! { <p>"Loading emails…"</p> }>
                {move || Suspend::new(async move {
                    match emails.await {
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                        Ok(outbox) if outbox.latest.is_empty() => view! { <p class="empty-state">"No email was sent yet."</p> }.into_any(),
                        Ok(outbox) => {
                            let shown = outbox.latest.len();
                            let list = outbox.latest;
                            view! {
                                <p role="note">
                                    {format!("{} waiting to be sent, {} failed.", thousands(outbox.waiting), thousands(outbox.failed))}
                                    {(shown == Outbox::LATEST).then(|| format!(" The newest {shown} are listed."))}
                                </p>
                                {(outbox.failed > 0).then(|| {
                                    let count = outbox.failed;
                                    view! {
                                        <button type="button" on:click=move |_| send_again(None)>
                                            {if count == 1 { "Send the failed email again".to_string() } else { format!("Send all {} failed emails again", thousands(count)) }}
                                        </button>
                                    }
                                })}
                                <table aria-label="Emails">
                                    <thead><tr>
                                        <th scope="col">"To"</th><th scope="col">"Subject"</th><th scope="col">"Queued"</th>
                                        <th scope="col">"Delivery"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|e| {
                                            let id = e.id;
                                            let failed = matches!(e.delivery, Delivery::Failed { .. });
                                            view! {
                                                <tr>
                                                    <td>{e.to.clone()}</td><td>{e.subject}</td><td>{e.queued_at.to_string()}</td>
                                                    <td class=if failed { "delivery-failed" } else { "" }>{e.delivery.label()}</td>
                                                    <td>{failed.then(|| view! {
                                                        <button type="button" class="link" aria-label=format!("Send again to {}", e.to)
                                                            on:click=move |_| send_again(Some(vec![id]))>"Send again"</button>
                                                    })}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </Console>
    }
}
