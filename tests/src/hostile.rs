//! Helpers the hostile-client and fuzz suites share.

use crate::Server;

/// Bodies here can be megabytes: failure messages show only their start.
pub fn excerpt(text: &str) -> &str {
    let end = text.char_indices().nth(400).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// `/health` answers, and the process has not died behind a socket something else holds.
pub async fn assert_alive(s: &Server) {
    let r = s
        .http
        .get(format!("{}/health", s.base))
        .send()
        .await
        .expect("fermata answers /health");
    assert_eq!(r.status().as_u16(), 200, "health");
    let pid = s.pid().expect("fermata is running");
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("fermata process");
    // The state follows the command name, which is in parentheses and may hold spaces.
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("?")
        .to_string();
    assert!(
        !matches!(state.as_str(), "Z" | "X"),
        "fermata process is {state}"
    );
}

/// `${workflow.input.${workflow.input. ... ${workflow.input.k}}}` with `levels` `${`.
pub fn nested_ref(levels: usize) -> String {
    let mut inner = "workflow.input.k".to_string();
    for _ in 1..levels {
        inner = format!("workflow.input.${{{inner}}}");
    }
    format!("${{{inner}}}")
}

/// A JSONPath filter whose brackets and parentheses nest `depth` deep: the `[` and the `(`
/// of `[?(` are two of them, the rest wrap the predicate.
pub fn filter_expr(depth: usize) -> String {
    let inner = depth - 2;
    format!(
        "${{workflow.input[?({}@.a{})]}}",
        "(".repeat(inner),
        ")".repeat(inner)
    )
}
