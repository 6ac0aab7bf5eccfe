//! The definition tree as a graph: which task comes first, which comes after a given one, and
//! which container a task sits in (Conductor's `WorkflowDef.getNextTask` / `WorkflowTask.next`,
//! reference conductor-operators §14.1). Every question about the shape of a definition is
//! answered here, so the task kinds only ask.

use super::kind::{TaskKind, kind_of};
use crate::model::{WorkflowDef, WorkflowTask};
use std::collections::HashMap;

#[derive(Clone, Copy)]
struct Node<'a> {
    list: &'a [WorkflowTask],
    index: usize,
    /// The operator whose case, branch or body holds this task (`None` at the top level).
    parent: Option<&'a WorkflowTask>,
    /// Which of the parent's lists (case, fork branch) holds it.
    list_index: usize,
}

/// What follows a task once it has run.
#[derive(Debug, Clone, Copy)]
pub(super) enum Next<'a> {
    Task(&'a WorkflowTask),
    /// The last task of a loop body: the DO_WHILE decides whether another iteration runs.
    LoopEnd,
    /// The last task of a fork branch: the JOIN, created with the fork, takes over.
    BranchEnd,
    /// Nothing follows (the end of the workflow, or a TERMINATE).
    End,
}

pub(super) struct Graph<'a> {
    def: &'a WorkflowDef,
    nodes: HashMap<&'a str, Node<'a>>,
}

impl<'a> Graph<'a> {
    pub fn of(def: &'a WorkflowDef) -> Graph<'a> {
        let mut nodes = HashMap::new();
        index(&def.tasks, None, 0, &mut nodes);
        Graph { def, nodes }
    }

    pub fn first(&self) -> Option<&'a WorkflowTask> {
        self.def.tasks.first()
    }

    pub fn top_level(&self) -> &'a [WorkflowTask] {
        &self.def.tasks
    }

    /// Whether the definition holds this reference (a dynamically forked task it does not).
    pub fn holds(&self, reference: &str) -> bool {
        self.nodes.contains_key(reference)
    }

    /// The task written right after `reference` in the same list (a FORK_JOIN's JOIN).
    pub fn following(&self, reference: &str) -> Option<&'a WorkflowTask> {
        let node = self.nodes.get(reference)?;
        node.list.get(node.index + 1)
    }

    pub fn next(&self, reference: &str) -> Next<'a> {
        let Some(node) = self.nodes.get(reference) else {
            // A task the definition does not hold (a dynamically forked one) ends its branch.
            return Next::BranchEnd;
        };
        if kind_of(&node.list[node.index]) == TaskKind::Terminate {
            return Next::End;
        }
        if let Some(next) = node.list.get(node.index + 1) {
            return Next::Task(next);
        }
        match node.parent {
            None => Next::End,
            Some(parent) => match kind_of(parent) {
                TaskKind::DoWhile => Next::LoopEnd,
                TaskKind::Fork => Next::BranchEnd,
                _ => self.next(&parent.task_reference_name),
            },
        }
    }

    /// The FORK_JOINs holding `reference`, innermost first, each with the branch it is in.
    pub fn forks_around(&self, reference: &str) -> Vec<(&'a WorkflowTask, usize)> {
        let mut out = Vec::new();
        let mut at = self.nodes.get(reference);
        while let Some(node) = at {
            let Some(parent) = node.parent else { break };
            if kind_of(parent) == TaskKind::Fork {
                out.push((parent, node.list_index));
            }
            at = self.nodes.get(parent.task_reference_name.as_str());
        }
        out
    }

    /// The branch of fork `fork` that holds `reference`, if it is inside the fork.
    pub fn branch_in(&self, fork: &str, reference: &str) -> Option<usize> {
        self.forks_around(reference)
            .into_iter()
            .find(|(f, _)| f.task_reference_name == fork)
            .map(|(_, b)| b)
    }

    /// Whether `reference` sits somewhere inside `container`.
    pub fn inside(&self, container: &str, reference: &str) -> bool {
        let mut at = self.nodes.get(reference);
        while let Some(node) = at {
            match node.parent {
                Some(p) if p.task_reference_name == container => return true,
                Some(p) => at = self.nodes.get(p.task_reference_name.as_str()),
                None => return false,
            }
        }
        false
    }
}

fn index<'a>(
    list: &'a [WorkflowTask],
    parent: Option<&'a WorkflowTask>,
    list_index: usize,
    nodes: &mut HashMap<&'a str, Node<'a>>,
) {
    for (i, task) in list.iter().enumerate() {
        // The first occurrence wins; registration refuses duplicates anyway.
        nodes
            .entry(task.task_reference_name.as_str())
            .or_insert(Node {
                list,
                index: i,
                parent,
                list_index,
            });
        for (n, children) in task.children().enumerate() {
            index(children, Some(task), n, nodes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def() -> WorkflowDef {
        serde_json::from_value(json!({"name": "g", "tasks": [
            {"name": "a", "taskReferenceName": "a"},
            {"name": "s", "taskReferenceName": "s", "type": "SWITCH", "evaluatorType": "value-param",
             "expression": "x", "decisionCases": {"1": [
                {"name": "b", "taskReferenceName": "b"}, {"name": "c", "taskReferenceName": "c"}]}},
            {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [
                [{"name": "d", "taskReferenceName": "d"}], [{"name": "e", "taskReferenceName": "e"}]]},
            {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["d", "e"]},
            {"name": "l", "taskReferenceName": "l", "type": "DO_WHILE", "loopCondition": "false",
             "loopOver": [{"name": "g", "taskReferenceName": "g"}]},
            {"name": "t", "taskReferenceName": "t", "type": "TERMINATE"},
            {"name": "z", "taskReferenceName": "z"}
        ]}))
        .unwrap()
    }

    fn name(next: Next) -> String {
        match next {
            Next::Task(t) => t.task_reference_name.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn next_walks_out_of_cases_and_stops_at_branch_loop_and_terminate_ends() {
        let def = def();
        let g = Graph::of(&def);
        assert_eq!(name(g.next("a")), "s");
        assert_eq!(name(g.next("b")), "c");
        assert_eq!(
            name(g.next("c")),
            "f",
            "a case's last task continues after the switch"
        );
        assert_eq!(name(g.next("d")), "BranchEnd");
        assert_eq!(name(g.next("j")), "l");
        assert_eq!(name(g.next("g")), "LoopEnd");
        assert_eq!(name(g.next("t")), "End");
        assert_eq!(name(g.next("z")), "End");
        assert_eq!(g.following("f").unwrap().task_reference_name, "j");
    }

    #[test]
    fn containers_are_known() {
        let def = def();
        let g = Graph::of(&def);
        assert!(g.inside("l", "g"));
        assert_eq!(g.branch_in("f", "e"), Some(1));
        assert_eq!(g.forks_around("d")[0].0.task_reference_name, "f");
        assert!(g.forks_around("b").is_empty());
        assert!(g.inside("s", "c"));
        assert!(!g.inside("s", "d"));
    }
}
