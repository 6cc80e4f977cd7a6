//! Reading a versioned JSON document strictly: it must parse as the reader's type (unknown
//! fields refused, every field present) and name the reader's schema.

use serde::de::DeserializeOwned;

/// A JSON document that names its format and version in a `schema` field.
pub trait Versioned: DeserializeOwned {
    /// `"<format>/<version>"`, written into every document of this type.
    const SCHEMA: &'static str;
    /// The schema the document named.
    fn schema(&self) -> &str;
}

/// A document that does not match what its reader expects.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("not a {expected} document: {source}")]
    Json {
        expected: &'static str,
        source: serde_json::Error,
    },
    #[error("schema {found:?}, but this reader knows {expected:?} (a zcx program of another version wrote it)")]
    Schema {
        found: String,
        expected: &'static str,
    },
}

/// Parses `text` as one `T`, refusing another schema.
pub fn read_json<T: Versioned>(text: &str) -> Result<T, ContractError> {
    let doc: T = serde_json::from_str(text).map_err(|source| ContractError::Json {
        expected: T::SCHEMA,
        source,
    })?;
    check(&doc)?;
    Ok(doc)
}

/// Parses `text` as a JSON array of `T`, refusing any element of another schema.
pub fn read_json_list<T: Versioned>(text: &str) -> Result<Vec<T>, ContractError> {
    let docs: Vec<T> = serde_json::from_str(text).map_err(|source| ContractError::Json {
        expected: T::SCHEMA,
        source,
    })?;
    docs.iter().try_for_each(check)?;
    Ok(docs)
}

/// Fails when `doc` names another schema than `T`'s.
fn check<T: Versioned>(doc: &T) -> Result<(), ContractError> {
    if doc.schema() == T::SCHEMA {
        Ok(())
    } else {
        Err(ContractError::Schema {
            found: doc.schema().to_owned(),
            expected: T::SCHEMA,
        })
    }
}
