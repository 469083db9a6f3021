use crate::components::Console;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ManageUsersPage() -> impl IntoView {
    view! {
        <Title text="Manage Users"/>
        <Console>
            <h1>"Manage Users"</h1>
            <p>
                "Contract Managers: "
                <a href="/management/users/coordinators">"Manage Software Coordinators"</a>
            </p>
            <section class="empty-state" aria-label="People">
                <h2>"No people to list yet"</h2>
                <p>"Adding people one by one or in bulk, invitations and cloud service access arrive here next."</p>
            </section>
        </Console>
    }
}
