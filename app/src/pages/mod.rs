mod contract;
mod home;
mod manage_coordinators;
mod manage_users;
mod not_found;
mod reseller;
mod sign_in;
mod support;

pub use contract::ContractPage;
pub use home::HomePage;
pub use manage_coordinators::ManageCoordinatorsPage;
pub use manage_users::ManageUsersPage;
pub use not_found::NotFoundPage;
pub use reseller::ResellerPage;
pub use sign_in::SignInPage;
pub use support::SupportPage;
