//! The 404 messages conductor-python's own `test_orkes_clients.py` checks (vendored under
//! tests/sdk/python/upstream): the two reads that answer as Orkes does rather than as OSS.

use fermata_tests::{Server, three_task_def};
use serde_json::json;

#[tokio::test]
async fn a_removed_workflow_is_404_with_conductors_get_message() {
    let s = Server::start().await;
    s.define(three_task_def("gone")).await;
    let id = s.start_workflow("gone", json!({"a": 5})).await;
    let r = s
        .delete(&format!("/workflow/{id}/remove?archiveWorkflow=True"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for path in [
        format!("/workflow/{id}"),
        format!("/workflow/{id}?includeTasks=false"),
    ] {
        let msg = s.get(&path).await.assert_error(404);
        assert_eq!(msg, format!("Workflow with id: {id} not found."), "{path}");
    }
    // The other endpoints keep OSS's wording.
    let msg = s
        .get(&format!("/workflow/{id}/status"))
        .await
        .assert_error(404);
    assert_eq!(msg, format!("No such workflow found by id: {id}"));
}

#[tokio::test]
async fn an_unregistered_task_definition_is_404_task_not_found() {
    let s = Server::start().await;
    let r = s
        .post(
            "/metadata/taskdefs",
            json!([{"name": "short_lived", "inputKeys": ["a", "b"]}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.get("/metadata/taskdefs/short_lived").await.status, 200);
    assert_eq!(s.delete("/metadata/taskdefs/short_lived").await.status, 200);
    let msg = s
        .get("/metadata/taskdefs/short_lived")
        .await
        .assert_error(404);
    assert_eq!(msg, "Task short_lived not found");
    let msg = s
        .delete("/metadata/taskdefs/short_lived")
        .await
        .assert_error(404);
    assert_eq!(msg, "No such taskType found by name: short_lived");
}
