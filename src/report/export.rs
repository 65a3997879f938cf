//! The one small trait every output format implements.

use crate::error::Error;

use super::model::RunResults;

/// One output file of a run: a pure function from results to bytes.
pub trait Export: Sync {
    /// The file's name inside the run folder (`summary.json`).
    fn file_name(&self) -> &'static str;

    /// The file's whole content.
    fn render(&self, results: &RunResults) -> Result<Vec<u8>, Error>;
}
