//! The JavaScript evaluator: a fresh boa context per call, like Conductor's new GraalJS
//! context per evaluation, so nothing one script defines reaches another. The only global
//! added to the language's own is `$`; `console` stays undefined, as in Conductor's sandbox.
//!
//! Nothing here limits a script's time or memory: the host interrupts a plugin at its
//! deadline (epoch interruption) and refuses memory past its limit, and both end the call as
//! traps, which nothing in a plugin can catch.

use boa_engine::context::time::FixedClock;
use boa_engine::context::{ContextBuilder, HostHooks};
use boa_engine::object::FunctionObjectBuilder;
use boa_engine::property::Attribute;
use boa_engine::{
    Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, Script,
    Source, js_string,
};
use std::cell::Cell;
use std::rc::Rc;

/// What the script may see of the outside world besides its input.
pub struct Env {
    /// The host's clock when the task began: `Date.now()` and `new Date()` read it, so a
    /// script's result does not depend on when it runs.
    pub now_ms: u64,
    /// The seed of `Math.random`.
    pub seed: u64,
}

/// The script's completion value as JSON text, or the message of what it threw. `input` is
/// the task's input as JSON text.
pub fn evaluate(script: &str, input: &str, env: &Env) -> Result<String, String> {
    let context = &mut ContextBuilder::default()
        .clock(Rc::new(FixedClock::from_millis(env.now_ms)))
        .host_hooks(Rc::new(Utc))
        .build()
        .map_err(|e| e.to_string())?;
    let run = |context: &mut Context| -> JsResult<String> {
        seed_random(env.seed, context)?;
        // Parsed by `JSON.parse` rather than from the guest's map, which sorts keys: `$` keeps
        // the order the host sent them in.
        let parse = context
            .intrinsics()
            .objects()
            .json()
            .get(js_string!("parse"), context)?;
        let dollar = function(&parse)?.call(
            &JsValue::undefined(),
            &[JsString::from(input).into()],
            context,
        )?;
        context.register_global_property(js_string!("$"), dollar, Attribute::all())?;
        // Taken before the script runs, so a script that replaces `Object.keys` does not
        // change how its result is read.
        let keys = context
            .intrinsics()
            .constructors()
            .object()
            .constructor()
            .get(js_string!("keys"), context)?;
        let value = context.eval(Source::from_bytes(script))?;
        crate::json::write(&value, &function(&keys)?, context)
    };
    run(context).map_err(|e| message(e, context))
}

/// Whether `script` parses, without running it: the message of its syntax error otherwise.
pub fn check_syntax(script: &str) -> Result<(), String> {
    let context = &mut Context::default();
    Script::parse(Source::from_bytes(script), None, context)
        .map(|_| ())
        .map_err(|e| message(e, context))
}

/// A builtin function read from its intrinsic object.
fn function(value: &JsValue) -> JsResult<JsObject> {
    value.as_object().ok_or_else(|| {
        JsNativeError::typ()
            .with_message("a builtin is missing")
            .into()
    })
}

/// Dates in UTC whatever the machine: a Conductor server runs in a container, in UTC.
struct Utc;

impl HostHooks for Utc {
    fn local_timezone_offset_seconds(&self, _unix_time_seconds: i64) -> i32 {
        0
    }
}

thread_local! {
    /// SplitMix64's state for `Math.random`. One script runs at a time on a thread.
    static RANDOM: Cell<u64> = const { Cell::new(0) };
}

/// Replace `Math.random` (which boa seeds from the system's entropy) with SplitMix64 seeded
/// by the host's task ids: random enough for jitter and sampling, and the same on every run
/// of the same task.
fn seed_random(seed: u64, context: &mut Context) -> JsResult<()> {
    RANDOM.with(|state| state.set(seed));
    let random = FunctionObjectBuilder::new(context.realm(), NativeFunction::from_fn_ptr(random))
        .name(js_string!("random"))
        .length(0)
        .build();
    let math = context.intrinsics().objects().math();
    math.set(js_string!("random"), random, true, context)?;
    Ok(())
}

fn random(_this: &JsValue, _args: &[JsValue], _context: &mut Context) -> JsResult<JsValue> {
    let z = RANDOM.with(|state| {
        let s = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(s);
        let z = (s ^ (s >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    });
    // The top 53 bits, as a fraction in [0, 1).
    Ok(JsValue::new((z >> 11) as f64 / (1u64 << 53) as f64))
}

/// What GraalJS reports as the message of a thrown value: `String(value)`, which for an error
/// is `Name: message` (`TypeError: x is not a function`) and for a string is the string.
fn message(error: JsError, context: &mut Context) -> String {
    // boa's own text, without the backtrace it appends: for errors with no JS value (a
    // runtime limit) and values that have no string form (a Symbol).
    let plain = |e: &JsError| {
        let text = e.to_string();
        text.split("\n    at ")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let value = match error.clone().into_opaque(context) {
        Ok(value) => value,
        Err(engine) => return plain(&engine),
    };
    match value.to_string(context) {
        Ok(text) => text.to_std_string_lossy(),
        Err(_) => plain(&error),
    }
}
