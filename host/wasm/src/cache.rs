//! Compiled components cached on disk, keyed by the component's SHA-256 and the engine's
//! compatibility hash, so a restart loads machine code instead of compiling again.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn cache_path(dir: &Path, engine: &Engine, sha: &str) -> PathBuf {
    let mut h = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    dir.join(format!("{sha}-{:016x}.cwasm", h.finish()))
}

/// The compiled component: from the cache when present and loadable, compiled (and
/// cached) otherwise. Returns whether it came from the cache.
pub fn load(
    engine: &Engine,
    dir: Option<&Path>,
    bytes: &[u8],
    sha: &str,
) -> Result<(Component, bool)> {
    let Some(dir) = dir else {
        return Ok((
            Component::new(engine, bytes).map_err(anyhow::Error::from)?,
            false,
        ));
    };
    let path = cache_path(dir, engine, sha);
    if path.is_file() {
        // SAFETY: the file was written by `precompile_component` of an engine with the same
        // compatibility hash (it is in the name) into fermata's own cache directory.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok((component, true)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unusable cache entry; recompiling")
            }
        }
    }
    let compiled = engine
        .precompile_component(bytes)
        .map_err(anyhow::Error::from)
        .context("compiling the component")?;

    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &compiled).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    // SAFETY: produced just above by this engine.
    let component =
        unsafe { Component::deserialize(engine, &compiled) }.map_err(anyhow::Error::from)?;

    Ok((component, false))
}
