//! jaq's values as JSON text, written directly so objects keep jq's key order (the guest's
//! `serde_json::Map` would sort them). Numbers that are whole and fit in an i64 are integers
//! (Conductor returns them as Java longs), and what JSON cannot hold becomes valid JSON: NaN
//! and the infinities null, byte strings and non-string keys text.

use jaq_json::{Num, Val};

/// How deep a result may nest: the host refuses outputs deeper than 64 levels, and each
/// result sits two levels down (in `resultList`).
pub const MAX_DEPTH: usize = 62;

/// `{"result": first or null, "resultList": [all]}` as JSON text.
pub fn output(results: &[Val]) -> Result<String, String> {
    let mut w = Writer::default();
    w.out.push_str("{\"result\":");
    match results.first() {
        Some(first) => w.value(first, 0)?,
        None => w.out.push_str("null"),
    }
    w.out.push_str(",\"resultList\":[");
    for (i, v) in results.iter().enumerate() {
        if i > 0 {
            w.out.push(',');
        }
        w.value(v, 0)?;
    }
    w.out.push_str("]}");
    Ok(w.out)
}

/// A value as compact JSON, for messages: a value nested too deep is cut short (a message
/// shows only its start anyway).
pub fn json_text(v: &Val) -> String {
    let mut w = Writer::default();
    let _ = w.value(v, 0);
    w.out
}

#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn value(&mut self, v: &Val, depth: usize) -> Result<(), String> {
        match v {
            Val::Null => self.out.push_str("null"),
            Val::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Val::Num(n) => self.out.push_str(&number(n)),
            Val::TStr(s) | Val::BStr(s) => self.string(&String::from_utf8_lossy(s)),
            Val::Arr(a) => {
                self.open(depth, '[')?;
                for (i, item) in a.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.value(item, depth + 1)?;
                }
                self.out.push(']');
            }
            Val::Obj(o) => {
                self.open(depth, '{')?;
                for (i, (k, item)) in o.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    match k {
                        Val::TStr(s) | Val::BStr(s) => self.string(&String::from_utf8_lossy(s)),
                        other => self.string(&json_text(other)),
                    }
                    self.out.push(':');
                    self.value(item, depth + 1)?;
                }
                self.out.push('}');
            }
        }
        Ok(())
    }

    fn open(&mut self, depth: usize, bracket: char) -> Result<(), String> {
        if depth == MAX_DEPTH {
            return Err(format!("a result nests deeper than {MAX_DEPTH} levels"));
        }
        self.out.push(bracket);
        Ok(())
    }

    fn string(&mut self, s: &str) {
        // serde_json escapes exactly as JSON requires; a &str always serializes.
        self.out
            .push_str(&fermata_plugin::serde_json::to_string(s).unwrap_or_default());
    }
}

fn number(n: &Num) -> String {
    match n {
        Num::Int(i) => i.to_string(),
        // Exact when it fits an i64, else the nearest double.
        Num::BigInt(b) => {
            let text = b.to_string();
            match text.parse::<i64>() {
                Ok(_) => text,
                Err(_) => float(text.parse().unwrap_or(f64::NAN)),
            }
        }
        Num::Float(f) => float(*f),
        // A literal kept as written (e.g. `1.50` in the program).
        Num::Dec(text) => float(text.parse().unwrap_or(f64::NAN)),
    }
}

fn float(f: f64) -> String {
    fermata_plugin::float_json(f)
}
