//! What goes to S3: where objects go (`layout`), what a day's object holds
//! (`object`, `push_rows`), the storage calls (`store`) and the run's
//! bounded writes (`write`).

pub mod layout;
pub mod object;
pub mod push_rows;
pub mod store;
pub mod write;
