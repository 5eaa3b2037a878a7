fn main() {
    // sqlx::migrate! embeds the migrations when the crate compiles: a changed or added file must
    // compile it again.
    println!("cargo:rerun-if-changed=migrations");
}
