//! The app's pages.

pub mod account;
pub mod icps;
