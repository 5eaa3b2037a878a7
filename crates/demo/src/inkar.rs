//! The INKAR table of all 400 Kreise, the 16 Länder and the Bund (2007–2022), shipped unchanged
//! in `data/` (see `data/PROVENANCE.md`) so that the demo's region pages show real figures. It
//! is imported through the shipped mapping (`mappings/inkar-sgb2-kreise.toml`), as a user would
//! import it.

pub const FILE_NAME: &str = "inkar_sgb2_kreise_2007_2022.csv";
pub const CSV: &str = include_str!("../data/inkar_sgb2_kreise_2007_2022.csv");
pub const MAPPING_NAME: &str = "inkar-sgb2-kreise.toml";
pub const MAPPING: &str = include_str!("../../../mappings/inkar-sgb2-kreise.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_copy_is_identical_to_the_shared_original() {
        let shared = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/real/inkar/inkar_sgb2_kreise_2007_2022.csv"
        );
        match std::fs::read_to_string(shared) {
            Ok(original) => assert!(original == CSV, "data/{FILE_NAME} differs from {shared}"),
            // As for the Regensburg file: without the shared folder nothing can be compared,
            // which must not pass silently in CI.
            Err(e) => assert!(std::env::var_os("CI").is_none(), "{shared}: {e}"),
        }
    }
}
