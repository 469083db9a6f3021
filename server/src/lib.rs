//! The Seatkeeper server: configuration, startup, the web layer around the Leptos app (sessions,
//! same-origin checks, sign-in), and command-line tasks (migrate, seed).

pub mod config;
pub mod database;
pub mod seed;
pub mod startup;
pub mod web;
