use crate::components::Console;
use crate::routes;
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
                    <a href=routes::MANAGE_USERS>"Manage Users"</a>
                    <p>"Add people one by one or in bulk, invite them, and give them cloud services."</p>
                </li>
                <li>
                    <a href=routes::MANAGE_COORDINATORS>"Manage Software Coordinators"</a>
                    <p>"Decide who coordinates each serial number of the contracts you manage."</p>
                </li>
            </ul>
        </Console>
    }
}
