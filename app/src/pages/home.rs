use crate::components::Console;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Home"/>
        <Console>
            <h1>"Your software subscriptions"</h1>
            <p>"Choose what to manage:"</p>
            <ul class="cards">
                <li>
                    <a href="/management/users">"Manage Users"</a>
                    <p>"Add people one by one or in bulk, invite them, and give them cloud services."</p>
                </li>
                <li>
                    <a href="/management/users/coordinators">"Manage Software Coordinators"</a>
                    <p>"Decide who coordinates each serial number of the contracts you manage."</p>
                </li>
            </ul>
        </Console>
    }
}
