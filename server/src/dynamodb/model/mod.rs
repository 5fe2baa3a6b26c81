//! DynamoDB's data model: [`number`] (the exact 38-digit decimal and its order-preserving
//! encoding), [`value`] (the ten attribute types, their JSON form, validation, item size),
//! [`lenient`] (JSON visited without failing on a wrong type), [`key`] (table keys as order-preserving engine keys), [`item_codec`] (the binary form items
//! are stored in).

pub mod item_codec;
pub mod key;
pub mod lenient;
pub mod number;
pub mod value;
