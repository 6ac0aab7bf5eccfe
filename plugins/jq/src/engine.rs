//! Compiling and running a jq program with jaq's core, standard and JSON libraries. Nothing
//! is cached: each call is a fresh component instance anyway.
//!
//! Nothing here limits a program's time or memory: the host interrupts a plugin at its
//! deadline and refuses memory past its limit, and both end the call as traps, which
//! nothing in a plugin can catch.

use crate::message;
use jaq_core::data::HasLut;
use jaq_core::load::{Arena, File, Loader};
use jaq_core::native::{self, Fun};
use jaq_core::{Compiler, Ctx, Cv, DataT, Lut, ValXs, Vars};
use jaq_json::Val;

/// Every output of `code` run on `input`, or the message of the first error.
pub fn run(code: &str, input: Val, now_ms: u64) -> Result<Vec<Val>, String> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let arena = Arena::default();
    let modules = Loader::new(defs)
        .load(&arena, File { code, path: () })
        .map_err(message::load)?;
    let filter = Compiler::default()
        .with_funs(funs())
        .compile(modules)
        .map_err(message::compile)?;
    let env = Env {
        lut: &filter.lut,
        now_s: now_ms as f64 / 1000.0,
    };
    let mut outputs = Vec::new();
    for output in filter.id.run((Ctx::<Data>::new(env, Vars::new([])), input)) {
        let exception = match output {
            Ok(v) => {
                outputs.push(v);
                continue;
            }
            Err(exception) => exception,
        };
        // Not `jaq_core::unwrap_valr`: it turns `halt` into `std::process::exit`.
        match exception.get_err() {
            Ok(error) => return Err(message::runtime(error)),
            // `halt` (exit code 0) ends the program normally, with the outputs so far.
            Err(other) => match other.get_halt() {
                Ok(0) => break,
                Ok(code) => return Err(format!("jq program halted with exit code {code}")),
                Err(_) => return Err("jq program stopped unexpectedly".into()),
            },
        }
    }
    Ok(outputs)
}

/// jaq's data for our filters: the lookup table, plus the task's clock for `now`.
struct Data;

impl DataT for Data {
    type V<'a> = Val;
    type Data<'a> = Env<'a>;
}

#[derive(Clone)]
struct Env<'a> {
    lut: &'a Lut<Data>,
    /// The host's clock when the task began, in epoch seconds.
    now_s: f64,
}

impl<'a> HasLut<'a, Data> for Env<'a> {
    fn lut(&self) -> &'a Lut<Data> {
        self.lut
    }
}

/// jaq's native filters, with `now` reading the task's clock instead of the system's, so a
/// program's result depends only on what the host gives the plugin.
fn funs() -> impl Iterator<Item = Fun<Data>> {
    let std = jaq_std::funs().filter(|(name, ..)| *name != "now");
    jaq_core::funs()
        .chain(std)
        .chain(jaq_json::funs())
        .chain([native::run::<Data>(("now", native::v(0), now))])
}

fn now<'a>(cv: Cv<'a, Data>) -> ValXs<'a, Val> {
    native::bome(Ok(Val::from(cv.0.data().now_s)))
}
