//! Conductor's search query language, parsed into a structured filter the store executes.
//!
//! `query` is clauses joined by AND: `workflowType IN (a, b)`, `status = RUNNING`,
//! `correlationId = 'c1'`, `startTime > 1700000000000`, `workflowId IN (...)`.
//! `freeText` is `*` or a term matched against id, name and correlation id.
//! `sort` is `field:ASC|DESC`.

use crate::limits::{MAX_EPOCH_MS, MAX_FREE_TEXT_CHARS, MAX_IDS_PER_REQUEST};
use crate::model::WorkflowStatus;

pub const MAX_SEARCH_SIZE: i64 = 5000;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkflowQuery {
    pub names: Vec<String>,
    pub statuses: Vec<WorkflowStatus>,
    pub correlation_ids: Vec<String>,
    pub workflow_ids: Vec<String>,
    /// Inclusive bounds on start (create) time, epoch ms.
    pub start_from: Option<i64>,
    pub start_to: Option<i64>,
    pub update_from: Option<i64>,
    pub update_to: Option<i64>,
    pub free_text: Option<String>,
    pub sort: Sort,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortField {
    #[default]
    StartTime,
    UpdateTime,
    EndTime,
    WorkflowType,
    Status,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

/// The REST parameters every search takes.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    pub query: Option<String>,
    pub free_text: Option<String>,
    /// `field:ASC|DESC`.
    pub sort: Option<String>,
    pub start: Option<i64>,
    /// 100 when left out.
    pub size: Option<i64>,
}

/// What every search makes of a request before its own fields: paging, free text, the
/// sort split, the AND-ed clauses.
pub(crate) struct Common<'a> {
    pub offset: i64,
    pub limit: i64,
    pub free_text: Option<String>,
    /// (field, descending).
    pub sort: Option<(&'a str, bool)>,
    pub clauses: Vec<String>,
}

impl SearchRequest {
    /// `what`: what the search returns, for the error that asks for paging.
    pub(crate) fn common(&self, what: &str) -> Result<Common<'_>, String> {
        let (start, size) = (self.start.unwrap_or(0), self.size.unwrap_or(100));
        if size > MAX_SEARCH_SIZE {
            return Err(format!(
                "Cannot return more than {MAX_SEARCH_SIZE} {what}. Please use pagination."
            ));
        }
        if start < 0 || size < 0 {
            return Err("start and size must not be negative".into());
        }
        let free_text = match self
            .free_text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != "*")
        {
            Some(text) if text.chars().count() > MAX_FREE_TEXT_CHARS => {
                return Err(format!(
                    "freeText is longer than {MAX_FREE_TEXT_CHARS} characters"
                ));
            }
            text => text.map(str::to_string),
        };
        let sort = match self
            .sort
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(sort) => Some(split_sort(sort)?),
            None => None,
        };
        let clauses = self
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(split_and)
            .unwrap_or_default();
        Ok(Common {
            offset: start,
            limit: size,
            free_text,
            sort,
            clauses,
        })
    }
}

impl WorkflowQuery {
    /// Build from the REST parameters. Errors are the text of a 400.
    pub fn parse(request: &SearchRequest) -> Result<WorkflowQuery, String> {
        let c = request.common("workflows")?;
        let mut q = WorkflowQuery {
            offset: c.offset,
            limit: c.limit,
            free_text: c.free_text,
            sort: Sort {
                field: SortField::StartTime,
                descending: true,
            },
            ..Default::default()
        };
        if let Some((field, descending)) = c.sort {
            q.sort = Sort {
                field: sort_field(field)?,
                descending,
            };
        }
        for clause in &c.clauses {
            q.apply(clause)?;
        }
        Ok(q)
    }

    fn apply(&mut self, text: &str) -> Result<(), String> {
        let listed = self.names.len()
            + self.statuses.len()
            + self.correlation_ids.len()
            + self.workflow_ids.len();
        let c = Clause::parse(text, listed)?;
        match (c.field.as_str(), c.op.as_str()) {
            ("workflowType", "=" | "IN") => self.names.extend(c.values),
            ("status", "=" | "IN") => {
                for v in &c.values {
                    self.statuses.push(v.parse()?);
                }
            }
            ("correlationId", "=" | "IN") => self.correlation_ids.extend(c.values),
            ("workflowId", "=" | "IN") => self.workflow_ids.extend(c.values),
            ("startTime", ">" | ">=" | "<" | "<=") => {
                c.narrow((&mut self.start_from, &mut self.start_to))?
            }
            ("updateTime", ">" | ">=" | "<" | "<=") => {
                c.narrow((&mut self.update_from, &mut self.update_to))?
            }
            _ => {
                return Err(format!(
                    "Unsupported search clause '{text}': use workflowType, status, correlationId or workflowId with = or IN, startTime or updateTime with <, <=, >, >="
                ));
            }
        }
        Ok(())
    }
}

/// Epoch milliseconds, or an ISO-8601 / RFC 3339 time.
fn parse_time(v: &str) -> Result<i64, String> {
    let ms = v
        .parse::<i64>()
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(v).map(|t| t.timestamp_millis()))
        .map_err(|_| format!("'{v}' is not a time: use epoch milliseconds or ISO-8601"))?;
    if (0..=MAX_EPOCH_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(format!(
            "'{v}' is out of range: times are epoch milliseconds from 0 to {MAX_EPOCH_MS}"
        ))
    }
}

/// `field:ASC|DESC` as (field, descending).
pub(crate) fn split_sort(sort: &str) -> Result<(&str, bool), String> {
    let (field, dir) = sort.split_once(':').unwrap_or((sort, "ASC"));
    let descending = match dir.trim().to_ascii_uppercase().as_str() {
        "ASC" => false,
        "DESC" => true,
        other => return Err(format!("Unsupported sort order: {other}")),
    };
    Ok((field.trim(), descending))
}

fn sort_field(field: &str) -> Result<SortField, String> {
    Ok(match field {
        "startTime" | "createTime" => SortField::StartTime,
        "updateTime" => SortField::UpdateTime,
        "endTime" => SortField::EndTime,
        "workflowType" => SortField::WorkflowType,
        "status" => SortField::Status,
        other => return Err(format!("Unsupported sort field: {other}")),
    })
}

/// Split on AND outside quotes and parentheses.
pub(crate) fn split_and(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0;
    let words: Vec<&str> = query.split_inclusive(char::is_whitespace).collect();
    for word in words {
        for c in word.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (None, '\'' | '"') => quote = Some(c),
                (None, '(') => depth += 1,
                (None, ')') => depth -= 1,
                _ => {}
            }
        }
        if quote.is_none() && depth == 0 && word.trim().eq_ignore_ascii_case("AND") {
            out.push(std::mem::take(&mut current));
        } else {
            current.push_str(word);
        }
    }
    out.push(current);
    out.into_iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// One parsed clause of a query.
pub(crate) struct Clause<'a> {
    pub text: &'a str,
    pub field: String,
    pub op: String,
    pub values: Vec<String>,
}

impl<'a> Clause<'a> {
    /// `listed`: the values the query lists already; with this clause's they may not pass
    /// [`MAX_IDS_PER_REQUEST`].
    pub(crate) fn parse(text: &'a str, listed: usize) -> Result<Clause<'a>, String> {
        let (field, op, values) = parse_clause(text)?;
        if listed + values.len() > MAX_IDS_PER_REQUEST {
            return Err(format!(
                "A search can list at most {MAX_IDS_PER_REQUEST} values"
            ));
        }
        Ok(Clause {
            text,
            field,
            op,
            values,
        })
    }

    /// A time comparison narrowing the inclusive bounds `(from, to)`: `>` and `>=` the
    /// lower one, `<` and `<=` the upper one.
    pub(crate) fn narrow(
        &self,
        bounds: (&mut Option<i64>, &mut Option<i64>),
    ) -> Result<(), String> {
        let value = self
            .values
            .first()
            .ok_or_else(|| format!("Missing value in '{}'", self.text))?;
        let at = parse_time(value)?;
        match self.op.as_str() {
            ">" => *bounds.0 = Some(at + 1),
            ">=" => *bounds.0 = Some(at),
            "<" => *bounds.1 = Some(at - 1),
            _ => *bounds.1 = Some(at),
        }
        Ok(())
    }
}

fn parse_clause(clause: &str) -> Result<(String, String, Vec<String>), String> {
    let field_end = clause
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .ok_or_else(|| format!("Cannot parse search clause '{clause}'"))?;
    let field = clause[..field_end].to_string();
    let rest = clause[field_end..].trim_start();
    let (op, value) = [">=", "<=", "!=", "=", ">", "<"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|v| (op.to_string(), v)))
        .or_else(|| {
            let upper = rest.get(..2)?.to_ascii_uppercase();
            (upper == "IN").then(|| ("IN".to_string(), &rest[2..]))
        })
        .ok_or_else(|| format!("Cannot parse search clause '{clause}'"))?;
    let value = value.trim();
    let values = if op == "IN" {
        let inner = value
            .strip_prefix('(')
            .and_then(|v| v.strip_suffix(')'))
            .ok_or_else(|| format!("IN needs a list in parentheses: '{clause}'"))?;
        inner
            .split(',')
            .map(unquote)
            .filter(|v| !v.is_empty())
            .collect()
    } else {
        vec![unquote(value)]
    };
    Ok((field, op, values))
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    v.strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| v.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
        .unwrap_or(v)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        query: Option<&str>,
        free_text: Option<&str>,
        sort: Option<&str>,
        start: i64,
        size: i64,
    ) -> Result<WorkflowQuery, String> {
        WorkflowQuery::parse(&SearchRequest {
            query: query.map(str::to_string),
            free_text: free_text.map(str::to_string),
            sort: sort.map(str::to_string),
            start: Some(start),
            size: Some(size),
        })
    }

    #[test]
    fn parses_conductor_queries() {
        let q = parse(
            Some("workflowType IN (a, b) AND status = RUNNING AND correlationId='c 1' AND startTime > 100 AND startTime<=200"),
            Some("*"),
            Some("updateTime:ASC"),
            10,
            20,
        )
        .unwrap();
        assert_eq!(q.names, vec!["a", "b"]);
        assert_eq!(q.statuses, vec![WorkflowStatus::Running]);
        assert_eq!(q.correlation_ids, vec!["c 1"]);
        assert_eq!((q.start_from, q.start_to), (Some(101), Some(200)));
        assert_eq!(q.free_text, None);
        assert_eq!(
            q.sort,
            Sort {
                field: SortField::UpdateTime,
                descending: false
            }
        );
        assert_eq!((q.offset, q.limit), (10, 20));
    }

    #[test]
    fn and_inside_quotes_is_a_value() {
        let q = parse(Some("correlationId = 'x AND y'"), None, None, 0, 10).unwrap();
        assert_eq!(q.correlation_ids, vec!["x AND y"]);
    }

    #[test]
    fn rejects_what_it_cannot_run() {
        assert!(parse(Some("status = NOPE"), None, None, 0, 10).is_err());
        assert!(parse(Some("foo ~ 1"), None, None, 0, 10).is_err());
        assert!(parse(None, None, Some("bogus:ASC"), 0, 10).is_err());
        assert!(parse(None, None, None, 0, 5001).is_err());
        let overflow = format!("startTime>{}", i64::MAX);
        assert!(parse(Some(&overflow), None, None, 0, 1).is_err());
        assert!(parse(None, Some(&"x".repeat(50_001)), None, 0, 1).is_err());
        let many = format!("workflowId IN ({})", vec!["a"; 1001].join(","));
        assert!(parse(Some(&many), None, None, 0, 1).is_err());
        let iso = parse(Some("startTime>=2026-01-01T00:00:00Z"), None, None, 0, 1).unwrap();
        assert_eq!(iso.start_from, Some(1_767_225_600_000));
        assert_eq!(
            parse(None, Some("abc"), None, 0, 1)
                .unwrap()
                .free_text
                .as_deref(),
            Some("abc")
        );
    }
}
