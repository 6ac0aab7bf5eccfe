//! Error messages in jq's words. Conductor runs jackson-jq, whose messages follow jq's:
//! `Cannot index string with string "array"`, `Cannot iterate over number (1)`,
//! `number (1) and string ("a") cannot be added`. jaq words the same errors differently
//! (`cannot index "a" with "array"`) and keeps their parts private, so a message is read
//! back: its values are parsed from jaq's text, and kept only if rebuilding the error from
//! them gives exactly the error jaq raised. A message that does not read back is jaq's.

use crate::convert::json_text;
use jaq_core::compile::{self, Undefined};
use jaq_core::load::{self, lex, parse};
use jaq_core::ops::Math;
use jaq_json::{Error, Val};

/// A program that does not lex or parse, or imports what is not there.
pub fn load(errors: load::Errors<&str, ()>) -> String {
    let mut messages = Vec::new();
    for (file, error) in errors {
        match error {
            load::Error::Io(errs) => messages.extend(
                errs.into_iter()
                    .map(|(path, why)| format!("cannot load module \"{path}\": {why}")),
            ),
            load::Error::Lex(errs) => messages.extend(errs.into_iter().map(|(expected, at)| {
                let expected = lexeme(&expected);
                format!(
                    "syntax error: expected {expected}{}",
                    position(file.code, at)
                )
            })),
            // The parser names what it found as a slice of the program, "" at its end.
            load::Error::Parse(errs) => {
                messages.extend(errs.into_iter().map(|(expected, found)| {
                    let at = position(file.code, found);
                    let found = match found {
                        "" => "end of input".to_string(),
                        token => format!("\"{}\"", shorten(token, 30)),
                    };
                    let expected = parse_expected(&expected);
                    format!("syntax error: expected {expected}, found {found}{at}")
                }))
            }
        }
    }
    messages.join("; ")
}

/// A program that parses but names what is not defined.
pub fn compile(errors: compile::Errors<&str, ()>) -> String {
    let mut messages = Vec::new();
    for (file, errs) in errors {
        for (name, undefined) in errs {
            let what = match undefined {
                Undefined::Filter(arity) => format!("filter {name}/{arity}"),
                other => format!("{} {name}", other.as_str()),
            };
            messages.push(format!("undefined {what}{}", position(file.code, name)));
        }
    }
    messages.join("; ")
}

/// What the lexer wanted. (`lex::Expect::as_str` panics on a delimiter it does not know.)
fn lexeme(expected: &lex::Expect<&str>) -> &'static str {
    match expected {
        lex::Expect::Delim("(") => "closing parenthesis",
        lex::Expect::Delim("[") => "closing bracket",
        lex::Expect::Delim("{") => "closing brace",
        lex::Expect::Delim("\"") => "closing quote",
        lex::Expect::Delim(_) => "closing delimiter",
        other => other.as_str(),
    }
}

fn parse_expected(expected: &parse::Expect<&str>) -> String {
    match expected {
        parse::Expect::Just(token) => format!("\"{token}\""),
        other => other.as_str().to_string(),
    }
}

/// ` at line L, column C` for a slice of `code`, or nothing if it is not one.
fn position(code: &str, at: &str) -> String {
    let offset = (at.as_ptr() as usize).wrapping_sub(code.as_ptr() as usize);
    if offset > code.len() || !code.is_char_boundary(offset) {
        return String::new();
    }
    let before = &code[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!(" at line {line}, column {column}")
}

/// A runtime error, in jq's words where jaq's message reads back.
pub fn runtime(error: Error) -> String {
    let value = error.clone().into_val();
    // Raised with a value (`error(v)`, or jaq's own text errors): a string is the message,
    // anything else its JSON, as jackson-jq has it.
    if Error::new(value.clone()) == error {
        return match &value {
            Val::TStr(s) | Val::BStr(s) => String::from_utf8_lossy(s).into_owned(),
            other => json_text(other),
        };
    }
    let text = error.to_string();
    index(&text, &error)
        .or_else(|| iterate(&text, &error))
        .or_else(|| math(&text, &error))
        .or_else(|| type_error(&text, &error))
        .unwrap_or_else(|| capitalized(&text))
}

/// `cannot index L with R` → `Cannot index <type of L> with string "R"` (or `with number`,
/// `with <type of R>`), as jq 1.7 and jackson-jq word it.
fn index(text: &str, error: &Error) -> Option<String> {
    let (l, r) = two_values(text, "cannot index ", " with ", |l, r| {
        Error::index(l.clone(), r.clone()) == *error
    })?;
    let with = match &r {
        Val::TStr(s) | Val::BStr(s) => format!("string \"{}\"", String::from_utf8_lossy(s)),
        other => type_name(other).to_string(),
    };
    Some(format!("Cannot index {} with {with}", type_name(&l)))
}

/// `cannot use V as iterable (array or object)` → `Cannot iterate over <type> (V)`.
fn iterate(text: &str, error: &Error) -> Option<String> {
    const ITERABLE: &str = "iterable (array or object)";
    let v = text
        .strip_prefix("cannot use ")?
        .strip_suffix(&format!(" as {ITERABLE}"))?;
    let v = jaq_json::read::parse_single(v.as_bytes()).ok()?;
    (Error::typ(v.clone(), ITERABLE) == *error)
        .then(|| format!("Cannot iterate over {}", preview(&v)))
}

/// `cannot calculate L + R` → `<type> (L) and <type> (R) cannot be added`.
fn math(text: &str, error: &Error) -> Option<String> {
    let ops = [
        (Math::Add, "+", "added"),
        (Math::Sub, "-", "subtracted"),
        (Math::Mul, "*", "multiplied"),
        (Math::Div, "/", "divided"),
        (Math::Rem, "%", "divided (remainder)"),
    ];
    ops.into_iter().find_map(|(op, symbol, verb)| {
        let (l, r) = two_values(text, "cannot calculate ", &format!(" {symbol} "), |l, r| {
            Error::math(l.clone(), op, r.clone()) == *error
        })?;
        let zero = matches!(op, Math::Div | Math::Rem) && r == Val::from(0isize);
        let why = if zero {
            " because the divisor is zero"
        } else {
            ""
        };
        Some(format!(
            "{} and {} cannot be {verb}{why}",
            preview(&l),
            preview(&r)
        ))
    })
}

/// `cannot use V as T` for the other types jaq checks → `Cannot use <type> (V) as T`.
fn type_error(text: &str, error: &Error) -> Option<String> {
    const TYPES: [&str; 6] = [
        "integer",
        "number",
        "string",
        "array",
        "boolean",
        "rangeable (array or string)",
    ];
    let rest = text.strip_prefix("cannot use ")?;
    TYPES.into_iter().find_map(|typ| {
        let v = rest.strip_suffix(typ)?.strip_suffix(" as ")?;
        let v = jaq_json::read::parse_single(v.as_bytes()).ok()?;
        (Error::typ(v.clone(), typ) == *error)
            .then(|| format!("Cannot use {} as {typ}", preview(&v)))
    })
}

/// Split `{prefix}{L}{separator}{R}` where L and R are values as jaq prints them. A value
/// may itself contain the separator (inside a string), so every split is tried, and the one
/// `confirm` accepts is kept.
fn two_values(
    text: &str,
    prefix: &str,
    separator: &str,
    confirm: impl Fn(&Val, &Val) -> bool,
) -> Option<(Val, Val)> {
    let rest = text.strip_prefix(prefix)?;
    let bytes = rest.as_bytes();
    rest.match_indices(separator).find_map(|(at, _)| {
        let l = jaq_json::read::parse_single(&bytes[..at]).ok()?;
        let r = jaq_json::read::parse_single(&bytes[at + separator.len()..]).ok()?;
        confirm(&l, &r).then_some((l, r))
    })
}

fn type_name(v: &Val) -> &'static str {
    match v {
        Val::Null => "null",
        Val::Bool(_) => "boolean",
        Val::Num(_) => "number",
        Val::TStr(_) | Val::BStr(_) => "string",
        Val::Arr(_) => "array",
        Val::Obj(_) => "object",
    }
}

/// `<type> (<JSON, cut to 14 characters>)`, as jq and jackson-jq show a value in a message.
fn preview(v: &Val) -> String {
    format!("{} ({})", type_name(v), shorten(&json_text(v), 14))
}

/// At most `max` characters: longer text keeps `max - 3` and ends in `...`.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max - 3).collect();
    format!("{kept}...")
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
