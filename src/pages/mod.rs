//! The app's pages: the ICP list, detail and builder pages, the account pages, the team page, the
//! audit log and the webhooks page.

pub mod account;
pub mod audit;
pub mod builder_page;
#[cfg(feature = "ssr")]
pub mod changes;
pub mod confirm;
pub mod describe;
pub mod history;
pub mod icp_list;
pub mod icps;
pub mod import;
pub mod invitation;
pub mod layout;
pub mod list_filters;
pub mod loaded;
pub mod recovery;
pub mod settings;
pub mod team;
pub mod webhooks;
