//! The app's pages: the ICP list, detail and builder pages, and the account pages.

pub mod account;
pub mod describe;
pub mod icp_list;
pub mod icps;
pub mod settings;
