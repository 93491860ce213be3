//! The ICP builder: the form's fields and their API body (`form`), and the form itself (`view`).

pub mod form;
pub mod save;
pub mod view;
