/// The committed openapi.json is what the code generates; regenerate with `make openapi`.
#[test]
fn the_committed_openapi_file_is_up_to_date() {
    let committed = include_str!("../../../openapi.json");
    let generated = ops::openapi::render();
    assert!(
        committed == generated,
        "openapi.json is stale: run `make openapi` and commit the result"
    );
}
