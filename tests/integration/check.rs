//! Lab tests of `vmigrate check`: every check failing and passing on real
//! hosts, the scheduler's retry, and that nothing is left behind.

use serde_json::Value;

use crate::util::{check_row, lab_sh, state, virsh, vmigrate, Lab, TestVm, Vm};

fn check(inv: &str, args: &[&str]) -> (i32, Value, String) {
    let mut a = vec!["-i", inv, "-o", "json", "check"];
    a.extend_from_slice(args);
    let r = vmigrate(&a);
    let doc = if r.stdout.trim().is_empty() {
        Value::Null
    } else {
        r.json()
    };
    (r.code, doc, r.stderr)
}

fn status(doc: &Value, id: &str) -> String {
    check_row(doc, id)["status"].as_str().unwrap().to_string()
}

fn message(doc: &Value, id: &str) -> String {
    check_row(doc, id)["message"].as_str().unwrap().to_string()
}

/// No shared-storage test file left in `dir` on `host`.
fn no_test_files(host: &str, dir: &str) {
    let out = lab_sh(&["exec", host, "ls", "-a", dir]);
    assert!(
        !out.contains(".vmigrate-shared-check"),
        "test file left in {dir} on {host}: {out}"
    );
}

fn lab_dir(lab: &Lab) -> String {
    // The lab's shared directory is under its state dir, next to the key.
    let inv = &lab.inventory_text;
    let key = inv
        .lines()
        .find_map(|l| l.strip_prefix("identity_file = "))
        .unwrap()
        .trim_matches('"');
    key.rsplit_once('/').unwrap().0.to_string()
}

#[test]
fn disk_kinds_are_classified_and_nothing_is_left_behind() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let net = TestVm::create("lab1", "it-chk-net", "net");
    let local = TestVm::create("lab1", "it-chk-local", "local");
    let shared = TestVm::create("lab1", "it-chk-shared", "shared");

    let (code, doc, err) = check(inv, &[&net.name, "--to", "lab2"]);
    assert_eq!(code, 0, "{err}{doc:#}");
    assert_eq!(doc["migratable"], true);
    assert_eq!(doc["block_migration"], false);
    assert_eq!(doc["source"], "lab1");
    assert_eq!(doc["destination"], "lab2");
    assert!(message(&doc, "storage.shared").contains("nbd network disk, shared"));

    let (code, doc, err) = check(inv, &[&local.name, "--to", "lab2"]);
    assert_eq!(code, 0, "{err}{doc:#}");
    assert_eq!(
        doc["block_migration"], true,
        "a local disk means block migration"
    );
    assert!(message(&doc, "storage.shared").contains("local (test file not seen"));
    assert_eq!(status(&doc, "storage.dest_space"), "pass");

    let (code, doc, err) = check(inv, &[&shared.name, "--to", "lab2"]);
    assert_eq!(code, 0, "{err}{doc:#}");
    assert_eq!(doc["block_migration"], false);
    assert!(message(&doc, "storage.shared").contains("shared (test file seen"));

    // Block migration forced on shared storage, refused on local storage.
    let (code, doc, _) = check(
        inv,
        &[&shared.name, "--to", "lab2", "--block-migration", "yes"],
    );
    assert_eq!(code, 3);
    assert!(message(&doc, "storage.mode")
        .starts_with("block migration can not be used with shared storage"));
    let (code, doc, _) = check(
        inv,
        &[&local.name, "--to", "lab2", "--block-migration", "no"],
    );
    assert_eq!(code, 3);
    assert_eq!(status(&doc, "storage.mode"), "fail");

    for host in ["lab1", "lab2"] {
        no_test_files(host, "/var/lib/libvirt/images");
        no_test_files(host, &format!("{}/shared", lab_dir(lab)));
    }
    // Dry run: the VMs still run where they were.
    for vm in [&net, &local, &shared] {
        assert!(virsh("lab1", &["domstate", &vm.name]).contains("running"));
    }
}

#[test]
fn memory_exhausted_through_the_reserve() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let vm = TestVm::create("lab1", "it-chk-mem", "net");
    let dir = tempfile::tempdir().unwrap();
    // lab3 keeps all but 64 MiB for itself.
    let total: u64 = {
        let r = vmigrate(&["-i", lab.inv(), "-o", "json", "hosts", "lab3"]);
        r.json()["hosts"][0]["memory_total_mb"].as_u64().unwrap()
    };
    let inv = lab.inventory_with(dir.path(), |t| {
        t.replace(
            "name = \"lab3\"",
            &format!("name = \"lab3\"\nreserved_host_memory_mb = {}", total - 64),
        )
    });
    let (code, doc, _) = check(inv.to_str().unwrap(), &[&vm.name, "--to", "lab3"]);
    assert_eq!(code, 3);
    assert_eq!(doc["migratable"], false);
    let m = message(&doc, "dest.memory");
    assert!(
        m.contains("needs 128 MiB, has 64 MiB free after reserve"),
        "{m}"
    );
    // The scheduler rejects lab3 with the same numbers and picks lab2.
    let (code, doc, _) = check(inv.to_str().unwrap(), &[&vm.name]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["destination"], "lab2");
    let lab3 = doc["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["host"] == "lab3")
        .unwrap();
    assert_eq!(lab3["accepted"], false);
    assert!(lab3["reason"]
        .as_str()
        .unwrap()
        .contains("has 64 MiB free after reserve"));
}

#[test]
fn disabled_host_is_refused_and_skipped() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let vm = TestVm::create("lab1", "it-chk-dis", "net");
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.inventory_with(dir.path(), |t| {
        t.replace(
            "name = \"lab2\"",
            "name = \"lab2\"\ndisabled = true\ndisabled_reason = \"kernel update\"",
        )
    });
    let inv = inv.to_str().unwrap();
    let (code, doc, _) = check(inv, &[&vm.name, "--to", "lab2"]);
    assert_eq!(code, 3);
    assert!(message(&doc, "dest.enabled").contains("kernel update"));
    let (code, doc, _) = check(inv, &[&vm.name]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["destination"], "lab3");
    let lab2 = doc["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["host"] == "lab2")
        .unwrap();
    assert!(lab2["reason"].as_str().unwrap().starts_with("enabled"));
}

#[test]
fn name_clash_fails_the_check_and_the_scheduler_retries_the_next_host() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let inv = lab.inv();
    let vm = TestVm::create("lab1", "it-chk-clash", "net");
    // The scheduler's first choice, before anything is in its way.
    let (_, doc, _) = check(inv, &[&vm.name]);
    let first = doc["destination"]
        .as_str()
        .expect("a destination")
        .to_string();
    let next = if first == "lab2" { "lab3" } else { "lab2" };
    // An inactive same-named domain there: what a failed earlier migration leaves.
    let xml = "<domain type='qemu'><name>it-chk-clash</name><memory unit='MiB'>16</memory>\
               <os><type>hvm</type></os></domain>";
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), xml).unwrap();
    lab_sh(&["virsh", &first, "define", f.path().to_str().unwrap()]);
    struct Undefine(String);
    impl Drop for Undefine {
        fn drop(&mut self) {
            let _ = crate::util::lab_try(&["virsh", &self.0, "undefine", "it-chk-clash"]);
        }
    }
    let _undefine = Undefine(first.clone());

    let (code, doc, _) = check(inv, &[&vm.name, "--to", &first]);
    assert_eq!(code, 3);
    assert!(message(&doc, "dest.no_clash").contains("already has a domain it-chk-clash"));

    let (code, doc, _) = check(inv, &[&vm.name]);
    assert_eq!(code, 0, "{doc:#}");
    let cands = doc["candidates"].as_array().unwrap();
    assert_eq!(
        cands[0]["host"],
        first.as_str(),
        "still ranked first: {doc:#}"
    );
    assert_eq!(cands[0]["accepted"], false, "{doc:#}");
    let reason = cands[0]["reason"].as_str().unwrap();
    assert!(reason.contains("failed check dest.no_clash"), "{reason}");
    assert_eq!(
        doc["destination"], next,
        "the next host was tried and chosen"
    );
}

#[test]
fn missing_bridge_on_the_destination() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let inv = lab.inv();
    lab_sh(&["bridge", "add", "lab1", "br-it"]);
    struct Bridges;
    impl Drop for Bridges {
        fn drop(&mut self) {
            for h in ["lab1", "lab2"] {
                let _ = crate::util::lab_try(&["bridge", "del", h, "br-it"]);
            }
        }
    }
    let _bridges = Bridges;
    crate::util::destroy_everywhere("it-chk-br");
    lab_sh(&[
        "vm",
        "create",
        "lab1",
        "it-chk-br",
        "--disk",
        "net",
        "--bridge",
        "br-it",
    ]);
    let vm = TestVm {
        host: "lab1".into(),
        name: "it-chk-br".into(),
    };

    let (code, doc, _) = check(inv, &[&vm.name, "--to", "lab2"]);
    assert_eq!(code, 3);
    let m = message(&doc, "devices.networks");
    assert!(m.contains("no bridge br-it"), "{m}");
    lab_sh(&["bridge", "add", "lab2", "br-it"]);
    let (code, doc, _) = check(inv, &[&vm.name, "--to", "lab2"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(status(&doc, "devices.networks"), "pass");
}

#[test]
fn not_found_shut_off_and_running_twice() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let inv = lab.inv();
    let (code, _, err) = check(inv, &["no-such-vm"]);
    assert_eq!(code, 3);
    assert!(
        err.contains("no-such-vm not found on lab1, lab2, lab3"),
        "{err}"
    );

    let off = TestVm::create("lab1", "it-chk-off", "net");
    lab_sh(&["virsh", "lab1", "destroy", &off.name]);
    let (code, doc, _) = check(inv, &[&off.name, "--to", "lab2"]);
    assert_eq!(code, 3);
    assert!(message(&doc, "source.vm_state").contains("shut off"));

    // The same domain started on a second host: a split brain.
    let twice = TestVm::create("lab1", "it-chk-twice", "net");
    let xml = virsh("lab1", &["dumpxml", &twice.name]);
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), xml).unwrap();
    lab_sh(&["virsh", "lab2", "create", f.path().to_str().unwrap()]);
    struct Destroy;
    impl Drop for Destroy {
        fn drop(&mut self) {
            let _ = crate::util::lab_try(&["virsh", "lab2", "destroy", "it-chk-twice"]);
        }
    }
    let _destroy = Destroy;
    let (code, _, err) = check(inv, &[&twice.name]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("running on lab1 and lab2"), "{err}");
}

#[test]
fn bad_arguments_are_usage_errors() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let r = vmigrate(&["-i", inv, "check", "x", "--from", "nosuch"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = vmigrate(&["-i", inv, "check", "x", "--to", "a;b"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = vmigrate(&["-i", inv, "check", "x", "--to", "nosuch"]);
    assert_eq!(r.code, 2, "an unknown host is a usage error: {}", r.stderr);
}

#[test]
fn cpu_comparison_on_a_real_host() {
    use vmigrate::testing::compare_on;
    use vmigrate::testing::Host;
    use vmigrate::testing::Verdict;
    use vmigrate::testing::{parse, CpuSpec};
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let vm = TestVm::create("lab1", "it-chk-cpu", "net");
    let xml = virsh("lab1", &["dumpxml", "--migratable", &vm.name]);
    let spec = parse(&xml).unwrap();
    let inv = vmigrate::testing::load(&lab.inventory).unwrap();
    let host = inv.host("lab2").unwrap().clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let link = vmigrate::testing::HostLink::open(host).await;
        let lab2 = Host::new(link.libvirt.as_ref().expect("libvirt on lab2").clone());
        let v = compare_on(None, &lab2, &spec).await;
        assert!(
            matches!(v, Verdict::Compatible(_)),
            "the guest's own CPU: {v:?}"
        );
        // lab.md: all lab hosts share one physical CPU, so the incompatible
        // case is a crafted definition compared on a real host.
        let mut crafted = spec;
        crafted.cpu = Some(CpuSpec {
            mode: "custom".into(),
            xml: "<cpu mode='custom' match='exact'><model>Cascadelake-Server</model>\
                  <feature policy='require' name='avx512vnni'/></cpu>"
                .into(),
        });
        let v = compare_on(None, &lab2, &crafted).await;
        assert!(
            matches!(&v, Verdict::Incompatible(Some(r)) if r.contains("avx512vnni")),
            "libvirt names the missing feature: {v:?}"
        );
    });
}

#[test]
fn interrupted_check_leaves_nothing_behind() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let vm = TestVm::create("lab1", "it-chk-int", "shared");
    let shared_dir = format!("{}/shared", lab_dir(lab));
    // Interrupt at several points of the run; whichever step it hits, the
    // exit is 130 (or 0 if the check finished first) and no file remains.
    for delay_ms in [100u64, 200, 300, 400, 500, 700] {
        let child = Vm::cmd()
            .inventory(lab.inv())
            .json()
            .args(["check", &vm.name, "--to", "lab2"])
            .spawn();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().unwrap();
        let code = out.status.code();
        // On a loaded machine the signal can arrive before the process has
        // installed its handler (it has done nothing yet): the default
        // action then ends it, and that too leaves nothing behind.
        let early = std::os::unix::process::ExitStatusExt::signal(&out.status) == Some(2);
        assert!(
            code == Some(130) || code == Some(0) || early,
            "after {delay_ms} ms: {code:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if code == Some(130) {
            assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was changed"));
        }
        no_test_files("lab1", &shared_dir);
        no_test_files("lab2", &shared_dir);
    }
}

/// A guest defined without `<cpu>` (`lab.sh vm create … --no-cpu`): libvirt
/// gives it its default model unchecked, and migrates it between these
/// identical hosts. Comparing that model on the destination says
/// "incompatible" (lab.md), so the check judges the host CPUs instead, as
/// Nova does — and `live` then really moves the guest.
#[test]
fn guest_without_cpu_element_passes_by_the_host_cpus_and_migrates() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let name = "cpu-nocpu";
    let mut vm = TestVm::create_with("lab1", name, &["--no-cpu"]);
    let xml = virsh("lab1", &["dumpxml", "--migratable", name]);
    assert!(
        xml.contains("check='none'"),
        "libvirt's default CPU is unchecked: {xml}"
    );

    let (code, doc, err) = check(inv, &[name, "--to", "lab2"]);
    assert_eq!(status(&doc, "cpu.compatible"), "pass", "{err}{doc:#}");
    let m = message(&doc, "cpu.compatible");
    assert!(m.contains("lab1") && m.contains("lab2"), "{m}");
    assert_eq!(code, 0, "{err}{doc:#}");
    // The scheduler's CPU filter judges it the same way.
    let (code, doc, err) = check(inv, &[name]);
    assert_eq!(code, 0, "{err}{doc:#}");
    assert_eq!(status(&doc, "cpu.compatible"), "pass");

    let (code, doc, err) = crate::live::live(inv, &[name, "--to", "lab2"]);
    assert_eq!(code, 0, "{err}{doc:#}");
    assert_eq!(doc["outcome"], "migrated", "{doc:#}");
    vm.host = "lab2".into();
    assert_eq!(state("lab2", name), "running");
    assert_eq!(state("lab1", name), "absent");
    assert_eq!(state("lab3", name), "absent");
}

/// The verdicts behind `cpu.compatible` from real libvirt answers, on the
/// captured definition of a guest defined without `<cpu>` (no VM needed:
/// only its arch, machine and CPU are sent). lab.md: the lab hosts share
/// one CPU, so "incompatible" comes from a crafted model.
#[test]
fn unchecked_and_checked_cpu_verdicts_on_real_hosts() {
    use vmigrate::testing::compare_on;
    use vmigrate::testing::parse;
    use vmigrate::testing::Host;
    use vmigrate::testing::Verdict;
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cpu/no-cpu.migratable.xml"
    );
    let unchecked = parse(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let mut unchecked_model = unchecked.clone();
    let crafted = "<model fallback='forbid'>Cascadelake-Server</model>\
                   <feature policy='require' name='avx512vnni'/>";
    unchecked_model.cpu.as_mut().unwrap().xml =
        format!("<cpu mode='custom' match='exact' check='none'>{crafted}</cpu>");
    let mut checked = unchecked.clone();
    checked.cpu.as_mut().unwrap().xml =
        format!("<cpu mode='custom' match='exact' check='partial'>{crafted}</cpu>");
    let inv = vmigrate::testing::load(&lab.inventory).unwrap();
    let (h1, h2) = (
        inv.host("lab1").unwrap().clone(),
        inv.host("lab2").unwrap().clone(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let l1 = vmigrate::testing::HostLink::open(h1).await;
        let l2 = vmigrate::testing::HostLink::open(h2).await;
        let src = Host::new(l1.libvirt.as_ref().expect("libvirt on lab1").clone());
        let dst = Host::new(l2.libvirt.as_ref().expect("libvirt on lab2").clone());
        let v = [
            compare_on(Some(&src), &dst, &unchecked).await,
            compare_on(None, &dst, &unchecked).await,
            compare_on(Some(&src), &dst, &unchecked_model).await,
            compare_on(Some(&src), &dst, &checked).await,
        ];
        assert_eq!(v[0], Verdict::HostsCompatible("identical"), "{v:?}");
        assert!(
            matches!(&v[1], Verdict::Error(e) if e.contains("source")),
            "{v:?}"
        );
        // An unchecked model the destination lacks is still judged by the hosts.
        assert_eq!(v[2], Verdict::HostsCompatible("identical"), "{v:?}");
        assert!(
            matches!(&v[3], Verdict::Incompatible(Some(r)) if r.contains("avx512vnni")),
            "libvirt names the missing feature: {v:?}"
        );
    });
}
