//! The transport's rules and its translation into libvirt's flags and
//! parameters.

use super::*;

fn with(o: &Overrides) -> Result<Transport, String> {
    Transport::default().with(o)
}

#[test]
fn flags_and_parameters_follow_the_settings() {
    let t = with(&Overrides {
        tls: Some(true),
        tls_destination: Some("kvm2.example".into()),
        parallel: Some(4),
        compress: Some(Compress::Zstd),
        postcopy_bandwidth_mib: Some(300),
        auto_converge_initial: Some(30),
        ..Overrides::default()
    })
    .unwrap();
    let bits = t.flag_bits();
    for f in [
        sys::VIR_MIGRATE_TLS,
        sys::VIR_MIGRATE_PARALLEL,
        sys::VIR_MIGRATE_COMPRESSED,
    ] {
        assert_ne!(bits & f, 0);
    }
    let mut p = MigrateParameters::default();
    t.apply(&mut p, false, true);
    assert_eq!(p.tls_destination.as_deref(), Some("kvm2.example"));
    assert_eq!(p.parallel_connections, Some(4));
    assert_eq!(p.compression.as_deref(), Some("zstd"));
    assert_eq!(p.bandwidth_postcopy, None, "post-copy is off");
    assert_eq!(p.auto_converge_initial, Some(30));
    assert_eq!(Transport::default().flag_bits(), 0);
    assert_eq!(t.describe(), "tls, 4 connections, zstd");
}

#[test]
fn combinations_that_cannot_work_say_what_to_change() {
    let err = |o: &Overrides| with(o).unwrap_err();
    assert!(err(&Overrides {
        compress: Some(Compress::Xbzrle),
        parallel: Some(2),
        ..Overrides::default()
    })
    .contains("drop --parallel"));
    assert!(err(&Overrides {
        compress: Some(Compress::Zlib),
        ..Overrides::default()
    })
    .contains("add --parallel"));
    assert!(err(&Overrides {
        xbzrle_cache_mib: Some(64),
        ..Overrides::default()
    })
    .contains("add --compress xbzrle"));
    assert!(err(&Overrides {
        disks: Some(vec!["vda;rm".into()]),
        ..Overrides::default()
    })
    .contains("not a guest disk name"));
    assert!(err(&Overrides {
        auto_converge_increment: Some(0),
        ..Overrides::default()
    })
    .contains("1 to 100"));
}

#[test]
fn parallel_zero_lifts_an_inventory_setting() {
    let inv = Transport {
        parallel: Some(8),
        ..Transport::default()
    };
    let t = inv
        .with(&Overrides {
            parallel: Some(0),
            ..Overrides::default()
        })
        .unwrap();
    assert_eq!(t.parallel, None);
    assert_eq!(t.describe(), "plain tcp, one stream");
}
