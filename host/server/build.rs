//! Builds the plugins workspace (`plugins/`) for wasm32-wasip2 and embeds the builtin
//! system tasks (WAIT, HTTP, EVENT, KAFKA_PUBLISH, INLINE, JSON_JQ_TRANSFORM, UPDATE_TASK) into the
//! binary. The only tool needed is rustup's wasm32-wasip2 target, which is added here when
//! missing: rustup does not add a target listed in rust-toolchain.toml to a toolchain that is
//! already installed.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
/// (task type, crate artifact name)
const BUILTINS: [(&str, &str); 7] = [
    ("WAIT", "wait"),
    ("HTTP", "http"),
    ("EVENT", "event"),
    ("KAFKA_PUBLISH", "kafka_publish"),
    ("INLINE", "inline"),
    ("JSON_JQ_TRANSFORM", "jq"),
    ("UPDATE_TASK", "update_task"),
];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.join("../..").canonicalize().unwrap();
    let plugins = root.join("plugins");
    println!("cargo:rerun-if-changed={}", plugins.display());
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    println!("cargo:rerun-if-env-changed=FERMATA_PLUGINS_TARGET_DIR");

    ensure_target();
    let target_dir = env::var_os("FERMATA_PLUGINS_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_target_dir(&root).join("plugins"));
    build_plugins(&plugins, &target_dir);

    let out = target_dir.join(TARGET).join("release");
    let mut code = String::from(
        "/// The builtin plugins: (task type, component bytes).\npub static BUILTIN_PLUGINS: &[(&str, &[u8])] = &[\n",
    );
    for (task_type, artifact) in BUILTINS {
        let wasm = out.join(format!("{artifact}.wasm"));
        assert!(wasm.is_file(), "{} was not built", wasm.display());
        code.push_str(&format!(
            "    ({task_type:?}, include_bytes!({:?})),\n",
            wasm.display().to_string()
        ));
    }
    code.push_str("];\n");
    std::fs::write(
        PathBuf::from(env::var("OUT_DIR").unwrap()).join("builtin_plugins.rs"),
        code,
    )
    .unwrap();
}

/// The workspace's target directory (`CARGO_TARGET_DIR` or `<root>/target`), found from
/// OUT_DIR so it is right whatever the profile.
fn workspace_target_dir(root: &Path) -> PathBuf {
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    out.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .and_then(|build| build.parent()?.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| root.join("target"))
}

fn ensure_target() {
    let toolchain = env::var("RUSTUP_TOOLCHAIN").ok();
    let mut list = Command::new("rustup");
    list.args(["target", "list", "--installed"]);
    if let Some(t) = &toolchain {
        list.args(["--toolchain", t]);
    }
    let installed = match list.output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .any(|l| l.trim() == TARGET),
        // No rustup: the toolchain must already have the target, or the build below says so.
        _ => return,
    };
    if installed {
        return;
    }
    println!("cargo:warning=adding the {TARGET} target (rustup target add {TARGET})");
    let mut add = Command::new("rustup");
    add.args(["target", "add", TARGET]);
    if let Some(t) = &toolchain {
        add.args(["--toolchain", t]);
    }
    let status = add.status().expect("running rustup");
    assert!(status.success(), "`rustup target add {TARGET}` failed");
}

fn build_plugins(plugins: &Path, target_dir: &Path) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(plugins)
        .args([
            "build",
            "--release",
            "--locked",
            "--workspace",
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(target_dir);
    // The outer build's settings are for the host target, not for the plugins.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MANIFEST_DIR",
        "CARGO_PKG_NAME",
    ] {
        cmd.env_remove(var);
    }
    for (key, _) in env::vars() {
        if key.starts_with("CARGO_PROFILE_")
            || key.starts_with("CARGO_CFG_")
            || key.starts_with("CARGO_FEATURE_")
        {
            cmd.env_remove(key);
        }
    }
    let status = cmd.status().expect("running cargo for the plugins");
    assert!(
        status.success(),
        "building the plugins (plugins/) for {TARGET} failed"
    );
}
