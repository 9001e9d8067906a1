//! Lab tests of `vmigrate hosts`: the figures it reports are the ones libvirt
//! itself reports on the same host, and a broken host is a row, not an abort.

use crate::util::{host_row, lab_sh, virsh, vmigrate, Lab, TestVm};
use serde_json::Value;

/// `Key:   value` from virsh's two-column output.
fn field<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(key)
                .map(|v| v.trim_start_matches(':').trim())
        })
        .unwrap_or_else(|| panic!("no {key:?} in:\n{text}"))
}

fn xml_text(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no <{tag}>")) + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>")).unwrap();
    xml[start..end].trim().to_string()
}

/// CPUs and memory, as `virsh nodeinfo`/`freecell` report them.
fn node_as_virsh_reports(host: &str, row: &Value) {
    let nodeinfo = virsh(host, &["nodeinfo"]);
    let cpus: u64 = field(&nodeinfo, "CPU(s)").parse().unwrap();
    assert_eq!(row["cpus"], cpus);
    let mem_kib: u64 = field(&nodeinfo, "Memory size")
        .trim_end_matches(" KiB")
        .parse()
        .unwrap();
    assert_eq!(row["memory_total_mb"], mem_kib / 1024);
    let free_kib: u64 = field(&virsh(host, &["freecell", "--all"]), "Total")
        .trim_end_matches(" KiB")
        .parse()
        .unwrap();
    let reported = row["memory_free_mb"].as_u64().unwrap();
    let diff = reported.abs_diff(free_kib / 1024);
    assert!(
        diff < 512,
        "free memory {reported} MiB vs virsh {} MiB",
        free_kib / 1024
    );
}

/// Versions and capabilities, as `virsh version`/`capabilities` report them.
fn daemon_as_virsh_reports(host: &str, row: &Value) {
    let version = virsh(host, &["version", "--daemon"]);
    let hypervisor = field(&version, "Running hypervisor");
    assert_eq!(
        format!(
            "{} {}",
            row["hypervisor"]["type"].as_str().unwrap(),
            row["hypervisor"]["version"].as_str().unwrap()
        ),
        hypervisor
    );
    let daemon = field(&version, "Running against daemon");
    assert_eq!(row["libvirt_version"], daemon);
    let caps = virsh(host, &["capabilities"]);
    assert_eq!(row["host_uuid"], xml_text(&caps, "uuid").as_str());
    assert_eq!(row["arch"], xml_text(&caps, "arch").as_str());
    assert_eq!(row["cpu_model"], xml_text(&caps, "model").as_str());
    assert!(row["disk_free_mb"].as_u64().unwrap() > 0);
}

/// The domain list, as `virsh list --all` reports it.
fn domains_as_virsh_reports(host: &str, row: &Value) {
    let mut want: Vec<String> = virsh(host, &["list", "--all", "--name"])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    want.sort();
    let got: Vec<String> = row["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, want, "domains on {host}");
}

#[test]
fn hosts_reports_what_virsh_reports() {
    // Exclusive: other tests starting or moving VMs between our run and
    // virsh's answers would change the lists being compared.
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let vm = TestVm::create("lab1", "it-hosts-vm", "local");
    let r = vmigrate(&["-i", lab.inv(), "-o", "json", "hosts"]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let doc = r.json();
    assert_eq!(doc["hosts"].as_array().unwrap().len(), lab.hosts().len());
    for host in lab.hosts() {
        let row = host_row(&doc, &host);
        assert_eq!(row["reachable"], true, "{row}");
        assert!(row["error"].is_null(), "{row}");
        assert_eq!(
            row["hostname"],
            host.as_str(),
            "the lab sets each host's own hostname"
        );
        node_as_virsh_reports(&host, row);
        daemon_as_virsh_reports(&host, row);
        domains_as_virsh_reports(&host, row);
    }
    // The test VM, exactly as libvirt describes it.
    let row = host_row(&doc, "lab1");
    let v = row["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == vm.name.as_str())
        .expect("test VM listed on lab1");
    let uuid = virsh("lab1", &["domuuid", &vm.name]);
    assert_eq!(v["uuid"], uuid.trim());
    assert_eq!(v["state"], "running");
    let dominfo = virsh("lab1", &["dominfo", &vm.name]);
    let max_kib: u64 = field(&dominfo, "Max memory")
        .trim_end_matches(" KiB")
        .parse()
        .unwrap();
    assert_eq!(v["memory_mb"], max_kib / 1024);
    assert_eq!(
        v["vcpus"],
        field(&dominfo, "CPU(s)").parse::<u64>().unwrap()
    );
    assert_eq!(v["persistent"], true);
    assert!(row["memory_allocated_mb"].as_u64().unwrap() >= max_kib / 1024);
    assert!(row["vcpus_allocated"].as_u64().unwrap() >= 1);
}

#[test]
fn table_on_stdout_names_every_host() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let r = vmigrate(&["-i", lab.inv(), "hosts"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for host in lab.hosts() {
        assert!(
            r.stdout.contains(&host),
            "table lacks {host}:\n{}",
            r.stdout
        );
    }
    assert!(r.stdout.contains("QEMU"), "{}", r.stdout);
    assert!(
        r.stderr.is_empty(),
        "no spinner when stderr is not a terminal: {}",
        r.stderr
    );
}

#[test]
fn selected_hosts_only_and_unknown_name_is_exit_2() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let r = vmigrate(&["-i", inv, "-o", "json", "hosts", "lab2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let hosts = r.json()["hosts"].as_array().unwrap().clone();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0]["name"], "lab2");
    let r = vmigrate(&["-i", inv, "hosts", "nosuchhost"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("nosuchhost") && r.stderr.contains("lab1"),
        "{}",
        r.stderr
    );
}

#[test]
fn stopped_libvirtd_is_a_row_with_an_error_and_exit_6() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let victim = lab.hosts().last().unwrap().clone();
    lab_sh(&["libvirtd", "stop", &victim]);
    // Restart even if an assertion fails, so later tests find a whole lab.
    struct Restart<'a>(&'a str);
    impl Drop for Restart<'_> {
        fn drop(&mut self) {
            lab_sh(&["libvirtd", "start", self.0]);
        }
    }
    let _restart = Restart(&victim);
    let r = vmigrate(&["-i", lab.inv(), "-o", "json", "hosts"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    let doc = r.json();
    let row = host_row(&doc, &victim);
    assert_eq!(row["reachable"], false);
    assert_eq!(row["ssh"]["reachable"], true, "SSH still works: {row}");
    assert_eq!(row["libvirt"]["reachable"], false);
    let err = row["error"].as_str().unwrap();
    assert!(err.contains("libvirt") && err.contains(&victim), "{err}");
    for other in lab.hosts().iter().filter(|h| **h != victim) {
        assert_eq!(
            host_row(&doc, other)["reachable"],
            true,
            "{other} unaffected"
        );
    }
}

#[test]
fn unreachable_address_is_a_row_and_exit_6() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // .99 is inside the lab's own subnet, where nothing answers.
    let inv = lab.inventory_with(dir.path(), |t| {
        t + "\n[[hosts]]\nname = \"ghost\"\naddress = \"10.213.77.99\"\nconnect_timeout_secs = 3\n"
    });
    let started = std::time::Instant::now();
    let r = vmigrate(&["-i", inv.to_str().unwrap(), "-o", "json", "hosts"]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(
        // Far below the ~2 minutes of a TCP connect without the timeout,
        // with room for a loaded CI machine.
        started.elapsed().as_secs() < 20,
        "the timeout bounds the run"
    );
    let doc = r.json();
    let ghost = host_row(&doc, "ghost");
    assert_eq!(ghost["reachable"], false);
    assert!(ghost["error"].as_str().unwrap().contains("ghost"));
    assert_eq!(host_row(&doc, "lab1")["reachable"], true);
}
