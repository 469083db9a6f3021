mod contract;
mod home;
mod manage_coordinators;
mod manage_users;
mod not_found;
mod sign_in;

pub use contract::ContractPage;
pub use home::HomePage;
pub use manage_coordinators::ManageCoordinatorsPage;
pub use manage_users::ManageUsersPage;
pub use not_found::NotFoundPage;
pub use sign_in::SignInPage;
