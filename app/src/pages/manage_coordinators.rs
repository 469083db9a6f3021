use crate::components::Console;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ManageCoordinatorsPage() -> impl IntoView {
    view! {
        <Title text="Manage Software Coordinators"/>
        <Console>
            <h1>"Manage Software Coordinators"</h1>
            <section class="empty-state" aria-label="Contracts">
                <h2>"No contracts to list yet"</h2>
                <p>"The contracts you manage, with their serial numbers and coordinators, arrive here next."</p>
            </section>
        </Console>
    }
}
