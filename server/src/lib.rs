//! The Seatkeeper server: configuration, startup, the web layer around the Leptos app (sessions,
//! same-origin checks, sign-in), and command-line tasks (migrate, seed), and the
//! outbox's SMTP delivery.

pub mod config;
pub mod database;
pub mod mail;
pub mod seed;
pub mod startup;
pub mod state;
pub mod web;
